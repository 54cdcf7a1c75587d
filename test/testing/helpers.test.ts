import t from 'tap';
import { createServer } from 'node:net';
import { leakGuard, withLeakGuard, LeakError, assertReading, watchStatus, assertMonotonicProgress, AssertionFailure } from '../../src/testing/index.js';
import { Status } from '../../src/core/status.js';

t.test('leak guard passes when everything is cleaned up', async (t) => {
  const out = await withLeakGuard(async () => {
    const timer = setTimeout(() => {}, 1000);
    clearTimeout(timer);
    const s = new Status();
    s.setFinished();
    return 5;
  });
  t.equal(out, 5);
});

t.test('leak guard catches a forgotten timer', async (t) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = leakGuard();
  timer = setTimeout(() => {}, 10_000);
  await t.rejects(guard.assertClean({ graceMs: 20 }), LeakError);
  clearTimeout(timer);
});

t.test('leak guard catches a listening server and lists it', async (t) => {
  const guard = leakGuard();
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const err = await guard.assertClean({ graceMs: 20 }).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof LeakError);
  t.match((err as LeakError).leaks.join(), /TCPServerWrap/);
  await new Promise<void>((r) => server.close(() => r()));
});

t.test('leak guard catches a pending Status', async (t) => {
  const guard = leakGuard();
  const s = new Status({ name: 'forgotten move' });
  const err = await guard.assertClean({ graceMs: 10 }).then(() => undefined, (e: unknown) => e);
  t.match((err as LeakError).leaks, ['pending Status \'forgotten move\'']);
  s.setFinished();
});

t.test('assertReading compares values, tolerance, missing and extra keys', async (t) => {
  const readings = { x: { value: 1.0001, timestamp: 1 }, y: { value: 'on', timestamp: 2 } };
  await assertReading(readings, { x: 1, y: 'on' }, { tolerance: 1e-3 });
  await t.rejects(assertReading(readings, { x: 1, y: 'on' }), AssertionFailure);
  await t.rejects(assertReading(readings, { x: 1.0001 }), /unexpected key 'y'/);
  await assertReading(readings, { x: { value: 1.0001, timestamp: 1 } }, { partial: true });
  await t.rejects(assertReading(readings, { z: 1 }, { partial: true }), /missing key 'z'/);
  const device = { name: 'd', read: async () => readings, describe: async () => ({}) };
  await assertReading(device, { x: 1.0001, y: 'on' });
});

t.test('watchStatus records progress and outcome; monotonic check', async (t) => {
  const s = new Status({ name: 'move' });
  const rec = watchStatus(s);
  s.updateProgress({ current: 0, initial: 0, target: 2 });
  s.updateProgress({ current: 1, initial: 0, target: 2 });
  s.updateProgress({ current: 2, initial: 0, target: 2 });
  s.setFinished();
  const out = await rec.done;
  t.equal(out.success, true);
  t.equal(rec.updates.length, 3);
  assertMonotonicProgress(rec.updates);
  const backwards = [...rec.updates].reverse();
  t.throws(() => assertMonotonicProgress(backwards), AssertionFailure);
  t.throws(() => assertMonotonicProgress([]), AssertionFailure);
});
