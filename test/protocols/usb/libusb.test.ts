/**
 * The `usb`-package side of USBTMC. There is no USB hardware here, so this checks: the real
 * package loads and libusb enumerates; opening a missing device is a typed NotFoundError; a
 * libusb that cannot load or enumerate is a typed DisconnectedError; and the search / claim /
 * transfer / close code paths against a structural stand-in of the package's Device objects
 * (not hardware: it proves our calls and error mapping, not libusb's behaviour).
 */
import t from 'tap';
import { CanceledError, DeviceError, DisconnectedError, InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { NotFoundError } from '../../../src/protocols/discovery/not-found.js';
import { formatUsbtmcAddress, parseUsbtmcAddress } from '../../../src/protocols/usb/address.js';
import { loadUsbPackage, mapUsbError, openLibusbDevice, pickEndpoints, pickInterface, type UsbModule } from '../../../src/protocols/usb/libusb-device.js';
import { createUsbtmc, openUsbtmc } from '../../../src/protocols/usb/open.js';
import { createTransport, openAddress, parseAddress } from '../../../src/protocols/uri.js';

t.test('the real usb package loads and libusb enumerates', async (t) => {
  const mod = await loadUsbPackage();
  t.type(mod.getDeviceList, 'function');
  const list = mod.getDeviceList();
  t.ok(Array.isArray(list), `libusb listed ${list.length} device(s)`);
});

t.test("openUsbtmc('usbtmc://0x1234:0x5678') is a typed not-found error", async (t) => {
  const err = await openUsbtmc('usbtmc://0x1234:0x5678').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof NotFoundError, 'NotFoundError');
  t.ok(err instanceof DisconnectedError, 'which is a DisconnectedError, as the transport contract says');
  const nf = err as NotFoundError;
  t.equal(nf.code, 'NOT_FOUND');
  t.equal(nf.what, 'USB device 0x1234:0x5678');
  t.ok(nf.tried.length >= 1, 'it says what was looked at');
  t.match(nf.message, /USB device 0x1234:0x5678: no matching USB device; tried:/);
  await t.rejects(openAddress('usbtmc://0x1234:0x5678/SER1'), NotFoundError, 'the address factory reports the same');
});

t.test('a libusb that cannot load or enumerate is a typed DisconnectedError', async (t) => {
  const cause = new Error('libusb-1.0.so.0: cannot open shared object file');
  const err = await openLibusbDevice(parseUsbtmcAddress('usbtmc://1:2'), { loadUsb: () => Promise.reject(cause) }).catch((e: unknown) => e);
  t.ok(err instanceof DisconnectedError);
  t.notOk(err instanceof NotFoundError, 'not mistaken for a missing device');
  t.match((err as Error).message, /the usb package \(libusb\) could not be loaded: libusb-1\.0\.so\.0/);
  t.equal((err as Error).cause, cause);
  const init = Object.assign(new Error('LIBUSB_ERROR_OTHER'), { errno: -99 });
  const broken: UsbModule = { getDeviceList: () => { throw init; } };
  const err2 = await openUsbtmc('usbtmc://1:2', { loadUsb: async () => broken }).catch((e: unknown) => e);
  t.ok(err2 instanceof DisconnectedError);
  t.match((err2 as Error).message, /libusb could not list USB devices: LIBUSB_ERROR_OTHER/);
});

// ------------------------------------------------------------------------------------------
// A structural stand-in of the usb package's Device / Interface / Endpoint objects.

interface Calls {
  log: string[];
}

function fakeEndpoint(calls: Calls, address: number, attributes: number, mps: number, script: Array<{ errno?: number; data?: number[] }>) {
  return {
    address,
    descriptor: { bEndpointAddress: address, bmAttributes: attributes, wMaxPacketSize: mps },
    makeTransfer(timeout: number, cb: (err: unknown, buf: Buffer, actual: number) => void) {
      return {
        submit(buf: Buffer) {
          calls.log.push(`submit 0x${address.toString(16)} ${buf.length} ${timeout}`);
          this.pendingCb = () => cb(Object.assign(new Error('cancelled'), { errno: 3 }), buf, 0);
          const step = script.shift();
          if (!step) return; // stays pending until cancelled
          setImmediate(() => {
            if (step.errno !== undefined) cb(Object.assign(new Error(`errno ${step.errno}`), { errno: step.errno }), buf, 0);
            else {
              Buffer.from(step.data ?? []).copy(buf);
              cb(undefined, buf, Math.min(buf.length, step.data?.length ?? buf.length));
            }
          });
        },
        pendingCb: undefined as undefined | (() => void),
        cancel() {
          calls.log.push(`cancel 0x${address.toString(16)}`);
          if (script.length === 0) setImmediate(() => this.pendingCb?.());
          return true;
        },
      };
    },
    clearHalt(cb: (err?: unknown) => void) {
      calls.log.push(`clearHalt 0x${address.toString(16)}`);
      cb();
    },
  };
}

function fakeDevice(calls: Calls, opts: { vid: number; pid: number; serial?: string; cls?: number; bulkIn?: Array<{ errno?: number; data?: number[] }> }) {
  const eps = [
    fakeEndpoint(calls, 0x02, 2, 512, []),
    fakeEndpoint(calls, 0x86, 2, 512, opts.bulkIn ?? []),
    fakeEndpoint(calls, 0x87, 3, 8, []),
  ];
  const iface = {
    interfaceNumber: 0,
    descriptor: { bInterfaceNumber: 0, bInterfaceClass: opts.cls ?? 0xfe, bInterfaceSubClass: 0x03, bInterfaceProtocol: 1 },
    endpoints: eps,
    endpoint: (a: number) => eps.find((e) => e.address === a),
    isKernelDriverActive: () => true,
    detachKernelDriver: () => calls.log.push('detach'),
    attachKernelDriver: () => calls.log.push('attach'),
    claim: () => calls.log.push('claim'),
    release: (_close: boolean, cb: () => void) => {
      calls.log.push('release');
      cb();
    },
  };
  return {
    busNumber: 1,
    deviceAddress: 7,
    timeout: 0,
    deviceDescriptor: { idVendor: opts.vid, idProduct: opts.pid, iSerialNumber: 3 },
    interfaces: undefined as unknown,
    open() {
      calls.log.push('open');
      this.interfaces = [iface];
    },
    close: () => calls.log.push('close'),
    getStringDescriptor: (_i: number, cb: (err?: unknown, v?: string) => void) => cb(undefined, opts.serial),
    controlTransfer(type: number, req: number, value: number, index: number, len: number, cb: (err: unknown, data?: Buffer) => void) {
      calls.log.push(`control ${type.toString(16)} ${req} ${value} ${index} ${len} timeout=${this.timeout}`);
      setImmediate(() => cb(undefined, Buffer.from([0x01, value & 0xff])));
    },
  };
}

function moduleOf(...devices: unknown[]): () => Promise<UsbModule> {
  return async () => ({ getDeviceList: () => devices as never });
}

t.test('search: other devices and wrong serials are listed in the not-found error', async (t) => {
  const calls: Calls = { log: [] };
  const other = fakeDevice(calls, { vid: 0x046d, pid: 0xc52b });
  const wrongSerial = fakeDevice(calls, { vid: 0x0957, pid: 0x1796, serial: 'MY999' });
  const err = (await openLibusbDevice(parseUsbtmcAddress('usbtmc://0x0957:0x1796/MY123'), { loadUsb: moduleOf(other, wrongSerial) }).catch((e: unknown) => e)) as NotFoundError;
  t.ok(err instanceof NotFoundError);
  t.same(err.tried, ['bus 1 address 7: 0x046d:0xc52b (other vendor/product)', 'bus 1 address 7: 0x0957:0x1796 (serial "MY999")']);
  t.same(calls.log, ['open', 'close'], 'the device opened to read its serial was closed again');
});

t.test('a matching device without a USBTMC interface is refused and closed', async (t) => {
  const calls: Calls = { log: [] };
  const hid = fakeDevice(calls, { vid: 1, pid: 2, cls: 0x03 });
  const err = await openLibusbDevice(parseUsbtmcAddress('usbtmc://1:2'), { loadUsb: moduleOf(hid) }).catch((e: unknown) => e);
  t.ok(err instanceof NotFoundError);
  t.match((err as Error).message, /no USBTMC interface/);
  t.same(calls.log, ['open', 'close']);
});

t.test('claim, transfers and close on the stand-in', async (t) => {
  const calls: Calls = { log: [] };
  const dev = fakeDevice(calls, { vid: 1, pid: 2, serial: 'S1', bulkIn: [{ data: [1, 2, 3] }, { errno: 2 }, { errno: 4 }, { errno: 5 }] });
  const bulk = await openLibusbDevice(parseUsbtmcAddress('usbtmc://0001:0002/S1'), { loadUsb: moduleOf(dev) });
  t.same(calls.log, ['open', 'detach', 'claim'], 'the kernel driver is detached before the claim');
  t.same([bulk.bulkOutEndpoint, bulk.bulkInEndpoint, bulk.interruptInEndpoint, bulk.maxPacketSize, bulk.interfaceProtocol], [0x02, 0x86, 0x87, 512, 1]);
  t.same([...(await bulk.bulkIn(512, 100))], [1, 2, 3]);
  await t.rejects(bulk.bulkIn(512, 100), TimeoutError, 'LIBUSB_TRANSFER_TIMED_OUT');
  const stall = await bulk.bulkIn(512, 100).catch((e: unknown) => e);
  t.ok(stall instanceof DeviceError && stall.vendorCode === 'STALL', 'LIBUSB_TRANSFER_STALL');
  await t.rejects(bulk.bulkIn(512, 100), DisconnectedError, 'LIBUSB_TRANSFER_NO_DEVICE');
  const ac = new AbortController();
  const pending = bulk.bulkIn(512, 5000, ac.signal);
  ac.abort();
  await t.rejects(pending, CanceledError, 'an aborted signal cancels the libusb transfer');
  t.same([...(await bulk.controlIn({ bmRequestType: 0xa1, bRequest: 5, wValue: 9, wIndex: 0, wLength: 1 }, 250))], [0x01, 9]);
  t.ok(calls.log.includes('control a1 5 9 0 1 timeout=250'), 'the control timeout reaches libusb');
  await bulk.clearHalt(0x02, 100);
  await bulk.close();
  await bulk.close();
  t.same(calls.log.slice(-3), ['release', 'attach', 'close'], 'release, re-attach the kernel driver, close; once');
  await t.rejects(bulk.bulkIn(512, 100), DisconnectedError, 'calls after close');
});

t.test('libusb errors map to typed errors', async (t) => {
  const e = (errno: number): Error => mapUsbError(Object.assign(new Error('x'), { errno }), 'usbtmc://a', 'op', 10);
  t.ok(e(2) instanceof TimeoutError);
  t.ok(e(-7) instanceof TimeoutError);
  t.ok(e(3) instanceof CanceledError);
  t.equal((e(-9) as DeviceError).vendorCode, 'STALL');
  t.equal((e(6) as DeviceError).vendorCode, 'OVERFLOW');
  t.match(e(-3).message, /permission denied.*udev/);
  t.match(e(-6).message, /busy/);
  t.ok(e(-4) instanceof DisconnectedError);
  t.ok(e(-99) instanceof DisconnectedError);
});

t.test('endpoint and interface selection', async (t) => {
  t.same(
    pickEndpoints('a', [
      { bEndpointAddress: 0x81, bmAttributes: 3, wMaxPacketSize: 8 },
      { bEndpointAddress: 0x82, bmAttributes: 2, wMaxPacketSize: 64 },
      { bEndpointAddress: 0x03, bmAttributes: 2, wMaxPacketSize: 64 },
    ]),
    { bulkIn: 0x82, bulkOut: 0x03, interruptIn: 0x81, maxPacketSize: 64 },
    'an Interrupt-IN listed first is not taken for Bulk-IN',
  );
  t.throws(() => pickEndpoints('a', [{ bEndpointAddress: 0x82, bmAttributes: 2, wMaxPacketSize: 64 }]), /lacks a Bulk-OUT/);
  const ifs = [
    { bInterfaceNumber: 0, bInterfaceClass: 0x03, bInterfaceSubClass: 0, bInterfaceProtocol: 0 },
    { bInterfaceNumber: 1, bInterfaceClass: 0xfe, bInterfaceSubClass: 0x03, bInterfaceProtocol: 1 },
    { bInterfaceNumber: 2, bInterfaceClass: 0xfe, bInterfaceSubClass: 0x03, bInterfaceProtocol: 0 },
  ];
  t.equal(pickInterface(ifs)?.bInterfaceNumber, 1);
  t.equal(pickInterface(ifs, 2)?.bInterfaceNumber, 2);
  t.equal(pickInterface(ifs, 0), undefined);
});

t.test('usbtmc:// addresses', async (t) => {
  t.same(parseUsbtmcAddress('usbtmc://0x0957:0x1796'), { vendorId: 0x0957, productId: 0x1796 });
  t.same(parseUsbtmcAddress('USBTMC://957:1796/MY%2F12?interface=1&timeoutMs=500'), { vendorId: 0x0957, productId: 0x1796, serial: 'MY/12', interfaceNumber: 1, timeoutMs: 500 });
  t.equal(formatUsbtmcAddress({ vendorId: 0x957, productId: 0x1796, serial: 'MY/12' }), 'usbtmc://0x0957:0x1796/MY%2F12');
  for (const [uri, why] of [
    ['usb://1:2', /usbtmc:\/\/VID:PID/],
    ['usbtmc://1', /needs VID:PID/],
    ['usbtmc://12345:1', /vendor id/],
    ['usbtmc://1:xyz', /product id/],
    ['usbtmc://1:2/a/b', /must not contain "\/"/],
    ['usbtmc://1:2/%zz', /percent-encoding/],
    ['usbtmc://1:2?baud=9600', /unknown parameter 'baud'/],
    ['usbtmc://1:2?timeoutMs=0', /timeoutMs/],
  ] as const) {
    t.throws(() => parseUsbtmcAddress(uri), why, uri);
    t.throws(() => parseUsbtmcAddress(uri), InvalidInputError);
  }
  const parsed = parseAddress('usbtmc://0x0957:0x1796/SN1');
  t.same([parsed.scheme, parsed.vendorId, parsed.serial], ['usbtmc', 0x0957, 'SN1'], 'the address factory parses usbtmc://');
  const created = createTransport('usbtmc://0x0957:0x1796');
  t.equal(created.isOpen, false, 'created, not opened');
  await t.rejects(created.query('*IDN?'), /not open/);
  await created.close();
  const lazy = createUsbtmc('usbtmc://1:2', { loadUsb: moduleOf() });
  await t.rejects(lazy.open(), NotFoundError);
  t.equal(lazy.isOpen, false);
  await lazy.close();
  await t.rejects(lazy.open(), DisconnectedError, 'no open after close');
});
