/**
 * The generic Modbus family: a device declared from a register map on the mock tier and over the
 * wire simulator (Modbus TCP), registers by address, `sim:modbus` in a rig (the simulator's map
 * names the registers), and parameters checked by the one schema before anything is opened.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, LimitsError } from '../../../src/core/errors.js';
import { setMockValue } from '../../../src/core/signal/mock.js';
import { SignalRW } from '../../../src/core/signal/writable.js';
import { mockFamily, resolveTarget } from '../../../src/drivers/family.js';
import { modbusFamily, openModbusDevice, registerPath, type ModbusDevice } from '../../../src/drivers/modbus/index.js';
import { loadRig } from '../../../src/rig/index.js';
import { DEFAULT_SIM_MAP, startModbusSim, type ModbusSim } from '../../../src/sim/modbus/index.js';
import { withLeakGuard } from '../../../src/testing/index.js';

const MAP = [
  { name: 'setpoint', table: 'holding', address: 0, type: 'float32', units: 'degC', limits: { low: -50, high: 200 } },
  { name: 'temperature', table: 'input', address: 0, type: 'float32', units: 'degC' },
  { name: 'run', table: 'coil', address: 0 },
] as const;

t.test('mock tier: the map becomes signals', async (t) => {
  const d = await mockFamily(modbusFamily, { map: MAP }, { name: 'oven' });
  t.same(Object.keys(d.signals), ['setpoint', 'temperature', 'run']);
  t.type(d.signals['setpoint'], SignalRW, 'a holding register is writable');
  t.notOk(d.signals['temperature'] instanceof SignalRW, 'an input register is read-only');
  setMockValue(d.signals['temperature']!, 21.5);
  t.same(Object.keys(await d.read()).sort(), ['oven-run', 'oven-setpoint', 'oven-temperature']);
  t.equal((await d.read())['oven-temperature']!.value, 21.5);
  await d.close();
});

t.test('register paths', async (t) => {
  t.match(registerPath('hr/0:float32'), { table: 'holding', address: 0, type: 'float32' });
  t.match(registerPath('di/7'), { table: 'discrete', address: 7 });
  t.equal(registerPath('setpoint'), undefined);
  t.equal(registerPath('xx/1'), undefined);
});

t.test('over the wire simulator: named registers read and write, unnamed ones by address', async (t) => {
  await withLeakGuard(async () => {
    const sim: ModbusSim = await startModbusSim({ tcp: '127.0.0.1:0' });
    let d: ModbusDevice | undefined;
    try {
      d = await openModbusDevice(sim.address, { map: MAP, name: 'oven' });
      t.equal(await d.signals['setpoint']!.getValue(false), 25, 'the simulator starts at 25');
      await (d.signals['setpoint'] as SignalRW<number>).set(30);
      t.equal(sim.get('setpoint'), 30, 'the write reached the simulator');
      await t.rejects(async () => (d!.signals['setpoint'] as SignalRW<number>).set(500), LimitsError, 'the map limits refuse a value');
      t.equal(sim.get('setpoint'), 30, 'before anything was sent');
      const byAddress = await modbusFamily.resolvePath!(d, 'hr/0:float32');
      t.equal(await (byAddress as SignalRW<number>).getValue(false), 30, 'hr/0:float32 is the same register');
      t.equal(await modbusFamily.resolvePath!(d, 'setpoint'), undefined, 'a name is not an address path');
      await t.rejects(d.register('hr/x'), InvalidInputError);
    } finally {
      await d?.close();
      await sim.close();
    }
  }, { graceMs: 1000 });
});

t.test('sim:modbus in a rig: the device gets the simulator map', async (t) => {
  await withLeakGuard(async () => {
    const rig = await loadRig({ plc: 'sim:modbus' });
    try {
      const d = rig.get('plc') as unknown as ModbusDevice;
      t.same(Object.keys(d.signals), (DEFAULT_SIM_MAP.registers ?? []).map((r) => r.name));
      t.equal(await d.signals['setpoint']!.getValue(false), 25);
      t.match(rig.member('plc').uri, /^modbus\+tcp:\/\/127\.0\.0\.1:\d+\?unit=1$/);
      const report = await rig.eStop();
      t.ok(report.ok, 'nothing to stop is a confirmed stop');
    } finally {
      await rig.close();
    }
  }, { graceMs: 1000 });
});

t.test('parameters are checked by the one schema, from the URI and from options alike', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-modbus-map-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'map.json');
  writeFileSync(file, JSON.stringify({ registers: MAP }));
  const r = resolveTarget(modbusFamily, `modbus+tcp://127.0.0.1:502?unit=2&map=${encodeURIComponent(file)}`);
  t.same((r.options.map ?? []).map((e) => e.name), ['setpoint', 'temperature', 'run'], 'a simulator map file is a register map');
  t.match(r.target.address, { scheme: 'modbus+tcp', unit: 2, port: 502 });
  const err = (f: () => unknown): string => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return (e as Error).message;
    }
  };
  t.equal(err(() => resolveTarget(modbusFamily, 'modbus+tcp://h?unit=300')), err(() => resolveTarget(modbusFamily, 'modbus+tcp://h', { unit: 300 })).replace('(got 300)', '(got "300")'));
  t.match(err(() => resolveTarget(modbusFamily, 'modbus+tcp://h?map=/nonexistent.json')), /^parameter 'map': cannot be read as a JSON register map \(ENOENT\)/);
  t.match(err(() => resolveTarget(modbusFamily, 'modbus+tcp://h', { map: [{ name: 'x', table: 'holding', address: -1 }] })), /^parameter 'map' register map entry "x"\.address/);
  t.match(err(() => resolveTarget(modbusFamily, 'modbus+tcp://h?colour=red')), /^parameter 'colour': unknown for modbus\+tcp:\/\/ \(known: connectTimeoutMs, keepAliveMs, unit, timeoutMs, maxInFlight, map, pollMs\)/);
  t.match(err(() => resolveTarget(modbusFamily, 'modbus+rtu:///dev/ttyUSB0?parity=maybe')), /^parameter 'parity': must be one of none, even, odd, mark, space/);
});

t.test('the same bad put is refused the same way on the mock tier and over the wire', async (t) => {
  const refusals = async (d: ModbusDevice): Promise<unknown[]> => {
    const out: unknown[] = [];
    const bad: Array<[string, unknown]> = [['setpoint', 500], ['setpoint', 'hot'], ['run', 1]];
    for (const [name, value] of bad) {
      const e = await Promise.resolve((d.signals[name] as SignalRW<unknown>).set(value)).catch((err: unknown) => err);
      out.push(e instanceof Error ? { ...e, name: e.name, message: e.message } : e);
    }
    return out;
  };
  const mock = await mockFamily(modbusFamily, { map: MAP }, { name: 'oven' });
  const onMock = await refusals(mock);
  await mock.close();
  t.match(onMock, [
    { name: 'LimitsError', device: 'oven-setpoint', value: 500, low: -50, high: 200, units: 'degC' },
    { name: 'InvalidInputError', value: 'hot' },
    { name: 'InvalidInputError', value: 1 },
  ]);
  await withLeakGuard(async () => {
    const sim: ModbusSim = await startModbusSim({ tcp: '127.0.0.1:0' });
    let d: ModbusDevice | undefined;
    try {
      d = await openModbusDevice(sim.address, { map: MAP, name: 'oven' });
      t.same(await refusals(d), onMock, 'the same typed errors with the same fields');
      t.equal(sim.get('setpoint'), 25, 'nothing reached the simulator');
    } finally {
      await d?.close();
      await sim.close();
    }
  }, { graceMs: 1000 });
});
