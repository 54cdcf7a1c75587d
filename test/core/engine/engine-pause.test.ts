import t from 'tap';
import type { Msg } from '../../../src/core/engine/messages.js';
import { makeDet, makeMotor, makeSignal, until, withEngine } from './engine-fixtures.js';

/** open_run; per step: checkpoint, two events of [motor, det]; close_run. */
function* stepPlan(m: ReturnType<typeof makeMotor>, d: ReturnType<typeof makeDet>, steps: number): Generator<Msg, string, unknown> {
  yield { command: 'open_run' };
  for (let i = 0; i < steps; i++) {
    yield { command: 'checkpoint' };
    yield { command: 'set', obj: m, value: i, group: `s${i}` };
    yield { command: 'wait', group: `s${i}` };
    for (let k = 0; k < 2; k++) {
      yield { command: 'create', name: 'primary' };
      yield { command: 'read', obj: m };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
    }
  }
  yield { command: 'close_run' };
  return 'done';
}

t.test('pause mid-step, resume: rewinds to the checkpoint, re-takes the events, seq_num rolls back', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const m = makeMotor('m');
    const d = makeDet('d');
    const pausable = { name: 'shutter', pauses: 0, resumes: 0, pause() { this.pauses++; }, resume() { this.resumes++; } };
    let requested = false;
    re.subscribe((name, doc) => {
      if (name === 'event' && (doc as { seq_num: number }).seq_num === 5 && !requested) {
        requested = true;
        re.requestPause();
      }
    });
    const first = await re.run(function* () {
      yield { command: 'null', obj: pausable } as Msg;
      return yield* stepPlan(m, d, 4);
    });
    t.equal(first.exitStatus, 'paused');
    t.equal(first.interrupted, true);
    t.equal(first.planResult, undefined);
    t.equal(first.runStartUids.length, 1);
    t.equal(re.state, 'paused');
    t.same(rec.of('event').map((e) => e.seq_num), [1, 2, 3, 4, 5], 'five events before the pause');
    t.same(m.stops, [{ success: true }], 'the moved motor was stopped on pause');
    t.equal(pausable.pauses, 1, 'pausable device paused');
    const readsBefore = d.reads();
    const rest = await re.resume();
    t.equal(rest.exitStatus, 'success');
    t.equal(rest.planResult, 'done');
    t.equal(rest.interrupted, false);
    t.same(rest.runStartUids, first.runStartUids);
    t.equal(pausable.resumes, 1, 'pausable device resumed');
    const events = rec.of('event');
    t.same(events.map((e) => e.seq_num), [1, 2, 3, 4, 5, 5, 6, 7, 8], 'seq_num 5 re-taken after the rewind');
    t.not(events[4].uid, events[5].uid, 'the re-taken event is a new document');
    t.same(events.map((e) => e.data.m), [0, 0, 1, 1, 2, 2, 2, 3, 3]);
    t.equal(d.reads() - readsBefore, 4, 'the detector was read again for the re-taken event and the rest');
    const stop = rec.of('stop')[0];
    t.equal(stop.exit_status, 'success');
    t.same(stop.num_events, { primary: 8 });
    t.same(rec.names().filter((n) => n !== 'event'), ['start', 'descriptor', 'stop'], 'one run, one descriptor');
  });
});

t.test('pause while waiting for a move: the wait is cut, the move stopped, then replayed from the checkpoint', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    // Long enough that the pause always lands inside the move, however loaded the machine is.
    const m = makeMotor('m', { moveMs: 400 });
    const got: unknown[] = [];
    const p = re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'checkpoint' };
      got.push(yield { command: 'set', obj: m, value: 5, group: 'g' });
      got.push(yield { command: 'wait', group: 'g' });
      yield { command: 'create' };
      yield { command: 'read', obj: m };
      yield { command: 'save' };
      yield { command: 'close_run' };
    });
    await until(() => m.sets() === 1);
    re.requestPause();
    const first = await p;
    t.equal(first.exitStatus, 'paused');
    t.equal(m.position, 0, 'the move never completed');
    t.equal(m.stops.length, 1, 'stop() was called');
    t.equal(m.sets(), 1);
    const rest = await re.resume();
    t.equal(rest.exitStatus, 'success');
    t.equal(m.sets(), 2, 'the set was replayed');
    t.equal(m.position, 5);
    t.equal(got.length, 2, 'the plan saw the set and, after the replay, the wait');
    t.equal(got[1], true, "the plan got the replayed wait's response");
    t.same(rec.of('event').map((e) => e.data.m), [5]);
  });
});

t.test('deferred pause waits for the next checkpoint; nothing is replayed', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d', { triggerMs: 15 });
    let asked = false;
    re.subscribe((name, doc) => {
      if (name === 'event' && (doc as { seq_num: number }).seq_num === 1 && !asked) {
        asked = true;
        re.requestPause(true);
        t.equal(re.deferredPauseRequested, true);
        t.equal(re.state, 'running', 'a deferred pause does not change the state');
      }
    });
    const plan = function* (): Generator<Msg> {
      yield { command: 'open_run' };
      for (let i = 0; i < 4; i++) {
        yield { command: 'trigger', obj: d, group: `t${i}` };
        yield { command: 'wait', group: `t${i}` };
        yield { command: 'create' };
        yield { command: 'read', obj: d };
        yield { command: 'save' };
        yield { command: 'checkpoint' };
      }
      yield { command: 'close_run' };
    };
    const first = await re.run(plan);
    t.equal(first.exitStatus, 'paused');
    t.equal(rec.of('event').length, 1, 'paused at the checkpoint after the first point');
    t.equal(re.deferredPauseRequested, false);
    const triggers = d.triggers();
    const rest = await re.resume();
    t.equal(rest.exitStatus, 'success');
    t.same(rec.of('event').map((e) => e.seq_num), [1, 2, 3, 4], 'no event re-taken');
    t.equal(d.triggers() - triggers, 3, 'nothing replayed');
    d.dispose();
  });
});

t.test('a pause after clear_checkpoint becomes an abort (bluesky: not resumable)', async (t) => {
  const cases: Array<[string, Msg[]]> = [
    ['clear_checkpoint', [{ command: 'checkpoint' }, { command: 'clear_checkpoint' }, { command: 'checkpoint' }]],
  ];
  for (const [label, prefix] of cases) {
    await withEngine(t, {}, async ({ re, rec }) => {
      const m = makeMotor('m', { moveMs: 5000 });
      let finallyRan = false;
      const p = re.run(function* () {
        yield { command: 'open_run' };
        try {
          yield* prefix;
          yield { command: 'set', obj: m, value: 1, group: 'g' };
          yield { command: 'wait', group: 'g' };
        } finally {
          finallyRan = true;
        }
      });
      await new Promise((r) => setTimeout(r, 5));
      re.requestPause();
      const r = await p;
      t.equal(r.exitStatus, 'abort', `${label}: aborted`);
      t.equal(r.interrupted, true);
      t.match(r.reason, /pause requested/, `${label}: reason says why`);
      t.ok(finallyRan, `${label}: the plan could clean up`);
      t.equal(m.stops.length, 1, `${label}: the motor was stopped`);
      t.equal(rec.of('stop')[0].exit_status, 'abort');
      t.match(rec.of('stop')[0].reason, /clear_checkpoint/);
    });
  }
});

t.test('a planned pause message; record_interruptions emits pause and resume events', async (t) => {
  await withEngine(t, { recordInterruptions: true }, async ({ re, rec }) => {
    const d = makeDet('d');
    const r1 = await re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'checkpoint' };
      yield { command: 'create' };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
      yield { command: 'pause' };
      yield { command: 'create' };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
      yield { command: 'close_run' };
    });
    t.equal(r1.exitStatus, 'paused');
    const r2 = await re.resume();
    t.equal(r2.exitStatus, 'success');
    const descs = rec.of('descriptor');
    const intr = descs.find((x) => x.name === 'interruptions');
    const prim = descs.find((x) => x.name === 'primary');
    t.ok(intr, 'interruptions descriptor');
    t.same(intr.data_keys.interruptions.dtype, 'string');
    const events = rec.of('event');
    t.same(events.filter((e) => e.descriptor === intr.uid).map((e) => e.data.interruptions), ['pause', 'resume']);
    t.same(events.filter((e) => e.descriptor === prim.uid).map((e) => e.seq_num), [1, 1, 2], 'the event after the checkpoint was re-taken');
  });
});

/** A plan that stages, monitors, moves and cleans up in finally. */
function cleanupPlan(k: {
  m: ReturnType<typeof makeMotor>;
  staged: { name: string; staged: number; unstaged: number; stage(): void; unstage(): void };
  sig: ReturnType<typeof makeSignal>;
  log: string[];
}) {
  return function* (): Generator<Msg> {
    yield { command: 'stage', obj: k.staged };
    yield { command: 'open_run' };
    yield { command: 'monitor', obj: k.sig };
    try {
      yield { command: 'checkpoint' };
      yield { command: 'set', obj: k.m, value: 10, group: 'g' };
      yield { command: 'wait', group: 'g' };
    } finally {
      k.log.push('finally');
      yield { command: 'null' };
      k.log.push('cleanup message processed');
    }
  };
}

t.test('stop vs abort vs halt, from running and from paused: exit_status, reason, which cleanup ran', async (t) => {
  const expected = {
    stop: { exit: 'success', reason: '', finally: true },
    abort: { exit: 'abort', reason: 'beam lost', finally: true },
    halt: { exit: 'abort', reason: 'halt requested', finally: 'closed' },
  } as const;
  for (const from of ['running', 'paused'] as const) {
    for (const verb of ['stop', 'abort', 'halt'] as const) {
      await withEngine(t, {}, async ({ re, rec }) => {
        const k = {
          m: makeMotor('m', { moveMs: 5000 }),
          staged: { name: 'cam', staged: 0, unstaged: 0, stage() { this.staged++; }, unstage() { this.unstaged++; } },
          sig: makeSignal('temp', 20),
          log: [] as string[],
        };
        const p = re.run(cleanupPlan(k));
        await new Promise((r) => setTimeout(r, 5));
        k.sig.put(21);
        if (from === 'paused') {
          re.requestPause();
          t.equal((await p).exitStatus, 'paused');
        }
        const r = verb === 'abort' ? await re.abort('beam lost') : await re[verb]();
        if (from === 'running') t.same(await p, r);
        const e = expected[verb];
        const label = `${verb} from ${from}`;
        t.equal(r.exitStatus, e.exit, `${label}: exit status`);
        t.equal(r.reason, e.reason, `${label}: reason`);
        t.equal(r.interrupted, true);
        t.equal(r.exception, undefined);
        // halt: the plan's finally runs (bluesky's GeneratorExit) but the messages it yields are not processed.
        t.same(k.log, e.finally === 'closed' ? ['finally'] : ['finally', 'cleanup message processed'], `${label}: plan cleanup ${e.finally === 'closed' ? 'ran without messages' : 'ran'}`);
        t.ok(k.m.stops.length >= 1, `${label}: moved motor stopped`);
        t.equal(k.staged.unstaged, 1, `${label}: staged device unstaged by the engine`);
        t.equal(k.sig.subs.size, 0, `${label}: monitor removed`);
        const stop = rec.of('stop');
        t.equal(stop.length, 1, `${label}: run closed`);
        t.equal(stop[0].exit_status, e.exit);
        t.equal(stop[0].reason, e.reason);
        t.ok(rec.of('event').length >= 2, `${label}: monitor events kept`);
      });
    }
  }
});

t.test('a pause after close_run does not replay into the closed run (close_run implies a checkpoint)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d');
    const plan = function* (): Generator<Msg> {
      for (let run = 0; run < 2; run++) {
        yield { command: 'open_run' };
        yield { command: 'checkpoint' };
        yield { command: 'create' };
        yield { command: 'read', obj: d };
        yield { command: 'save' };
        yield { command: 'close_run' };
        if (run === 0) yield { command: 'pause' };
      }
    };
    t.equal((await re.run(plan)).exitStatus, 'paused');
    const r = await re.resume();
    t.equal(r.exitStatus, 'success');
    t.equal(r.runStartUids.length, 2);
    t.same(rec.names(), ['start', 'descriptor', 'event', 'stop', 'start', 'descriptor', 'event', 'stop']);
  });
});
