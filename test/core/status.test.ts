import t from 'tap';
import { Status, isStatus, setStatusObserver } from '../../src/core/status.js';
import {
  CanceledError, InvalidStateError, StatusTimeoutError, TimeoutError, WaitTimeoutError,
} from '../../src/core/errors.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('setFinished resolves awaiters with the value and marks success', async (t) => {
  const s = new Status<number>({ name: 'op' });
  t.equal(s.done, false);
  setTimeout(() => s.setFinished(42), 1);
  t.equal(await s, 42);
  t.equal(s.done, true);
  t.equal(s.success, true);
  t.equal(s.exception(), undefined);
});

t.test('setException rejects awaiters and records the error', async (t) => {
  const s = new Status({ name: 'op' });
  const err = new Error('boom');
  s.setException(err);
  await t.rejects(s.wait(), err);
  t.equal(s.success, false);
  t.equal(s.exception(), err);
});

t.test('callbacks run exactly once, and at once when added after completion', async (t) => {
  const s = new Status();
  const calls: string[] = [];
  s.addCallback(() => calls.push('early'));
  s.setFinished();
  s.addCallback(() => calls.push('late'));
  t.same(calls, ['early', 'late']);
  await s;
  t.same(calls, ['early', 'late'], 'no callback ran twice');
});

t.test('a second completion call is an InvalidStateError', async (t) => {
  const a = new Status();
  a.setFinished();
  t.throws(() => a.setFinished(), InvalidStateError);
  t.throws(() => a.setException(new Error('x')), InvalidStateError);
  const b = new Status();
  b.setException(new Error('x'));
  t.throws(() => b.setFinished(), InvalidStateError);
  await t.rejects(b.wait());
});

t.test('a Status timeout fires StatusTimeoutError; a late completion is ignored once, then InvalidState', async (t) => {
  const s = new Status({ name: 'slow move', timeoutMs: 5 });
  await t.rejects(s.wait(), StatusTimeoutError);
  const err = s.exception();
  t.ok(err instanceof StatusTimeoutError);
  t.ok(err instanceof TimeoutError, 'StatusTimeoutError is a TimeoutError');
  t.equal((err as StatusTimeoutError).afterMs, 5);
  t.match(err!.message, /slow move/);
  s.setFinished();
  t.equal(s.success, false, 'completion after the timeout does not change the outcome');
  t.throws(() => s.setFinished(), InvalidStateError, 'but only one completion call is allowed');
});

t.test('settle time delays done after setFinished, and counts toward the timeout limit', async (t) => {
  const s = new Status({ timeoutMs: 1000, settleMs: 10 });
  s.setFinished();
  t.equal(s.done, false, 'not done while settling');
  await s;
  t.equal(s.done, true);
  t.equal(s.success, true);
});

t.test('wait() with a limit rejects WaitTimeoutError and leaves the Status pending', async (t) => {
  const s = new Status({ name: 'long' });
  await t.rejects(s.wait(5), WaitTimeoutError);
  t.equal(s.done, false);
  s.setFinished();
  await s.wait(5);
  t.equal(s.success, true);
});

t.test('reserved timeout errors cannot be set by owners', async (t) => {
  const s = new Status();
  t.throws(() => s.setException(new StatusTimeoutError({ operation: 'x', afterMs: 1 })), InvalidStateError);
  t.throws(() => s.setException(new WaitTimeoutError({ operation: 'x', afterMs: 1 })), InvalidStateError);
  s.setFinished();
});

t.test('cancel fails a pending Status with CanceledError and aborts its signal', async (t) => {
  const s = new Status({ name: 'move' });
  const signal = s.signal;
  t.equal(s.cancel('stopped by user'), true);
  await t.rejects(s.wait(), CanceledError);
  t.equal(signal.aborted, true);
  t.ok(signal.reason instanceof CanceledError);
  t.equal(s.cancel(), false, 'cancel on a done Status does nothing');
});

t.test('progress is watchable: fraction, elapsed, remaining; late watchers get the last update', async (t) => {
  const s = new Status({ name: 'm.set(10)' });
  const seen: number[] = [];
  const off = s.watch((p) => seen.push(p.fraction));
  s.updateProgress({ current: 0, initial: 0, target: 10, units: 'mm' });
  s.updateProgress({ current: 5, initial: 0, target: 10, units: 'mm' });
  t.same(seen, [0, 0.5]);
  const late: number[] = [];
  s.watch((p) => {
    late.push(p.fraction);
    t.equal(p.units, 'mm');
    t.ok(p.elapsedMs >= 0);
    t.ok(p.remainingMs !== undefined && p.remainingMs >= 0);
  });
  t.same(late, [0.5]);
  off();
  s.updateProgress({ current: 10, initial: 0, target: 10, units: 'mm' });
  t.same(seen, [0, 0.5], 'unsubscribed watcher sees no more');
  t.same(late, [0.5, 1]);
  s.setFinished();
});

t.test('wrap tracks async work; a timeout aborts the work signal', async (t) => {
  const ok = Status.wrap(async () => 7);
  t.equal(await ok, 7);
  let aborted = false;
  const slow = Status.wrap(
    (signal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        signal.addEventListener('abort', () => {
          aborted = true;
          clearTimeout(timer);
          resolve();
        });
      }),
    { timeoutMs: 5 },
  );
  await t.rejects(slow.wait(), StatusTimeoutError);
  t.equal(aborted, true);
  const thrown = Status.wrap(() => {
    throw new Error('sync throw');
  });
  await t.rejects(thrown.wait(), /sync throw/);
});

t.test('all() waits for every Status and fails with the first failure', async (t) => {
  const a = new Status();
  const b = new Status();
  const both = Status.all([a, b]);
  a.setFinished();
  t.equal(both.done, false);
  b.setFinished();
  await both;
  t.equal(both.success, true);
  const c = new Status();
  const d = new Status();
  const failing = Status.all([c, d]);
  const err = new Error('d failed');
  d.setException(err);
  await t.rejects(failing.wait(), err);
  c.setFinished();
  t.equal((await Status.all([])) as unknown, undefined, 'all of nothing is done at once');
});

t.test('any() succeeds with the first success and fails only when all fail', async (t) => {
  const a = new Status<number>();
  const b = new Status<number>();
  const first = Status.any([a, b]);
  a.setException(new Error('a'));
  t.equal(first.done, false);
  b.setFinished(2);
  t.equal(await first, 2);
  const c = new Status<number>();
  const d = new Status<number>();
  const none = Status.any([c, d]);
  c.setException(new Error('c'));
  d.setException(new Error('d'));
  await t.rejects(none.wait(), AggregateError);
});

t.test('a throwing callback is reported, does not stop other callbacks', async (t) => {
  const reported: string[] = [];
  Status.setCallbackErrorReporter((err) => reported.push(err.message));
  t.teardown(() => Status.setCallbackErrorReporter((err, s) => console.error(s.name, err)));
  const s = new Status();
  let second = false;
  s.addCallback(() => {
    throw new Error('cb failed');
  });
  s.addCallback(() => {
    second = true;
  });
  s.setFinished();
  t.same(reported, ['cb failed']);
  t.equal(second, true);
});

t.test('observer sees creation and completion; isStatus recognises Statuses', async (t) => {
  const created: string[] = [];
  const done: string[] = [];
  const prev = setStatusObserver({ onCreate: (s) => created.push(s.name), onDone: (s) => done.push(s.name) });
  t.teardown(() => setStatusObserver(prev));
  const s = new Status({ name: 'observed' });
  t.same(created, ['observed']);
  s.setFinished();
  t.same(done, ['observed']);
  t.ok(isStatus(s));
  t.notOk(isStatus({ done: true }));
  t.notOk(isStatus(Promise.resolve()));
});

t.test('invalid timeout is rejected', async (t) => {
  t.throws(() => new Status({ timeoutMs: -1 }), InvalidStateError);
  t.throws(() => new Status({ timeoutMs: Number.NaN }), InvalidStateError);
});
