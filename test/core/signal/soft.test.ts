import t from 'tap';
import { InvalidInputError, LimitsError } from '../../../src/core/errors.js';
import { softSignalR, softSignalRAndSetter, softSignalRW, softSignalX } from '../../../src/core/signal/factories.js';
import { SoftSignalBackend } from '../../../src/core/signal/soft-backend.js';
import { assertValidDocument } from '../../helpers/schemas.js';

t.test('describe() carries dtype, units, precision and limits', async (t) => {
  const sig = softSignalRW(2.5, { name: 'stage-x', units: 'mm', precision: 3, limits: { low: -10, high: 10 } });
  const d = await sig.describe();
  t.same(d, {
    'stage-x': {
      source: 'soft://stage-x',
      dtype: 'number',
      dtype_numpy: '<f8',
      shape: [],
      units: 'mm',
      precision: 3,
      limits: { control: { low: -10, high: 10 } },
    },
  });
  const flag = softSignalR(true, { name: 'on' });
  t.equal((await flag.describe())['on']?.dtype, 'boolean');
  const arr = softSignalR([1, 2, 3], { name: 'trace' });
  t.same((await arr.describe())['trace']?.shape, [3]);
  const count = softSignalRW(0, { name: 'n', dtype: 'integer' });
  t.equal((await count.describe())['n']?.dtype_numpy, '<i8');
  // The keys are valid event-model data keys.
  const descriptor = {
    uid: 'd1', run_start: 's1', time: 1, name: 'primary', hints: {}, object_keys: {},
    data_keys: { ...d, ...(await flag.describe()), ...(await arr.describe()), ...(await count.describe()) },
    configuration: {},
  };
  assertValidDocument('descriptor', descriptor);
});

t.test('a put outside the limits rejects with LimitsError and leaves the value unchanged', async (t) => {
  const sig = softSignalRW(1, { name: 'pump-rate', units: 'mL/min', limits: { low: 0, high: 5 } });
  const err = await sig.set(7).then(() => undefined, (e: unknown) => e);
  t.type(err, LimitsError);
  const le = err as LimitsError;
  t.equal(le.device, 'pump-rate');
  t.equal(le.value, 7);
  t.equal(le.low, 0);
  t.equal(le.high, 5);
  t.match(le.message, /pump-rate.*7 mL\/min.*\[0 mL\/min, 5 mL\/min\]/);
  t.equal(await sig.getValue(), 1);
  t.equal(await sig.getSetpoint(), 1);
  await sig.set(5);
  t.equal(await sig.getValue(), 5);
});

t.test('LimitsError names the signal after it was renamed', async (t) => {
  const sig = softSignalRW(0, { limits: { low: 0, high: 1 } });
  sig.setName('mfc-setpoint');
  const err = (await sig.set(2).then(() => undefined, (e: unknown) => e)) as LimitsError;
  t.equal(err.device, 'mfc-setpoint');
});

t.test('bad input is a typed InvalidInputError', async (t) => {
  const num = softSignalRW(0, { name: 'x' });
  await t.rejects(num.set('3' as unknown as number).wait(), InvalidInputError);
  await t.rejects(num.set(Number.NaN).wait(), InvalidInputError);
  const int = softSignalRW(0, { name: 'steps', dtype: 'integer' });
  await t.rejects(int.set(1.5).wait(), InvalidInputError);
  const mode = softSignalRW('idle', { name: 'mode', choices: ['idle', 'run'] });
  await t.rejects(mode.set('fly').wait(), /mode: expected one of idle, run/);
  await mode.set('run');
  t.equal(await mode.getValue(), 'run');
  t.same((await mode.describe())['mode']?.choices, ['idle', 'run']);
});

t.test('set/getSetpoint/locate and read() with a seconds timestamp', async (t) => {
  const sig = softSignalRW(0, { name: 'v' });
  const before = Date.now() / 1000;
  const st = sig.set(4);
  await st;
  t.ok(st.done && st.success);
  t.same(await sig.locate(), { setpoint: 4, readback: 4 });
  const r = (await sig.read())['v']!;
  t.equal(r.value, 4);
  t.ok(r.timestamp >= before - 1 && r.timestamp < before + 60, 'timestamp is in seconds');
});

t.test('a read-only signal with a setter, as simulators use', async (t) => {
  const [sig, set] = softSignalRAndSetter(1, { name: 'temp', units: 'K' });
  const seen: number[] = [];
  const off = sig.subscribeValue((v) => seen.push(v));
  set(2);
  set(3);
  off();
  t.same(seen, [1, 2, 3]);
  t.equal(await sig.getValue(), 3);
});

t.test('softSignalX: trigger executes and notifies listeners of the command', async (t) => {
  const x = softSignalX({ name: 'home' });
  const seen: number[] = [];
  const xb = x.backend as SoftSignalBackend<undefined>;
  xb.setCallback((r) => seen.push(r.timestamp));
  const st = x.trigger();
  await st;
  t.ok(st.success);
  t.equal(seen.length, 2, 'initial reading plus one per trigger');
  xb.setCallback(undefined);
});

t.test('a signal of objects or nullable values is not type-checked by a guessed dtype', async (t) => {
  const obj = softSignalRW<{ a: number } | null>(null, { name: 'o' });
  await obj.set({ a: 1 });
  t.same(await obj.getValue(), { a: 1 });
  await obj.set(null);
  t.equal(await obj.getValue(), null);
});
