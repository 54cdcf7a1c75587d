/**
 * OpcuaClient against a real node-opcua server (the labrig simulator) on 127.0.0.1: reads and
 * writes of each data type, browse, describe, method call, shared subscriptions, typed errors,
 * time limits, cancellation, and a clean close.
 */
import t from 'tap';
import { join } from 'node:path';
import { CanceledError, DeviceError, DisconnectedError, InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { OpcuaClient, connectOpcua, type OpcuaStateEvent } from '../../../src/protocols/opcua/index.js';
import { freePort, startOpcuaSim, type OpcuaSim } from '../../../src/sim/opcua/index.js';
import { BinaryStream, DataType, Variant, resolveNodeId } from 'node-opcua';
import { builtInOf, dataTypeByName, dtypeOf, fromVariant, toVariant } from '../../../src/protocols/opcua/datatypes.js';
import { withLeakGuard } from '../../../src/testing/index.js';
import { TEST_NODES, privateTmp, waitUntil } from './helpers.js';

t.setTimeout(180_000);

const tmp = await privateTmp(t);
let sim: OpcuaSim;
let client: OpcuaClient;
const events: OpcuaStateEvent[] = [];

t.before(async () => {
  sim = await startOpcuaSim({ port: 0, nodes: TEST_NODES, pkiDir: join(tmp.dir, 'pki') });
  client = new OpcuaClient(sim.endpoint, { timeoutMs: 5000 });
  client.onState((e) => events.push(e));
  await client.connect();
});
t.teardown(async () => {
  await client?.close();
  await sim?.close();
});

t.test('connect reports connecting then connected', async (t) => {
  t.same(events.slice(0, 2), ['connecting', 'connected']);
  t.equal(client.state, 'connected');
  t.equal(client.address, sim.endpoint);
  t.match(sim.endpoint, /^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
});

t.test('reads each data type with its value, status and source timestamp', async (t) => {
  const before = Date.now() / 1000;
  sim.set('ns=1;s=Level', 3.25);
  const level = await client.read<number>('ns=1;s=Level');
  t.equal(level.value, 3.25);
  t.equal(level.status, 'Good');
  t.ok(level.timestamp >= before - 1 && level.timestamp <= Date.now() / 1000 + 1, 'timestamp is the source time in seconds');
  t.equal((await client.read('ns=1;s=Temp')).value, 21.5, 'Double');
  t.equal((await client.read('ns=1;s=Ratio')).value, 0.5, 'Float');
  t.equal((await client.read('ns=1;s=Steps')).value, -3, 'Int32');
  t.equal((await client.read('ns=1;s=Word')).value, 1234, 'UInt16');
  t.equal((await client.read('ns=1;s=On')).value, false, 'Boolean');
  t.equal((await client.read('ns=1;s=Label')).value, 'idle', 'String');
  const wave = (await client.read('ns=1;s=Wave')).value;
  t.ok(Array.isArray(wave), 'arrays come back as plain arrays (JSON-friendly)');
  t.same(wave, [0.5, 1.5, 2.5], 'Double array');
  t.same((await client.read('ns=1;s=Gains')).value, [1, 2, 4, 8], 'Int32 array');
});

t.test('writes each data type, checked against the node type', async (t) => {
  await client.write('ns=1;s=Setpoint', 42.25);
  t.equal(sim.get('ns=1;s=Setpoint'), 42.25, 'Double reached the server');
  await client.write('ns=1;s=Ratio', 0.25);
  t.equal(sim.get('ns=1;s=Ratio'), 0.25, 'Float');
  await client.write('ns=1;s=Steps', -70000);
  t.equal(sim.get('ns=1;s=Steps'), -70000, 'Int32');
  await client.write('ns=1;s=Word', 65535);
  t.equal(sim.get('ns=1;s=Word'), 65535, 'UInt16');
  await client.write('ns=1;s=On', true);
  t.equal(sim.get('ns=1;s=On'), true, 'Boolean');
  await client.write('ns=1;s=Label', 'running');
  t.equal(sim.get('ns=1;s=Label'), 'running', 'String');
  await client.write('ns=1;s=Gains', [3, 5, 7]);
  t.same(sim.get('ns=1;s=Gains'), [3, 5, 7], 'Int32 array');
  t.same((await client.read('ns=1;s=Gains')).value, [3, 5, 7], 'read back');
  await client.write('ns=1;s=Ratio', 0.75, { dataType: 'Float' });
  t.equal(sim.get('ns=1;s=Ratio'), 0.75, 'a given dataType skips the lookup');
});

t.test('bad values are refused before sending (InvalidInputError)', async (t) => {
  await t.rejects(client.write('ns=1;s=Word', 70000), InvalidInputError, 'UInt16 out of range');
  await t.rejects(client.write('ns=1;s=Word', 1.5), InvalidInputError, 'UInt16 not an integer');
  await t.rejects(client.write('ns=1;s=Label', 12), InvalidInputError, 'String given a number');
  await t.rejects(client.write('ns=1;s=On', 'yes'), InvalidInputError, 'Boolean given a string');
  await t.rejects(client.write('ns=1;s=Gains', 3), InvalidInputError, 'array node given a scalar');
  await t.rejects(client.write('ns=1;s=Gains', [1, 'x']), { name: 'InvalidInputError', message: /Gains\[1\]/ }, 'names the bad element');
  t.equal(sim.get('ns=1;s=Word'), 65535, 'nothing reached the server');
  t.throws(() => client.read('not a node id'), InvalidInputError, 'a malformed NodeId');
});

t.test('bad status codes become DeviceError with the status name', async (t) => {
  const notWritable = await client.write('ns=1;s=Temp', 30).catch((e: unknown) => e);
  t.type(notWritable, DeviceError);
  t.equal((notWritable as DeviceError).vendorCode, 'BadNotWritable');
  t.match((notWritable as DeviceError).message, /0x803B0000/, 'message carries the numeric code');
  const outOfRange = await client.write('ns=1;s=Setpoint', 80).catch((e: unknown) => e);
  t.type(outOfRange, DeviceError);
  t.equal((outOfRange as DeviceError).vendorCode, 'BadOutOfRange', 'the server refuses a write outside the range');
  t.equal(sim.get('ns=1;s=Setpoint'), 42.25, 'value unchanged');
  const unknown = await client.read('ns=1;s=NoSuchNode').catch((e: unknown) => e);
  t.type(unknown, DeviceError);
  t.equal((unknown as DeviceError).vendorCode, 'BadNodeIdUnknown');
  await t.rejects(client.subscribe('ns=1;s=NoSuchNode', () => {}), { name: 'DeviceError', vendorCode: 'BadNodeIdUnknown' });
});

t.test('browse lists the simulator nodes and its method', async (t) => {
  const objects = await client.browse('ObjectsFolder');
  t.ok(objects.some((e) => e.nodeId === 'ns=1;s=Sim' && e.nodeClass === 'Object'), 'Sim object under Objects');
  const children = await client.browse('ns=1;s=Sim');
  const names = children.map((e) => e.browseName);
  for (const n of TEST_NODES) t.ok(names.includes(n.browseName), `${n.browseName} listed`);
  t.same(children.find((e) => e.browseName === 'Reset'), { nodeId: 'ns=1;s=Sim.Reset', browseName: 'Reset', displayName: 'Reset', nodeClass: 'Method' });
});

t.test('readInfo gives type, shape, access, units and range', async (t) => {
  const temp = await client.readInfo('ns=1;s=Temp');
  t.match(temp, { dataType: 'Double', valueRank: -1, writable: false, units: '°C', range: { low: 0, high: 100 }, description: 'a sensor', nodeClass: 'Variable' });
  const steps = await client.readInfo('ns=1;s=Steps');
  t.match(steps, { dataType: 'Int32', writable: true, units: 'steps' });
  t.equal(steps.range, undefined, 'no EURange');
  const gains = await client.readInfo('ns=1;s=Gains');
  t.match(gains, { dataType: 'Int32', valueRank: 1, arrayDimensions: [4] });
  const label = await client.readInfo('ns=1;s=Label');
  t.match(label, { dataType: 'String', units: undefined });
});

t.test('method call converts arguments and returns outputs', async (t) => {
  sim.set('ns=1;s=Level', 9);
  const [count] = await client.call('ns=1;s=Sim', 'ns=1;s=Sim.Reset', [false]);
  t.equal(count, TEST_NODES.filter((n) => !n.writable).length, 'read-only nodes reset');
  t.equal(sim.get('ns=1;s=Level'), 0);
  t.equal(sim.get('ns=1;s=Label'), 'running', 'setpoints untouched');
  await t.rejects(client.call('ns=1;s=Sim', 'ns=1;s=Sim.Reset', []), InvalidInputError, 'wrong argument count');
  await t.rejects(client.call('ns=1;s=Sim', 'ns=1;s=Sim.Reset', ['yes']), InvalidInputError, 'wrong argument type');
});

t.test('two listeners of one node share one monitored item', async (t) => {
  const base = sim.stats().monitoredItems;
  const a: number[] = [];
  const b: number[] = [];
  sim.set('ns=1;s=Level', 1);
  const subA = await client.subscribe<number>('ns=1;s=Level', (v) => a.push(v.value));
  await waitUntil('first value for A', () => a.length > 0);
  const subB = await client.subscribe<number>('ns=1;s=Level', (v) => b.push(v.value));
  t.same(b, [1], 'the second listener gets the current value at once');
  t.equal(sim.stats().monitoredItems, base + 1, 'one monitored item on the server');
  sim.set('ns=1;s=Level', 2);
  await waitUntil('2 for both', () => a.includes(2) && b.includes(2));
  sim.set('ns=1;s=Level', 3);
  await waitUntil('3 for both', () => a.includes(3) && b.includes(3));
  t.same(a, [1, 2, 3]);
  t.same(b, [1, 2, 3]);
  await subA.unsubscribe();
  sim.set('ns=1;s=Level', 4);
  await waitUntil('4 for B', () => b.includes(4));
  t.notOk(a.includes(4), 'A no longer hears');
  t.equal(sim.stats().monitoredItems, base + 1, 'the item stays while B listens');
  await subB.unsubscribe();
  await subB.unsubscribe();
  await waitUntil('item deleted', () => sim.stats().monitoredItems === base);
  t.pass('the last unsubscribe deletes the item');
});

t.test('a listener that throws does not stop the others', async (t) => {
  const got: number[] = [];
  const bad = await client.subscribe('ns=1;s=Level', () => {
    throw new Error('listener bug');
  });
  const good = await client.subscribe<number>('ns=1;s=Level', (v) => got.push(v.value));
  sim.set('ns=1;s=Level', 5);
  await waitUntil('5', () => got.includes(5));
  t.pass('still delivered');
  await bad.unsubscribe();
  await good.unsubscribe();
});

t.test('a call honours its time limit and its abort signal', async (t) => {
  // A time limit too short for any round trip: TimeoutError naming the operation.
  const err = await client.read('ns=1;s=Temp', { timeoutMs: 0 }).catch((e: unknown) => e);
  t.type(err, TimeoutError);
  t.equal((err as TimeoutError).afterMs, 0);
  t.match((err as Error).message, /read ns=1;s=Temp/);
  const ac = new AbortController();
  ac.abort('operator');
  await t.rejects(client.read('ns=1;s=Temp', { signal: ac.signal }), CanceledError);
  const ac2 = new AbortController();
  const p = client.read('ns=1;s=Temp', { signal: ac2.signal });
  ac2.abort('changed my mind');
  await t.rejects(p, { name: 'CanceledError', message: /changed my mind/ });
  t.equal((await client.read('ns=1;s=Temp')).value, 21.5, 'the client still works');
});

t.test('a slow server answer ends in TimeoutError; the client carries on', async (t) => {
  const err = await client.call('ns=1;s=Sim', 'ns=1;s=Sim.Wait', [2000], { timeoutMs: 300 }).catch((e: unknown) => e);
  t.type(err, TimeoutError);
  t.match(err, { afterMs: 300, operation: /call ns=1;s=Sim\.Wait/ });
  t.same(await client.call('ns=1;s=Sim', 'ns=1;s=Sim.Wait', [10]), [], 'a short wait completes');
  t.equal((await client.read('ns=1;s=Temp')).value, 21.5);
});

t.test('connect to a closed port fails with TimeoutError within its limit', async (t) => {
  const port = await freePort();
  const c = new OpcuaClient(`opc.tcp://127.0.0.1:${port}`, { connectTimeoutMs: 1500, reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 200 });
  const seen: OpcuaStateEvent[] = [];
  c.onState((e) => seen.push(e));
  const err = await c.connect().catch((e: unknown) => e);
  t.type(err, TimeoutError);
  t.equal((err as TimeoutError).afterMs, 1500);
  t.match((err as Error).message, new RegExp(`connect opc\\.tcp://127\\.0\\.0\\.1:${port}`));
  t.equal(c.state, 'idle', 'back to idle: connect may be retried');
  t.same(seen, ['connecting', 'closed']);
  await t.rejects(c.read('ns=1;s=Temp'), DisconnectedError, 'calls before connect reject at once');
  await c.close();
  await t.rejects(c.connect(), DisconnectedError, 'a closed client stays closed');
  await t.rejects(connectOpcua(`opc.tcp://127.0.0.1:${port}`, { timeoutMs: 800, connectTimeoutMs: 800 }), TimeoutError, 'connectOpcua too');
});

t.test('close() during a long connect makes it give up at once', async (t) => {
  const port = await freePort();
  const c = new OpcuaClient(`opc.tcp://127.0.0.1:${port}`, { connectTimeoutMs: 120_000 });
  const connecting = c.connect();
  connecting.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  // Hang guard far below the connect limit: close must not wait for the connect to time out.
  let guard: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([c.close().then(() => 'closed'), new Promise((r) => (guard = setTimeout(() => r('hung'), 30_000)))]);
  clearTimeout(guard);
  t.equal(closed, 'closed');
  await t.rejects(connecting, CanceledError, 'the pending connect rejects with CanceledError');
  t.equal(c.state, 'closed', 'and the client stays closed');
});

t.test('values convert both ways through the OPC UA binary encoding', async (t) => {
  const roundTrip = (dt: DataType, value: unknown, isArray = false): unknown => {
    const v = toVariant('x', dt, value, isArray);
    const stream = new BinaryStream(v.binaryStoreSize());
    v.encode(stream);
    stream.rewind();
    const back = new Variant();
    back.decode(stream);
    return fromVariant(back);
  };
  t.equal(roundTrip(DataType.Int64, -5), -5, 'negative Int64');
  t.equal(roundTrip(DataType.Int64, -(2 ** 40) - 3), -(2 ** 40) - 3);
  t.equal(roundTrip(DataType.UInt64, 2 ** 52 + 1), 2 ** 52 + 1, 'large UInt64');
  t.equal(roundTrip(DataType.Float, 0.25), 0.25);
  t.equal(roundTrip(DataType.SByte, -128), -128);
  t.same(roundTrip(DataType.Double, [1.5, -2], true), [1.5, -2], 'a plain array, not a Float64Array');
  t.same(roundTrip(DataType.UInt16, new Uint16Array([1, 65535]), true), [1, 65535], 'typed arrays accepted');
  t.same(roundTrip(DataType.String, ['a', 'b'], true), ['a', 'b']);
  t.equal(roundTrip(DataType.LocalizedText, 'hello'), 'hello');
  const when = new Date('2024-05-06T07:08:09.010Z');
  t.same(roundTrip(DataType.DateTime, when), when);
  t.throws(() => toVariant('x', DataType.Int64, 2 ** 60, false), InvalidInputError, 'beyond exact integers');
  t.throws(() => toVariant('x', DataType.Byte, 256, false), InvalidInputError);
  t.throws(() => toVariant('x', DataType.DateTime, 'today', false), InvalidInputError);
  t.throws(() => toVariant('x', DataType.Guid, 'abc', false), InvalidInputError, 'unsupported type for writes');
  t.equal(dtypeOf(DataType.Int32, false), 'integer');
  t.equal(dtypeOf(DataType.Double, true), 'array');
  t.equal(dtypeOf(DataType.DateTime, false), 'string');
  t.equal(builtInOf(resolveNodeId('i=290')), DataType.Double, 'Duration is a Double');
  t.equal(builtInOf(resolveNodeId('ns=2;i=11')), undefined, 'not a standard type');
  t.throws(() => dataTypeByName('Decimal128'), InvalidInputError);
});

t.test('bad options are refused at construction', async (t) => {
  t.throws(() => new OpcuaClient('http://127.0.0.1:4840'), InvalidInputError, 'not opc.tcp');
  t.throws(() => new OpcuaClient('opc.tcp://127.0.0.1:99999'), InvalidInputError, 'bad port');
  t.throws(() => new OpcuaClient(sim.endpoint, { timeoutMs: -1 }), InvalidInputError);
  t.throws(() => new OpcuaClient(sim.endpoint, { securityMode: 'Paranoid' as never }), InvalidInputError);
  t.throws(() => new OpcuaClient(sim.endpoint, { securityPolicy: 'Rot13' as never }), InvalidInputError);
  t.throws(() => new OpcuaClient(sim.endpoint, { userIdentity: { type: 'username', userName: 'a' } as never }), InvalidInputError);
  t.doesNotThrow(() => new OpcuaClient(sim.endpoint, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', userIdentity: { type: 'username', userName: 'a', password: 'b' } }));
});

t.test('a client leaves no timers, sockets or handles behind', async (t) => {
  await withLeakGuard(async () => {
    const c = await connectOpcua(sim.endpoint);
    const got: unknown[] = [];
    const sub = await c.subscribe('ns=1;s=Counter', (v) => got.push(v.value));
    await waitUntil('a value', () => got.length > 0);
    await sub.unsubscribe();
    await c.close();
    // The server side of the connection closes a moment later; the grace period covers it.
  }, { graceMs: 5000 });
  t.pass('clean');
});

t.test('close ends the session and leaves nothing behind', async (t) => {
  const c = await connectOpcua(sim.endpoint);
  const sub = await c.subscribe('ns=1;s=Counter', () => {});
  t.ok(sim.stats().sessions >= 2, 'a second session');
  void sub;
  await c.close();
  await c.close();
  t.equal(c.state, 'closed');
  await t.rejects(c.read('ns=1;s=Temp'), DisconnectedError, 'calls after close reject');
  await waitUntil('session gone on the server', () => sim.stats().sessions === 1);
  await client.close();
  t.same(events.slice(-1), ['closed']);
  await waitUntil('no session left', () => sim.stats().sessions === 0);
  await sim.close();
  t.same(await tmp.leftovers(), [], 'client PKI folders were removed');
});
