import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import type { Status } from '../../../src/core/status.js';
import type { Msg, Plan } from '../../../src/core/engine/messages.js';
import type { EngineContext } from '../../../src/core/engine/types.js';
import { MemoryMdStore } from '../../../src/core/engine/md-store.js';
import { attempt, countPlan, makeDet, makeMotor, withEngine } from './engine-fixtures.js';
import type { Attempt } from './engine-fixtures.js';

t.test('preprocessors [f, g] apply as f(g(plan)); msgHook sees what the engine runs', async (t) => {
  const log: string[] = [];
  const hooked: string[] = [];
  // g: insert a null before every checkpoint.
  function* g(plan: Plan): Generator<Msg, unknown, unknown> {
    const it = plan as Generator<Msg, unknown, unknown>;
    let r = it.next();
    while (!r.done) {
      log.push(`g:${r.value.command}`);
      if (r.value.command === 'checkpoint') yield { command: 'null' };
      r = it.next(yield r.value);
    }
    return r.value;
  }
  // f: see everything g produced.
  function* f(plan: Plan): Generator<Msg, unknown, unknown> {
    const it = plan as Generator<Msg, unknown, unknown>;
    let r = it.next();
    while (!r.done) {
      log.push(`f:${r.value.command}`);
      r = it.next(yield r.value);
    }
    return r.value;
  }
  await withEngine(t, { preprocessors: [f, g], msgHook: (m) => hooked.push(m.command) }, async ({ re }) => {
    const r = await re.run(function* () {
      yield { command: 'checkpoint' };
      const back = yield { command: 'rewindable' };
      return back;
    });
    t.equal(r.planResult, true, 'responses travel back through both wrappers');
  });
  t.same(log, ['g:checkpoint', 'f:null', 'f:checkpoint', 'g:rewindable', 'f:rewindable'], 'f sees what g produced');
  t.same(hooked, ['null', 'checkpoint', 'rewindable']);
});

t.test('registerCommand, unregisterCommand and commands', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const beeps: number[] = [];
    re.registerCommand('beep', (msg) => {
      beeps.push((msg as unknown as { times: number }).times);
      return 'beeped';
    });
    re.registerCommand('slow_echo', (msg, ctx: EngineContext) =>
      ctx.sleep(5).then(() => (msg as unknown as { text: string }).text));
    re.registerCommand('null', () => 'overridden');
    t.ok(re.commands.includes('beep') && re.commands.includes('slow_echo'));
    const seen: unknown[] = [];
    await re.run(function* () {
      seen.push(yield { command: 'beep', times: 3 } as unknown as Msg);
      seen.push(yield { command: 'slow_echo', text: 'hi' } as unknown as Msg);
      seen.push(yield { command: 'null' });
    });
    t.same(seen, ['beeped', 'hi', 'overridden']);
    t.same(beeps, [3]);
    re.unregisterCommand('beep');
    t.notOk(re.commands.includes('beep'));
    const out: Attempt[] = [];
    await re.run(function* () {
      out.push(yield* attempt({ command: 'beep' } as unknown as Msg));
    });
    t.match(((out[0] as { error: Error }).error).message, /not a registered command/);
    t.throws(() => re.unregisterCommand('beep'), InvalidInputError);
    t.throws(() => re.registerCommand('', () => 1), InvalidInputError);
    t.throws(() => re.registerCommand('__x', () => 1), InvalidInputError);
    t.throws(() => re.registerCommand('y', 3 as never), InvalidInputError);
    t.throws(() => re.unregisterCommand('__suspend_wait'), InvalidInputError);
  });
});

t.test('metadata: persistent store, scan_id, validator, normalizer, custom scanIdSource', async (t) => {
  const store = new MemoryMdStore({ beamline: 'bl1' });
  await withEngine(t, { mdStore: store, md: { operator: 'ada' } }, async ({ re, rec }) => {
    t.equal(re.md, store);
    await re.run(() => countPlan([makeDet('d')], 1));
    await re.run(() => countPlan([makeDet('d')], 1));
    t.same(rec.of('start').map((s) => [s.scan_id, s.beamline, s.operator]), [[1, 'bl1', 'ada'], [2, 'bl1', 'ada']]);
    t.equal(store.get('scan_id'), 2, 'the last scan_id persists in the store');
    t.same(store.keys().sort(), ['beamline', 'operator', 'scan_id']);

    re.configure({
      mdValidator: (md) => {
        if (typeof md['sample'] !== 'string') throw new InvalidInputError({ what: 'sample', value: md['sample'], reason: 'is required' });
      },
    });
    const bad = await re.run(() => countPlan([makeDet('d')], 1));
    t.equal(bad.exitStatus, 'fail');
    t.match(bad.reason, /sample: is required/);
    t.equal(rec.of('start').length, 2, 'no run_start for refused metadata');

    re.configure({
      mdNormalizer: (md) => ({ ...md, sample: String(md['sample']).toUpperCase() }),
      scanIdSource: async (md) => (md['scan_id'] as number) + 100,
    });
    const good = await re.run(() => countPlan([makeDet('d')], 1), { sample: 'a1' });
    t.equal(good.exitStatus, 'success');
    const last = rec.of('start').at(-1);
    t.equal(last.sample, 'A1');
    t.equal(last.scan_id, 103, 'async scanIdSource (the refused run still took scan_id 3)');

    function myPlan() {
      return countPlan([makeDet('d')], 0);
    }
    re.configure({ mdValidator: undefined, mdNormalizer: undefined });
    await re.run(myPlan);
    t.equal(rec.of('start').at(-1).plan_name, 'count', 'open_run metadata names the plan');
    await re.run(function namedPlan() {
      return (function* (): Generator<Msg> {
        yield { command: 'open_run' };
        yield { command: 'close_run' };
      })();
    });
    t.equal(rec.of('start').at(-1).plan_name, 'namedPlan', 'else the function name');
    await t.rejects(re.run(42 as never), InvalidInputError);
    await t.rejects(re.run(function* () {}, 'nope' as never), InvalidInputError);
  });
});

t.test('subscribe by name and to all; unsubscribe by token', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const all: string[] = [];
    const events: string[] = [];
    const starts: string[] = [];
    const tAll = re.subscribe((n) => all.push(n));
    const tEv = re.subscribe((n) => events.push(n), 'event');
    re.subscribe((n) => starts.push(n), 'start');
    await re.run(() => countPlan([makeDet('d')], 2));
    t.same(all, ['start', 'descriptor', 'event', 'event', 'stop']);
    t.same(events, ['event', 'event']);
    t.same(starts, ['start']);
    t.equal(re.unsubscribe(tEv), true);
    t.equal(re.unsubscribe(tEv), false);
    t.equal(re.unsubscribe(tAll), true);
    await re.run(() => countPlan([makeDet('d')], 1));
    t.equal(all.length, 5);
    t.equal(events.length, 2);
    t.same(starts, ['start', 'start']);
  });
});

t.test('waitingHook: told of the Statuses waited on, then undefined', async (t) => {
  const calls: Array<readonly Status<unknown>[] | undefined> = [];
  await withEngine(t, { waitingHook: (s) => calls.push(s) }, async ({ re }) => {
    const m = makeMotor('m', { moveMs: 5 });
    await re.run(function* () {
      yield { command: 'set', obj: m, value: 1, group: 'g' };
      yield { command: 'wait', group: 'g' };
      yield { command: 'set', obj: makeMotor('instant'), value: 1, group: 'h' };
      yield { command: 'wait', group: 'h' };
    });
  });
  t.equal(calls.length, 4, 'both waits are reported, the one on a finished Status too (bluesky)');
  t.equal(calls[0]!.length, 1);
  t.match(calls[0]![0]!.name, /m.set/);
  t.equal(calls[1], undefined);
  t.equal(calls[2]!.length, 1);
  t.match(calls[2]![0]!.name, /instant.set/);
  t.equal(calls[2]![0]!.done, true);
  t.equal(calls[3], undefined);
});

t.test('event pages: fast streams batched, flushed on stream change, pause and close', async (t) => {
  await withEngine(t, { eventPageSize: 3 }, async ({ re, rec }) => {
    const d = makeDet('d');
    const e = makeDet('e');
    const plan = function* (): Generator<Msg> {
      yield { command: 'open_run' };
      for (let i = 0; i < 5; i++) {
        yield { command: 'create' };
        yield { command: 'read', obj: d };
        yield { command: 'save' };
      }
      yield { command: 'create', name: 'other' };
      yield { command: 'read', obj: e };
      yield { command: 'save' };
      yield { command: 'checkpoint' };
      yield { command: 'create' };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
      yield { command: 'pause' };
      yield { command: 'create' };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
      yield { command: 'close_run' };
    };
    t.equal((await re.run(plan)).exitStatus, 'paused');
    t.same(rec.names(), ['start', 'descriptor', 'event_page', 'event_page', 'descriptor', 'event_page', 'event_page'], 'no event held back while paused');
    await re.resume();
    t.same(rec.names().slice(7), ['event_page', 'stop']);
    const pages = rec.of('event_page');
    t.same(pages.map((p) => p.seq_num), [[1, 2, 3], [4, 5], [1], [6], [6, 7]], 'seq 6 re-taken after the rewind');
    t.same(pages[0].data.d, [1, 2, 3]);
    t.equal(rec.of('event').length, 0);
  });
});

t.test('async generator plans, and a long plan never blocks the event loop', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d');
    const r = await re.run(async function* () {
      yield { command: 'open_run' };
      await new Promise((res) => setTimeout(res, 2));
      yield { command: 'create' };
      const readings = yield { command: 'read', obj: d };
      yield { command: 'save' };
      yield { command: 'close_run' };
      return readings;
    });
    t.equal(r.exitStatus, 'success');
    t.same(Object.keys(r.planResult as object), ['d']);
    t.equal(rec.of('event').length, 1);
  });
  await withEngine(t, {}, async ({ re }) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let n = 0;
    const r = await re.run(function* () {
      while (ticks < 3 && n < 50_000_000) {
        n++;
        yield { command: 'null' };
      }
    });
    clearInterval(timer);
    t.equal(r.exitStatus, 'success');
    t.ok(ticks >= 3, `a 1 ms interval kept firing during a plan of ${n} synchronous messages`);
  });
  await withEngine(t, {}, async ({ re }) => {
    const p = re.run(function* () {
      yield { command: 'checkpoint' };
      for (;;) yield { command: 'null' };
    });
    const timer = setTimeout(() => re.requestPause(), 5);
    const r = await p;
    clearTimeout(timer);
    t.equal(r.exitStatus, 'paused', 'a pause requested from a timer gets in during an endless synchronous plan');
    const s = await re.stop();
    t.equal(s.exitStatus, 'success');
  });
  await withEngine(t, {}, async ({ re }) => {
    const p = re.run(async function* () {
      yield { command: 'null' };
      await new Promise(() => {});
    });
    await new Promise((res) => setTimeout(res, 5));
    const r = await re.halt();
    t.same(await p, r);
    t.equal(r.exitStatus, 'abort', 'halt gets out of an async plan stuck between messages');
  });
});
