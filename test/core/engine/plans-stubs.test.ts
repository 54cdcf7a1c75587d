import t from 'tap';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { SRLatch } from '../../../src/core/engine/latch.js';
import { Status } from '../../../src/core/status.js';
import { InvalidInputError, UnsupportedError } from '../../../src/core/errors.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import type { Readings } from '../../../src/core/protocols.js';
import { listMessages } from '../../../src/core/plans/dry-run.js';
import { engineRun, engineRunInRun, makeDetector, makeMotor, show, type EngineRunLog } from './plans-harness.js';

function shows(log: readonly Msg[]): string[] {
  return log.map(show);
}

t.test('mv sets every motor in one group, then waits once; returns the Statuses', async (t) => {
  const m1 = makeMotor('m1');
  const m2 = makeMotor('m2');
  const { result, log } = await engineRun(bps.mv(m1, 1, m2, 2));
  const sts = result.planResult ?? [];
  t.same(shows(log), ['set m1 1', 'set m2 2', 'wait']);
  const groups = log.map((m) => (m as { group?: string }).group);
  t.ok(groups[0]);
  t.equal(groups[0], groups[1]);
  t.equal(groups[0], groups[2]);
  t.equal(sts.length, 2);
  t.ok(sts.every((s) => s instanceof Status));
  t.equal(m1.position, 1);
  t.equal(m2.position, 2);
});

t.test('mv takes a trailing options object and rejects odd arguments', async (t) => {
  const m1 = makeMotor('m1');
  const { log } = await engineRun(bps.mv(m1, 3, { group: 'g1', timeoutMs: 500 }));
  t.match(log[0], { command: 'set', group: 'g1', timeoutMs: 500, value: 3 });
  t.match(log[1], { command: 'wait', group: 'g1' });
  t.throws(() => listMessages(bps.mv(m1, 1, m1)), InvalidInputError);
  t.throws(() => listMessages(bps.mv({ name: 'x' } as never, 1)), UnsupportedError);
  t.throws(() => listMessages(bps.mv()), InvalidInputError);
});

t.test('mvr locates each motor and moves by offsets', async (t) => {
  const m1 = makeMotor('m1', 10);
  const m2 = makeMotor('m2', -1);
  const { log } = await engineRun(bps.mvr(m1, 1, m2, 0.5));
  t.same(shows(log), ['locate m1', 'locate m2', 'set m1 11', 'set m2 -0.5', 'wait']);
});

t.test('absSet and relSet: no wait unless asked', async (t) => {
  const m = makeMotor('m', 2);
  let e = await engineRun(bps.absSet(m, 5));
  t.ok(e.result.planResult instanceof Status);
  t.same(shows(e.log), ['set m 5']);
  t.equal((e.log[0] as { group?: string }).group, undefined);
  e = await engineRun(bps.relSet(m, -1, { wait: true }));
  t.same(shows(e.log), ['locate m', 'set m 4', 'wait']);
  t.equal((e.log[1] as { group?: string }).group, (e.log[2] as { group?: string }).group);
  t.throws(() => listMessages(bps.relSet(m, Number.NaN)), InvalidInputError);
});

t.test('relSet falls back to the first reading of a non-locatable device', async (t) => {
  const plain = { name: 'p', pos: 7, set(v: unknown) { plain.pos = v as number; return Status.finished<unknown>(); }, read: (): Readings => ({ p: { value: plain.pos, timestamp: 0 } }), describe: () => ({}) };
  const { log } = await engineRun(bps.relSet(plain, 3));
  t.same(shows(log), ['read p', 'set p 10']);
  t.equal(plain.pos, 10);
});

t.test('triggerAndRead: trigger triggerables, wait, create, read each, save; returns merged readings', async (t) => {
  const det = makeDetector('det', () => 42);
  const m = makeMotor('m', 3);
  const e = await engineRunInRun(bps.triggerAndRead([det, m, det]));
  const r = e.result.planResult ?? {};
  t.same(shows(e.log), ['trigger det', 'wait', 'create primary', 'read det', 'read m', 'save']);
  t.same(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.value])), { det: 42, m: 3 });
  t.same(e.events, [{ stream: 'primary', data: { det: 42, m: 3 } }]);
});

t.test('triggerAndRead drops the event and rethrows when a read fails', async (t) => {
  const det = makeDetector('det');
  det.fail = true;
  const e = await engineRunInRun(bps.triggerAndRead([det], 'other'));
  t.equal(e.result.exitStatus, 'fail');
  t.match(e.result.exception?.message, /det read failed/);
  t.same(shows(e.log), ['trigger det', 'wait', 'create other', 'read det', 'drop']);
  t.same(e.events, []);
});

t.test('triggerAndRead of nothing yields null only', async (t) => {
  const e = await engineRun(bps.triggerAndRead([]));
  t.same(e.result.planResult, {});
  t.same(shows(e.log), ['null']);
});

t.test('read and rd: hinted field, device-named field, first field, default', async (t) => {
  const det = makeDetector('det', () => 5);
  t.equal((await engineRun(bps.rd(det))).result.planResult, 5);
  const two = { name: 'two', hints: { fields: ['two_b'] }, read: (): Readings => ({ two_a: { value: 1, timestamp: 0 }, two_b: { value: 2, timestamp: 0 } }), describe: () => ({}) };
  t.equal((await engineRun(bps.rd(two))).result.planResult, 2);
  const nohint = { name: 'n', read: (): Readings => ({ x: { value: 'a', timestamp: 0 }, n: { value: 'b', timestamp: 0 } }), describe: () => ({}) };
  t.equal((await engineRun(bps.rd(nohint))).result.planResult, 'b');
  const many = { ...two, hints: { fields: ['two_a', 'two_b'] } };
  t.ok((await engineRun(bps.rd(many))).result.exception instanceof InvalidInputError);
  // An engine that gives no reading (dry run): the default comes back.
  const g = bps.rd(det, 9);
  t.match(g.next().value, { command: 'read' });
  t.same(g.next(undefined), { done: true, value: 9 });
});

t.test('flow stubs yield their messages', (t) => {
  // Which messages the stubs yield: the dry-run walker (a real engine would really pause and
  // ask for input here).
  const susp = { name: 's', install() {}, remove() {} };
  const log = listMessages((function* () {
    yield* bps.checkpoint();
    yield* bps.clearCheckpoint();
    yield* bps.sleep(0.5);
    yield* bps.wait('g', 100, true);
    yield* bps.pause();
    yield* bps.deferredPause();
    yield* bps.null();
    yield* bps.input('name?');
    yield* bps.installSuspender(susp);
    yield* bps.removeSuspender(susp);
    yield* bps.rewindable(false);
  })());
  t.same(log, [
    { command: 'checkpoint' }, { command: 'clear_checkpoint' }, { command: 'sleep', seconds: 0.5 },
    { command: 'wait', group: 'g', timeoutMs: 100, moveOn: true }, { command: 'pause', defer: false },
    { command: 'pause', defer: true }, { command: 'null' }, { command: 'input', prompt: 'name?' },
    { command: 'install_suspender', suspender: susp }, { command: 'remove_suspender', suspender: susp },
    { command: 'rewindable', allow: false },
  ]);
  t.throws(() => listMessages(bps.sleep(-1)), InvalidInputError);
  t.throws(() => listMessages(bps.sleep(Number.POSITIVE_INFINITY)), InvalidInputError);
  t.end();
});

t.test('openRun/closeRun return what the engine replies and pass exit status', async (t) => {
  const e = await engineRun((function* () {
    const u = yield* bps.openRun({ sample: 'A1' });
    yield* bps.closeRun('abort', 'because');
    return u;
  })());
  const uid = e.result.planResult;
  t.equal(e.runs.length, 1);
  t.equal(uid, e.runs[0]?.uid, 'openRun returns the start document uid');
  t.same(e.log, [{ command: 'open_run', md: { sample: 'A1' } }, { command: 'close_run', exitStatus: 'abort', reason: 'because' }]);
  t.same(e.runs[0], { uid, exitStatus: 'abort' });
  t.match(e.docs.find(([n]) => n === 'start')?.[1], { uid, sample: 'A1' });
  t.match(e.docs.find(([n]) => n === 'stop')?.[1], { run_start: uid, exit_status: 'abort', reason: 'because' });
});

t.test('stageAll stages Stageable devices once, in one group, and waits only for Statuses', async (t) => {
  const m = makeMotor('m');
  const det = makeDetector('det');
  const plain = { name: 'plain', read: () => ({}), describe: () => ({}) };
  let e: EngineRunLog<unknown> = await engineRun(bps.stageAll(det, m, plain, det));
  t.same(shows(e.log), ['stage det', 'stage m']);
  t.same(det.calls.slice(0, 1), ['stage']);
  t.same(m.calls.slice(0, 1), ['stage']);
  // A device whose stage returns a Status makes stageAll wait.
  const slow = { name: 'slow', stage: () => Status.finished<unknown>(), unstage: () => Status.finished<unknown>() };
  e = await engineRun(bps.stageAll(slow, det));
  t.same(shows(e.log), ['stage slow', 'stage det', 'wait']);
  t.equal((e.log[0] as { group?: string }).group, (e.log[2] as { group?: string }).group);
  e = await engineRun(bps.unstageAll(det, slow));
  t.same(shows(e.log), ['unstage det', 'unstage slow', 'wait']);
  e = await engineRun(bps.stage(slow));
  t.same(shows(e.log), ['stage slow', 'wait']);
});

t.test('stageAll stages a child device through its root ancestor', async (t) => {
  const staged: string[] = [];
  const root = { name: 'stage', stage() { staged.push('root'); }, unstage() {} };
  const child = { name: 'stage.x', parent: root, stage() { staged.push('child'); }, unstage() {} };
  const e = await engineRun(bps.stageAll(child, root));
  t.same(shows(e.log), ['stage stage']);
  t.same(staged, ['root']);
});

t.test('device stubs: configure, kickoff/complete, collect, prepare, monitor, stop, locate, declareStream', (t) => {
  // Which messages the stubs yield: the dry-run walker (the stand-in devices here are bare
  // shapes, not devices a real engine could drive).
  const fly = { name: 'fly', kickoff: () => Status.finished<unknown>(), complete: () => Status.finished<unknown>(), describeCollect: () => ({}) };
  const conf = { name: 'conf', readConfiguration: () => ({}), describeConfiguration: () => ({}) };
  const sig = { name: 'sig', subscribe() {}, clearSub() {}, describe: () => ({}) };
  const m = makeMotor('m', 4);
  const det = makeDetector('det');
  let loc: unknown;
  const log = listMessages((function* () {
    yield* bps.configure(conf, { exposure: 1 });
    yield* bps.kickoff(fly, { wait: true });
    yield* bps.complete(fly, { group: 'c' });
    yield* bps.collect(fly, { name: 'fly_stream' });
    yield* bps.prepare({ prepare: () => Status.finished<unknown>() }, 7);
    yield* bps.monitor(sig, 'sig_mon');
    yield* bps.unmonitor(sig);
    yield* bps.stop({ stop() {} });
    loc = yield* bps.locate(m);
    yield* bps.declareStream([det], 'primary');
  })(), { positions: [[m, 4]] });
  t.same(log.map((x) => x.command), [
    'configure', 'kickoff', 'wait', 'complete', 'collect', 'prepare', 'monitor', 'unmonitor', 'stop', 'locate', 'declare_stream',
  ]);
  t.match(log[3], { group: 'c' });
  t.match(log[4], { name: 'fly_stream' });
  t.match(log[6], { name: 'sig_mon' });
  t.same(loc, { setpoint: 4, readback: 4 });
  t.throws(() => listMessages(bps.declareStream([det], '')), InvalidInputError);
  t.end();
});

t.test('setProperty sets with propr and waits with a timeout; returns the Status', async (t) => {
  const calls: unknown[] = [];
  const dev = { name: 'cam', set: (v: unknown, o?: unknown) => { calls.push([v, o]); return Status.finished<unknown>(); } };
  const e = await engineRun(bps.setProperty(dev, 0.1, 'exposure', 2000));
  t.ok(e.result.planResult instanceof Status);
  t.equal(calls.length, 1);
  t.match(e.log[0], { command: 'set', value: 0.1, propr: 'exposure' });
  t.match(e.log[1], { command: 'wait', group: (e.log[0] as { group: string }).group, timeoutMs: 2000 });
  t.throws(() => listMessages(bps.setProperty(dev, 1, '')), InvalidInputError);
});

t.test('stash and clearCache: group made up when missing, wait only when asked', async (t) => {
  const stashed: Readings[] = [];
  const cache = { stash: (r: Readings) => { stashed.push(r); return Status.finished<unknown>(); }, clear: () => Status.finished<unknown>() };
  const r: Readings = { x: { value: 1, timestamp: 0 } };
  let e = await engineRun(bps.stash(cache, r));
  t.same(e.log.map((m) => m.command), ['stash']);
  t.match((e.log[0] as { group: string }).group, /^stash-/);
  t.same(stashed, [r]);
  e = await engineRun(bps.clearCache(cache, { group: 'g', wait: true }));
  t.same(e.log, [{ command: 'clear_cache', obj: cache, group: 'g' }, { command: 'wait', group: 'g' }]);
  t.throws(() => listMessages(bps.stash({} as never, r)), UnsupportedError);
});

t.test('waitForActions: message fields and reply', (t) => {
  const latch = new SRLatch();
  const g = bps.waitForActions({ go: latch }, 50, 'reset');
  t.same(g.next().value, { command: 'wait_for_actions', events: { go: latch }, timeoutMs: 50, waitFor: 'reset' });
  t.same(g.next(['go', latch]).value, ['go', latch]);
  const d = bps.waitForActions({ go: latch });
  t.match(d.next().value, { timeoutMs: 1, waitFor: 'set' });
  t.throws(() => bps.waitForActions({ go: latch }, -1).next(), InvalidInputError);
  t.end();
});

t.test('readWhileWaiting loops checkpoint / wait_for_actions / trigger-and-read until a latch fires', (t) => {
  const det = makeDetector('det');
  const latch = new SRLatch();
  const g = bps.readWhileWaiting([det], { stop: latch }, { refreshPeriodMs: 10, stream: 'live' });
  const seen: string[] = [];
  let reply: unknown;
  let rounds = 0;
  for (;;) {
    const r = g.next(reply);
    if (r.done) {
      t.same(r.value, ['stop', latch]);
      break;
    }
    seen.push(show(r.value));
    reply = undefined;
    if (r.value.command === 'wait_for_actions') {
      t.equal(r.value.timeoutMs, 10);
      rounds++;
      reply = rounds === 3 ? ['stop', latch] : undefined;
    }
  }
  const round = ['checkpoint', 'wait_for_actions', 'trigger det', 'wait', 'create live', 'read det', 'save'];
  t.same(seen, [...round, ...round, ...round]);
  t.throws(() => bps.readWhileWaiting([det], {}).next(), InvalidInputError);
  t.end();
});

t.test('readAndStash: trigger, create, read+stash per device, save; pairs must match', async (t) => {
  const det = makeDetector('det', () => 3);
  const cacheCalls: Readings[] = [];
  const cache = { stash: (r: Readings) => { cacheCalls.push(r); return Status.finished<unknown>(); }, clear: () => Status.finished<unknown>() };
  const e = await engineRunInRun(bps.readAndStash([det], [cache], { stream: 's', group: 'G', wait: true }));
  const out = e.result.planResult ?? {};
  t.same(e.log.map((m) => m.command), ['trigger', 'wait', 'create', 'read', 'stash', 'wait', 'save']);
  t.match(e.log[4], { group: 'G' });
  t.same(out['det']?.value, 3);
  t.same(cacheCalls.length, 1);
  t.same(e.events, [{ stream: 's', data: { det: 3 } }]);
  t.throws(() => listMessages(bps.readAndStash([det], [])), InvalidInputError);
});

t.test('describe returns the data keys through a wait_for closure', async (t) => {
  const det = makeDetector('det');
  const e = await engineRun(bps.describe(det));
  const keys = e.result.planResult;
  t.same(Object.keys(keys ?? {}), ['det']);
  t.same(e.log.map((m) => m.command), ['wait_for']);
});

t.test('repeat: checkpoint per repetition, sleeps between (not after) with the time left', async (t) => {
  const det = makeDetector('det');
  // 100 s delays: the messages come from the dry-run walker, which does not sleep.
  const log = listMessages(bps.repeat(() => bps.triggerAndRead([det]), 3, 100));
  const cmds = log.map((m) => m.command);
  t.equal(cmds.filter((c) => c === 'checkpoint').length, 3);
  const sleeps = log.filter((m) => m.command === 'sleep') as Array<{ seconds: number }>;
  t.equal(sleeps.length, 2, 'no sleep after the last repetition');
  for (const s of sleeps) t.ok(s.seconds > 99 && s.seconds <= 100);
  // Through the real engine (tiny delays), every repetition triggers the detector.
  const real = await engineRunInRun(bps.repeat(() => bps.triggerAndRead([det]), 3, 0.001));
  t.equal(real.result.exitStatus, 'success');
  t.equal(real.log.filter((m) => m.command === 'checkpoint').length, 3);
  t.equal(det.triggers, 3);
  t.equal(real.events.length, 3);
  const e = await engineRun(bps.repeat(() => bps.null(), 3, [0, 0]));
  t.same(e.log.map((m) => m.command), ['checkpoint', 'null', 'checkpoint', 'null', 'checkpoint', 'null']);
  t.throws(() => bps.repeat(() => bps.null(), 3, [1]), InvalidInputError);
  t.throws(() => bps.repeat(() => bps.null(), 0), InvalidInputError);
  t.throws(() => bps.repeat(() => bps.null(), null, [1, 2]), InvalidInputError);
});

t.test('oneNdStep moves only motors whose position changed', async (t) => {
  const m1 = makeMotor('m1');
  const m2 = makeMotor('m2');
  const det = makeDetector('det');
  const cache = new Map();
  const e = await engineRunInRun((function* () {
    yield* bps.oneNdStep([det], new Map([[m1, 1], [m2, 2]]), cache);
    yield* bps.oneNdStep([det], new Map([[m1, 1], [m2, 3]]), cache);
  })());
  t.same(e.log.map(show), [
    'checkpoint', 'set m1 1', 'set m2 2', 'wait', 'trigger det', 'wait', 'create primary', 'read det', 'read m1', 'read m2', 'save',
    'checkpoint', 'set m2 3', 'wait', 'trigger det', 'wait', 'create primary', 'read det', 'read m1', 'read m2', 'save',
  ]);
  t.same(e.events.map((ev) => ev.data), [{ det: 1, m1: 1, m2: 2 }, { det: 1, m1: 1, m2: 3 }]);
});

t.test('subscribe/unsubscribe and waitFor messages', async (t) => {
  const cb = (): void => {};
  let token: unknown;
  const e = await engineRun((function* () {
    token = yield* bps.subscribe('event', cb);
    yield* bps.unsubscribe(token as number);
  })());
  t.type(token, 'number', 'subscribe returns the engine\'s token');
  t.equal(e.result.exitStatus, 'success', 'the engine accepted the token back');
  t.same(e.log, [{ command: 'subscribe', name: 'event', callback: cb }, { command: 'unsubscribe', token }]);
  t.throws(() => bps.waitFor([1 as never]).next(), InvalidInputError);
});
