/**
 * {@link BulkDevice} on the `usb` package (v2, libusb API): find a device by VID:PID[/serial],
 * open it, detach the kernel's usbtmc driver, claim the USBTMC interface and use its Bulk-OUT,
 * Bulk-IN and Interrupt-IN endpoints. See docs/decisions/0005-usb.md for why v2.
 *
 * Not tested against real hardware (none exists where labrig is built): see README.md.
 * @module
 */
import type { Device, InEndpoint, Interface, OutEndpoint } from 'usb';
import { CanceledError, DeviceError, DisconnectedError, TimeoutError } from '../../core/errors.js';
import { NotFoundError } from '../discovery/not-found.js';
import type { UsbtmcAddress } from './address.js';
import { formatUsbtmcAddress } from './address.js';
import type { WaitOptions } from '../contracts.js';
import type { BulkDevice } from './bulk-device.js';
import type { ControlSetup } from './control.js';
import type { BulkDeviceOpener } from './transport.js';

/** The part of the `usb` package this module uses (tests inject stand-ins). */
export interface UsbModule {
  getDeviceList(): Device[];
}

/** Load the `usb` package; rejects if its native addon (libusb) cannot load. */
export type UsbLoader = () => Promise<UsbModule>;

/** Load the real `usb` package. */
export const loadUsbPackage: UsbLoader = async () => {
  const mod = (await import('usb')) as unknown as UsbModule & { default?: UsbModule };
  return typeof mod.getDeviceList === 'function' ? mod : mod.default!;
};

/** USB-IF class code of USBTMC interfaces (application-specific) and its subclass. */
export const USBTMC_CLASS = 0xfe;
export const USBTMC_SUBCLASS = 0x03;

// libusb transfer status codes (libusb_transfer_status) and error codes (libusb_error).
const TRANSFER_TIMED_OUT = 2;
const TRANSFER_CANCELLED = 3;
const TRANSFER_STALL = 4;
const TRANSFER_NO_DEVICE = 5;
const TRANSFER_OVERFLOW = 6;
const ERROR_NO_DEVICE = -4;
const ERROR_BUSY = -6;
const ERROR_TIMEOUT = -7;
const ERROR_PIPE = -9;
const ERROR_ACCESS = -3;

/** Map a libusb error to labrig's typed errors (`operation` names the call). */
export function mapUsbError(err: unknown, address: string, operation: string, timeoutMs: number): Error {
  const errno = (err as { errno?: unknown } | null)?.errno;
  const message = err instanceof Error ? err.message : String(err);
  const opts = { cause: err };
  switch (errno) {
    case TRANSFER_TIMED_OUT:
    case ERROR_TIMEOUT:
      return new TimeoutError({ operation: `${address}: ${operation}`, afterMs: timeoutMs });
    case TRANSFER_CANCELLED:
      return new CanceledError(`${address}: ${operation}: transfer cancelled`);
    case TRANSFER_STALL:
    case ERROR_PIPE:
      return new DeviceError({ device: address, vendorMessage: `${operation}: endpoint stalled`, vendorCode: 'STALL', kind: 'STALL', ...opts });
    case TRANSFER_OVERFLOW:
      return new DeviceError({ device: address, vendorMessage: `${operation}: the device sent more than the buffer holds`, vendorCode: 'OVERFLOW', kind: 'OVERFLOW', ...opts });
    case TRANSFER_NO_DEVICE:
    case ERROR_NO_DEVICE:
      return new DisconnectedError({ device: address, detail: `${operation}: the device is gone (${message})`, ...opts });
    case ERROR_ACCESS:
      return new DisconnectedError({ device: address, detail: `${operation}: permission denied (${message}); check the udev rules for this device`, ...opts });
    case ERROR_BUSY:
      return new DisconnectedError({ device: address, detail: `${operation}: the interface is busy (claimed by another program or driver)`, ...opts });
    default:
      return new DisconnectedError({ device: address, detail: `${operation}: ${message}`, ...opts });
  }
}

/** Endpoint descriptor fields used to pick the USBTMC endpoints. */
export interface EndpointInfo {
  bEndpointAddress: number;
  bmAttributes: number;
  wMaxPacketSize: number;
}

/** The endpoints of one USBTMC interface. */
export interface UsbtmcEndpoints {
  bulkIn: number;
  bulkOut: number;
  interruptIn: number | undefined;
  maxPacketSize: number;
}

/** Pick Bulk-IN, Bulk-OUT and (optional) Interrupt-IN among an interface's endpoints (USBTMC §4.1). */
export function pickEndpoints(address: string, endpoints: readonly EndpointInfo[]): UsbtmcEndpoints {
  const find = (type: number, dirIn: boolean): EndpointInfo | undefined =>
    endpoints.find((e) => (e.bmAttributes & 0x03) === type && ((e.bEndpointAddress & 0x80) !== 0) === dirIn);
  const bulkIn = find(2, true);
  const bulkOut = find(2, false);
  const interrupt = find(3, true);
  if (!bulkIn || !bulkOut) {
    const seen = endpoints.map((e) => `0x${e.bEndpointAddress.toString(16)} (attributes 0x${e.bmAttributes.toString(16)})`).join(', ') || 'none';
    throw new DisconnectedError({ device: address, detail: `the USBTMC interface lacks a ${bulkIn ? 'Bulk-OUT' : 'Bulk-IN'} endpoint (endpoints: ${seen})` });
  }
  return { bulkIn: bulkIn.bEndpointAddress, bulkOut: bulkOut.bEndpointAddress, interruptIn: interrupt?.bEndpointAddress, maxPacketSize: bulkIn.wMaxPacketSize || 64 };
}

/** Interface descriptor fields used to pick the USBTMC interface. */
export interface InterfaceInfo {
  bInterfaceNumber: number;
  bInterfaceClass: number;
  bInterfaceSubClass: number;
  bInterfaceProtocol: number;
}

/** Pick the USBTMC interface (class 0xFE, subclass 0x03), optionally by number; undefined if none. */
export function pickInterface<T extends InterfaceInfo>(interfaces: readonly T[], interfaceNumber?: number): T | undefined {
  return interfaces.find(
    (d) => d.bInterfaceClass === USBTMC_CLASS && d.bInterfaceSubClass === USBTMC_SUBCLASS && (interfaceNumber === undefined || d.bInterfaceNumber === interfaceNumber),
  );
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

function readSerial(device: Device, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    device.timeout = timeoutMs;
    device.getStringDescriptor(device.deviceDescriptor.iSerialNumber, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

/** Options of {@link openLibusbDevice}. */
export interface LibusbOpenOptions {
  /** Load the `usb` package (default: the real one). */
  loadUsb?: UsbLoader;
  /** Limit of each descriptor request while searching, in milliseconds. Default 1000. */
  timeoutMs?: number;
}

/**
 * Find, open and claim the USBTMC interface of the device at `address`. Rejects with
 * NotFoundError (listing the devices seen) when no device matches, and with DisconnectedError
 * when libusb cannot load or enumerate, or the device cannot be opened or claimed.
 */
export async function openLibusbDevice(address: UsbtmcAddress, options: LibusbOpenOptions = {}): Promise<BulkDevice> {
  const uri = formatUsbtmcAddress(address);
  const timeoutMs = options.timeoutMs ?? 1000;
  let mod: UsbModule;
  try {
    mod = await (options.loadUsb ?? loadUsbPackage)();
  } catch (err) {
    throw new DisconnectedError({ device: uri, detail: `the usb package (libusb) could not be loaded: ${(err as Error).message ?? String(err)}`, cause: err });
  }
  let list: Device[];
  try {
    list = mod.getDeviceList();
  } catch (err) {
    throw new DisconnectedError({ device: uri, detail: `libusb could not list USB devices: ${(err as Error).message ?? String(err)}`, cause: err });
  }
  const tried: string[] = [];
  const what = `USB device ${hex4(address.vendorId)}:${hex4(address.productId)}${address.serial !== undefined ? ` serial "${address.serial}"` : ''}`;
  for (const device of list) {
    const d = device.deviceDescriptor;
    const where = `bus ${device.busNumber} address ${device.deviceAddress}: ${hex4(d.idVendor)}:${hex4(d.idProduct)}`;
    if (d.idVendor !== address.vendorId || d.idProduct !== address.productId) {
      tried.push(`${where} (other vendor/product)`);
      continue;
    }
    try {
      device.open();
    } catch (err) {
      throw mapUsbError(err, uri, 'open', timeoutMs);
    }
    if (address.serial !== undefined) {
      let serial: string | undefined;
      try {
        serial = await readSerial(device, timeoutMs);
      } catch (err) {
        serial = `<unreadable: ${(err as Error).message}>`;
      }
      if (serial !== address.serial) {
        tried.push(`${where} (serial "${serial ?? ''}")`);
        device.close();
        continue;
      }
    }
    try {
      return claim(device, uri, address.interfaceNumber);
    } catch (err) {
      device.close();
      throw err;
    }
  }
  if (list.length === 0) tried.push('(libusb sees no USB devices on this machine)');
  throw new NotFoundError({ what, tried, detail: 'no matching USB device' });
}

/** Make the opener a UsbtmcTransport uses to find and claim its device on `open()`. */
export function libusbOpener(address: UsbtmcAddress, options: LibusbOpenOptions = {}): BulkDeviceOpener {
  return {
    address: formatUsbtmcAddress(address),
    async open(wait: WaitOptions) {
      if (wait.signal?.aborted) throw new CanceledError(`${formatUsbtmcAddress(address)}: open canceled`);
      return openLibusbDevice(address, { ...options, timeoutMs: wait.timeoutMs ?? options.timeoutMs });
    },
  };
}

function claim(device: Device, uri: string, interfaceNumber: number | undefined): BulkDevice {
  const interfaces = device.interfaces ?? [];
  const iface = pickInterface(interfaces.map((i) => ({ ...i.descriptor, iface: i })), interfaceNumber)?.iface;
  if (!iface) {
    const seen = interfaces.map((i) => `#${i.interfaceNumber} class 0x${i.descriptor.bInterfaceClass.toString(16)}/0x${i.descriptor.bInterfaceSubClass.toString(16)}`);
    throw new NotFoundError({ what: `USBTMC interface on ${uri}`, tried: seen, detail: 'the device has no USBTMC interface (class 0xFE, subclass 0x03)' });
  }
  let detached = false;
  try {
    if (process.platform !== 'win32' && iface.isKernelDriverActive()) {
      iface.detachKernelDriver();
      detached = true;
    }
    iface.claim();
  } catch (err) {
    throw mapUsbError(err, uri, 'claim interface', 0);
  }
  const eps = pickEndpoints(uri, iface.endpoints.map((e) => e.descriptor));
  return new LibusbBulkDevice(uri, device, iface, eps, detached);
}

class LibusbBulkDevice implements BulkDevice {
  readonly interfaceNumber: number;
  readonly interfaceProtocol: number;
  readonly bulkOutEndpoint: number;
  readonly bulkInEndpoint: number;
  readonly interruptInEndpoint: number | undefined;
  readonly maxPacketSize: number;
  private closed = false;

  constructor(
    readonly address: string,
    private readonly device: Device,
    private readonly iface: Interface,
    eps: UsbtmcEndpoints,
    private readonly detached: boolean,
  ) {
    this.interfaceNumber = iface.interfaceNumber;
    this.interfaceProtocol = iface.descriptor.bInterfaceProtocol;
    this.bulkOutEndpoint = eps.bulkOut;
    this.bulkInEndpoint = eps.bulkIn;
    this.interruptInEndpoint = eps.interruptIn;
    this.maxPacketSize = eps.maxPacketSize;
  }

  bulkOut(bytes: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.transfer(this.bulkOutEndpoint, Buffer.from(bytes), timeoutMs, signal, 'Bulk-OUT').then(() => undefined);
  }

  bulkIn(maxLength: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.transfer(this.bulkInEndpoint, Buffer.alloc(maxLength), timeoutMs, signal, 'Bulk-IN');
  }

  interruptIn(maxLength: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.interruptInEndpoint === undefined) return Promise.reject(new DisconnectedError({ device: this.address, detail: 'the interface has no Interrupt-IN endpoint' }));
    const ep = this.iface.endpoint(this.interruptInEndpoint) as InEndpoint;
    const size = Math.max(maxLength, ep.descriptor.wMaxPacketSize);
    return this.transfer(this.interruptInEndpoint, Buffer.alloc(size), timeoutMs, signal, 'Interrupt-IN');
  }

  controlIn(setup: ControlSetup, timeoutMs: number): Promise<Uint8Array> {
    return this.control(setup, setup.wLength, timeoutMs).then((b) => Uint8Array.from(b as Buffer));
  }

  controlOut(setup: ControlSetup, data: Uint8Array, timeoutMs: number): Promise<void> {
    return this.control(setup, Buffer.from(data), timeoutMs).then(() => undefined);
  }

  clearHalt(endpoint: number, timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new DisconnectedError({ device: this.address, detail: 'device closed' }));
    const ep = this.iface.endpoint(endpoint);
    if (!ep) return Promise.reject(new DisconnectedError({ device: this.address, detail: `no endpoint 0x${endpoint.toString(16)}` }));
    return new Promise((resolve, reject) => ep.clearHalt((err) => (err ? reject(mapUsbError(err, this.address, 'clear halt', timeoutMs)) : resolve())));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.iface.release(true, () => resolve()));
    if (this.detached) {
      try {
        this.iface.attachKernelDriver();
      } catch {
        // The kernel driver may be gone with the device; nothing to restore.
      }
    }
    this.device.close();
  }

  private control(setup: ControlSetup, dataOrLength: number | Buffer, timeoutMs: number): Promise<Buffer | number | undefined> {
    if (this.closed) return Promise.reject(new DisconnectedError({ device: this.address, detail: 'device closed' }));
    return new Promise((resolve, reject) => {
      this.device.timeout = timeoutMs;
      this.device.controlTransfer(setup.bmRequestType, setup.bRequest, setup.wValue, setup.wIndex, dataOrLength, (err, data) =>
        err ? reject(mapUsbError(err, this.address, `control request ${setup.bRequest}`, timeoutMs)) : resolve(data),
      );
    });
  }

  private transfer(endpoint: number, buffer: Buffer, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new DisconnectedError({ device: this.address, detail: 'device closed' }));
    if (signal?.aborted) return Promise.reject(new CanceledError(`${this.address}: ${what}: canceled`));
    const ep = this.iface.endpoint(endpoint) as InEndpoint | OutEndpoint | undefined;
    if (!ep) return Promise.reject(new DisconnectedError({ device: this.address, detail: `no endpoint 0x${endpoint.toString(16)}` }));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        transfer.cancel();
      };
      const transfer = ep.makeTransfer(timeoutMs, (err, buf, actual) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(mapUsbError(err, this.address, what, timeoutMs));
        else resolve(Uint8Array.from(buf.subarray(0, actual)));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        transfer.submit(buffer);
      } catch (err) {
        signal?.removeEventListener('abort', onAbort);
        reject(mapUsbError(err, this.address, what, timeoutMs));
      }
    });
  }
}
