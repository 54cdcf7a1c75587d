/**
 * labrig USB: USBTMC/USB488 over libusb (the `usb` package, v2). Importing this module registers
 * the `usbtmc://VID:PID[/serial]` scheme with the address factory; libusb itself loads only when
 * a device is opened.
 * @module
 */
export { UsbtmcTransport, type UsbtmcOptions, type UsbtmcCallOptions, type BulkDeviceOpener } from './transport.js';
export { openUsbtmc, createUsbtmc, type OpenUsbtmcOptions, type UsbtmcUriAddress } from './open.js';
export { parseUsbtmcAddress, formatUsbtmcAddress, type UsbtmcAddress } from './address.js';
export type { BulkDevice } from './bulk-device.js';
export { openLibusbDevice, libusbOpener, loadUsbPackage, type LibusbOpenOptions, type UsbLoader, type UsbModule } from './libusb-device.js';
export { abortBulkIn, abortBulkOut, clearDevice, recoverTransfer, type AbortOutcome, type ClearResult, type RecoveryOptions, type RecoveryRecord } from './recovery.js';
export type { Capabilities, ControlSetup } from './control.js';
export { NotFoundError, isNotFound } from '../discovery/not-found.js';
