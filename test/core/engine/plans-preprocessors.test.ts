import t from 'tap';
import * as bpp from '../../../src/core/plans/preprocessors/index.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { count, scan } from '../../../src/core/plans/index.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { listMessages, walkPlan } from '../../../src/core/plans/dry-run.js';
import { engineRun, engineRunInRun, makeDetector, makeMotor, show, type EngineRunLog } from './plans-harness.js';

/** The start or stop document of the first run an engine run emitted. */
function doc(e: EngineRunLog<unknown>, name: 'start' | 'stop'): Record<string, unknown> | undefined {
  return e.docs.find(([n]) => n === name)?.[1];
}

t.test('baselineWrapper reads the devices right after open_run and right before close_run', async (t) => {
  const det = makeDetector('det');
  const temp = makeDetector('temp', () => 21.5);
  const e = await engineRun(bpp.baselineWrapper(count([det], 2), [temp]));
  t.equal(e.result.planResult, e.runs[0]?.uid, 'the plan still gets its open_run reply');
  const shown = e.log.map(show);
  const open = shown.indexOf('open_run');
  const close = shown.indexOf('close_run');
  const baseline = ['trigger temp', 'wait', 'create baseline', 'read temp', 'save'];
  t.same(shown.slice(open + 1, open + 6), baseline);
  t.same(shown.slice(close - 5, close), baseline);
  t.same(e.events.map((ev) => ev.stream), ['baseline', 'primary', 'primary', 'baseline']);
  t.same(e.events[0]?.data, { temp: 21.5 });
});

t.test('baselineWrapper with no devices leaves the plan alone; decorator form works', async (t) => {
  const det = makeDetector('det');
  const p = count([det]);
  t.equal(bpp.baselineWrapper(p, []), p);
  const temp = makeDetector('temp');
  const pre = bpp.baselineDecorator([temp], 'env');
  const e = await engineRun(pre(count([det])));
  t.same(e.events.map((ev) => ev.stream), ['env', 'primary', 'env']);
});

t.test('relativeSetWrapper: sets become offsets from the position at the first set', async (t) => {
  const m = makeMotor('m', 10);
  const other = makeMotor('o', 3);
  const e = await engineRun(bpp.relativeSetWrapper((function* () {
    yield* bps.mv(m, 1);
    yield* bps.mv(m, -1);
    yield* bps.mv(other, 1);
  })(), [m]));
  t.same(e.log.map(show), ['locate m', 'set m 11', 'wait', 'set m 9', 'wait', 'set o 1', 'wait']);
  t.equal(m.position, 9);
});

t.test('relativeSetWrapper rejects non-numeric offsets', (t) => {
  const m = makeMotor('m', 10);
  t.throws(() => listMessages(bpp.relativeSetWrapper(bps.mv(m, 'far'))), InvalidInputError);
  t.end();
});

t.test('resetPositionsWrapper moves devices back at the end, also on error', async (t) => {
  const m = makeMotor('m', 2);
  const e = await engineRun(bpp.resetPositionsWrapper(bps.mv(m, 7)));
  t.same(e.log.map(show), ['locate m', 'set m 7', 'wait', 'set m 2', 'wait']);
  t.equal(m.position, 2);
  const f = await engineRun(bpp.resetPositionsWrapper((function* () {
    yield* bps.mv(m, 7);
    throw new Error('boom');
  })()));
  t.match(f.result.exception?.message, /boom/);
  t.equal(m.position, 2);
});

t.test('finalizeWrapper runs the final plan on success and on error, not on close', async (t) => {
  const m = makeMotor('m');
  const e = await engineRun(bpp.finalizeWrapper((function* () {
    yield* bps.null();
    return 'done';
  })(), () => bps.mv(m, 0)));
  t.equal(e.result.planResult, 'done');
  t.same(e.log.map(show), ['null', 'set m 0', 'wait']);
  const f = await engineRun(bpp.finalizeWrapper((function* () {
    yield* bps.null();
    throw new Error('plan failed');
  })(), bps.mv(m, 5)));
  t.match(f.result.exception?.message, /plan failed/);
  t.same(f.log.map(show), ['null', 'set m 5', 'wait']);
  // An error thrown in by the engine reaches the plan; final plan still runs.
  const det = makeDetector('det');
  const g = await engineRun(bpp.finalizeWrapper(bps.trigger(det), () => bps.null()), (msg) => {
    if (msg.command === 'trigger') throw new Error('trigger failed');
  });
  t.match(g.result.exception?.message, /trigger failed/);
  t.same(g.log.map((x) => x.command), ['trigger', 'null']);
  // Closed by the engine (halt): no final plan.
  const wrapped = bpp.finalizeWrapper(bps.mv(m, 1), () => bps.null());
  t.equal((wrapped.next().value as Msg).command, 'set');
  t.same(wrapped.return(undefined as never), { done: true, value: undefined });
});

t.test('closing a wrapped plan runs the inner plan\'s finally blocks, whose messages still go out', (t) => {
  let cleaned = false;
  const inner = (function* (): Generator<Msg, void, unknown> {
    try {
      yield { command: 'null' };
      yield { command: 'null' };
    } finally {
      cleaned = true;
      yield { command: 'clear_checkpoint' };
    }
  })();
  const wrapped = bpp.msgMutator(inner, (m) => m);
  t.equal(wrapped.next().value?.command, 'null');
  const r = wrapped.return(undefined);
  t.equal(r.done, false);
  t.equal(r.value?.command, 'clear_checkpoint');
  t.ok(cleaned);
  t.same(wrapped.next(), { done: true, value: undefined });
  t.end();
});

t.test('planMutator: head replaces the message (reply of its last message goes back), tail follows', async (t) => {
  const m = makeMotor('m');
  const got: unknown[] = [];
  const plan = (function* (): Generator<Msg, void, unknown> {
    got.push(yield { command: 'open_run' });
    got.push(yield { command: 'set', obj: m, value: 1 });
    yield { command: 'close_run' };
  })();
  const e = await engineRun(bpp.planMutator(plan, (msg) => {
    if (msg.command === 'open_run') return [null, bps.checkpoint()];
    // Rewrite only the original (value 1): the rewritten message passes through msgProc too.
    if (msg.command === 'set' && msg.value === 1) return [bpp.pchain(bps.null(), bpp.singleGen({ ...msg, value: 2 }))];
    return undefined;
  }));
  t.same(e.log.map(show), ['open_run', 'checkpoint', 'null', 'set m 2', 'close_run']);
  t.equal(got[0], e.runs[0]?.uid, 'the open_run reply (the start uid) reaches the plan');
  t.ok((got[1] as { done?: boolean }).done, 'the set reply (a Status) reaches the plan');
  t.equal(m.position, 2);
});

t.test('planMutator processes inserted messages too, but not the one being expanded', async (t) => {
  let calls = 0;
  const e = await engineRun(bpp.planMutator(bps.checkpoint(), (msg) => {
    calls++;
    if (msg.command === 'checkpoint') return [bpp.pchain(bps.null(), bpp.singleGen(msg))];
    if (msg.command === 'null') return [bpp.pchain(bps.clearCheckpoint(), bpp.singleGen(msg))];
    return undefined;
  }));
  t.same(e.log.map((x) => x.command), ['clear_checkpoint', 'null', 'checkpoint']);
  t.equal(calls, 3);
});

t.test('msgMutator, pluck, insertBefore, insertAfter', async (t) => {
  const det = makeDetector('det');
  let e: EngineRunLog<unknown> = await engineRun(bpp.pluck(count([det]), (m) => m.command === 'checkpoint'));
  t.notOk(e.log.some((m) => m.command === 'checkpoint'));
  t.equal(e.events.length, 1, 'the plucked plan still runs');
  e = await engineRunInRun(bpp.insertBefore(bps.triggerAndRead([det]), (m) => m.command === 'save', () => bps.null()));
  t.same(e.log.map((m) => m.command), ['trigger', 'wait', 'create', 'read', 'null', 'save']);
  e = await engineRunInRun(bpp.insertAfter(bps.triggerAndRead([det]), (m) => m.command === 'create', () => bps.null()));
  t.same(e.log.map((m) => m.command), ['trigger', 'wait', 'create', 'null', 'read', 'save']);
  // Which message the mutator yields: the dry-run walker (a lone create is no whole event).
  const log = listMessages(bpp.msgMutator(bps.create('primary'), (m) => (m.command === 'create' ? { ...m, name: 'other' } : m)));
  t.same(log, [{ command: 'create', name: 'other' }]);
});

t.test('contingencyWrapper picks plans by outcome', (t) => {
  // Which plans the wrapper picks, seen as the messages it yields: the dry-run walker (the
  // except plan's pause would really pause an engine).
  const opts = { elsePlan: () => bps.checkpoint(), exceptPlan: () => bps.pause(), finalPlan: () => bps.clearCheckpoint() };
  t.same(listMessages(bpp.contingencyWrapper(bps.null(), opts)).map((m) => m.command), ['null', 'checkpoint', 'clear_checkpoint']);
  const failing = (function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw new Error('x');
  })();
  const seen: string[] = [];
  t.throws(() => walkPlan(bpp.contingencyWrapper(failing, opts), (m) => seen.push(m.command)), /x/);
  t.same(seen, ['null', 'pause', 'clear_checkpoint']);
  const failing2 = (function* (): Generator<Msg, void, unknown> {
    throw new Error('y');
  })();
  t.doesNotThrow(() => listMessages(bpp.contingencyWrapper(failing2, { autoRaise: false })));
  t.end();
});

t.test('runWrapper closes the run with fail and the reason, or with the control exit status', async (t) => {
  let e = await engineRun(bpp.runWrapper((function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw new Error('went wrong');
  })(), { a: 1 }));
  t.match(e.result.exception?.message, /went wrong/);
  t.same(e.log.map((m) => m.command), ['open_run', 'null', 'close_run']);
  t.match(e.log[2], { exitStatus: 'fail', reason: 'went wrong' });
  t.same(e.runs, [{ uid: e.runs[0]?.uid, exitStatus: 'fail' }]);
  t.match(doc(e, 'start'), { a: 1 });
  t.match(doc(e, 'stop'), { exit_status: 'fail', reason: 'went wrong' });
  const stopErr = Object.assign(new Error('user stopped'), { exitStatus: 'abort' });
  e = await engineRun(bpp.runWrapper((function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw stopErr;
  })()));
  t.ok(e.result.exception, 'the error goes on out of the plan');
  t.match(doc(e, 'stop'), { exit_status: 'abort', reason: 'user stopped' });
  e = await engineRun(bpp.runWrapper(bps.null()));
  t.ok(e.runs[0]?.uid);
  t.equal(e.result.planResult, e.runs[0]?.uid, 'returns the run uid');
  t.same(e.runs[0]?.exitStatus, 'success');
});

t.test('stageWrapper stages, then unstages in reverse order, also on error', async (t) => {
  const a = makeDetector('a');
  const b = makeDetector('b');
  const e = await engineRun(bpp.stageWrapper((function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw new Error('fail');
  })(), [a, b]));
  t.match(e.result.exception?.message, /fail/);
  t.same(e.log.map(show), ['stage a', 'stage b', 'null', 'unstage b', 'unstage a']);
  t.same(a.calls, ['stage', 'unstage']);
  t.same(b.calls, ['stage', 'unstage']);
});

t.test('subsWrapper subscribes before and unsubscribes after, also on error', async (t) => {
  const f = (): void => {};
  const g = (): void => {};
  const e = await engineRun(bpp.subsWrapper((function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw new Error('fail');
  })(), { all: f, event: [g] }));
  t.match(e.result.exception?.message, /fail/);
  t.same(e.log.slice(0, 3), [
    { command: 'subscribe', name: 'all', callback: f }, { command: 'subscribe', name: 'event', callback: g },
    { command: 'null' },
  ]);
  // The engine's tokens go back, one per subscription, in order.
  t.same(e.log.slice(3).map((m) => m.command), ['unsubscribe', 'unsubscribe']);
  const tokens = e.log.slice(3).map((m) => (m as { token?: unknown }).token);
  t.type(tokens[0], 'number');
  t.type(tokens[1], 'number');
  t.not(tokens[0], tokens[1]);
  t.throws(() => bpp.subsWrapper(bps.null(), { all: 3 as never }), InvalidInputError);
});

t.test('suspendWrapper installs and removes suspenders', async (t) => {
  const calls: string[] = [];
  const s1 = { name: 's1', install() { calls.push('install'); }, remove() { calls.push('remove'); } };
  const e = await engineRun(bpp.suspendWrapper(bps.null(), s1));
  t.same(e.log.map((m) => m.command), ['install_suspender', 'null', 'remove_suspender']);
  t.same(calls, ['install', 'remove']);
});

t.test('injectMdWrapper adds metadata (the plan wins); monitorDuringWrapper brackets the run', async (t) => {
  const det = makeDetector('det');
  let e = await engineRun(bpp.injectMdWrapper(count([det], 1, null, { sample: 'mine' }), { sample: 'injected', operator: 'me' }));
  t.match(doc(e, 'start'), { sample: 'mine', operator: 'me', plan_name: 'count' });
  const sig = { name: 'sig', subscribe() {}, clearSub() {}, describe: () => ({}) };
  e = await engineRun(bpp.monitorDuringWrapper(count([det]), [sig]));
  const cmds = e.log.map((m) => m.command);
  t.equal(cmds[cmds.indexOf('open_run') + 1], 'monitor');
  t.equal(cmds[cmds.indexOf('close_run') - 1], 'unmonitor');
});

t.test('configureCountTimeWrapper sets countTime before first use and restores it', async (t) => {
  const ct = makeMotor('det_count_time', 0.1);
  const det = Object.assign(makeDetector('det'), { countTime: ct });
  const e = await engineRun(bpp.configureCountTimeWrapper(count([det]), 2));
  const shown = e.log.map(show);
  t.same(shown.slice(0, 4), ['locate det_count_time', 'set det_count_time 2', 'wait', 'stage det']);
  t.same(shown.slice(-2), ['set det_count_time 0.1', 'wait']);
  t.equal(ct.position, 0.1);
  const p = count([det]);
  t.equal(bpp.configureCountTimeWrapper(p, null), p);
  t.throws(() => bpp.configureCountTimeWrapper(count([det]), -1), InvalidInputError);
});

t.test('wrappers keep an async plan async and drive it', async (t) => {
  const det = makeDetector('det');
  const temp = makeDetector('temp');
  async function* asyncPlan(): AsyncGenerator<Msg, string, unknown> {
    yield { command: 'open_run' };
    await new Promise((r) => setTimeout(r, 1));
    yield* bps.triggerAndRead([det]);
    yield { command: 'close_run' };
    return 'async done';
  }
  const wrapped = bpp.baselineWrapper(asyncPlan(), [temp]);
  t.equal(typeof (wrapped as AsyncGenerator)[Symbol.asyncIterator], 'function');
  const e = await engineRun(wrapped);
  t.equal(e.result.planResult, 'async done');
  t.same(e.events.map((ev) => ev.stream), ['baseline', 'primary', 'baseline']);
});

t.test('a sync wrapper meeting an async inserted plan fails clearly', (t) => {
  async function* a(): AsyncGenerator<Msg, void, unknown> {
    yield { command: 'null' };
  }
  const wrapped = bpp.planMutator(bps.checkpoint(), () => [a()]);
  t.throws(() => listMessages(wrapped), InvalidInputError);
  t.end();
});

t.test('decorate applies a preprocessor to every plan a function makes', async (t) => {
  const m = makeMotor('m', 1);
  const det = makeDetector('det');
  const relScanLike = bpp.decorate(
    (d: typeof det, mot: typeof m) => scan([d], mot, 0, 1, 2),
    (p) => bpp.resetPositionsWrapper(p),
  );
  const e = await engineRun(relScanLike(det, m));
  t.same(m.calls.filter((c) => c.startsWith('set')), ['set 0', 'set 1', 'set 1'], 'scanned, then moved back');
  t.equal(m.position, 1);
  t.equal(e.events.length, 2);
});

function* withFinally(log: string[]): Generator<Msg, void, unknown> {
  try {
    yield { command: 'null' };
    yield { command: 'null' };
  } finally {
    log.push('finally');
    yield { command: 'clear_checkpoint' };
  }
}

t.test('closing nested wrappers: the inner finally messages go out, wrappers add no cleanup', (t) => {
  const det = makeDetector('det');
  const log: string[] = [];
  const wrapped = bpp.finalizeWrapper(bpp.subsWrapper(bpp.stageWrapper(withFinally(log), [det]), () => {}), () => bps.pause());
  const seen: string[] = [];
  let r = wrapped.next();
  while (!r.done && r.value.command !== 'null') {
    seen.push(r.value.command);
    r = wrapped.next(r.value.command === 'subscribe' ? 1 : undefined);
  }
  t.same(seen, ['subscribe', 'stage']);
  const closed = wrapped.return(undefined);
  t.same(closed, { done: false, value: { command: 'clear_checkpoint' } });
  t.same(log, ['finally']);
  t.same(wrapped.next(), { done: true, value: undefined }, 'no unstage, unsubscribe or pause after a close');
  t.end();
});

t.test('closing an async wrapped plan closes the inner plan too', async (t) => {
  const log: string[] = [];
  async function* inner(): AsyncGenerator<Msg, void, unknown> {
    yield* withFinally(log);
  }
  const wrapped = bpp.runWrapper(inner());
  t.equal(((await wrapped.next()).value as Msg).command, 'open_run');
  t.equal(((await wrapped.next('uid')).value as Msg).command, 'null');
  const closed = await wrapped.return(undefined as never);
  t.same(closed, { done: false, value: { command: 'clear_checkpoint' } });
  t.same(await wrapped.next(), { done: true, value: undefined }, 'no close_run from the wrapper');
  t.same(log, ['finally']);
});
