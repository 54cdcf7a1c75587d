/**
 * The "bulk device" contract the USBTMC transport runs on: one claimed USB interface with a
 * Bulk-OUT, a Bulk-IN and optionally an Interrupt-IN endpoint, plus the default control pipe.
 * Types only. Implemented on libusb by `libusb-device.ts`, and in the tests by an in-process
 * stand-in that answers like an instrument.
 *
 * Behaviour every implementation follows:
 * - Every transfer takes `timeoutMs` (> 0). When it expires the promise rejects with
 *   `TimeoutError`; the transfer is cancelled first, so nothing stays queued on the endpoint.
 * - `signal` aborts a pending transfer: it is cancelled and the promise rejects with `CanceledError`.
 * - `bulkIn(maxLength)` resolves with the bytes of one read: at most `maxLength` bytes, fewer
 *   when the device ended its transfer with a short packet. `maxLength` is a multiple of
 *   `maxPacketSize` (otherwise a full packet could overflow the buffer).
 * - `bulkOut` resolves once every byte was accepted by the device.
 * - `controlIn` resolves with the data stage (up to `setup.wLength` bytes).
 * - A stalled endpoint rejects with `DeviceError` (vendorCode `STALL`); `clearHalt` clears it.
 * - A device that went away rejects with `DisconnectedError`; so does any call after `close()`.
 * - `close()` is idempotent: it releases the interface (re-attaching a kernel driver it detached)
 *   and closes the device.
 * @module
 */
import type { ControlSetup } from './control.js';

/** One claimed USBTMC interface and its endpoints. */
export interface BulkDevice {
  /** Address for messages, e.g. `usbtmc://0x0957:0x1796/MY123`. */
  readonly address: string;
  /** bInterfaceNumber of the claimed interface (wIndex of interface requests). */
  readonly interfaceNumber: number;
  /** bInterfaceProtocol: 0 USBTMC, 1 USB488. */
  readonly interfaceProtocol: number;
  /** Endpoint address of Bulk-OUT, e.g. 0x02. */
  readonly bulkOutEndpoint: number;
  /** Endpoint address of Bulk-IN, e.g. 0x81. */
  readonly bulkInEndpoint: number;
  /** Endpoint address of Interrupt-IN, if the interface has one (USB488 SR1 devices). */
  readonly interruptInEndpoint: number | undefined;
  /** wMaxPacketSize of Bulk-IN, in bytes. */
  readonly maxPacketSize: number;
  /** Write bytes to Bulk-OUT. */
  bulkOut(bytes: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Read up to `maxLength` bytes from Bulk-IN. */
  bulkIn(maxLength: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Read one packet (up to `maxLength` bytes) from Interrupt-IN. */
  interruptIn(maxLength: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Run a device-to-host control transfer. */
  controlIn(setup: ControlSetup, timeoutMs: number): Promise<Uint8Array>;
  /** Run a host-to-device control transfer with `data` as its data stage. */
  controlOut(setup: ControlSetup, data: Uint8Array, timeoutMs: number): Promise<void>;
  /** Clear a halt (stall) on an endpoint: CLEAR_FEATURE(ENDPOINT_HALT). */
  clearHalt(endpoint: number, timeoutMs: number): Promise<void>;
  /** Release the interface and close the device. */
  close(): Promise<void>;
}
