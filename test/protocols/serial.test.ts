import t from 'tap';
import { CanceledError, DisconnectedError, InvalidInputError } from '../../src/core/errors.js';
import { createRequestChannel } from '../../src/protocols/channel/index.js';
import { SerialStream, checkSerialOptions } from '../../src/protocols/stream/serial.js';
import { serveOnPty } from '../../src/sim/pty.js';
import { until } from './helpers.js';

t.test('a missing device is a DisconnectedError that says so', async (t) => {
  const s = new SerialStream({ path: '/dev/ttyLABRIG-missing' });
  const err = await s.open().catch((e: unknown) => e);
  t.type(err, DisconnectedError);
  t.match((err as Error).message, /serial:\/\/\/dev\/ttyLABRIG-missing.*no such device.*ENOENT/);
  t.notOk(s.isOpen);
});

t.test('a port locked by another opener is a DisconnectedError saying it is busy', async (t) => {
  const server = serveOnPty({ onLine: () => undefined });
  t.teardown(() => server.close());
  const a = new SerialStream({ path: server.path });
  const b = new SerialStream({ path: server.path });
  await a.open();
  t.teardown(() => a.close());
  const err = await b.open().catch((e: unknown) => e);
  t.type(err, DisconnectedError);
  t.match((err as Error).message, /busy/);
  await a.close();
  await b.open();
  t.ok(b.isOpen, 'free again once the first closed');
  await b.close();
});

t.test('settings are validated before opening', async (t) => {
  t.throws(() => new SerialStream({ path: '' }), InvalidInputError);
  t.throws(() => new SerialStream({ path: '/dev/x', baudRate: 0 }), InvalidInputError);
  t.throws(() => new SerialStream({ path: '/dev/x', parity: 'weird' as never }), InvalidInputError);
  t.throws(() => new SerialStream({ path: '/dev/x', dataBits: 9 as never }), InvalidInputError);
  t.throws(() => new SerialStream({ path: '/dev/x', stopBits: 3 as never }), InvalidInputError);
  t.same(checkSerialOptions({ path: '/dev/x', xon: true }), {
    path: '/dev/x', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, rtscts: false, xon: true, lock: true, openTimeoutMs: 3000,
  });
  t.equal(new SerialStream({ path: 'COM3' }).address, 'serial:///COM3');
});

t.test('open with every line setting, close reports undefined, abort and close while opening', async (t) => {
  const server = serveOnPty({ onLine: (l) => `${l}\r` });
  t.teardown(() => server.close());
  const s = new SerialStream({ path: server.path, baudRate: 19200, parity: 'even', dataBits: 7, stopBits: 2, rtscts: true });
  const closes: Array<Error | undefined> = [];
  s.onClose((r) => closes.push(r));
  await s.open();
  await s.close();
  t.same(closes, [undefined]);
  const ac = new AbortController();
  ac.abort();
  await t.rejects(s.open({ signal: ac.signal }), CanceledError);
  const p = s.open();
  await s.close();
  await t.rejects(p, CanceledError, 'close() while opening rejects the open');
  t.notOk(s.isOpen);
});

t.test('request channel over a real serial device path, with reconnect after a hang-up', async (t) => {
  const server = serveOnPty({ terminators: ['\r'], onLine: (l) => `${l.length}\r\n` });
  const ch = createRequestChannel(new SerialStream({ path: server.path, baudRate: 115200 }), {
    suffix: '\r',
    framing: { mode: 'terminator', terminators: ['\r\n'] },
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
  });
  t.teardown(async () => {
    await ch.close();
    server.close();
  });
  await ch.open();
  t.equal((await ch.request('hello')).text, '5');
  const rs = await Promise.all(['a', 'bb', 'ccc'].map((c) => ch.request(c)));
  t.same(rs.map((r) => r.text), ['1', '2', '3']);
  server.hangUp();
  await until(() => ch.state !== 'connected');
  t.equal((await ch.request('again', { timeoutMs: 3000 })).text, '5', 'reconnected to the same path');
  t.same(ch.inspect(), { queued: 0, active: false, timers: 0, buffered: 0 });
});
