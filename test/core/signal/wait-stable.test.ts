/** waitForStable and the one abortable sleep: what they resolve with, how they fail, what they leave behind. */
import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import { CanceledError, DeviceError, TimeoutError } from '../../../src/core/errors.js';
import { sleep } from '../../../src/core/device/timeout.js';
import { softSignalRAndSetter } from '../../../src/core/signal/factories.js';
import { waitForStable } from '../../../src/core/signal/wait.js';

t.test('waitForStable resolves once the predicate held for holdMs; a failing value restarts the hold', (t) =>
  withLeakGuard(async () => {
    const [sig, set] = softSignalRAndSetter(0, { name: 'flow' });
    const near = (v: number): boolean => Math.abs(v - 10) <= 0.5;
    const started = performance.now();
    const p = waitForStable(sig, near, 80, { timeoutMs: 20_000 });
    set(10.2);
    await sleep(40);
    set(12); // leaves the band: the hold restarts
    await sleep(10);
    const restartedAt = performance.now();
    set(9.9);
    t.equal(await p, 9.9, 'resolves with the last value in the band');
    t.ok(performance.now() - restartedAt >= 75, 'held for holdMs after the value came back into the band');
    t.ok(performance.now() - started >= 125, 'the first, interrupted hold did not count');
    t.notOk(sig.subscribed, 'the subscription is removed');
  }));

t.test('waitForStable with holdMs 0 resolves on the current value when it already passes', (t) =>
  withLeakGuard(async () => {
    const [sig] = softSignalRAndSetter(3, { name: 'x' });
    t.equal(await waitForStable(sig, (v) => v === 3, 0, { timeoutMs: 5000 }), 3);
    await sleep(0);
    t.notOk(sig.subscribed);
  }));

t.test('waitForStable fails with TimeoutError naming the operation, with the abort reason, or with what the predicate throws', (t) =>
  withLeakGuard(async () => {
    const [sig, set] = softSignalRAndSetter(0, { name: 'flow' });
    const e1 = await waitForStable(sig, (v) => v > 5, 50, { timeoutMs: 60, operation: 'mfc.set(5)' }).catch((e: unknown) => e);
    t.ok(e1 instanceof TimeoutError, 'TimeoutError');
    t.match((e1 as TimeoutError).message, /mfc\.set\(5\)/);
    t.equal((e1 as TimeoutError).afterMs, 60);

    const ac = new AbortController();
    const p2 = waitForStable(sig, (v) => v > 5, 50, { timeoutMs: 10_000, signal: ac.signal });
    ac.abort(new CanceledError('stopped'));
    const e2 = await p2.catch((e: unknown) => e);
    t.ok(e2 instanceof CanceledError, 'the abort reason');

    const held = new DeviceError({ device: 'mfc', vendorMessage: 'valve hold', vendorCode: 'HLD', kind: 'hold' });
    const p3 = waitForStable(sig, (v) => {
      if (v < 0) throw held;
      return v > 5;
    }, 50, { timeoutMs: 10_000 });
    set(-1);
    t.equal(await p3.catch((e: unknown) => e), held, 'what the predicate threw');
    await sleep(0);
    t.notOk(sig.subscribed, 'no subscription left after any failure');
  }));

t.test('sleep waits, and rejects at once with the abort reason (a non-Error reason becomes an Error)', (t) =>
  withLeakGuard(async () => {
    const t0 = performance.now();
    await sleep(30);
    t.ok(performance.now() - t0 >= 25, 'waited');
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort(new CanceledError('gone'));
    t.ok((await p.catch((e: unknown) => e)) instanceof CanceledError, 'abort reason');
    const pre = new AbortController();
    pre.abort('plain string');
    const e = await sleep(10, pre.signal).catch((x: unknown) => x);
    t.ok(e instanceof Error, 'already aborted: rejects with an Error');
    t.match((e as Error).message, /plain string/);
  }));
