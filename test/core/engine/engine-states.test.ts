import t from 'tap';
import { InvalidStateError } from '../../../src/core/errors.js';
import {
  RUN_ENGINE_STATES, STATE_TRANSITIONS, StateMachine, canTransition,
} from '../../../src/core/engine/states.js';
import type { RunEngineState } from '../../../src/core/engine/states.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import { leakGuard } from '../../../src/testing/leak-guard.js';
import { makeMotor, withEngine } from './engine-fixtures.js';

/** Drive a machine from idle to `target` along allowed transitions (breadth-first). */
function pathTo(target: RunEngineState): RunEngineState[] {
  const prev = new Map<RunEngineState, RunEngineState | null>([['idle', null]]);
  const queue: RunEngineState[] = ['idle'];
  while (queue.length) {
    const s = queue.shift()!;
    for (const n of STATE_TRANSITIONS[s]) if (!prev.has(n)) { prev.set(n, s); queue.push(n); }
  }
  const path: RunEngineState[] = [];
  for (let s: RunEngineState | null | undefined = target; s && s !== 'idle'; s = prev.get(s)) path.unshift(s);
  return path;
}

t.test('the declared table: every allowed transition works, every other one throws InvalidStateError', async (t) => {
  let allowed = 0;
  let refused = 0;
  for (const from of RUN_ENGINE_STATES) {
    for (const to of RUN_ENGINE_STATES) {
      const seen: Array<[string, string]> = [];
      const sm = new StateMachine((n, p) => seen.push([n, p]));
      for (const s of pathTo(from)) sm.to(s);
      t.equal(sm.state, from, `reached ${from}`);
      seen.length = 0;
      if (canTransition(from, to)) {
        sm.to(to);
        t.equal(sm.state, to);
        t.same(seen, [[to, from]], `listener told of ${from} → ${to}`);
        allowed++;
      } else {
        t.throws(() => sm.to(to), InvalidStateError, `${from} → ${to} is refused`);
        t.equal(sm.state, from, 'state unchanged after a refused transition');
        t.same(seen, []);
        refused++;
      }
    }
  }
  t.ok(allowed > 20 && refused > 20, `${allowed} allowed and ${refused} refused transitions checked`);
  t.same(STATE_TRANSITIONS.panicked, [], 'panicked is terminal');
  t.ok(canTransition('suspending', 'pausing'), 'a suspended engine may be paused by the user');
  t.notOk(canTransition('idle', 'paused'));
});

t.test('the engine walks the table: stateHook sees idle → running → pausing → paused → running → idle', async (t) => {
  const seen: string[] = [];
  await withEngine(t, { stateHook: (n, p) => seen.push(`${p}→${n}`) }, async ({ re }) => {
    const plan: Msg[] = [{ command: 'checkpoint' }, { command: 'pause' }, { command: 'null' }];
    const first = await re.run(function* () { yield* plan; });
    t.equal(first.exitStatus, 'paused');
    t.equal(re.state, 'paused');
    const rest = await re.resume();
    t.equal(rest.exitStatus, 'success');
  });
  t.same(seen, ['idle→running', 'running→pausing', 'pausing→paused', 'paused→running', 'running→idle']);
});

t.test('stop, abort and halt walk through stopping, aborting and halting', async (t) => {
  for (const [verb, state] of [['stop', 'stopping'], ['abort', 'aborting'], ['halt', 'halting']] as const) {
    const seen: string[] = [];
    await withEngine(t, { stateHook: (n, p) => seen.push(`${p}→${n}`) }, async ({ re }) => {
      const m = makeMotor('m', { moveMs: 10_000 });
      const p = re.run(function* () {
        yield { command: 'set', obj: m, value: 1, group: 'g' };
        yield { command: 'wait', group: 'g' };
      });
      await new Promise((r) => setTimeout(r, 5));
      const r = await re[verb]();
      t.same(await p, r, `${verb}() and run() settle with the same result`);
    });
    t.same(seen, ['idle→running', `running→${state}`, `${state}→idle`], `${verb}`);
  }
});

t.test('illegal requests are refused with InvalidStateError', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    await t.rejects(re.resume(), InvalidStateError, 'resume when idle');
    await t.rejects(re.stop(), InvalidStateError, 'stop when idle');
    await t.rejects(re.abort(), InvalidStateError, 'abort when idle');
    await t.rejects(re.halt(), InvalidStateError, 'halt when idle');
    t.throws(() => re.requestPause(), InvalidStateError, 'pause when idle');
    t.throws(() => re.requestPause(true), InvalidStateError, 'deferred pause when idle');
    const m = makeMotor('m', { moveMs: 10_000 });
    const p = re.run(function* () {
      yield { command: 'checkpoint' };
      yield { command: 'set', obj: m, value: 1, group: 'g' };
      yield { command: 'wait', group: 'g' };
    });
    await t.rejects(re.run(function* () {}), InvalidStateError, 'run while running');
    await t.rejects(re.resume(), InvalidStateError, 'resume while running');
    re.requestPause();
    t.equal(re.state, 'pausing');
    t.throws(() => re.requestPause(), InvalidStateError, 'pause while pausing');
    await t.rejects(re.stop(), InvalidStateError, 'stop while pausing (bluesky table)');
    const paused = await p;
    t.equal(paused.exitStatus, 'paused');
    t.throws(() => re.requestPause(), InvalidStateError, 'pause while paused');
    const r = await re.stop();
    t.equal(r.exitStatus, 'success');
    t.equal(r.interrupted, true);
  });
});

t.test('halt while pausing (devices still being paused) ends the plan instead of pausing it', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    let release: () => void = () => {};
    const slowPause = {
      name: 'slow',
      pause: () => new Promise<void>((r) => (release = r)),
      resume: () => undefined,
    };
    const p = re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'checkpoint' };
      yield { command: 'null', obj: slowPause } as Msg;
      yield { command: 'sleep', seconds: 10 };
    });
    await new Promise((r) => setTimeout(r, 5));
    re.requestPause();
    await new Promise((r) => setTimeout(r, 5));
    t.equal(re.state, 'pausing', 'still pausing: the device has not paused yet');
    const h = re.halt();
    release();
    const r = await h;
    t.same(await p, r);
    t.equal(r.exitStatus, 'abort');
    t.equal(rec.of('stop')[0].exit_status, 'abort');
  });
});

t.test('an internal inconsistency panics the engine for good', async (t) => {
  const guard = leakGuard();
  const reported: string[] = [];
  const re = new RunEngine({ onError: (_e, context) => reported.push(context) });
  // A misbehaving custom command reaches into the engine's internals and corrupts its state.
  re.registerCommand('corrupt', (_msg, ctx) => {
    (ctx as unknown as { host: { transition(s: string): void } }).host.transition('idle');
  });
  await t.rejects(re.run(function* () {
    yield { command: 'corrupt' } as unknown as Msg;
  }), InvalidStateError);
  t.equal(re.state, 'panicked');
  t.match(reported, [/panicked/]);
  await t.rejects(re.run(function* () {}), InvalidStateError, 'a panicked engine runs nothing');
  t.throws(() => re.requestPause(), InvalidStateError);
  await t.rejects(re.stop(), InvalidStateError);
  await guard.assertClean();
});
