import t from 'tap';
import { InvalidInputError } from '../../src/core/errors.js';
import type { ByteStream } from '../../src/protocols/contracts.js';
import { SerialStream } from '../../src/protocols/stream/serial.js';
import { TcpStream } from '../../src/protocols/stream/tcp.js';
import { tcpTransport } from '../../src/protocols/address.js';
import { createStream, createTransport, openAddress, openStream, parseAddress, registerScheme, registeredSchemes, splitUri, transportScheme, unregisterScheme } from '../../src/protocols/uri.js';
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
    ['tcp://127.0.0.1:70000', /^tcp address port: port '70000' must be an integer in 1\.\.65535 \(got "tcp:\/\/127\.0\.0\.1:70000"\)/],
    ['tcp://127.0.0.1:2x', /^tcp address port: port '2x' must be an integer/],
    ['tcp://[::1:23', /^address host: unclosed IPv6 bracket/],
    ['tcp://user@127.0.0.1:23', /^address host: user info/],
    ['tcp://127.0.0.1:23/path', /^tcp address path/],
    ['tcp://127.0.0.1:23?nodelay=1', /^parameter 'nodelay': unknown for tcp:\/\/ \(known: connectTimeoutMs, keepAliveMs\)/],
    ['tcp://127.0.0.1:23#frag', /^address fragment/],
    ['serial://', /^serial address path: missing device path/],
    ['serial:///dev/ttyS0?baud=fast', /^parameter 'baud': must be an integer in 1\.\.20000000 \(bit\/s\) \(got "fast"\)$/],
    ['serial:///dev/ttyS0?baud=0', /^parameter 'baud': must be an integer in 1\.\.20000000/],
    ['serial:///dev/ttyS0?parity=maybe', /^parameter 'parity': must be one of none, even, odd, mark, space/],
    ['serial:///dev/ttyS0?dataBits=9', /^parameter 'dataBits': must be an integer in 5\.\.8/],
    ['serial:///dev/ttyS0?stopBits=3', /^parameter 'stopBits': must be 1, 1\.5 or 2/],
    ['serial:///dev/ttyS0?flow=magic', /^parameter 'flow': must be one of none, rtscts, xonxoff/],
    ['serial:///dev/ttyS0?rtscts=perhaps', /^parameter 'rtscts': must be true or false/],
    ['serial:///dev/ttyS0?unit=3', /^parameter 'unit': unknown for serial:\/\/ \(known: baud, parity, dataBits, stopBits, flow, rtscts, xon\)/],
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

t.test('a family scheme is known only once registered; it parses with its transport and parameters', async (t) => {
  t.throws(() => parseAddress('teapot+tcp://127.0.0.1:23'), { message: /^address scheme: unknown scheme \(known: .*serial.*tcp/ }, 'unregistered: an error listing the known schemes');
  registerScheme('teapot+tcp', transportScheme(tcpTransport({ defaultPort: 23 }), { name: 'teapot', params: { cups: { type: 'integer', min: 1, max: 12, doc: 'cups' } } }));
  t.teardown(() => unregisterScheme('teapot+tcp'));
  t.match(parseAddress('teapot+tcp://127.0.0.1?cups=4&keepAliveMs=0'), { scheme: 'tcp', family: 'teapot', host: '127.0.0.1', port: 23, keepAliveMs: 0, params: { cups: '4' } });
  t.type(createStream('teapot+tcp://127.0.0.1:2323'), TcpStream);
  t.throws(() => parseAddress('teapot+tcp://127.0.0.1?cups=13'), { message: /^parameter 'cups': must be an integer in 1\.\.12/ });
  t.throws(() => parseAddress('teapot+tcp://127.0.0.1?milk=1'), { message: /^parameter 'milk': unknown for teapot\+tcp:\/\/ \(known: connectTimeoutMs, keepAliveMs, cups\)/ });
  unregisterScheme('teapot+tcp');
  t.throws(() => parseAddress('teapot+tcp://127.0.0.1'), InvalidInputError, 'unregistered again');
});

t.test('registerScheme: other transports plug in', async (t) => {
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
  t.throws(() => parseAddress('fakebus+tcp://h:502?unit=x'), InvalidInputError);
  const bus = (await openAddress('fakebus+tcp://h:502?unit=7')) as FakeBus;
  t.equal(bus.unit, 7);
  t.ok(bus.opened, 'openAddress called open()');
  t.type(createTransport('fakebus+tcp://h:502'), FakeBus);
  t.throws(() => createStream('fakebus+tcp://h:502'), InvalidInputError, 'not a byte stream scheme');
  t.throws(() => registerScheme('9bad', { parse: () => ({ scheme: '', uri: '', params: {} }), create: () => 0 }), InvalidInputError);
  unregisterScheme('fakebus+tcp');
});

t.test('openStream opens a TCP stream by URI', async (t) => {
  const server = await lineServer((l) => `${l}!\r`);
  t.teardown(() => server.close());
  const s: ByteStream = await openStream(`${server.address}?connectTimeoutMs=1000`);
  t.ok(s.isOpen);
  t.equal(s.address, server.address);
  await s.close();
});

t.test('a fragment is refused unless the scheme takes one (Tango: #dbase=no)', async (t) => {
  t.throws(() => parseAddress('tcp://127.0.0.1:23#frag'), { message: /^address fragment: fragments/ });
  registerScheme('frag+tcp', { ...transportScheme({ ...tcpTransport({ path: true }), fragment: true }), fragment: true });
  t.teardown(() => unregisterScheme('frag+tcp'));
  t.match(parseAddress('frag+tcp://127.0.0.1:10000/sys/tg_test/1#dbase=no'), { host: '127.0.0.1', port: 10000, path: '/sys/tg_test/1' });
  t.match(splitUri('tango://h:1/a/b/c#dbase=no'), { fragment: 'dbase=no', path: '/a/b/c' });
});

t.test('splitUri parts', async (t) => {
  t.match(splitUri('opc.tcp://127.0.0.1:4840/UA/Server?x=1&x=2'), { scheme: 'opc.tcp', host: '127.0.0.1', port: 4840, path: '/UA/Server' });
  t.match(splitUri('usbtmc://0x0957:0x1755/MY123'), { host: '0x0957', portText: '0x1755', port: undefined, authority: '0x0957:0x1755', path: '/MY123' });
  t.equal(splitUri('a://h?k=1&k=2').params.get('k'), '2');
});
