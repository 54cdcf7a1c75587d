import t from 'tap';
import net from 'node:net';
import { CanceledError, DisconnectedError, InvalidInputError, TimeoutError } from '../../src/core/errors.js';
import { TcpStream } from '../../src/protocols/stream/tcp.js';
import { blackhole, freePort, lineServer, until } from './helpers.js';

t.test('connection refused is a DisconnectedError naming the address', async (t) => {
  const port = await freePort();
  const s = new TcpStream({ host: '127.0.0.1', port });
  const err = await s.open().catch((e: unknown) => e);
  t.type(err, DisconnectedError);
  t.match((err as Error).message, new RegExp(`tcp://127\\.0\\.0\\.1:${port}.*refused.*ECONNREFUSED`));
  t.notOk(s.isOpen);
});

t.test('connect timeout, abort and close while connecting', async (t) => {
  const hole = await blackhole();
  t.teardown(() => hole.close());
  const s = new TcpStream({ host: '127.0.0.1', port: hole.port });
  const err = await s.open({ timeoutMs: 80 }).catch((e: unknown) => e);
  t.type(err, TimeoutError);
  t.equal((err as TimeoutError).afterMs, 80);
  t.match((err as Error).message, /connect tcp:\/\/127\.0\.0\.1/);
  const ac = new AbortController();
  const p = s.open({ signal: ac.signal, timeoutMs: 5000 });
  ac.abort();
  await t.rejects(p, CanceledError);
  const q = s.open({ timeoutMs: 5000 });
  await s.close();
  await t.rejects(q, CanceledError, 'close() while connecting rejects the open');
  t.notOk(s.isOpen);
});

t.test('data both ways; peer FIN is reported once as DisconnectedError; re-open works', async (t) => {
  const server = await lineServer((line, sock) => {
    if (line === 'bye') {
      sock.end(); // half-close from the peer
      return undefined;
    }
    return `<${line}>`;
  });
  t.teardown(() => server.close());
  const s = new TcpStream({ host: '127.0.0.1', port: server.port, keepAliveMs: 1000 });
  const chunks: string[] = [];
  const closes: Array<Error | undefined> = [];
  s.onData((c) => chunks.push(Buffer.from(c).toString('latin1')));
  s.onClose((r) => closes.push(r));
  await s.open();
  t.ok(s.isOpen);
  s.write(Buffer.from('hi\r'));
  await until(() => chunks.join('') === '<hi>');
  s.write(Buffer.from('bye\r'));
  await until(() => closes.length === 1);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(closes.length, 1, 'reported once');
  t.type(closes[0], DisconnectedError);
  t.match(closes[0]?.message, /peer closed/);
  t.notOk(s.isOpen);
  t.throws(() => s.write(Buffer.from('x')), DisconnectedError);
  await s.open();
  s.write(Buffer.from('again\r'));
  await until(() => chunks.join('').endsWith('<again>'));
  await s.close();
  t.same(closes.length, 2);
  t.equal(closes[1], undefined, 'close() reports undefined');
  await s.close();
  t.equal(closes.length, 2, 'close is idempotent');
});

t.test('a reset from the peer is a DisconnectedError', async (t) => {
  const server = net.createServer((sock) => sock.on('data', () => sock.resetAndDestroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const s = new TcpStream({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  const closed = new Promise<Error | undefined>((r) => s.onClose(r));
  await s.open();
  s.write(Buffer.from('x'));
  const reason = await closed;
  t.type(reason, DisconnectedError);
  t.match(reason?.message, /reset|closed/);
});

t.test('bad settings are InvalidInputError', async (t) => {
  t.throws(() => new TcpStream({ host: '', port: 1 }), InvalidInputError);
  t.throws(() => new TcpStream({ host: 'h', port: 70000 }), InvalidInputError);
  t.throws(() => new TcpStream({ host: 'h', port: 1, connectTimeoutMs: 0 }), InvalidInputError);
  t.equal(new TcpStream({ host: '::1', port: 23 }).address, 'tcp://[::1]:23');
});
