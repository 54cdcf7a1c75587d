/**
 * Typed register maps: storage types, word order, scaling and range checks; backends and
 * signals over a real Modbus TCP link to our server.
 */
import t from 'tap';
import { InvalidInputError, LimitsError, UnsupportedError } from '../../../src/core/errors.js';
import { SignalRW } from '../../../src/core/signal/index.js';
import {
  ModbusRegisterBackend,
  ModbusServer,
  RegisterStore,
  decodeEntry,
  encodeEntry,
  openModbus,
  parseRegisterMap,
  registerMapSignals,
  resolveEntry,
} from '../../../src/protocols/modbus/index.js';
import type { RegisterEntry } from '../../../src/protocols/modbus/index.js';

const entry = (e: Partial<RegisterEntry>) => resolveEntry({ name: 'x', table: 'holding', address: 0, ...e });
const words = (v: Uint16Array | boolean): number[] => [...(v as Uint16Array)];

t.test('integers: sign, width, word order', async (t) => {
  t.same(words(encodeEntry(entry({ type: 'int16' }), -2)), [0xfffe]);
  t.equal(decodeEntry(entry({ type: 'int16' }), [0xfffe]), -2);
  t.equal(decodeEntry(entry({ type: 'uint16' }), [0xfffe]), 0xfffe);
  t.same(words(encodeEntry(entry({ type: 'int32' }), -70000)), [0xfffe, 0xee90]);
  t.same(words(encodeEntry(entry({ type: 'int32', wordOrder: 'little' }), -70000)), [0xee90, 0xfffe]);
  t.equal(decodeEntry(entry({ type: 'int32', wordOrder: 'little' }), [0xee90, 0xfffe]), -70000);
  t.same(words(encodeEntry(entry({ type: 'uint32' }), 0x12345678)), [0x1234, 0x5678]);
  t.equal(decodeEntry(entry({ type: 'uint32' }), [0xffff, 0xffff]), 0xffffffff);
});

t.test('float32 in both word orders', async (t) => {
  t.same(words(encodeEntry(entry({ type: 'float32' }), 1.5)), [0x3fc0, 0x0000]);
  t.same(words(encodeEntry(entry({ type: 'float32', wordOrder: 'little' }), 1.5)), [0x0000, 0x3fc0]);
  t.equal(decodeEntry(entry({ type: 'float32', wordOrder: 'little' }), [0x0000, 0x3fc0]), 1.5);
  t.equal(decodeEntry(entry({ type: 'float32' }), [0xc2f6, 0xe979]), Math.fround(-123.456));
});

t.test('scaling and offset map raw steps to engineering units', async (t) => {
  const temp = entry({ type: 'int16', scale: 0.1, offset: -50, units: 'degC' });
  t.same(words(encodeEntry(temp, 25)), [750]);
  t.equal(decodeEntry(temp, [750]), 25);
  t.same(words(encodeEntry(temp, 25.04)), [750], 'rounded to the nearest raw step');
  t.equal(decodeEntry(temp, [0xfc18]), -150, 'negative raw');
  const flow = entry({ type: 'float32', scale: 2 });
  t.equal(decodeEntry(flow, words(encodeEntry(flow, 10))), 10);
});

t.test('values that do not fit are refused with InvalidInputError', async (t) => {
  t.throws(() => encodeEntry(entry({ type: 'int16' }), 32768), InvalidInputError);
  t.throws(() => encodeEntry(entry({ type: 'int16' }), -32769), InvalidInputError);
  t.throws(() => encodeEntry(entry({ type: 'uint16' }), -1), InvalidInputError);
  t.throws(() => encodeEntry(entry({ type: 'uint16' }), 65536), InvalidInputError);
  t.throws(() => encodeEntry(entry({ type: 'int16', scale: 0.1 }), 3277), InvalidInputError, 'scaled range');
  t.throws(() => encodeEntry(entry({ type: 'uint32' }), 2 ** 32), InvalidInputError);
  t.throws(() => encodeEntry(entry({ type: 'float32' }), 1e39), InvalidInputError);
  t.throws(() => encodeEntry(entry({ type: 'float32' }), Number.NaN), InvalidInputError);
  t.throws(() => encodeEntry(entry({ type: 'uint16' }), '5'), InvalidInputError);
  t.throws(() => encodeEntry(entry({ table: 'coil' }), 1), InvalidInputError);
  const msg = (() => {
    try {
      encodeEntry(entry({ name: 'setpoint', type: 'int16', scale: 0.1, units: 'degC' }), 4000);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  t.match(msg, /setpoint.*int16.*-3276\.8\.\.3276\.7 degC/);
});

t.test('bad entries and maps are refused', async (t) => {
  t.throws(() => entry({ table: 'coil', type: 'int16' }), InvalidInputError);
  t.throws(() => entry({ table: 'input', writable: true }), InvalidInputError);
  t.throws(() => entry({ address: 65535, type: 'float32' }), InvalidInputError);
  t.throws(() => entry({ scale: 0 }), InvalidInputError);
  t.throws(() => entry({ table: 'bogus' as never }), InvalidInputError);
  t.throws(() => entry({ wordOrder: 'middle' as never }), InvalidInputError);
  t.throws(() => entry({ limits: { low: 2, high: 1 } }), InvalidInputError);
  t.throws(() => parseRegisterMap({}), InvalidInputError);
  t.throws(() => parseRegisterMap([{ name: 'a', table: 'holding', address: 0 }, { name: 'a', table: 'holding', address: 1 }]), InvalidInputError);
  t.same(entry({ table: 'discrete' }).type, 'bool');
  t.equal(entry({ table: 'input' }).writable, false);
});

t.test('register maps become signals over a real Modbus TCP link', async (t) => {
  const store = new RegisterStore({ holding: 20, input: 10, coil: 8, discrete: 8 });
  store.setMany('input', 0, [0x0000, 0x3fc0]); // 1.5 as float32, low word first
  store.set('input', 2, 0xfc18); // -1000 raw
  store.set('discrete', 1, true);
  const server = new ModbusServer({ store });
  const { port } = await server.listenTcp();
  const bus = openModbus(`modbus+tcp://127.0.0.1:${port}?unit=1`);
  const map: RegisterEntry[] = [
    { name: 'flow', table: 'input', address: 0, type: 'float32', wordOrder: 'little', units: 'L/min' },
    { name: 'temperature', table: 'input', address: 2, type: 'int16', scale: 0.1, units: 'degC', precision: 1 },
    { name: 'setpoint', table: 'holding', address: 4, type: 'int16', scale: 0.1, units: 'degC', limits: { low: -20, high: 150 } },
    { name: 'counts', table: 'holding', address: 6, type: 'uint32' },
    { name: 'pump', table: 'coil', address: 3 },
    { name: 'door', table: 'discrete', address: 1 },
  ];
  const sig = registerMapSignals(bus, map, { pollMs: 20 });
  t.teardown(async () => {
    await bus.close();
    await server.close();
  });
  await Promise.all(Object.values(sig).map((s) => s.connect({ timeoutMs: 2000 })));
  t.equal(await sig.flow!.getValue(), 1.5);
  t.equal(await sig.temperature!.getValue(), -100);
  t.equal(await sig.door!.getValue(), true);
  t.notOk(sig.flow instanceof SignalRW, 'input registers are read-only signals');
  const setpoint = sig.setpoint as SignalRW<number | boolean>;
  await setpoint.set(42.5);
  t.equal(store.get('holding', 4), 425, 'raw value in the register');
  t.same(await setpoint.locate(), { setpoint: 42.5, readback: 42.5 });
  await (sig.counts as SignalRW<number | boolean>).set(70000);
  t.same([store.get('holding', 6), store.get('holding', 7)], [1, 4464]);
  await (sig.pump as SignalRW<number | boolean>).set(true);
  t.equal(store.getBit('coil', 3), true);

  const before = server.requests;
  await t.rejects(async () => setpoint.set(200), LimitsError, 'limits checked before sending');
  await t.rejects(async () => setpoint.set(true), InvalidInputError, 'wrong type');
  await t.rejects(async () => (sig.counts as SignalRW<number | boolean>).set(-1), InvalidInputError, 'uint32 range');
  t.equal(server.requests, before, 'nothing was sent for refused values');

  const keys = await sig.temperature!.describe();
  t.same(keys.temperature, { source: `modbus+tcp://127.0.0.1:${port}/1/ir/2`, dtype: 'number', shape: [], dtype_numpy: '<f8', units: 'degC', precision: 1 });
  t.equal((await sig.counts!.describe()).counts!.dtype, 'integer');
  t.equal((await sig.door!.describe()).door!.dtype, 'boolean');

  // Subscriptions poll and deliver changes.
  const seen: Array<number | boolean> = [];
  let unsubscribe = (): void => {};
  const changed = new Promise<void>((resolve) => {
    unsubscribe = sig.temperature!.subscribeValue((v) => {
      seen.push(v);
      if (v === 21.5) resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 60));
  store.set('input', 2, 215);
  await changed;
  unsubscribe();
  t.equal(seen[0], -100, 'first the current value');
  t.equal(seen.at(-1), 21.5, 'then the change');
  t.equal(seen.filter((v) => v === -100).length, 1, 'unchanged polls are not delivered');
});

t.test('the backend alone: put on a read-only entry, setpoint before any put, disconnect stops polling', async (t) => {
  const store = new RegisterStore({ input: 4, holding: 4 });
  store.set('holding', 1, 7);
  const server = new ModbusServer({ store });
  const { port } = await server.listenTcp();
  const bus = openModbus(`modbus+tcp://127.0.0.1:${port}?unit=1`);
  t.teardown(async () => {
    await bus.close();
    await server.close();
  });
  const ro = new ModbusRegisterBackend(bus, { name: 'ro', table: 'input', address: 0 });
  await t.rejects(ro.put(1, true), UnsupportedError);
  const rw = new ModbusRegisterBackend<number>(bus, { name: 'rw', table: 'holding', address: 1 }, { pollMs: 10 });
  t.equal(await rw.getSetpoint(), 7, 'the device value until something is put');
  let calls = 0;
  let firstCall!: () => void;
  const first = new Promise<void>((r) => (firstCall = r));
  rw.setCallback(() => {
    calls++;
    firstCall();
  });
  await first;
  rw.disconnect();
  const after = calls;
  t.ok(after >= 1);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(calls, after, 'no delivery after disconnect');
});
