import t, { type Test } from 'tap';
import net from 'node:net';
import { CanceledError, DeviceError, DisconnectedError, InvalidInputError, TimeoutError } from '../../src/core/errors.js';
import { createRequestChannel, prefixAddressing, type ChannelOptions, type StreamRequestChannel } from '../../src/protocols/channel/index.js';
import type { ChannelState } from '../../src/protocols/contracts.js';
import { TcpStream } from '../../src/protocols/stream/tcp.js';
import { lineServer, outcome, sleep, until, type LineServer } from './helpers.js';



/** Open a channel to `server` and close both at teardown, checking nothing is left pending. */
async function connect(t: Test, server: LineServer, options: ChannelOptions = {}): Promise<StreamRequestChannel> {
  const ch = createRequestChannel(new TcpStream({ host: '127.0.0.1', port: server.port }), { suffix: '\r', ...options });
  t.teardown(async () => {
    await ch.close();
    await server.close();
  });
  await ch.open();
  return ch;
}

function idle(ch: StreamRequestChannel): boolean {
  const i = ch.inspect();
  return i.queued === 0 && !i.active && i.timers === 0;
}

t.test('FIFO: concurrent requests go one at a time and get their own replies', async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  const server = await lineServer((line, s) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      if (!s.destroyed) s.write(`=${line}\r\n`);
    }, 1 + (Number(line.slice(1)) % 3));
    return undefined;
  });
  const ch = await connect(t, server);
  const replies = await Promise.all(Array.from({ length: 30 }, (_, k) => ch.request(`q${k}`)));
  t.same(replies.map((r) => r.text), Array.from({ length: 30 }, (_, k) => `=q${k}`));
  t.same(server.received, Array.from({ length: 30 }, (_, k) => `q${k}`), 'sent in call order');
  t.equal(maxInFlight, 1, 'never two commands on the wire');
  t.ok(idle(ch), 'nothing pending, no timers');
});

t.test('priority: stop jumps the queue but does not interrupt the command on the wire', async (t) => {
  const server = await lineServer((line, s) => {
    setTimeout(() => !s.destroyed && s.write(`${line} done\r`), 10);
    return undefined;
  });
  const ch = await connect(t, server);
  const normal = ['a', 'b', 'c', 'd'].map((c) => ch.request(c));
  const stop = ch.request('STOP', { priority: 'high' });
  const stop2 = ch.request('ESTOP', { priority: 'high' });
  t.equal((await stop).text, 'STOP done');
  t.equal((await stop2).text, 'ESTOP done');
  t.same((await Promise.all(normal)).map((r) => r.text), ['a done', 'b done', 'c done', 'd done']);
  t.same(server.received, ['a', 'STOP', 'ESTOP', 'b', 'c', 'd'], 'high priority goes next, FIFO among high');
});

t.test('priority with interrupt: the command on the wire is canceled, stop goes at once', async (t) => {
  const server = await lineServer((line, s) => {
    if (line === 'SLOW') setTimeout(() => !s.destroyed && s.write('slow done\r'), 300);
    else s.write(`${line} ok\r`);
    return undefined;
  });
  const ch = await connect(t, server, { match: (r, cmd) => r.text.toLowerCase().startsWith(cmd.toString().trim().toLowerCase()) });
  const slow = outcome(ch.request('SLOW'));
  await until(() => server.received.length === 1);
  const stop = await ch.request('STOP', { priority: 'high', interrupt: true });
  t.equal(stop.text, 'STOP ok');
  const s = await slow;
  t.notOk(s.ok);
  t.type(!s.ok && s.error, CanceledError);
  t.equal((await ch.request('x')).text, 'x ok');
});

t.test('timeout: TimeoutError names the command; a slightly late reply is discarded', async (t) => {
  const server = await lineServer((line, s) => {
    if (line === 'SILENT') return undefined;
    if (line === 'LATE') {
      setTimeout(() => !s.destroyed && s.write('late reply\r'), 70);
      return undefined;
    }
    return `${line} ok\r`;
  });
  const ch = await connect(t, server, { quietMs: 150 });
  const a = await outcome(ch.request('SILENT', { timeoutMs: 40 }));
  t.type(!a.ok && a.error, TimeoutError);
  t.match(!a.ok && a.error.message, /SILENT.*40 ms/);
  t.equal(!a.ok && (a.error as TimeoutError).afterMs, 40);
  const b = await outcome(ch.request('LATE', { timeoutMs: 50 }));
  t.type(!b.ok && b.error, TimeoutError);
  const next = await ch.request('PING');
  t.equal(next.text, 'PING ok', 'the late reply was not given to the next request');
  t.ok(idle(ch));
});

t.test('timeout while queued rejects without sending', async (t) => {
  const server = await lineServer((line, s) => {
    setTimeout(() => !s.destroyed && s.write(`${line}\r`), 100);
    return undefined;
  });
  const ch = await connect(t, server);
  const first = ch.request('first');
  const second = await outcome(ch.request('second', { timeoutMs: 20 }));
  t.type(!second.ok && second.error, TimeoutError);
  t.match(!second.ok && second.error.message, /still queued/);
  t.equal((await first).text, 'first');
  t.same(server.received, ['first']);
});

t.test('AbortSignal cancels queued and active requests with CanceledError', async (t) => {
  const server = await lineServer((line, s) => {
    setTimeout(() => !s.destroyed && s.write(`${line}\r`), 40);
    return undefined;
  });
  const ch = await connect(t, server, { quietMs: 150 });
  const ac1 = new AbortController();
  const ac2 = new AbortController();
  const active = outcome(ch.request('one', { signal: ac1.signal }));
  const queued = outcome(ch.request('two', { signal: ac2.signal }));
  ac2.abort(new Error('operator'));
  ac1.abort();
  const [x, y] = await Promise.all([active, queued]);
  t.type(!x.ok && x.error, CanceledError);
  t.type(!y.ok && y.error, CanceledError);
  t.match(!y.ok && y.error.message, /operator/);
  const pre = new AbortController();
  pre.abort();
  t.rejects(ch.request('never', { signal: pre.signal }), CanceledError, 'already aborted');
  t.equal((await ch.request('three')).text, 'three', 'the reply to "one" was discarded');
  t.notOk(server.received.includes('two'), 'a canceled queued request is never sent');
});

t.test('galil framing: "?" rejects with DeviceError; per-request framing override', async (t) => {
  const server = await lineServer((line) => {
    if (line === 'TP') return ' 1234\r\n:';
    if (line === 'BAD') return '?';
    if (line === 'BIN') return '\x00\x03abc';
    return ':';
  });
  const ch = await connect(t, server, { framing: { mode: 'galil' } });
  t.equal((await ch.request('TP')).text, ' 1234');
  const bad = await outcome(ch.request('BAD'));
  t.type(!bad.ok && bad.error, DeviceError);
  t.equal(!bad.ok && (bad.error as DeviceError).kind, 'rejected');
  const bin = await ch.request('BIN', { expect: { mode: 'length', length: (b, n) => (n < 2 ? undefined : 2 + b[1]!) } });
  t.same([...bin.bytes], [0, 3, 0x61, 0x62, 0x63]);
  t.equal((await ch.request('SH')).end, ':');
});

t.test('send writes in queue order without waiting for a reply', async (t) => {
  const server = await lineServer((line) => (line.startsWith('?') ? `${line.slice(1)}\r` : undefined));
  const ch = await connect(t, server);
  const a = ch.send('noreply1');
  const b = ch.request('?x');
  const c = ch.send('noreply2');
  await a;
  t.equal((await b).text, 'x');
  await c;
  await until(() => server.received.length === 3);
  t.same(server.received, ['noreply1', '?x', 'noreply2']);
});

t.test('bad input is rejected before sending', async (t) => {
  const server = await lineServer(() => 'x\r');
  const ch = createRequestChannel(new TcpStream({ host: '127.0.0.1', port: server.port }));
  t.teardown(async () => {
    await ch.close();
    await server.close();
  });
  await t.rejects(ch.request('x'), DisconnectedError, 'not opened yet');
  await ch.open();
  await t.rejects(ch.request(42 as never), InvalidInputError);
  await t.rejects(ch.request('x', { timeoutMs: -1 }), InvalidInputError);
  t.throws(() => ch.forAddress('A'), InvalidInputError, 'no addressing configured');
  t.throws(() => createRequestChannel(new TcpStream({ host: '127.0.0.1', port: 1 }), { timeoutMs: 0 }), InvalidInputError);
  t.same(server.received, []);
});

t.test('close rejects queued requests with CanceledError, later calls with DisconnectedError', async (t) => {
  const server = await lineServer(() => undefined);
  const ch = await connect(t, server);
  const states: ChannelState[] = [];
  ch.onState((s) => states.push(s));
  const a = outcome(ch.request('a'));
  const b = outcome(ch.request('b'));
  await ch.close();
  for (const r of await Promise.all([a, b])) t.type(!r.ok && r.error, CanceledError);
  await t.rejects(ch.request('c'), DisconnectedError);
  t.same(states, ['closed']);
  t.ok(idle(ch));
  await until(() => server.sockets.size === 0, 2000, 'server to see the close');
});

t.test('a lost link rejects pending requests and the channel reconnects with backoff', async (t) => {
  const server = await lineServer((line, s) => {
    if (line === 'KILL') {
      s.destroy();
      return undefined;
    }
    return `${line}\r`;
  });
  const ch = await connect(t, server, { reconnect: { initialDelayMs: 5, maxDelayMs: 20 } });
  const events: Array<[ChannelState, number | undefined]> = [];
  ch.onState((s, d) => events.push([s, d.attempt]));
  const killed = outcome(ch.request('KILL'));
  const queued = outcome(ch.request('queued'));
  for (const r of await Promise.all([killed, queued])) t.type(!r.ok && r.error, DisconnectedError);
  t.equal((await ch.request('after')).text, 'after', 'a request made while reconnecting waits and succeeds');
  t.same(events.map((e) => e[0]), ['disconnected', 'reconnecting', 'connected']);
  t.equal(server.accepted, 2);
  t.ok(idle(ch));
});

t.test('reconnect backs off exponentially while the peer is down, up to maxDelayMs', async (t) => {
  let server = await lineServer((line) => `${line}\r`);
  const port = server.port;
  const ch = createRequestChannel(new TcpStream({ host: '127.0.0.1', port }), { suffix: '\r', reconnect: { initialDelayMs: 5, maxDelayMs: 40, factor: 2 } });
  t.teardown(async () => {
    await ch.close();
    await server.close();
  });
  await ch.open();
  const delays: number[] = [];
  ch.onState((s, d) => s === 'reconnecting' && delays.push(d.delayMs!));
  await server.close(); // the peer goes away; reconnects are refused
  await until(() => delays.length >= 6, 5000, 'six attempts');
  t.same(delays.slice(0, 6), [5, 10, 20, 40, 40, 40]);
  // The peer comes back on the same port.
  const back = net.createServer((s) => s.on('data', (d) => s.write(d.toString().replace('\r', ' back\r'))));
  await new Promise<void>((r) => back.listen(port, '127.0.0.1', () => r()));
  server = { ...server, close: () => new Promise<void>((r) => back.close(() => r())) };
  t.equal((await ch.request('hello', { timeoutMs: 2000 })).text, 'hello back');
  await ch.close();
});

t.test('gives up after maxAttempts: state closed, waiting requests rejected', async (t) => {
  const server = await lineServer((line) => `${line}\r`);
  const ch = await connect(t, server, { reconnect: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 } });
  const closed = new Promise<Error | undefined>((r) => ch.onState((s, d) => s === 'closed' && r(d.error)));
  await server.close();
  const err = await closed;
  t.type(err, DisconnectedError);
  t.match(err?.message, /gave up reconnecting after 3 attempts/);
  await t.rejects(ch.request('x'), DisconnectedError);
  t.ok(idle(ch));
});

t.test('multi-drop: several addresses share one FIFO; replies from other addresses are skipped', async (t) => {
  const server = await lineServer((line) => {
    const id = line[0];
    if (line.slice(1) === 'stale') return `Z +099.00\r${id} +001.00\r`; // another unit answers first
    return `${id} +0${id === 'A' ? '14.70' : '20.00'}\r`;
  });
  const ch = await connect(t, server, {
    addressing: prefixAddressing({ replyAddress: (r) => r.text.split(' ', 1)[0] }),
  });
  const a = ch.forAddress('A');
  const b = ch.forAddress('B');
  const rs = await Promise.all([a.request(''), b.request(''), a.request(''), b.request('stale')]);
  t.same(rs.map((r) => r.text), ['A +014.70', 'B +020.00', 'A +014.70', 'B +001.00']);
  t.same(server.received, ['A', 'B', 'A', 'Bstale']);
  const pending = outcome(a.request('', { timeoutMs: 1000 }));
  await a.close();
  const p = await pending;
  t.ok(p.ok || p.error instanceof CanceledError, 'a closed view resolves or cancels its own requests');
  await t.rejects(a.request(''), DisconnectedError);
  t.equal((await b.request('')).text, 'B +020.00', 'other views keep working');
});
