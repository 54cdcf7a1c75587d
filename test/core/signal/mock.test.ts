import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import { DeviceError, InvalidStateError } from '../../../src/core/errors.js';
import { softSignalRW, softSignalX } from '../../../src/core/signal/factories.js';
import {
  clearMockPuts, getMockPuts, holdPuts, onPut, releasePuts, setMockValue,
} from '../../../src/core/signal/mock.js';
import { MockSignalBackend } from '../../../src/core/signal/mock-backend.js';
import { SignalRW } from '../../../src/core/signal/writable.js';
import { CountingBackend, flush } from './fake-backend.js';

t.test('connect({ mock: true }) swaps in a mock that inherits the data key and value', (t) =>
  withLeakGuard(async () => {
  const sig = softSignalRW(3, { name: 'mfc-flow', units: 'sccm', precision: 1, limits: { low: 0, high: 100 } });
  await sig.connect({ mock: true });
  t.ok(sig.isMock);
  t.type(sig.backend, MockSignalBackend);
  const key = (await sig.describe())['mfc-flow']!;
  t.equal(key.source, 'mock+soft://mfc-flow');
  t.equal(key.units, 'sccm');
  t.equal(key.precision, 1);
  t.equal(key.dtype, 'number');
  t.same(key.limits, { control: { low: 0, high: 100 } });
  t.equal(await sig.getValue(), 3, 'starts from the soft value');
  await sig.connect();
  t.notOk(sig.isMock, 'connect() without mock swaps back');
  t.equal((await sig.describe())['mfc-flow']?.source, 'soft://mfc-flow');
  }));

t.test('a mock inherits units from a transport backend, or keeps its own when it cannot describe', (t) =>
  withLeakGuard(async () => {
  const real = new CountingBackend(7);
  real.units = 'Pa';
  const sig = new SignalRW(real, { name: 'p' });
  await sig.connect({ mock: true });
  t.equal((await sig.describe())['p']?.units, 'Pa');
  t.equal((await sig.describe())['p']?.source, 'mock+fake://p');
  t.equal(await sig.getValue(), 0, 'a transport value is not read: the mock starts neutral');
  const broken = new CountingBackend(0);
  broken.datakeyError = new Error('not connected');
  const sig2 = new SignalRW(broken, { name: 'b' });
  await sig2.connect({ mock: true });
  const key = (await sig2.describe())['b']!;
  t.equal(key.dtype, 'number');
  t.equal(key.units, undefined);
  }));

t.test('every put is recorded; setMockValue is not a put but reaches listeners', (t) =>
  withLeakGuard(async () => {
  const sig = softSignalRW(0, { name: 'v' });
  await sig.connect({ mock: true });
  const seen: number[] = [];
  const off = sig.subscribeValue((v) => seen.push(v));
  await sig.set(1);
  await sig.set(2, { wait: false });
  setMockValue(sig, 5);
  t.same(getMockPuts(sig), [
    { value: 1, wait: true },
    { value: 2, wait: false },
  ]);
  t.same(seen, [0, 1, 2, 5]);
  t.same(await sig.locate(), { setpoint: 2, readback: 5 });
  clearMockPuts(sig);
  t.same(getMockPuts(sig), []);
  off();
  }));

t.test('held puts stay in flight until released', (t) =>
  withLeakGuard(async () => {
  const sig = softSignalRW(0, { name: 'valve' });
  await sig.connect({ mock: true });
  holdPuts(sig);
  const st = sig.set(1);
  const st2 = sig.set(2);
  await flush();
  await flush();
  t.notOk(st.done, 'pending while held');
  t.notOk(st2.done);
  t.equal(getMockPuts(sig).length, 2, 'both writes reached the mock');
  releasePuts(sig);
  await st;
  await st2;
  t.ok(st.success && st2.success, 'done after release');
  await sig.set(3);
  t.pass('no longer holding after release');
  }));

t.test('a held put still obeys its timeout', (t) =>
  withLeakGuard(async () => {
  const sig = softSignalRW(0, { name: 'slow' });
  await sig.connect({ mock: true });
  holdPuts(sig);
  t.teardown(() => releasePuts(sig));
  await t.rejects(sig.set(1, { timeoutMs: 20 }).wait(), { code: 'STATUS_TIMEOUT' });
  }));

t.test('onPut runs behaviour on writes; throwing fails the write', (t) =>
  withLeakGuard(async () => {
  const sig = softSignalRW(0, { name: 'pump' });
  const cmd = softSignalX({ name: 'pump-go' });
  await Promise.all([sig.connect({ mock: true }), cmd.connect({ mock: true })]);
  const got: Array<number | undefined> = [];
  const remove = onPut(sig, (v) => void got.push(v));
  await sig.set(4);
  t.same(got, [4]);
  remove();
  await sig.set(5);
  t.same(got, [4], 'removed callback not run');
  onPut(cmd, () => {
    throw new DeviceError({ device: 'pump', vendorMessage: 'stalled', vendorCode: 'S' });
  });
  await t.rejects(cmd.trigger().wait(), DeviceError);
  t.same(getMockPuts(cmd), [{ value: undefined, wait: true }]);
  }));

t.test('helpers refuse a signal that is not in mock mode', (t) =>
  withLeakGuard(async () => {
  const sig = softSignalRW(0, { name: 'real-one' });
  t.throws(() => getMockPuts(sig), InvalidStateError);
  t.throws(() => setMockValue(sig, 1), /real-one is not in mock mode/);
  t.throws(() => holdPuts(sig), InvalidStateError);
  t.throws(() => releasePuts(sig), InvalidStateError);
  t.throws(() => onPut(sig, () => undefined), InvalidStateError);
  }));

t.test('a signal built on a MockSignalBackend is in mock mode from the start', (t) =>
  withLeakGuard(async () => {
  const sig = new SignalRW(new MockSignalBackend<string>({ initialValue: 'a', units: 'x' }), { name: 'm' });
  await sig.set('b');
  t.same(getMockPuts(sig), [{ value: 'b', wait: true }]);
  t.equal((await sig.describe())['m']?.dtype, 'string');
  await sig.connect({ mock: true });
  t.same(getMockPuts(sig).length, 1, 'connecting keeps the same mock');
  }));
