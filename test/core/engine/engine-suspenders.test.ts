import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import {
  SuspendBoolHigh, SuspendBoolLow, SuspendCeil, SuspendFloor, SuspendWhenOutsideBand,
} from '../../../src/core/engine/suspenders.js';
import type { Suspender, SuspendTarget } from '../../../src/core/engine/suspenders.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { makeDet, makeSignal, until, withEngine } from './engine-fixtures.js';

function* twoPerStep(d: ReturnType<typeof makeDet>, steps: number): Generator<Msg> {
  yield { command: 'open_run' };
  for (let i = 0; i < steps; i++) {
    yield { command: 'checkpoint' };
    for (let k = 0; k < 2; k++) {
      yield { command: 'trigger', obj: d, group: 't' };
      yield { command: 'wait', group: 't' };
      yield { command: 'create' };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
    }
  }
  yield { command: 'close_run' };
}

t.test('trip → suspend → clear → resume: pre/post plans run, the plan rewinds to its checkpoint', async (t) => {
  await withEngine(t, { recordInterruptions: true }, async ({ re, rec }) => {
    const shutter = makeSignal('shutter_closed', false);
    const d = makeDet('d', { triggerMs: 2 });
    const log: string[] = [];
    const sus = new SuspendBoolHigh(shutter, {
      sleepMs: 10,
      *prePlan() {
        log.push('pre');
        yield { command: 'null' };
      },
      *postPlan() {
        log.push('post');
        yield { command: 'null' };
      },
    });
    re.installSuspender(sus);
    t.same(re.suspenders, [sus]);
    const states: string[] = [];
    re.configure({ stateHook: (n) => states.push(n) });
    let tripped = false;
    re.subscribe((name, doc) => {
      if (name === 'event' && (doc as { seq_num: number; data: Record<string, unknown> }).seq_num === 3 && !tripped && 'd' in (doc as { data: object }).data) {
        tripped = true;
        shutter.put(true);
      }
    });
    const p = re.run(() => twoPerStep(d, 3));
    await until(() => re.state === 'suspending' && log.includes('pre'));
    const nBefore = rec.of('event').length;
    await new Promise((r) => setTimeout(r, 20));
    t.equal(rec.of('event').length, nBefore, 'no data while suspended');
    t.equal(re.state, 'suspending');
    shutter.put(false);
    const r = await p;
    t.equal(r.exitStatus, 'success');
    t.same(log, ['pre', 'post']);
    t.same(states, ['running', 'suspending', 'running', 'idle']);
    const descs = rec.of('descriptor');
    const intr = descs.find((x) => x.name === 'interruptions');
    const prim = descs.find((x) => x.name === 'primary');
    const evs = rec.of('event');
    t.same(evs.filter((e) => e.descriptor === prim.uid).map((e) => e.seq_num), [1, 2, 3, 3, 4, 5, 6], 'event 3 re-taken after the rewind');
    t.same(evs.filter((e) => e.descriptor === intr.uid).map((e) => e.data.interruptions), ['suspend', 'resume']);
    d.dispose();
  });
});

t.test('a suspender tripped before the run holds the plan until it clears', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const beam = makeSignal('beam_current', 0.5);
    re.installSuspender(new SuspendFloor(beam, 2, { resumeThreshold: 3 }));
    const d = makeDet('d');
    const p = re.run(() => twoPerStep(d, 1));
    await new Promise((r) => setTimeout(r, 10));
    t.equal(re.state, 'suspending');
    t.equal(rec.docs.length, 0, 'nothing ran');
    beam.put(2.5);
    await new Promise((r) => setTimeout(r, 10));
    t.equal(re.state, 'suspending', 'hysteresis: 2.5 is not yet the resume threshold');
    beam.put(3.1);
    const r = await p;
    t.equal(r.exitStatus, 'success');
    t.equal(rec.of('event').length, 2);
  });
});

t.test('install_suspender / remove_suspender messages', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const sig = makeSignal('x', false);
    const sus = new SuspendBoolHigh(sig);
    const during: number[] = [];
    await re.run(function* () {
      yield { command: 'install_suspender', suspender: sus };
      during.push(re.suspenders.length, sig.subs.size);
      yield { command: 'remove_suspender', suspender: sus };
      during.push(re.suspenders.length, sig.subs.size);
    });
    t.same(during, [1, 1, 0, 0]);
  });
});

t.test('a suspension before any checkpoint rewinds to the start of the plan (bluesky: the start is a checkpoint)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const sig = makeSignal('interlock', true);
    re.installSuspender(new SuspendBoolLow(sig));
    const d = makeDet('d', { triggerMs: 50 });
    const p = re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'trigger', obj: d, group: 't' };
      yield { command: 'wait', group: 't' };
      yield { command: 'close_run' };
    });
    await new Promise((r) => setTimeout(r, 5));
    sig.put(false);
    await until(() => re.state === 'suspending');
    sig.put(true);
    const r = await p;
    t.equal(r.exitStatus, 'success');
    t.equal(d.triggers(), 2, 'the trigger was replayed after the suspension');
    t.equal(rec.of('start').length, 1, 'open_run is not replayed');
    t.equal(rec.of('stop')[0].exit_status, 'success');
    d.dispose();
  });
});

t.test('a suspension after clear_checkpoint aborts the plan', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const sig = makeSignal('interlock', true);
    re.installSuspender(new SuspendBoolLow(sig));
    const d = makeDet('d', { triggerMs: 50 });
    const p = re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'clear_checkpoint' };
      yield { command: 'trigger', obj: d, group: 't' };
      yield { command: 'wait', group: 't' };
    });
    await new Promise((r) => setTimeout(r, 5));
    sig.put(false);
    const r = await p;
    t.equal(r.exitStatus, 'abort');
    t.match(r.reason, /suspend requested/);
    t.equal(rec.of('stop')[0].exit_status, 'abort');
    d.dispose();
  });
});

t.test('stop during a suspension; pause during a suspension then resume waits for the suspender', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const sig = makeSignal('x', true);
    re.installSuspender(new SuspendBoolHigh(sig));
    const p = re.run(() => twoPerStep(makeDet('d'), 1));
    await until(() => re.state === 'suspending');
    const r = await re.stop();
    t.same(await p, r);
    t.equal(r.exitStatus, 'success');
    t.equal(rec.docs.length, 0);
  });
  await withEngine(t, {}, async ({ re, rec }) => {
    const sig = makeSignal('x', false);
    re.installSuspender(new SuspendBoolHigh(sig));
    const d = makeDet('d', { triggerMs: 3 });
    re.subscribe((name) => {
      if (name === 'event' && rec.of('event').length === 1) sig.put(true);
    });
    const p = re.run(() => twoPerStep(d, 2));
    await until(() => re.state === 'suspending');
    re.requestPause();
    const paused = await p;
    t.equal(paused.exitStatus, 'paused');
    const resumed = re.resume();
    await until(() => re.state === 'suspending');
    t.equal(re.state, 'suspending', 'the suspender is still tripped: the resumed plan waits');
    sig.put(false);
    const r = await resumed;
    t.equal(r.exitStatus, 'success');
    t.same(rec.of('event').map((e) => e.seq_num), [1, 1, 2, 3, 4], 'the first step was re-taken from its checkpoint');
    d.dispose();
  });
});

t.test('suspender conditions, hysteresis, sleep restart, remove releases', async (t) => {
  const calls: string[] = [];
  const target: SuspendTarget = {
    requestSuspend: (s: Suspender) => calls.push(`suspend ${s.name}`),
    releaseSuspend: (s: Suspender) => calls.push(`release ${s.name}`),
  };
  const sig = makeSignal('v', 5);
  const floor = new SuspendFloor(sig, 2, { resumeThreshold: 3 });
  const ceil = new SuspendCeil(sig, 8, { resumeThreshold: 7 });
  const band = new SuspendWhenOutsideBand(sig, 1, 9);
  for (const s of [floor, ceil, band]) s.install(target);
  t.same(calls, [], 'nothing trips at 5');
  sig.put(1.5);
  t.same(calls, [`suspend ${floor.name}`]);
  sig.put(2.5);
  t.equal(floor.tripped, true, 'still tripped between floor and resume threshold');
  sig.put(3);
  t.equal(floor.tripped, false);
  t.same(calls.at(-1), `release ${floor.name}`);
  calls.length = 0;
  sig.put(10);
  t.same(calls, [`suspend ${ceil.name}`, `suspend ${band.name}`]);
  sig.put(7.5);
  t.same(calls.length, 3, 'band released, ceiling waits for 7');
  t.ok(ceil.tripped);
  sig.put(0);
  t.ok(band.tripped && floor.tripped);
  t.match(floor.justification, /value 0/);
  for (const s of [floor, ceil, band]) s.remove();
  t.ok(!floor.tripped && !ceil.tripped && !band.tripped, 'remove releases');
  t.equal(sig.subs.size, 0);

  const sleepy = new SuspendBoolHigh(sig, { sleepMs: 30 });
  const log: string[] = [];
  sleepy.install({ requestSuspend: () => log.push('s'), releaseSuspend: () => log.push('r') });
  sig.put(true);
  sig.put(false);
  await new Promise((r) => setTimeout(r, 15));
  sig.put(true);
  sig.put(false);
  await new Promise((r) => setTimeout(r, 20));
  t.same(log, ['s'], 're-tripping during the sleep restarts it');
  await new Promise((r) => setTimeout(r, 20));
  t.same(log, ['s', 'r']);
  sleepy.remove();

  t.throws(() => new SuspendFloor(sig, 3, { resumeThreshold: 2 }), InvalidInputError);
  t.throws(() => new SuspendCeil(sig, 3, { resumeThreshold: 4 }), InvalidInputError);
  t.throws(() => new SuspendBoolHigh({} as never), InvalidInputError);
  t.throws(() => new SuspendBoolHigh(sig, { sleepMs: -1 }), InvalidInputError);
});

t.test('a failing pre-plan fails the run (the engine still cleans up and goes idle)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const sig = makeSignal('x', false);
    re.installSuspender(new SuspendBoolHigh(sig, {
      *prePlan(): Generator<Msg> {
        yield { command: 'null' };
        throw new Error('shutter would not close');
      },
    }));
    const d = makeDet('d');
    re.subscribe((name) => {
      if (name === 'event') sig.put(true);
    });
    const r = await re.run(() => twoPerStep(d, 2));
    t.equal(r.exitStatus, 'fail');
    t.equal(r.reason, 'shutter would not close');
    t.equal(rec.of('stop')[0].exit_status, 'fail');
  });
});
