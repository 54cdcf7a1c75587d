import t from 'tap';
import * as bpp from '../../../src/core/plans/preprocessors/index.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { count, scan } from '../../../src/core/plans/index.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { FakeEngine, makeDetector, makeMotor, show } from './plans-harness.js';

t.test('baselineWrapper reads the devices right after open_run and right before close_run', (t) => {
  const det = makeDetector('det');
  const temp = makeDetector('temp', () => 21.5);
  const e = new FakeEngine();
  const uid = e.run(bpp.baselineWrapper(count([det], 2), [temp]));
  t.equal(uid, 'uid-1', 'the plan still gets its open_run reply');
  const shown = e.log.map(show);
  const open = shown.indexOf('open_run');
  const close = shown.indexOf('close_run');
  const baseline = ['trigger temp', 'wait', 'create baseline', 'read temp', 'save'];
  t.same(shown.slice(open + 1, open + 6), baseline);
  t.same(shown.slice(close - 5, close), baseline);
  t.same(e.events.map((ev) => ev.stream), ['baseline', 'primary', 'primary', 'baseline']);
  t.same(e.events[0]?.data, { temp: 21.5 });
  t.end();
});

t.test('baselineWrapper with no devices leaves the plan alone; decorator form works', (t) => {
  const det = makeDetector('det');
  const p = count([det]);
  t.equal(bpp.baselineWrapper(p, []), p);
  const temp = makeDetector('temp');
  const pre = bpp.baselineDecorator([temp], 'env');
  const e = new FakeEngine();
  e.run(pre(count([det])));
  t.same(e.events.map((ev) => ev.stream), ['env', 'primary', 'env']);
  t.end();
});

t.test('relativeSetWrapper: sets become offsets from the position at the first set', (t) => {
  const m = makeMotor('m', 10);
  const other = makeMotor('o', 3);
  const e = new FakeEngine();
  e.run(bpp.relativeSetWrapper((function* () {
    yield* bps.mv(m, 1);
    yield* bps.mv(m, -1);
    yield* bps.mv(other, 1);
  })(), [m]));
  t.same(e.log.map(show), ['locate m', 'set m 11', 'wait', 'set m 9', 'wait', 'set o 1', 'wait']);
  t.equal(m.position, 9);
  t.end();
});

t.test('relativeSetWrapper rejects non-numeric offsets', (t) => {
  const m = makeMotor('m', 10);
  t.throws(() => new FakeEngine().run(bpp.relativeSetWrapper(bps.mv(m, 'far'))), InvalidInputError);
  t.end();
});

t.test('resetPositionsWrapper moves devices back at the end, also on error', (t) => {
  const m = makeMotor('m', 2);
  let e = new FakeEngine();
  e.run(bpp.resetPositionsWrapper(bps.mv(m, 7)));
  t.same(e.log.map(show), ['locate m', 'set m 7', 'wait', 'set m 2', 'wait']);
  t.equal(m.position, 2);
  e = new FakeEngine();
  t.throws(() => e.run(bpp.resetPositionsWrapper((function* () {
    yield* bps.mv(m, 7);
    throw new Error('boom');
  })())), /boom/);
  t.equal(m.position, 2);
  t.end();
});

t.test('finalizeWrapper runs the final plan on success and on error, not on close', (t) => {
  const m = makeMotor('m');
  let e = new FakeEngine();
  const r = e.run(bpp.finalizeWrapper((function* () {
    yield* bps.null();
    return 'done';
  })(), () => bps.mv(m, 0)));
  t.equal(r, 'done');
  t.same(e.log.map(show), ['null', 'set m 0', 'wait']);
  e = new FakeEngine();
  t.throws(() => e.run(bpp.finalizeWrapper((function* () {
    yield* bps.null();
    throw new Error('plan failed');
  })(), bps.mv(m, 5))), /plan failed/);
  t.same(e.log.map(show), ['null', 'set m 5', 'wait']);
  // An error thrown in by the engine reaches the plan; final plan still runs.
  e = new FakeEngine();
  e.onMsg = (msg) => {
    if (msg.command === 'trigger') throw new Error('trigger failed');
  };
  const det = makeDetector('det');
  t.throws(() => e.run(bpp.finalizeWrapper(bps.trigger(det), () => bps.null())), /trigger failed/);
  t.same(e.log.map((x) => x.command), ['trigger', 'null']);
  // Closed by the engine (halt): no final plan.
  const wrapped = bpp.finalizeWrapper(bps.mv(m, 1), () => bps.null());
  t.equal((wrapped.next().value as Msg).command, 'set');
  t.same(wrapped.return(undefined as never), { done: true, value: undefined });
  t.end();
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

t.test('planMutator: head replaces the message (reply of its last message goes back), tail follows', (t) => {
  const m = makeMotor('m');
  const e = new FakeEngine();
  const got: unknown[] = [];
  const plan = (function* (): Generator<Msg, void, unknown> {
    got.push(yield { command: 'open_run' });
    got.push(yield { command: 'set', obj: m, value: 1 });
    yield { command: 'close_run' };
  })();
  e.run(bpp.planMutator(plan, (msg) => {
    if (msg.command === 'open_run') return [null, bps.checkpoint()];
    // Rewrite only the original (value 1): the rewritten message passes through msgProc too.
    if (msg.command === 'set' && msg.value === 1) return [bpp.pchain(bps.null(), bpp.singleGen({ ...msg, value: 2 }))];
    return undefined;
  }));
  t.same(e.log.map(show), ['open_run', 'checkpoint', 'null', 'set m 2', 'close_run']);
  t.equal(got[0], 'uid-1');
  t.ok((got[1] as { done?: boolean }).done, 'the set reply (a Status) reaches the plan');
  t.end();
});

t.test('planMutator processes inserted messages too, but not the one being expanded', (t) => {
  const e = new FakeEngine();
  let calls = 0;
  e.run(bpp.planMutator(bps.checkpoint(), (msg) => {
    calls++;
    if (msg.command === 'checkpoint') return [bpp.pchain(bps.null(), bpp.singleGen(msg))];
    if (msg.command === 'null') return [bpp.pchain(bps.clearCheckpoint(), bpp.singleGen(msg))];
    return undefined;
  }));
  t.same(e.log.map((x) => x.command), ['clear_checkpoint', 'null', 'checkpoint']);
  t.equal(calls, 3);
  t.end();
});

t.test('msgMutator, pluck, insertBefore, insertAfter', (t) => {
  const det = makeDetector('det');
  let e = new FakeEngine();
  e.run(bpp.pluck(count([det]), (m) => m.command === 'checkpoint'));
  t.notOk(e.log.some((m) => m.command === 'checkpoint'));
  e = new FakeEngine();
  e.run(bpp.insertBefore(bps.triggerAndRead([det]), (m) => m.command === 'save', () => bps.null()));
  t.same(e.log.map((m) => m.command), ['trigger', 'wait', 'create', 'read', 'null', 'save']);
  e = new FakeEngine();
  e.run(bpp.insertAfter(bps.triggerAndRead([det]), (m) => m.command === 'create', () => bps.null()));
  t.same(e.log.map((m) => m.command), ['trigger', 'wait', 'create', 'null', 'read', 'save']);
  e = new FakeEngine();
  e.run(bpp.msgMutator(bps.create('primary'), (m) => (m.command === 'create' ? { ...m, name: 'other' } : m)));
  t.same(e.log, [{ command: 'create', name: 'other' }]);
  t.end();
});

t.test('contingencyWrapper picks plans by outcome', (t) => {
  let e = new FakeEngine();
  e.run(bpp.contingencyWrapper(bps.null(), { elsePlan: () => bps.checkpoint(), exceptPlan: () => bps.pause(), finalPlan: () => bps.clearCheckpoint() }));
  t.same(e.log.map((m) => m.command), ['null', 'checkpoint', 'clear_checkpoint']);
  e = new FakeEngine();
  const failing = (function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw new Error('x');
  })();
  t.throws(() => e.run(bpp.contingencyWrapper(failing, { elsePlan: () => bps.checkpoint(), exceptPlan: () => bps.pause(), finalPlan: () => bps.clearCheckpoint() })), /x/);
  t.same(e.log.map((m) => m.command), ['null', 'pause', 'clear_checkpoint']);
  e = new FakeEngine();
  const failing2 = (function* (): Generator<Msg, void, unknown> {
    throw new Error('y');
  })();
  t.doesNotThrow(() => e.run(bpp.contingencyWrapper(failing2, { autoRaise: false })));
  t.end();
});

t.test('runWrapper closes the run with fail and the reason, or with the control exit status', (t) => {
  let e = new FakeEngine();
  t.throws(() => e.run(bpp.runWrapper((function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw new Error('went wrong');
  })(), { a: 1 })), /went wrong/);
  t.same(e.log.map((m) => m.command), ['open_run', 'null', 'close_run']);
  t.same(e.runs[0], { uid: 'uid-1', md: { a: 1 }, exitStatus: 'fail', reason: 'went wrong' });
  e = new FakeEngine();
  const stopErr = Object.assign(new Error('user stopped'), { exitStatus: 'abort' });
  t.throws(() => e.run(bpp.runWrapper((function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw stopErr;
  })())));
  t.match(e.runs[0], { exitStatus: 'abort', reason: 'user stopped' });
  e = new FakeEngine();
  t.equal(e.run(bpp.runWrapper(bps.null())), 'uid-1');
  t.same(e.runs[0]?.exitStatus, 'success');
  t.end();
});

t.test('stageWrapper stages, then unstages in reverse order, also on error', (t) => {
  const a = makeDetector('a');
  const b = makeDetector('b');
  const e = new FakeEngine();
  t.throws(() => e.run(bpp.stageWrapper((function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw new Error('fail');
  })(), [a, b])));
  t.same(e.log.map(show), ['stage a', 'stage b', 'null', 'unstage b', 'unstage a']);
  t.end();
});

t.test('subsWrapper subscribes before and unsubscribes after, also on error', (t) => {
  const f = (): void => {};
  const g = (): void => {};
  const e = new FakeEngine();
  t.throws(() => e.run(bpp.subsWrapper((function* (): Generator<Msg, void, unknown> {
    yield { command: 'null' };
    throw new Error('fail');
  })(), { all: f, event: [g] })));
  t.same(e.log, [
    { command: 'subscribe', name: 'all', callback: f }, { command: 'subscribe', name: 'event', callback: g },
    { command: 'null' }, { command: 'unsubscribe', token: 1 }, { command: 'unsubscribe', token: 2 },
  ]);
  t.throws(() => bpp.subsWrapper(bps.null(), { all: 3 as never }), InvalidInputError);
  t.end();
});

t.test('suspendWrapper installs and removes suspenders', (t) => {
  const s1 = { name: 's1', install() {}, remove() {} };
  const e = new FakeEngine();
  e.run(bpp.suspendWrapper(bps.null(), s1));
  t.same(e.log.map((m) => m.command), ['install_suspender', 'null', 'remove_suspender']);
  t.end();
});

t.test('injectMdWrapper adds metadata (the plan wins); monitorDuringWrapper brackets the run', (t) => {
  const det = makeDetector('det');
  let e = new FakeEngine();
  e.run(bpp.injectMdWrapper(count([det], 1, null, { sample: 'mine' }), { sample: 'injected', operator: 'me' }));
  t.match(e.runs[0]?.md, { sample: 'mine', operator: 'me', plan_name: 'count' });
  const sig = { name: 'sig', subscribe() {}, clearSub() {}, describe: () => ({}) };
  e = new FakeEngine();
  e.run(bpp.monitorDuringWrapper(count([det]), [sig]));
  const cmds = e.log.map((m) => m.command);
  t.equal(cmds[cmds.indexOf('open_run') + 1], 'monitor');
  t.equal(cmds[cmds.indexOf('close_run') - 1], 'unmonitor');
  t.end();
});

t.test('configureCountTimeWrapper sets countTime before first use and restores it', (t) => {
  const ct = makeMotor('det_count_time', 0.1);
  const det = Object.assign(makeDetector('det'), { countTime: ct });
  const e = new FakeEngine();
  e.run(bpp.configureCountTimeWrapper(count([det]), 2));
  const shown = e.log.map(show);
  t.same(shown.slice(0, 4), ['locate det_count_time', 'set det_count_time 2', 'wait', 'stage det']);
  t.same(shown.slice(-2), ['set det_count_time 0.1', 'wait']);
  t.equal(ct.position, 0.1);
  const p = count([det]);
  t.equal(bpp.configureCountTimeWrapper(p, null), p);
  t.throws(() => bpp.configureCountTimeWrapper(count([det]), -1), InvalidInputError);
  t.end();
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
  const e = new FakeEngine();
  const r = await e.runAsync(wrapped);
  t.equal(r, 'async done');
  t.same(e.events.map((ev) => ev.stream), ['baseline', 'primary', 'baseline']);
});

t.test('a sync wrapper meeting an async inserted plan fails clearly', (t) => {
  async function* a(): AsyncGenerator<Msg, void, unknown> {
    yield { command: 'null' };
  }
  const wrapped = bpp.planMutator(bps.checkpoint(), () => [a()]);
  t.throws(() => new FakeEngine().run(wrapped), InvalidInputError);
  t.end();
});

t.test('decorate applies a preprocessor to every plan a function makes', (t) => {
  const m = makeMotor('m', 1);
  const det = makeDetector('det');
  const relScanLike = bpp.decorate(
    (d: typeof det, mot: typeof m) => scan([d], mot, 0, 1, 2),
    (p) => bpp.resetPositionsWrapper(p),
  );
  const e = new FakeEngine();
  e.run(relScanLike(det, m));
  t.equal(m.position, 1);
  t.end();
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
