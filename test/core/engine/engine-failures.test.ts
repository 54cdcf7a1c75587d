import t from 'tap';
import { DeviceError, TimeoutError } from '../../../src/core/errors.js';
import { Status } from '../../../src/core/status.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { countPlan, makeDet, makeMotor, withEngine } from './engine-fixtures.js';

t.test('a device failing mid-run: exit_status fail, reason, run_stop emitted, earlier events kept', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d', { failOnRead: 4 });
    const r = await re.run(() => countPlan([d], 10));
    t.equal(r.exitStatus, 'fail');
    t.equal(r.reason, 'd read failed');
    t.type(r.exception, Error);
    t.equal(r.interrupted, false);
    t.same(rec.of('event').map((e) => e.seq_num), [1, 2, 3], 'the three events before the fault are kept');
    const stop = rec.of('stop');
    t.equal(stop.length, 1);
    t.equal(stop[0].exit_status, 'fail');
    t.equal(stop[0].reason, 'd read failed');
    t.same(stop[0].num_events, { primary: 3 });
  });
});

t.test('a failed trigger Status fails the wait and the run', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d', { failOnTrigger: 2 });
    const r = await re.run(() => countPlan([d], 5));
    t.equal(r.exitStatus, 'fail');
    t.match(r.reason, /trigger failed/);
    t.equal(rec.of('event').length, 1);
  });
});

t.test('a plan cleans up in finally, and may catch an error and carry on', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const m = makeMotor('m');
    const d = makeDet('d', { failOnRead: 2 });
    const log: string[] = [];
    const r = await re.run(function* () {
      yield { command: 'open_run' };
      try {
        for (let i = 1; i <= 3; i++) {
          yield { command: 'set', obj: m, value: i, group: 'g' };
          yield { command: 'wait', group: 'g' };
          yield { command: 'create' };
          yield { command: 'read', obj: d };
          yield { command: 'save' };
        }
      } finally {
        log.push(`finally at ${m.position}`);
        yield { command: 'set', obj: m, value: 0, group: 'back' };
        yield { command: 'wait', group: 'back' };
        log.push(`returned to ${m.position}`);
      }
    });
    t.equal(r.exitStatus, 'fail');
    t.same(log, ['finally at 2', 'returned to 0'], "the plan's finally ran its messages");
    t.equal(rec.of('stop')[0].exit_status, 'fail');
  });
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d', { failOnRead: 2 });
    const ok = makeDet('ok');
    const r = await re.run(function* () {
      yield { command: 'open_run' };
      for (const det of [d, ok]) {
        try {
          yield { command: 'create' };
          yield { command: 'read', obj: det };
          yield { command: 'read', obj: det === d ? d : ok };
          yield { command: 'save' };
        } catch (e) {
          yield { command: 'drop' };
        }
      }
      yield { command: 'close_run' };
      return 'recovered';
    });
    t.equal(r.exitStatus, 'success', 'a caught error does not fail the run');
    t.equal(r.planResult, 'recovered');
    t.equal(rec.of('stop')[0].exit_status, 'success');
  });
});

t.test('a Status failing while the plan does something else is thrown into the plan at its current yield (as bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const bad = {
      name: 'bad',
      set() {
        const s = new Status<unknown>({ name: 'bad.set' });
        setTimeout(() => s.setException(new DeviceError({ device: 'bad', vendorMessage: 'motor stalled', vendorCode: 'E7' })), 5);
        return s;
      },
    };
    const seen: string[] = [];
    const r = await re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'set', obj: bad, value: 1, group: 'never-waited' };
      try {
        yield { command: 'sleep', seconds: 0.03 };
        seen.push('after sleep');
        yield { command: 'null' };
        seen.push('after null');
      } catch (e) {
        seen.push(`caught ${(e as Error).message}`);
        throw e;
      }
    });
    t.same(seen, ['caught bad: device error [E7]: motor stalled'], 'raised where the plan stands (the sleep), not later');
    t.equal(r.exitStatus, 'fail');
    t.type(r.exception, DeviceError);
    t.equal(rec.of('stop')[0].exit_status, 'fail');
  });
});

t.test('a failure reported by wait is not thrown a second time; an already-failed Status is thrown at once', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const m = {
      name: 'm',
      set() {
        const s = new Status<unknown>({ name: 'm.set' });
        setTimeout(() => s.setException(new Error('m set failed')), 5);
        return s;
      },
    };
    const caught: string[] = [];
    const r = await re.run(function* () {
      yield { command: 'set', obj: m, value: 1, group: 'g' };
      try {
        yield { command: 'wait', group: 'g' };
      } catch (e) {
        caught.push((e as Error).message);
      }
      yield { command: 'null' };
      yield { command: 'null' };
    });
    t.same(caught, ['m set failed']);
    t.equal(r.exitStatus, 'success');
  });
  await withEngine(t, {}, async ({ re }) => {
    const m = makeMotor('m', { failOnSet: 1 });
    const caught: string[] = [];
    const r = await re.run(function* () {
      try {
        yield { command: 'set', obj: m, value: 1, group: 'g' };
        caught.push('not reached');
      } catch (e) {
        caught.push((e as Error).message);
      }
      yield { command: 'wait', group: 'g' };
    });
    t.same(caught, ['m set failed'], 'thrown at the set itself');
    t.equal(r.exitStatus, 'fail', 'and again by the wait on its group');
  });
});

t.test('subscriber exceptions fail the plan by default; with ignoreCallbackExceptions they are reported', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    re.subscribe(() => {
      throw new Error('bad subscriber');
    }, 'event');
    const r = await re.run(() => countPlan([makeDet('d')], 3));
    t.equal(r.exitStatus, 'fail');
    t.equal(r.reason, 'bad subscriber');
    t.equal(rec.of('event').length, 1, 'the other subscriber still got the event');
    t.equal(rec.of('stop').length, 1);
  });
  await withEngine(t, { ignoreCallbackExceptions: true }, async ({ re, rec, reported }) => {
    re.subscribe(() => {
      throw new Error('bad subscriber');
    }, 'event');
    const r = await re.run(() => countPlan([makeDet('d')], 3));
    t.equal(r.exitStatus, 'success');
    t.equal(rec.of('event').length, 3);
    t.equal(reported.length, 3);
    t.match(reported[0]!.context, /subscriber of 'event'/);
  });
});

t.test('a plan that throws by itself fails; a msgHook that throws is thrown into the plan', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const r = await re.run(function* (): Generator<Msg> {
      yield { command: 'null' };
      throw new RangeError('plan bug');
    });
    t.equal(r.exitStatus, 'fail');
    t.type(r.exception, RangeError);
  });
  await withEngine(t, {}, async ({ re }) => {
    re.configure({
      msgHook: (m) => {
        if (m.command === 'sleep') throw new Error('no sleeping');
      },
    });
    const caught: string[] = [];
    const r = await re.run(function* () {
      try {
        yield { command: 'sleep', seconds: 10 };
      } catch (e) {
        caught.push((e as Error).message);
      }
    });
    t.same(caught, ['no sleeping']);
    t.equal(r.exitStatus, 'success');
  });
});

t.test('cleanup failures are reported, bounded, and do not stop the rest of cleanup', async (t) => {
  await withEngine(t, { cleanupTimeoutMs: 20 }, async ({ re, rec, reported }) => {
    let pending: Status<unknown> | undefined;
    const stuck = {
      name: 'stuck',
      set() {
        pending = new Status<unknown>({ name: 'stuck.set' });
        return pending;
      },
      stop: () => new Promise<void>(() => {}),
    };
    const brokenStage = { name: 'bs', stage() {}, unstage() { throw new Error('unstage exploded'); } };
    const r = await re.run(function* () {
      yield { command: 'stage', obj: brokenStage };
      yield { command: 'open_run' };
      yield { command: 'set', obj: stuck, value: 1 };
    });
    t.equal(r.exitStatus, 'success');
    const contexts = reported.map((x) => x.context);
    t.ok(contexts.includes('stuck.stop()'), 'the hanging stop() was cut off');
    t.type(reported.find((x) => x.context === 'stuck.stop()')!.err, TimeoutError);
    t.ok(contexts.includes('bs.unstage()'));
    t.equal(rec.of('stop').length, 1, 'the run was still closed');
    pending?.setFinished();
  });
});
