/**
 * The executor: HELAO's lifecycle order (also with a failing preExec, an erroring poll, a manual
 * stop and an e-stop during poll), live data, FIFO queues, stop/stopMatching, the e-stop gate,
 * parameter validation and actions as event-model runs.
 */
import t from 'tap';
import { InvalidInputError, InvalidStateError } from '../../../src/core/errors.js';
import { Executor, builtinActions, defineAction, type ActionContext } from '../../../src/core/executor/index.js';
import { invalidDocuments } from '../../helpers/schemas.js';

/** An action that records each phase into `trace`; poll is done after `polls` calls. */
function traced(trace: string[], o: { name?: string; polls?: number; failPre?: boolean; failPoll?: number; concurrent?: boolean; group?: string; pollRateMs?: number } = {}) {
  return defineAction({
    name: o.name ?? 'traced',
    params: { tag: { type: 'string', default: '' } },
    concurrent: o.concurrent ?? true,
    group: o.group,
    pollRateMs: o.pollRateMs ?? 1,
    preExec(ctx) {
      trace.push(`pre ${ctx.params.tag}`);
      if (o.failPre) throw new InvalidInputError({ what: 'sample', value: 'none', reason: 'no sample loaded' });
    },
    exec(ctx) {
      trace.push(`exec ${ctx.params.tag}`);
      ctx.emit({ step: 0 });
      ctx.state['n'] = 0;
      return 'started';
    },
    poll(ctx) {
      const n = (ctx.state['n'] as number) + 1;
      ctx.state['n'] = n;
      trace.push(`poll ${ctx.params.tag} ${n}`);
      if (o.failPoll === n) throw new Error('detector lost');
      return { done: n >= (o.polls ?? 3), data: { step: n } };
    },
    manualStop(ctx) {
      trace.push(`manualStop ${ctx.params.tag}`);
    },
    postExec(ctx) {
      trace.push(`post ${ctx.params.tag}`);
    },
  });
}

/** Resolve when `pred` holds, checking every few ms, failing after `ms` (a bounded wait). */
async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

t.test('the lifecycle runs preExec, exec, poll until done, postExec, streaming data as produced', async (t) => {
  const trace: string[] = [];
  const ex = new Executor().register(traced(trace));
  const data: unknown[] = [];
  ex.onData((rec, d) => data.push([rec.id, d, rec.phase]));
  const rec = await ex.run('traced', { tag: 'a' });
  t.same(trace, ['pre a', 'exec a', 'poll a 1', 'poll a 2', 'poll a 3', 'post a']);
  t.equal(rec.state, 'finished');
  t.equal(rec.result, 'started');
  t.same(data, [[rec.id, { step: 0 }, 'exec'], [rec.id, { step: 1 }, 'poll'], [rec.id, { step: 2 }, 'poll'], [rec.id, { step: 3 }, 'poll']], 'data arrive while the phases run, in order');
  const ts = rec.times;
  t.ok(ts.queued! <= ts.preExec! && ts.preExec! <= ts.exec! && ts.exec! <= ts.poll! && ts.poll! <= ts.postExec! && ts.postExec! <= ts.end!, 'a timestamp per phase, in order');
  t.equal(ts.manualStop, undefined, 'manualStop only when stopped');
  t.equal(rec.errorCode, undefined);
});

t.test('a failing preExec skips exec and postExec', async (t) => {
  const trace: string[] = [];
  const ex = new Executor().register(traced(trace, { failPre: true }));
  const rec = await ex.run('traced', { tag: 'x' });
  t.same(trace, ['pre x']);
  t.equal(rec.state, 'skipped');
  t.equal(rec.errorPhase, 'preExec');
  t.equal(rec.errorCode, 'INVALID_INPUT');
  t.match(rec.errorMessage, /no sample loaded/);
});

t.test('a poll that throws ends the action errored; postExec still runs, manualStop does not', async (t) => {
  const trace: string[] = [];
  const ex = new Executor().register(traced(trace, { failPoll: 2, polls: 5 }));
  const rec = await ex.run('traced', { tag: 'p' });
  t.same(trace, ['pre p', 'exec p', 'poll p 1', 'poll p 2', 'post p']);
  t.equal(rec.state, 'errored');
  t.equal(rec.errorPhase, 'poll');
  t.equal(rec.errorMessage, 'detector lost');
});

t.test('stop(id) during poll calls manualStop, then postExec; the action ends aborted', async (t) => {
  const trace: string[] = [];
  const ex = new Executor().register(traced(trace, { polls: 1e9, pollRateMs: 5 }));
  const h = ex.start('traced', { tag: 's' });
  await until(() => trace.includes('poll s 2'));
  t.equal(ex.stop(h.id), true);
  const rec = await h.done;
  t.equal(rec.state, 'aborted');
  t.same(trace.slice(-2), ['manualStop s', 'post s']);
  t.notOk(trace.slice(trace.indexOf('manualStop s')).some((s) => s.startsWith('poll')), 'no poll after the stop');
  t.equal(ex.stop(h.id), false, 'a finished action cannot be stopped');
});

t.test('e-stop during poll: the rig e-stop is called, actions end estopped, nothing runs until cleared', async (t) => {
  const trace: string[] = [];
  let rigStops = 0;
  const ex = new Executor({ eStop: () => { rigStops++; trace.push('rig e-stop'); return { ok: true }; } });
  ex.register(traced(trace, { polls: 1e9, pollRateMs: 5, concurrent: false, group: 'g' }));
  const running = ex.start('traced', { tag: 'r' });
  const queued = ex.start('traced', { tag: 'q' });
  t.equal(queued.record.state, 'queued');
  await until(() => trace.includes('poll r 2'));
  const report = await ex.eStop();
  t.equal(rigStops, 1);
  t.same(report.result, { ok: true });
  t.same(report.actions.sort(), [running.id, queued.id].sort());
  t.equal((await running.done).state, 'estopped');
  t.equal((await queued.done).state, 'estopped');
  t.notOk(trace.some((s) => s.startsWith('manualStop') || s.startsWith('post')), 'no manualStop or postExec after an e-stop');
  t.notOk(trace.some((s) => s.endsWith(' q') || s.includes(' q ')), 'the queued action never ran');
  t.ok(ex.eStopped);
  t.throws(() => ex.start('traced', { tag: 'late' }), InvalidStateError, 'new actions are refused');
  await new Promise((r) => setTimeout(r, 20));
  t.notOk(trace.some((s) => s.includes('late')), 'nothing ran');
  ex.clearEStop();
  const after = ex.start('traced', { tag: 'z' });
  await until(() => trace.includes('poll z 1'));
  t.pass('actions run again once cleared');
  ex.stop(after.id);
  t.equal((await after.done).state, 'aborted');
});

t.test('non-concurrent actions of a group run one at a time, FIFO; concurrent ones side by side', async (t) => {
  const trace: string[] = [];
  const ex = new Executor().register(traced(trace, { name: 'q', concurrent: false, group: 'motion', polls: 3 }))
    .register(traced(trace, { name: 'c', polls: 3 }));
  const qs = ['1', '2', '3', '4'].map((tag) => ex.start('q', { tag }));
  t.same(qs.map((h) => h.record.state), ['active', 'queued', 'queued', 'queued']);
  await Promise.all(qs.map((h) => h.done));
  const pres = trace.filter((s) => s.startsWith('pre'));
  t.same(pres, ['pre 1', 'pre 2', 'pre 3', 'pre 4'], 'started in submission order');
  for (const k of ['1', '2', '3']) t.ok(trace.indexOf(`post ${k}`) < trace.indexOf(`pre ${Number(k) + 1}`), `action ${k} ended before the next began`);
  trace.length = 0;
  const cs = ['a', 'b'].map((tag) => ex.start('c', { tag }));
  await Promise.all(cs.map((h) => h.done));
  t.ok(trace.indexOf('pre b') < trace.indexOf('post a'), 'concurrent actions overlap');
});

t.test('stopMatching stops the actions with that name whose params match; a queued one is dropped', async (t) => {
  const trace: string[] = [];
  const ex = new Executor().register(traced(trace, { concurrent: false, polls: 1e9, pollRateMs: 5 }));
  const a = ex.start('traced', { tag: 'keep' });
  const b = ex.start('traced', { tag: 'drop' });
  const c = ex.start('traced', { tag: 'keep' });
  t.same(ex.stopMatching('traced', { tag: 'drop' }), [b.id]);
  t.equal((await b.done).state, 'aborted');
  t.notOk(trace.some((s) => s.includes('drop')), 'the dropped action never ran');
  await until(() => trace.includes('poll keep 1'));
  t.same(ex.stopMatching('traced', { tag: 'keep' }).sort(), [a.id, c.id].sort());
  t.same([(await a.done).state, (await c.done).state], ['aborted', 'aborted']);
});

t.test('bad input is refused before anything runs, naming the action, parameter and rule', async (t) => {
  const trace: string[] = [];
  const ex = new Executor().register(defineAction({
    name: 'dose', params: { volume: { type: 'number', min: 0, max: 10, units: 'mL' }, mode: { type: 'string', choices: ['a', 'b'], default: 'a' } },
    exec: () => { trace.push('exec'); },
  }));
  t.throws(() => ex.start('dose', { volume: 11 }), { name: 'InvalidInputError', message: /action 'dose' parameter 'volume': rule max: must be <= 10 mL/ });
  t.throws(() => ex.start('dose', {}), { message: /parameter 'volume': rule required/ });
  t.throws(() => ex.start('dose', { volume: '1' }), { message: /rule type/ });
  t.throws(() => ex.start('dose', { volume: 1, mode: 'c' }), { message: /rule choices/ });
  t.throws(() => ex.start('dose', { volume: 1, speed: 2 }), { message: /parameter 'speed': rule known/ });
  t.throws(() => ex.start('nope'), { message: /unknown action \(known: dose\)/ });
  t.throws(() => ex.register(defineAction({ name: 'dose', params: {}, exec: () => 0 })), InvalidInputError);
  t.same(trace, []);
  t.equal((await ex.run('dose', { volume: 2 })).params['mode'], 'a', 'defaults filled in');
});

t.test('an action runs as an event-model run when asked, and its documents validate', async (t) => {
  const trace: string[] = [];
  const ex = new Executor().register(traced(trace, { polls: 2 })).register(traced(trace, { name: 'bad', failPoll: 1 }));
  const docs: Array<[string, unknown]> = [];
  ex.subscribe((n, d) => docs.push([n, d]));
  const rec = await ex.run('traced', { tag: 'r' }, { asRun: true, md: { sample: 's1' } });
  t.same(docs.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
  t.same(invalidDocuments(docs), []);
  const start = docs[0]![1] as Record<string, unknown>;
  t.equal(start['uid'], rec.runUid);
  t.equal(start['sample'], 's1');
  t.equal((docs[5]![1] as { exit_status: string }).exit_status, 'success');
  docs.length = 0;
  await ex.run('bad', {}, { asRun: true });
  const stop = docs.at(-1)![1] as { exit_status: string; reason: string };
  t.equal(stop.exit_status, 'fail');
  t.equal(stop.reason, 'detector lost');
});

t.test('every phase is bounded: a hung exec times out', async (t) => {
  const ex = new Executor({ phaseTimeoutMs: 30 }).register(defineAction({ name: 'hang', params: {}, exec: () => new Promise(() => undefined) }));
  const rec = await ex.run('hang');
  t.equal(rec.state, 'errored');
  t.equal(rec.errorCode, 'TIMEOUT');
});

t.test('built-in actions drive any device with the right verbs, by name', async (t) => {
  const moves: number[] = [];
  const stage = {
    name: 'stage', pos: 0,
    set(v: number) { moves.push(v); this.pos = v; return new Promise<void>((r) => setTimeout(r, 5)); },
    stop() { moves.push(NaN); },
    read() { return { 'stage': { value: this.pos, timestamp: 0 } }; },
    describe() { return {}; },
    axis(n: string) { if (n !== 'A') throw new InvalidInputError({ what: 'axis', value: n, reason: 'unknown' }); return this; },
  };
  const ex = new Executor({ resolve: (n) => { if (n !== 'stage') throw new InvalidInputError({ what: 'device', value: n, reason: 'not in rig' }); return stage; } });
  for (const a of builtinActions()) ex.register(a);
  const data: unknown[] = [];
  ex.onData((_r, d) => data.push(d));
  const rec = await ex.run('axis.move', { device: 'stage', axis: 'A', position: 3 });
  t.equal(rec.state, 'finished');
  t.same(moves, [3]);
  t.same(data, [{ stage: 3 }]);
  const read = await ex.run('signals.read', { device: 'stage', count: 3, intervalMs: 0 });
  t.equal(read.dataCount, 3);
  const bad = await ex.run('axis.home', { device: 'stage' });
  t.equal(bad.state, 'errored');
  t.equal(bad.errorCode, 'UNSUPPORTED');
  const missing = await ex.run('axis.move', { device: 'laser', position: 1 });
  t.match(missing.errorMessage, /device: not in rig/);
  t.throws(() => ex.start('axis.home', { device: 'stage', mode: 'XX' }), /rule choices/);
  const _typed: (c: ActionContext<{ device: string }>) => void = () => undefined;
  void _typed;
});
