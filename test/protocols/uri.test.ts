import t from 'tap';
import { InvalidInputError } from '../../src/core/errors.js';
import type { ByteStream } from '../../src/protocols/contracts.js';
import { SerialStream } from '../../src/protocols/stream/serial.js';
import { TcpStream } from '../../src/protocols/stream/tcp.js';
import { createStream, createTransport, openAddress, openStream, parseAddress, registerScheme, registeredSchemes, splitUri } from '../../src/protocols/uri.js';
import { lineServer } from './helpers.js';

t.test('serial URIs', async (t) => {
  const a = parseAddress('serial:///dev/ttyUSB0?baud=19200&parity=even&dataBits=7&stopBits=2&flow=rtscts');
  t.match(a, { scheme: 'serial', path: '/dev/ttyUSB0', baudRate: 19200, parity: 'even', dataBits: 7, stopBits: 2, rtscts: true, xon: false, params: {} });
  t.match(parseAddress('serial:///dev/ttyS0'), { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
  t.match(parseAddress('serial://COM3?baudRate=115200&xon=true'), { path: 'COM3', baudRate: 115200, xon: true });
  t.match(parseAddress('SERIAL:///COM4'), { scheme: 'serial', path: 'COM4' });
  t.match(parseAddress('serial:///dev/serial/by-id/usb-FTDI%20X-if00'), { path: '/dev/serial/by-id/usb-FTDI X-if00' });
});

t.test('tcp URIs, IPv6 and options', async (t) => {
  t.match(parseAddress('tcp://127.0.0.1:23'), { scheme: 'tcp', host: '127.0.0.1', port: 23, path: '' });
  t.match(parseAddress('tcp://[::1]:5025?connectTimeoutMs=500&keepAliveMs=0'), { host: '::1', port: 5025, connectTimeoutMs: 500, keepAliveMs: 0 });
  t.match(parseAddress('tcp://instrument.local:23/'), { host: 'instrument.local', path: '' });
});

t.test('malformed URIs name the wrong part', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['/dev/ttyUSB0', /^address: expected scheme/],
    ['ftp://x:21', /^address scheme: unknown scheme/],
    ['tcp://127.0.0.1', /^tcp address port: missing port/],
    ['tcp://:23', /^tcp address host: missing host/],
    ['tcp://127.0.0.1:70000', /^address port: must be an integer in 1\.\.65535/],
    ['tcp://127.0.0.1:2x', /^address port/],
    ['tcp://[::1:23', /^address host: unclosed IPv6 bracket/],
    ['tcp://user@127.0.0.1:23', /^address host: user info/],
    ['tcp://127.0.0.1:23/path', /^tcp address path/],
    ['tcp://127.0.0.1:23?nodelay=1', /^address parameter 'nodelay': unknown parameter/],
    ['tcp://127.0.0.1:23#frag', /^address fragment/],
    ['serial://', /^serial address path: missing device path/],
    ['serial:///dev/ttyS0?baud=fast', /^address parameter 'baud': must be a non-negative integer/],
    ['serial:///dev/ttyS0?baud=0', /^baudRate: must be a positive integer/],
    ['serial:///dev/ttyS0?parity=maybe', /^address parameter 'parity'/],
    ['serial:///dev/ttyS0?dataBits=9', /^dataBits: must be 5, 6, 7 or 8/],
    ['serial:///dev/ttyS0?stopBits=3', /^address parameter 'stopBits'/],
    ['serial:///dev/ttyS0?flow=magic', /^address parameter 'flow'/],
    ['serial:///dev/ttyS0?rtscts=perhaps', /^address parameter 'rtscts'/],
    ['serial:///dev/ttyS0?unit=3', /^address parameter 'unit': unknown parameter for serial/],
    ['serial://host:1/dev', /^serial address/],
    ['tcp://127.0.0.1:23/%zz', /^address path: bad percent-encoding/],
  ];
  for (const [uri, re] of cases) {
    const err = (() => {
      try {
        parseAddress(uri);
        return undefined;
      } catch (e) {
        return e as Error;
      }
    })();
    t.type(err, InvalidInputError, uri);
    t.match(err?.message, re, uri);
  }
});

t.test('family+transport schemes keep the family and its parameters', async (t) => {
  const g = parseAddress('galil+tcp://127.0.0.1:23/A?axes=4');
  t.match(g, { scheme: 'tcp', family: 'galil', host: '127.0.0.1', port: 23, path: '/A', params: { axes: '4' } });
  const a = parseAddress('alicat+serial:///dev/ttyUSB1?baud=19200&id=B');
  t.match(a, { scheme: 'serial', family: 'alicat', baudRate: 19200, params: { id: 'B' } });
  t.type(createStream('alicat+serial:///dev/ttyUSB1?id=B'), SerialStream);
  t.type(createStream('galil+tcp://127.0.0.1:23'), TcpStream);
});

t.test('registerScheme: other transports plug in; exact schemes win over family+transport', async (t) => {
  class FakeBus {
    constructor(readonly unit: number) {}
    opened = false;
    async open(): Promise<void> {
      this.opened = true;
    }
  }
  registerScheme('fakebus+tcp', {
    parse: (p) => {
      const unit = Number(p.params.get('unit') ?? '1');
      if (!Number.isInteger(unit)) throw new InvalidInputError({ what: "address parameter 'unit'", value: p.params.get('unit'), reason: 'must be an integer' });
      return { scheme: p.scheme, uri: p.uri, params: { unit: String(unit) } };
    },
    create: (a) => new FakeBus(Number(a.params.unit)),
  });
  t.ok(registeredSchemes().includes('fakebus+tcp'));
  t.match(parseAddress('fakebus+tcp://h:502?unit=3'), { scheme: 'fakebus+tcp', params: { unit: '3' } });
  t.notOk(parseAddress('fakebus+tcp://h:502').family, 'no family: the exact scheme handled it');
  t.throws(() => parseAddress('fakebus+tcp://h:502?unit=x'), InvalidInputError);
  const bus = (await openAddress('fakebus+tcp://h:502?unit=7')) as FakeBus;
  t.equal(bus.unit, 7);
  t.ok(bus.opened, 'openAddress called open()');
  t.type(createTransport('fakebus+tcp://h:502'), FakeBus);
  t.throws(() => createStream('fakebus+tcp://h:502'), InvalidInputError, 'not a byte stream scheme');
  t.throws(() => registerScheme('9bad', { parse: () => ({ scheme: '', uri: '', params: {} }), create: () => 0 }), InvalidInputError);
});

t.test('openStream opens a TCP stream by URI', async (t) => {
  const server = await lineServer((l) => `${l}!\r`);
  t.teardown(() => server.close());
  const s: ByteStream = await openStream(`${server.address}?connectTimeoutMs=1000`);
  t.ok(s.isOpen);
  t.equal(s.address, server.address);
  await s.close();
});

t.test('splitUri parts', async (t) => {
  t.match(splitUri('opc.tcp://127.0.0.1:4840/UA/Server?x=1&x=2'), { scheme: 'opc.tcp', host: '127.0.0.1', port: 4840, path: '/UA/Server' });
  t.match(splitUri('usbtmc://0x0957:0x1755/MY123'), { host: '0x0957', portText: '0x1755', port: undefined, authority: '0x0957:0x1755', path: '/MY123' });
  t.equal(splitUri('a://h?k=1&k=2').params.get('k'), '2');
});
