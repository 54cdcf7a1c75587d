/**
 * Our Modbus client against our Modbus server: every function code over TCP (real loopback
 * sockets) and RTU (in memory and through a real pty), exceptions as DeviceError, pipelining,
 * timeouts, cancellation, disconnects and reconnection, simulator hooks.
 */
import t from 'tap';
import type { Test } from 'tap';
import net from 'node:net';
import { CanceledError, DeviceError, DisconnectedError, InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { withLeakGuard } from '../../../src/testing/index.js';
import { TcpStream } from '../../../src/protocols/stream/tcp.js';
import { openAddress } from '../../../src/protocols/uri.js';
import { modbusFamily } from '../../../src/drivers/modbus/family.js';
import { registerFamily } from '../../../src/drivers/registry.js';
import { ModbusRtuClient, ModbusServer, ModbusTcpClient, RegisterStore, encodeMbap, encodeRtu, openModbus } from '../../../src/protocols/modbus/index.js';
import { openPtyPair } from '../../../src/sim/pty.js';
import { memoryPair } from './helpers.js';

// URI schemes are known once their family is registered (decision 0010).
registerFamily(modbusFamily);

function makeStore(): RegisterStore {
  const s = new RegisterStore({ holding: 100, input: 10, coil: 32, discrete: 16 });
  for (let i = 0; i < 100; i++) s.set('holding', i, i * 3);
  for (let i = 0; i < 10; i++) s.set('input', i, 1000 + i);
  s.set('discrete', 2, true);
  return s;
}

async function tcpPair(t: Test, store = makeStore(), maxInFlight = 8): Promise<{ server: ModbusServer; client: ModbusTcpClient; port: number }> {
  const server = new ModbusServer({ store });
  const { port } = await server.listenTcp();
  const client = openModbus(`modbus+tcp://127.0.0.1:${port}?unit=1&timeoutMs=2000&maxInFlight=${maxInFlight}`) as ModbusTcpClient;
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  return { server, client, port };
}

t.test('TCP: every function code round-trips through our server', async (t) => {
  await withLeakGuard(async () => {
    const server = new ModbusServer({ store: makeStore() });
    const { port } = await server.listenTcp();
    const client = await openAddress(`modbus+tcp://127.0.0.1:${port}?unit=1`);
    t.equal(client.address, `modbus+tcp://127.0.0.1:${port}?unit=1`);
    t.same([...(await client.readHolding(0, 4))], [0, 3, 6, 9]);
    t.same([...(await client.readInput(8, 2))], [1008, 1009]);
    t.same(await client.readDiscrete(0, 4), [false, false, true, false]);
    await client.writeSingle(10, 0xbeef);
    await client.writeMultiple(20, [1, 2, 65535]);
    t.same([...(await client.readHolding(10, 1))], [0xbeef]);
    t.same([...(await client.readHolding(20, 3))], [1, 2, 65535]);
    await client.writeCoil(5, true);
    await client.writeCoils(8, [true, false, true, true]);
    t.same(await client.readCoils(4, 8), [false, true, false, false, true, false, true, true]);
    t.same([...(await client.readWrite(20, 2, 21, [7]))], [1, 7], 'function 23 writes before it reads');
    t.equal(server.requests, 11);
    await client.close();
    await server.close();
  });
});

t.test('TCP: exceptions surface as DeviceError with the Modbus code and text', async (t) => {
  const store = makeStore();
  store.beforeWrite((e) => (e.table === 'holding' && e.address === 50 ? 4 : undefined));
  const { client } = await tcpPair(t, store);
  const err = await client.readHolding(99, 2).catch((e: unknown) => e);
  t.type(err, DeviceError);
  t.equal((err as DeviceError).vendorCode, 2);
  t.equal((err as DeviceError).kind, 'ILLEGAL_DATA_ADDRESS');
  t.match((err as DeviceError).message, /illegal data address/);
  t.equal(((await client.readInput(10, 1).catch((e: unknown) => e)) as DeviceError).vendorCode, 2);
  t.equal(((await client.writeCoil(32, true).catch((e: unknown) => e)) as DeviceError).vendorCode, 2);
  const vetoed = (await client.writeSingle(50, 1).catch((e: unknown) => e)) as DeviceError;
  t.equal(vetoed.vendorCode, 4, 'a beforeWrite hook refuses with its code');
  t.same([...(await client.readHolding(50, 1))], [150], 'refused write changed nothing');
});

t.test('TCP: unknown function codes get exception 1 and a broken header closes the connection', async (t) => {
  const { port } = await tcpPair(t);
  const sock = net.connect(port, '127.0.0.1');
  t.teardown(() => sock.destroy());
  await new Promise((r) => sock.once('connect', r));
  const reply = new Promise<Buffer>((r) => sock.once('data', r));
  sock.write(encodeMbap(77, 1, Buffer.from([0x2b, 0x0e, 0x01, 0x00])));
  t.equal((await reply).toString('hex'), encodeMbap(77, 1, Buffer.from([0xab, 0x01])).toString('hex'));
  const closed = new Promise((r) => sock.once('close', r));
  sock.write(Buffer.from('000100050006010300000001', 'hex'), () => {});
  await closed;
  t.pass('server hung up on protocol id 5');
});

t.test('TCP: a store per unit; unknown units get exception 0x0B', async (t) => {
  const a = makeStore();
  const b = new RegisterStore({ holding: 5 }).set('holding', 0, 42);
  const server = new ModbusServer({ store: new Map([[1, a], [2, b]]) });
  const { port } = await server.listenTcp();
  const client = openModbus(`modbus+tcp://127.0.0.1:${port}?unit=1`);
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  t.same([...(await client.readHolding(0, 1, { unit: 2 }))], [42]);
  t.same([...(await client.readHolding(1, 1))], [3]);
  t.equal(((await client.readHolding(0, 1, { unit: 9 }).catch((e: unknown) => e)) as DeviceError).vendorCode, 11);
});

t.test('TCP: many pipelined requests each get their own answer', async (t) => {
  const { client, server } = await tcpPair(t, makeStore(), 8);
  const calls = Array.from({ length: 300 }, (_, i) => client.readHolding(i % 100, 1).then((v) => v[0]));
  const values = await Promise.all(calls);
  t.same(values, Array.from({ length: 300 }, (_, i) => (i % 100) * 3));
  t.equal(server.requests, 300);
  t.equal(client.pending, 0);
});

t.test('TCP: several clients at once are each answered', async (t) => {
  const { port, server } = await tcpPair(t);
  const clients = [0, 1, 2].map(() => openModbus(`modbus+tcp://127.0.0.1:${port}?unit=1`));
  t.teardown(() => Promise.all(clients.map((c) => c.close())));
  const results = await Promise.all(clients.map((c, k) => Promise.all(Array.from({ length: 100 }, (_, i) => c.readHolding((i + k) % 100, 1).then((v) => v[0])))));
  results.forEach((vals, k) => t.same(vals, Array.from({ length: 100 }, (_, i) => ((i + k) % 100) * 3), `client ${k}`));
  t.equal(server.requests, 300);
});

t.test('bad arguments are rejected before anything is sent', async (t) => {
  const { client, server } = await tcpPair(t);
  await client.readHolding(0, 1);
  const before = server.requests;
  await t.rejects(client.writeSingle(0, 70000), InvalidInputError);
  await t.rejects(client.writeMultiple(0, [1, -2]), InvalidInputError);
  await t.rejects(client.readHolding(0, 126), InvalidInputError);
  await t.rejects(client.readCoils(65535, 2), InvalidInputError);
  await t.rejects(client.readHolding(0, 1, { unit: 300 }), InvalidInputError);
  await t.rejects(client.readHolding(0, 1, { unit: 0 }), InvalidInputError, 'unit 0 is broadcast: writes only');
  t.equal(server.requests, before, 'nothing reached the server');
});

t.test('TCP: a silent server gives TimeoutError; a late reply is dropped; abort gives CanceledError', async (t) => {
  let hold: net.Socket | undefined;
  const frames: Buffer[] = [];
  const silent = net.createServer((s) => {
    hold = s;
    s.on('data', (d) => frames.push(d));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  const client = new ModbusTcpClient({ stream: new TcpStream({ host: '127.0.0.1', port }), timeoutMs: 100 });
  t.teardown(async () => {
    await client.close();
    hold?.destroy();
    await new Promise((r) => silent.close(r));
  });
  const err = await client.readHolding(0, 1).catch((e: unknown) => e);
  t.type(err, TimeoutError);
  t.equal((err as TimeoutError).afterMs, 100);
  // The late reply to transaction 1 arrives now, then request 2 is answered properly.
  const second = client.readHolding(0, 1, { timeoutMs: 5000 });
  while (Buffer.concat(frames).length < 24) await new Promise((r) => setTimeout(r, 5));
  hold!.write(encodeMbap(1, 1, Buffer.from('03020999', 'hex')));
  hold!.write(encodeMbap(2, 1, Buffer.from('03020007', 'hex')));
  t.same([...(await second)], [7], 'the late reply was not taken for the second request');
  const ac = new AbortController();
  const third = client.readHolding(0, 1, { timeoutMs: 5000, signal: ac.signal });
  ac.abort('operator');
  await t.rejects(third, CanceledError);
  await t.rejects(client.readHolding(0, 1, { signal: AbortSignal.abort() }), CanceledError);
});

t.test('TCP: a lost connection rejects what is on the wire; the next request reconnects', async (t) => {
  const store = makeStore();
  let server = new ModbusServer({ store });
  const { port } = await server.listenTcp();
  const client = openModbus(`modbus+tcp://127.0.0.1:${port}?unit=1&timeoutMs=3000`);
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  t.same([...(await client.readHolding(1, 1))], [3]);
  // Hold the next write in the server, then kill the server with the request on the wire.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  store.beforeWrite(() => {
    release();
    return undefined;
  });
  const lost = client.writeSingle(0, 5).catch((e: unknown) => e);
  await held;
  await server.close();
  const err = await lost;
  t.ok(err instanceof DisconnectedError || err === undefined, `request on the wire: ${String(err)}`);
  // Come back on the same port; the next request reconnects by itself.
  server = new ModbusServer({ store: makeStore() });
  await server.listenTcp({ port });
  t.same([...(await client.readHolding(2, 1))], [6]);
});

t.test('TCP: a read on the wire when the link drops is sent again; a write is not', async (t) => {
  const server = new ModbusServer({ store: makeStore() });
  const { port: modbusPort } = await server.listenTcp();
  // A proxy that hangs up on the first request of each of the first two connections.
  let hangups = 2;
  const socks = new Set<net.Socket>();
  const proxy = net.createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => {});
    if (hangups-- > 0) {
      s.once('data', () => s.destroy());
      return;
    }
    const up = net.connect(modbusPort, '127.0.0.1');
    socks.add(up);
    up.on('error', () => {});
    up.on('close', () => socks.delete(up));
    s.pipe(up).pipe(s);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as net.AddressInfo).port;
  const client = openModbus(`modbus+tcp://127.0.0.1:${port}?timeoutMs=3000`);
  t.teardown(async () => {
    await client.close();
    for (const s of socks) s.destroy();
    await new Promise((r) => proxy.close(r));
    await server.close();
  });
  const w = (await client.writeSingle(1, 5).catch((e: unknown) => e)) as DisconnectedError;
  t.type(w, DisconnectedError, 'the write is not repeated');
  t.equal(server.requests, 0);
  t.same([...(await client.readHolding(1, 1))], [3], 'the read was sent again on a new connection');
});

t.test('TCP: requests made while the server is down wait for it within their timeout', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const client = new ModbusTcpClient({ stream: new TcpStream({ host: '127.0.0.1', port }), timeoutMs: 1000, backoffMs: 20, maxBackoffMs: 100 });
  const server = new ModbusServer({ store: makeStore() });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  const err = (await client.readHolding(0, 1).catch((e: unknown) => e)) as TimeoutError;
  t.type(err, TimeoutError);
  t.match(err.message, /not connected: .*refused/);
  const pending = client.readHolding(3, 1, { timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 100));
  await server.listenTcp({ port });
  t.same([...(await pending)], [9], 'resolved once the server came up');
});

t.test('close rejects pending calls with CanceledError and later calls with DisconnectedError', async (t) => {
  const conns: net.Socket[] = [];
  const silent = net.createServer((c) => conns.push(c.resume()));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  const client = openModbus(`modbus+tcp://127.0.0.1:${port}?timeoutMs=5000`);
  const p = client.readHolding(0, 1).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 50));
  await client.close();
  t.type(await p, CanceledError);
  await t.rejects(client.readHolding(0, 1), DisconnectedError);
  for (const c of conns) c.destroy();
  await new Promise((r) => silent.close(r));
});

t.test('RTU in memory: reads, writes, broadcast, silent units, garbled replies', async (t) => {
  const [line, dev] = memoryPair();
  const a = makeStore();
  const b = new RegisterStore({ holding: 4 });
  const server = new ModbusServer({ store: new Map([[1, a], [3, b]]) });
  server.serveRtu(dev);
  const client = new ModbusRtuClient({ stream: line, unit: 1, baud: 115200, timeoutMs: 300, turnaroundMs: 10 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  t.same([...(await client.readHolding(1, 3))], [3, 6, 9]);
  await client.writeMultiple(0, [11, 12], { unit: 3 });
  t.same([...(await client.readHolding(0, 2, { unit: 3 }))], [11, 12]);
  await client.writeSingle(2, 77, { unit: 0 });
  t.equal(a.get('holding', 2), 77, 'broadcast reached unit 1');
  t.equal(b.get('holding', 2), 77, 'broadcast reached unit 3');
  t.equal(((await client.readHolding(5, 1, { unit: 3 }).catch((e: unknown) => e)) as DeviceError).vendorCode, 2);
  await t.rejects(client.readHolding(0, 1, { unit: 9 }), TimeoutError, 'no store for unit 9: silence, as on a bus');
  // Garble every reply: the client skips the bad CRC and times out naming it.
  const deliver = line.deliver.bind(line);
  line.deliver = (chunk) => {
    const c = Buffer.from(chunk);
    c[c.length - 1] = (c[c.length - 1] as number) ^ 0xff;
    deliver(c);
  };
  const err = (await client.readHolding(0, 1).catch((e: unknown) => e)) as TimeoutError;
  t.type(err, TimeoutError);
  t.match(err.message, /CRC/);
  line.deliver = deliver;
  t.same([...(await client.readHolding(0, 1))], [0], 'recovers at once');
});

t.test('RTU: requests are serialised, one frame on the line at a time', async (t) => {
  const [line, dev] = memoryPair();
  const server = new ModbusServer({ store: makeStore() });
  server.serveRtu(dev);
  const client = new ModbusRtuClient({ stream: line, baud: 115200, timeoutMs: 1000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  const values = await Promise.all(Array.from({ length: 20 }, (_, i) => client.readHolding(i, 1).then((v) => v[0])));
  t.same(values, Array.from({ length: 20 }, (_, i) => i * 3));
  t.equal(line.written.length, 20);
  t.ok(line.written.every((w) => w.length === 8), 'each write is exactly one request frame');
});

t.test('RTU through a real pty with the serial stream', async (t) => {
  const pair = openPtyPair();
  const server = new ModbusServer({ store: makeStore() });
  const respond = server.rtuResponder();
  pair.master.on('data', (chunk: Buffer) => {
    const out = respond(chunk);
    if (out) pair.master.write(out);
  });
  const client = openModbus(`modbus+rtu://${pair.devicePath}?baud=19200&unit=1&timeoutMs=10000`);
  t.teardown(async () => {
    await client.close();
    await server.close();
    pair.close();
  });
  t.equal(client.address, `modbus+rtu://${pair.devicePath}?unit=1`);
  t.same([...(await client.readHolding(4, 2))], [12, 15]);
  await client.writeCoils(0, [true, true, false, true]);
  t.same(await client.readCoils(0, 4), [true, true, false, true]);
  t.equal(((await client.readHolding(200, 1).catch((e: unknown) => e)) as DeviceError).vendorCode, 2);
});

t.test('store hooks: onWrite sees wire writes, computed cells and onRead refresh values', async (t) => {
  const store = makeStore();
  const writes: string[] = [];
  store.onWrite((e) => writes.push(`${e.table}@${e.address}=${Array.from(e.values as ArrayLike<number>).join(',')}`));
  let n = 0;
  store.compute('input', 3, () => ++n);
  store.onRead((e) => {
    if (e.table === 'input' && e.address <= 4) store.set('input', 4, 4444);
  });
  const { client } = await tcpPair(t, store);
  await client.writeMultiple(7, [1, 2]);
  await client.writeCoil(1, true);
  t.same(writes, ['holding@7=1,2', 'coil@1=true']);
  t.same([...(await client.readInput(3, 2))], [1, 4444]);
  t.same([...(await client.readInput(3, 1))], [2], 'computed again on each read');
});

t.test('store checks its own arguments', async (t) => {
  const s = new RegisterStore();
  t.throws(() => s.set('holding', 70000, 1), InvalidInputError);
  t.throws(() => s.set('holding', 0, 70000), InvalidInputError);
  t.throws(() => s.define('bogus' as never, 0, 1), InvalidInputError);
  s.set('holding', 0, -1);
  t.equal(s.get('holding', 0), 0xffff, 'negative int16 stored as two\'s complement');
  t.notOk(s.has('holding', 0, 2));
  t.throws(() => new ModbusServer({ store: new Map([[0, s]]) }), InvalidInputError);
});

t.test('RTU frames sent to the server in one chunk are all answered in one write', async (t) => {
  const [line, dev] = memoryPair();
  const server = new ModbusServer({ store: makeStore() });
  server.serveRtu(dev);
  t.teardown(() => server.close());
  const got = new Promise<Uint8Array>((r) => line.onData(r));
  line.write(Buffer.concat([encodeRtu(1, Buffer.from('0300000001', 'hex')), encodeRtu(1, Buffer.from('0300010001', 'hex'))]));
  const reply = Buffer.from(await got);
  t.equal(reply.toString('hex'), Buffer.concat([encodeRtu(1, Buffer.from('03020000', 'hex')), encodeRtu(1, Buffer.from('03020003', 'hex'))]).toString('hex'));
});

t.test('a client that cannot connect leaves no timer behind once its requests gave up', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  await withLeakGuard(async () => {
    const client = new ModbusTcpClient({ stream: new TcpStream({ host: '127.0.0.1', port }), timeoutMs: 300, backoffMs: 50, maxBackoffMs: 5000 });
    await t.rejects(client.readHolding(0, 1), TimeoutError);
    await t.rejects(client.readHolding(0, 1, { signal: AbortSignal.timeout(100) }), CanceledError);
  });
});
