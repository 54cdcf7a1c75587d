/**
 * The generic OPC UA family: a device browsed from the simulator's address space or declared by a
 * node map, nodes by NodeId, the mock tier, `sim:opcua` in a rig, and parameters checked before
 * anything is opened.
 */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { setMockValue } from '../../../src/core/signal/mock.js';
import { SignalRW } from '../../../src/core/signal/writable.js';
import { mockFamily, resolveTarget } from '../../../src/drivers/family.js';
import { isNodeId, opcuaFamily, openOpcuaDevice, type OpcuaDevice } from '../../../src/drivers/opcua/index.js';
import { loadRig } from '../../../src/rig/index.js';
import { startOpcuaSim } from '../../../src/sim/opcua/index.js';
import { withLeakGuard } from '../../../src/testing/index.js';
import { privateTmp, TEST_NODES } from '../../protocols/opcua/helpers.js';

// node-opcua takes seconds to load and to create certificates on a busy machine (as the other OPC UA tests).
t.setTimeout(180_000);

t.test('browsed from the simulator; declared by a map; nodes by NodeId; nothing left behind', async (t) => {
  const { leftovers } = await privateTmp(t);
  await withLeakGuard(async () => {
    const sim = await startOpcuaSim({ nodes: TEST_NODES });
    const opened: OpcuaDevice[] = [];
    try {
      const all = await openOpcuaDevice(sim.endpoint, { name: 'srv' });
      opened.push(all);
      for (const n of ['Temp', 'Setpoint', 'Label', 'Counter']) t.ok(n in all.signals, `browsed ${n}`);
      t.equal(await all.signals['Temp']!.getValue(false), 21.5);
      t.type(all.signals['Setpoint'], SignalRW, 'writable nodes are SignalRW (the server says so)');
      t.notOk(all.signals['Temp'] instanceof SignalRW, 'read-only nodes are SignalR');

      const some = await openOpcuaDevice(sim.endpoint, { name: 'oven', nodes: { sp: 'ns=1;s=Setpoint', temp: { nodeId: 'ns=1;s=Temp' } } });
      opened.push(some);
      t.same(Object.keys(some.signals), ['sp', 'temp']);
      await (some.signals['sp'] as SignalRW<number>).set(12);
      t.equal(sim.get('ns=1;s=Setpoint'), 12, 'the write reached the server');
      t.same(Object.keys(await some.read()).sort(), ['oven-sp', 'oven-temp']);
      const label = await opcuaFamily.resolvePath!(some, 'ns=1;s=Label');
      t.equal(await (label as SignalRW<string>).getValue(false), 'idle', 'a node by NodeId');
      t.equal(await opcuaFamily.resolvePath!(some, 'sp'), undefined, 'a name is not a NodeId');
    } finally {
      for (const d of opened) await d.close();
      await sim.close();
    }
  }, { graceMs: 2000 });
  t.same(await leftovers(), [], 'no temporary PKI folder left');
});

t.test('mock tier and sim:opcua in a rig', async (t) => {
  await privateTmp(t);
  const m = await mockFamily(opcuaFamily, { nodes: { sp: { nodeId: 'ns=1;s=Setpoint', writable: true }, temp: 'ns=1;s=Temp' } }, { name: 'oven' });
  setMockValue(m.signals['temp']!, 20);
  t.equal((await m.read())['oven-temp']!.value, 20);
  await m.close();
  await withLeakGuard(async () => {
    const rig = await loadRig({ srv: 'sim:opcua' });
    try {
      const d = rig.get('srv') as unknown as OpcuaDevice;
      t.ok('HeaterSetpoint' in d.signals && 'Temperature' in d.signals, 'the simulator node list names the signals');
      t.match(rig.member('srv').uri, /^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await rig.close();
    }
  }, { graceMs: 2000 });
});

t.test('node maps and addresses are checked before anything is opened', async (t) => {
  t.ok(isNodeId('ns=1;s=Temp') && isNodeId('i=2258') && !isNodeId('Temp'));
  t.throws(() => resolveTarget(opcuaFamily, 'opc.tcp://127.0.0.1:4840', { nodes: { x: 'Temp' } }), { message: /^parameter 'nodes\.x': must be a NodeId/ });
  t.throws(() => resolveTarget(opcuaFamily, 'opc.tcp://127.0.0.1:4840?nodes=/nonexistent.json'), { message: /^parameter 'nodes': cannot be read as a JSON node map \(ENOENT\)/ });
  t.throws(() => resolveTarget(opcuaFamily, 'opc.tcp://127.0.0.1:4840?securityMode=Maybe'), { message: /^parameter 'securityMode': must be one of None, Sign, SignAndEncrypt/ });
  t.throws(() => resolveTarget(opcuaFamily, 'opc.tcp://127.0.0.1:4840?colour=red'), InvalidInputError);
  t.match(resolveTarget(opcuaFamily, 'opc.tcp://127.0.0.1/UA?timeoutMs=2500').target.address, { endpoint: 'opc.tcp://127.0.0.1:4840/UA', options: { timeoutMs: 2500 } });
});

t.test('the same bad put is refused the same way on the mock tier and over the wire', async (t) => {
  await privateTmp(t);
  const nodes = { sp: { nodeId: 'ns=1;s=Setpoint', writable: true, dtype: 'number', limits: { low: 0, high: 40 }, units: '°C' } } as const;
  const refusals = async (d: OpcuaDevice): Promise<unknown[]> => {
    const sp = d.signals['sp'] as SignalRW<number>;
    const out: unknown[] = [];
    for (const bad of [45, Number.NaN]) {
      const e = await Promise.resolve(sp.set(bad)).catch((err: unknown) => err);
      out.push(e instanceof Error ? { ...e, name: e.name, message: e.message } : e);
    }
    return out;
  };
  const mock = await mockFamily(opcuaFamily, { nodes }, { name: 'oven' });
  const onMock = await refusals(mock);
  await mock.close();
  t.match(onMock, [{ name: 'LimitsError', device: 'oven-sp', value: 45, low: 0, high: 40, units: '°C' }, { name: 'InvalidInputError' }]);
  await withLeakGuard(async () => {
    const sim = await startOpcuaSim({ nodes: TEST_NODES });
    let d: OpcuaDevice | undefined;
    try {
      d = await openOpcuaDevice(sim.endpoint, { name: 'oven', nodes });
      const onWire = await refusals(d);
      t.same(onWire, onMock, 'the same typed errors with the same fields');
      t.equal(sim.get('ns=1;s=Setpoint'), 10, 'nothing reached the server');
    } finally {
      await d?.close();
      await sim.close();
    }
  }, { graceMs: 2000 });
});
