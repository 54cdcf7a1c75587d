/**
 * OPC UA nodes as signals (OpcuaNodeBackend, opcuaSignals) and the `opc.tcp://` address scheme,
 * against the labrig simulator on 127.0.0.1.
 */
import t from 'tap';
import { join } from 'node:path';
import { DeviceError, InvalidInputError, LimitsError } from '../../../src/core/errors.js';
import type { Reading } from '../../../src/core/protocols.js';
import { SignalR, SignalRW } from '../../../src/core/signal/index.js';
import {
  OpcuaClient, OpcuaNodeBackend, opcuaSignals, opcuaSignalsFromServer, parseOpcua,
} from '../../../src/protocols/opcua/index.js';
import { openAddress, parseAddress, splitUri } from '../../../src/protocols/uri.js';
import { opcuaFamily } from '../../../src/drivers/opcua/family.js';
import { registerFamily } from '../../../src/drivers/registry.js';
import { startOpcuaSim, type OpcuaSim } from '../../../src/sim/opcua/index.js';
import { TEST_NODES, privateTmp, waitUntil } from './helpers.js';

// URI schemes are known once their family is registered (decision 0010).
registerFamily(opcuaFamily);

t.setTimeout(180_000);

const tmp = await privateTmp(t);
let sim: OpcuaSim;
let client: OpcuaClient;

t.before(async () => {
  sim = await startOpcuaSim({ port: 0, nodes: TEST_NODES, pkiDir: join(tmp.dir, 'pki') });
  client = new OpcuaClient(sim.endpoint, { timeoutMs: 5000 });
});
t.teardown(async () => {
  await client?.close();
  await sim?.close();
});

t.test('connect opens an idle client; readings carry the source time in seconds', async (t) => {
  const backend = new OpcuaNodeBackend<number>(client, 'ns=1;s=Temp');
  t.equal(client.state, 'idle');
  await backend.connect(10_000);
  t.equal(client.state, 'connected', 'the backend opened the shared client');
  t.equal(backend.info?.dataType, 'Double');
  const r = await backend.getReading();
  t.equal(r.value, 21.5);
  t.ok(Math.abs(r.timestamp - Date.now() / 1000) < 600, 'seconds since the epoch, not ms');
  t.equal(await backend.getValue(), 21.5);
  t.equal(await backend.getSetpoint(), 21.5, 'no put yet: the value');
  t.equal(backend.source('x'), `${sim.endpoint}/ns=1;s=Temp`);
});

t.test('data keys come from DataType, ValueRank, EngineeringUnits and EURange', async (t) => {
  const key = async (nodeId: string, opts = {}): Promise<unknown> => {
    const b = new OpcuaNodeBackend(client, nodeId, opts);
    await b.connect(5000);
    return b.getDatakey(`src:${nodeId}`);
  };
  t.same(await key('ns=1;s=Temp'), {
    source: 'src:ns=1;s=Temp', dtype: 'number', shape: [], dtype_numpy: '<f8', units: '°C', limits: { control: { low: 0, high: 100 } },
  });
  t.same(await key('ns=1;s=Ratio'), { source: 'src:ns=1;s=Ratio', dtype: 'number', shape: [], dtype_numpy: '<f4' });
  t.same(await key('ns=1;s=Steps'), { source: 'src:ns=1;s=Steps', dtype: 'integer', shape: [], dtype_numpy: '<i4', units: 'steps' });
  t.same(await key('ns=1;s=Word'), { source: 'src:ns=1;s=Word', dtype: 'integer', shape: [], dtype_numpy: '<u2' });
  t.same(await key('ns=1;s=On'), { source: 'src:ns=1;s=On', dtype: 'boolean', shape: [], dtype_numpy: '|b1' });
  t.same(await key('ns=1;s=Label'), { source: 'src:ns=1;s=Label', dtype: 'string', shape: [] });
  t.same(await key('ns=1;s=Wave'), { source: 'src:ns=1;s=Wave', dtype: 'array', shape: [3], dtype_numpy: '<f8' });
  t.same(await key('ns=1;s=Gains'), { source: 'src:ns=1;s=Gains', dtype: 'array', shape: [4], dtype_numpy: '<i4' });
  t.match(await key('ns=1;s=Temp', { units: 'K', precision: 2, limits: { low: 1, high: 2 } }), {
    units: 'K', precision: 2, limits: { control: { low: 1, high: 2 } },
  }, 'options override the server');
});

t.test('the backend describes its rules, the Signal checks them before put; bad status is a DeviceError', async (t) => {
  const sp = new OpcuaNodeBackend<number>(client, 'ns=1;s=Setpoint');
  t.same(sp.constraints(), {}, 'no rules known before connect');
  await sp.connect(5000);
  t.same(sp.constraints(), { dtype: 'number', limits: { low: 0, high: 50 }, units: '°C' }, 'dtype, EURange and units from the server');
  const signal = new SignalRW(sp, { name: 'heater-setpoint' });
  await signal.set(12.5);
  t.equal(sim.get('ns=1;s=Setpoint'), 12.5);
  t.equal(await sp.getSetpoint(), 12.5);
  const err = await Promise.resolve(signal.set(60)).catch((e: unknown) => e);
  t.type(err, LimitsError, 'EURange [0, 50] refuses 60 before sending');
  t.match(err, { device: 'heater-setpoint', value: 60, low: 0, high: 50, units: '°C' });
  await t.rejects(async () => signal.set('hot' as unknown as number), InvalidInputError, 'the node dtype refuses a string');
  t.equal(sim.get('ns=1;s=Setpoint'), 12.5, 'nothing reached the server');
  const unchecked = new OpcuaNodeBackend<number>(client, 'ns=1;s=Setpoint', { checkLimits: false });
  await unchecked.connect(5000);
  t.notOk('limits' in unchecked.constraints(), 'checkLimits: false describes no limits');
  await t.rejects(async () => new SignalRW(unchecked, { name: 'raw' }).set(60), { name: 'DeviceError', vendorCode: 'BadOutOfRange' }, 'the server refuses it too');
  const ro = new OpcuaNodeBackend<number>(client, 'ns=1;s=Temp');
  await ro.connect(5000);
  const roErr = await ro.put(22, true).catch((e: unknown) => e);
  t.type(roErr, DeviceError);
  t.equal((roErr as DeviceError).vendorCode, 'BadNotWritable');
  const label = new OpcuaNodeBackend<unknown>(client, 'ns=1;s=Label');
  await label.connect(5000);
  await t.rejects(label.put(5, true), InvalidInputError, 'wrong type');
  const missing = new OpcuaNodeBackend<number>(client, 'ns=1;s=Missing');
  await t.rejects(missing.connect(5000), { name: 'DeviceError', vendorCode: 'BadNodeIdUnknown' }, 'connect proves the node exists');
});

t.test('setCallback delivers the current value, then changes, until stopped', async (t) => {
  const b = new OpcuaNodeBackend<number>(client, 'ns=1;s=Level');
  await b.connect(5000);
  sim.set('ns=1;s=Level', 7);
  const got: Array<Reading<number>> = [];
  b.setCallback((r) => got.push(r));
  await waitUntil('current value', () => got.some((r) => r.value === 7));
  sim.set('ns=1;s=Level', 8);
  await waitUntil('change', () => got.some((r) => r.value === 8));
  t.ok(got.every((r) => typeof r.timestamp === 'number' && r.alarm_severity === undefined), 'good readings carry no alarm');
  b.setCallback(undefined);
  await waitUntil('item released', () => sim.stats().monitoredItems === 0);
  const n = got.length;
  sim.set('ns=1;s=Level', 9);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(got.length, n, 'nothing after stop');
});

t.test('opcuaSignals: SignalR and SignalRW from a node map', async (t) => {
  const s = opcuaSignals(client, {
    temp: 'ns=1;s=Temp',
    setpoint: { nodeId: 'ns=1;s=Setpoint', writable: true, precision: 1 },
    level: 'ns=1;s=Level',
  });
  t.type(s.temp, SignalR);
  t.notOk(s.temp instanceof SignalRW, 'read-only by default');
  t.type(s.setpoint, SignalRW);
  await Promise.all(Object.values(s).map((sig) => sig.connect()));
  t.same(await s.temp!.read(), { temp: { value: 21.5, timestamp: (await s.temp!.read()).temp!.timestamp } });
  t.match(await s.setpoint!.describe(), { setpoint: { dtype: 'number', units: '°C', precision: 1, limits: { control: { low: 0, high: 50 } }, source: `${sim.endpoint}/ns=1;s=Setpoint` } });
  const rw = s.setpoint as SignalRW<number>;
  await rw.set(20);
  t.equal(sim.get('ns=1;s=Setpoint'), 20);
  t.same(await rw.locate(), { setpoint: 20, readback: 20 });
  await t.rejects(async () => rw.set(99), LimitsError, 'a Status failing with the typed error');
  // Two subscribers of a signal share the signal's one backend subscription.
  const a: number[] = [];
  const b: number[] = [];
  const level = s.level as SignalR<number>;
  sim.set('ns=1;s=Level', 1);
  const stopA = level.subscribeValue((v) => a.push(v));
  const stopB = level.subscribeValue((v) => b.push(v));
  sim.set('ns=1;s=Level', 2);
  await waitUntil('both see 2', () => a.includes(2) && b.includes(2));
  t.equal(sim.stats().monitoredItems, 1, 'one monitored item');
  stopA();
  stopB();
  await waitUntil('item released', () => sim.stats().monitoredItems === 0);
  t.throws(() => opcuaSignals(client, { bad: { nodeId: '' } }), InvalidInputError);
});

t.test('opcuaSignalsFromServer asks the server which nodes are writable', async (t) => {
  const s = await opcuaSignalsFromServer(client, { temp: 'ns=1;s=Temp', label: 'ns=1;s=Label', on: { nodeId: 'ns=1;s=On', writable: false } });
  t.notOk(s.temp instanceof SignalRW);
  t.type(s.label, SignalRW);
  t.notOk(s.on instanceof SignalRW, 'an explicit writable wins');
  t.same(Object.keys(s), ['temp', 'label', 'on'], 'map order kept');
});

t.test('opc.tcp:// addresses parse and open a connected client', async (t) => {
  const a = parseAddress('opc.tcp://127.0.0.1?timeoutMs=2500&securityMode=None');
  t.match(a, { scheme: 'opc.tcp', host: '127.0.0.1', port: 4840, endpoint: 'opc.tcp://127.0.0.1:4840', options: { timeoutMs: 2500, securityMode: 'None' } });
  t.match(parseOpcua(splitUri('opc.tcp://[::1]:4841/UA/Server')), { endpoint: 'opc.tcp://[::1]:4841/UA/Server', path: '/UA/Server' });
  t.throws(() => parseAddress('opc.tcp://127.0.0.1:4840?colour=red'), InvalidInputError, 'unknown parameter');
  t.throws(() => parseAddress('opc.tcp://127.0.0.1:4840?securityMode=Maybe'), InvalidInputError);
  t.throws(() => parseAddress('opc.tcp://127.0.0.1:4840?timeoutMs=soon'), InvalidInputError);
  const opened = (await openAddress(`${sim.endpoint}?timeoutMs=4000`, { timeoutMs: 10_000 })) as OpcuaClient;
  t.teardown(() => opened.close());
  t.type(opened, OpcuaClient);
  t.equal(opened.state, 'connected');
  t.equal(opened.timeoutMs, 4000);
  t.equal((await opened.read('ns=1;s=Temp')).value, 21.5);
  await opened.close();
});
