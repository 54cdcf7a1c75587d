/**
 * Issue 14: bluesky behaviours the engine did not follow, one test per behaviour, each named
 * after what bluesky does (read from bluesky's own tests: test_run_engine.py, test_plans.py,
 * test_preprocessors.py, test_new_examples.py).
 */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { Status } from '../../../src/core/status.js';
import type { DataKeys, Readings } from '../../../src/core/protocols.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import { count } from '../../../src/core/plans/count.js';
import { gridScan, relGridScan } from '../../../src/core/plans/grid.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { contingencyWrapper } from '../../../src/core/plans/preprocessors/index.js';
import { countPlan, makeDet, makeMotor, makeSignal, now, until, withEngine } from './engine-fixtures.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A detector whose read() resolves after `ms` (its timers are cleared by dispose). */
function slowReadDet(name: string, ms: number) {
  let n = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  return {
    name,
    reads: () => n,
    read(): Promise<Readings> {
      return new Promise((resolve) => {
        const tm = setTimeout(() => {
          timers.delete(tm);
          n++;
          resolve({ [name]: { value: n, timestamp: now() } });
        }, ms);
        timers.add(tm);
      });
    },
    describe(): DataKeys {
      return { [name]: { source: `sim://${name}`, dtype: 'number', shape: [] } };
    },
    trigger: () => Status.finished<unknown>(undefined, `${name}.trigger`),
    dispose(): void {
      for (const tm of timers) clearTimeout(tm);
      timers.clear();
    },
  };
}

// 1 ───────────────────────────────────────────────────────────────────────────
t.test('pause inside an open bundle drops the bundle and replays from the checkpoint (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const det = slowReadDet('det', 20);
    t.teardown(() => det.dispose());
    const p = re.run(count([det], 20));
    await sleep(150);
    re.requestPause();
    const r1 = await p;
    t.equal(r1.exitStatus, 'paused');
    // Resume at once, while the interrupted read may still be in flight.
    const r2 = await re.resume();
    t.equal(r2.exitStatus, 'success', r2.reason);
    const events = rec.of('event');
    t.same(events.map((e) => e.seq_num), Array.from({ length: 20 }, (_, i) => i + 1), 'seq_nums 1..20, none twice');
  });
});

// 2 ───────────────────────────────────────────────────────────────────────────
t.test('the start of a plan is a checkpoint: a pause before any checkpoint pauses and replays from the start (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const m = makeMotor('m', { moveMs: 5000 });
    const d = makeDet('d');
    const p = re.run(function* () {
      yield { command: 'set', obj: m, value: 1, group: 'g' };
      yield { command: 'wait', group: 'g' };
      yield { command: 'open_run' };
      yield { command: 'create' };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
      yield { command: 'close_run' };
    });
    await sleep(5);
    re.requestPause();
    const r1 = await p;
    t.equal(r1.exitStatus, 'paused', 'paused, not aborted');
    t.equal(m.sets(), 1);
    const done = re.resume();
    // The replayed move takes 5 s; stop it by finishing the plan with a short move instead.
    await until(() => m.sets() === 2);
    t.equal(m.sets(), 2, 'the set was replayed from the start of the plan');
    await re.stop();
    const r2 = await done;
    t.equal(r2.exitStatus, 'success');
    t.equal(rec.of('start').length, 0);
  });
});

t.test('a suspender tripped before the plan starts suspends it, and it runs when released (bluesky)', async (t) => {
  const { SuspendBoolHigh } = await import('../../../src/core/engine/suspenders.js');
  await withEngine(t, {}, async ({ re, rec }) => {
    const sig = makeSignal('interlock', true);
    re.installSuspender(new SuspendBoolHigh(sig));
    const d = makeDet('d');
    const p = re.run(() => countPlan([d], 2));
    await until(() => re.state === 'suspending');
    sig.put(false);
    const r = await p;
    t.equal(r.exitStatus, 'success');
    t.equal(rec.of('event').length, 2);
  });
});

// 3 ───────────────────────────────────────────────────────────────────────────
t.test('a plan that turned rewinding off still pauses, and resumes without replay (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d', { triggerMs: 30 });
    t.teardown(() => d.dispose());
    const p = re.run(function* () {
      yield { command: 'rewindable', allow: false };
      yield* countPlan([d], 3);
    });
    await until(() => d.triggers() === 2);
    re.requestPause();
    const r1 = await p;
    t.equal(r1.exitStatus, 'paused');
    const triggersAtPause = d.triggers();
    const r2 = await re.resume();
    t.equal(r2.exitStatus, 'success', r2.reason);
    t.equal(d.triggers(), 3, 'nothing was triggered twice (no replay)');
    t.ok(triggersAtPause >= 2);
    t.same(rec.of('event').map((e) => e.seq_num), [1, 2, 3]);
  });
});

t.test('pause inside an open create/save bundle of an unrewindable plan keeps the bundle (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const a = makeDet('a');
    const b = slowReadDet('b', 40);
    t.teardown(() => b.dispose());
    const p = re.run(function* () {
      yield { command: 'rewindable', allow: false };
      yield { command: 'open_run' };
      yield { command: 'create' };
      yield { command: 'read', obj: a };
      yield { command: 'read', obj: b };
      yield { command: 'save' };
      yield { command: 'close_run' };
    });
    await sleep(10);
    re.requestPause();
    t.equal((await p).exitStatus, 'paused');
    const r = await re.resume();
    t.equal(r.exitStatus, 'success', r.reason);
    const [ev] = rec.of('event');
    t.same(Object.keys(ev.data).sort(), ['a', 'b'], 'the event holds both reads');
    t.equal(a.reads(), 1);
  });
});

t.test('RunEngine rewindable setting and rewindableWrapper turn replay off; a device with rewindable=false refuses replay (bluesky)', async (t) => {
  const { rewindableWrapper } = await import('../../../src/core/plans/preprocessors/index.js');
  for (const how of ['engine', 'wrapper', 'device'] as const) {
    await withEngine(t, how === 'engine' ? { rewindable: false } : {}, async ({ re }) => {
      t.equal(re.settings.rewindable, how !== 'engine');
      const d = Object.assign(makeDet('d', { triggerMs: 30 }), how === 'device' ? { rewindable: false } : {});
      t.teardown(() => d.dispose());
      const plan = countPlan([d], 2);
      const p = re.run(how === 'wrapper' ? rewindableWrapper(plan, false) : plan);
      await until(() => d.triggers() === 1);
      re.requestPause();
      t.equal((await p).exitStatus, 'paused', `${how}: paused`);
      const r = await re.resume();
      t.equal(r.exitStatus, 'success', `${how}: ${r.reason}`);
      t.equal(d.triggers(), 2, `${how}: the interrupted trigger was not replayed`);
    });
  }
  t.throws(() => new RunEngine({ rewindable: 'no' as never }), InvalidInputError);
});

// 4 ───────────────────────────────────────────────────────────────────────────
t.test('halt runs the plan\'s finally blocks (bluesky closes the generator) without processing their messages', async (t) => {
  for (const from of ['running', 'paused'] as const) {
    await withEngine(t, {}, async ({ re, rec }) => {
      const m = makeMotor('m', { moveMs: 5000 });
      const log: string[] = [];
      const p = re.run(function* () {
        yield { command: 'open_run' };
        try {
          yield { command: 'checkpoint' };
          yield { command: 'set', obj: m, value: 1, group: 'g' };
          yield { command: 'wait', group: 'g' };
        } finally {
          log.push('file closed');
        }
      });
      await sleep(5);
      if (from === 'paused') {
        re.requestPause();
        t.equal((await p).exitStatus, 'paused');
      }
      const r = await re.halt();
      t.equal(r.exitStatus, 'abort');
      t.same(log, ['file closed'], `${from}: finally ran`);
      t.equal(rec.of('stop')[0].exit_status, 'abort');
    });
  }
});

// 5 ───────────────────────────────────────────────────────────────────────────
t.test('monitor, unmonitor and monitor again in one run continue the <name>_monitor stream (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const temp = makeSignal('temp', 20);
    const r = await re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'monitor', obj: temp };
      temp.put(21);
      yield { command: 'unmonitor', obj: temp };
      temp.put(50);
      yield { command: 'monitor', obj: temp };
      temp.put(22);
      yield { command: 'unmonitor', obj: temp };
      yield { command: 'close_run' };
    });
    t.equal(r.exitStatus, 'success', r.reason);
    const descs = rec.of('descriptor');
    t.same(descs.map((d) => d.name), ['temp_monitor'], 'one descriptor, named <obj>_monitor');
    t.same(rec.of('event').map((e) => [e.seq_num, e.data.temp]), [[1, 20], [2, 21], [3, 50], [4, 22]], 'the second subscription starts with the current value');
  });
});

// 6 ───────────────────────────────────────────────────────────────────────────
t.test('create/save with no reads emits neither a descriptor nor an event (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const r = await re.run([
      { command: 'open_run' },
      { command: 'create' },
      { command: 'save' },
      { command: 'close_run' },
    ] as Msg[]);
    t.equal(r.exitStatus, 'success');
    t.same(rec.names(), ['start', 'stop']);
  });
});

// 7 ───────────────────────────────────────────────────────────────────────────
t.test('stage/unstage skip an object that has only stage() or only unstage() (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const calls: string[] = [];
    const onlyStage = { name: 'a', stage: () => calls.push('a.stage') };
    const onlyUnstage = { name: 'b', unstage: () => calls.push('b.unstage') };
    const both = { name: 'c', stage: () => calls.push('c.stage'), unstage: () => calls.push('c.unstage') };
    const r = await re.run(function* () {
      for (const o of [onlyStage, onlyUnstage, both]) yield { command: 'stage', obj: o } as unknown as Msg;
      for (const o of [both, onlyUnstage, onlyStage]) yield { command: 'unstage', obj: o } as unknown as Msg;
    });
    t.equal(r.exitStatus, 'success', r.reason);
    t.same(calls, ['c.stage', 'c.unstage']);
  });
});

// 8 ───────────────────────────────────────────────────────────────────────────
t.test('configure during a run emits a new descriptor carrying the new configuration (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    let gain = 1;
    const det = {
      ...makeDet('det'),
      name: 'det',
      readConfiguration: (): Readings => ({ det_gain: { value: gain, timestamp: now() } }),
      describeConfiguration: (): DataKeys => ({ det_gain: { source: 'sim://gain', dtype: 'number', shape: [] } }),
      configure(v: unknown): [Readings, Readings] {
        const old = this.readConfiguration();
        gain = (v as { gain: number }).gain;
        return [old, this.readConfiguration()];
      },
    };
    const r = await re.run(function* (): Generator<Msg> {
      yield { command: 'open_run' };
      for (const g of [undefined, 5, undefined]) {
        if (g !== undefined) yield { command: 'configure', obj: det, values: { gain: g } };
        yield { command: 'create' };
        yield { command: 'read', obj: det };
        yield { command: 'save' };
      }
      yield { command: 'close_run' };
    });
    t.equal(r.exitStatus, 'success', r.reason);
    const descs = rec.of('descriptor');
    t.equal(descs.length, 2, 'a second descriptor after configure');
    t.same(descs.map((d) => d.configuration.det.data.det_gain), [1, 5]);
    t.same(descs.map((d) => d.name), ['primary', 'primary']);
    const events = rec.of('event');
    t.same(events.map((e) => [e.descriptor === descs[0].uid ? 0 : 1, e.seq_num]), [[0, 1], [1, 2], [1, 3]], 'later events under the new descriptor, seq_nums go on');
  });
});

// 9 ───────────────────────────────────────────────────────────────────────────
t.test('metadata that would break the run_start schema is refused (bluesky raises ValueError); the start document deep-copies md', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    await t.rejects(re.run(() => countPlan([makeDet('d')], 1), { sample: 1 }).then((r) => {
      if (r.exception) throw r.exception;
    }), { name: 'InvalidInputError', what: "metadata 'sample'" });
    const r2 = await re.run(() => countPlan([makeDet('d')], 1), { 'a.b': 1 });
    t.equal(r2.exitStatus, 'fail');
    t.match(r2.reason, /a\.b/);
    const sample = { name: 'A1', composition: { Fe: 1 } };
    const r3 = await re.run(() => countPlan([makeDet('d')], 1), { sample });
    t.equal(r3.exitStatus, 'success');
    const start = rec.of('start').at(-1);
    t.same(start.sample, sample);
    t.not(start.sample, sample, 'not the caller\'s object');
    t.not(start.sample.composition, sample.composition, 'nested objects copied too');
    sample.composition.Fe = 2;
    t.equal(start.sample.composition.Fe, 1);
  });
});

// 10 ──────────────────────────────────────────────────────────────────────────
t.test('plan stubs: wait returns whether the group finished; rd of a Locatable gives its readback; contingencyWrapper returns the except plan\'s value; waitFor hands back the settled tasks (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const slow = makeMotor('slow', { moveMs: 5000 });
    const m = makeMotor('m');
    const seen: Record<string, unknown> = {};
    const r = await re.run(function* () {
      yield* bps.absSet(slow, 1, { group: 'g' });
      seen['timedOut'] = yield* bps.wait('g', { timeoutMs: 5, errorOnTimeout: false });
      yield* bps.absSet(m, 1, { group: 'h' });
      seen['done'] = yield* bps.wait('h', { timeoutMs: 1000, errorOnTimeout: false });
      yield* bps.mv(m, 3);
      seen['rd'] = yield* bps.rd({ ...m, locate: () => ({ setpoint: 3, readback: 2.5 }) } as never);
      seen['waitFor'] = yield* bps.waitFor([async () => 1, async () => {
        throw new Error('boom');
      }]);
      seen['contingency'] = yield* contingencyWrapper((function* (): Generator<Msg, void, unknown> {
        yield { command: 'null' };
        throw new Error('plan failed');
      })(), {
        autoRaise: false,
        exceptPlan: function* (err): Generator<Msg, string, unknown> {
          yield { command: 'null' };
          return `handled: ${(err as Error).message}`;
        },
      });
    });
    t.equal(r.exitStatus, 'success', r.reason);
    t.equal(seen['timedOut'], false);
    t.equal(seen['done'], true);
    t.equal(seen['rd'], 2.5);
    const wf = seen['waitFor'] as PromiseSettledResult<unknown>[];
    t.same(wf.map((x) => x.status), ['fulfilled', 'rejected']);
    t.match((wf[1] as PromiseRejectedResult).reason, { message: 'boom' });
    t.equal(seen['contingency'], 'handled: plan failed');
  });
});

// 11 ──────────────────────────────────────────────────────────────────────────
t.test('gridScan/relGridScan refuse a motor repeated in snakeAxes and snakeAxes mixed with per-axis booleans (bluesky)', async (t) => {
  const d = makeDet('d');
  const m1 = makeMotor('m1');
  const m2 = makeMotor('m2');
  const m3 = makeMotor('m3');
  for (const fn of [gridScan, relGridScan]) {
    t.throws(() => fn([d], m1, 0, 1, 2, m2, 0, 1, 2, m3, 0, 1, 2, { snakeAxes: [m2, m2] }), { name: 'InvalidInputError', message: /more than once/ });
    t.throws(() => fn([d], m1, 0, 1, 2, m2, 0, 1, 2, false, { snakeAxes: [m2] }), { name: 'InvalidInputError', message: /not both/ });
    t.throws(() => fn([d], m1, 0, 1, 2, m2, 0, 1, 2, true, { snakeAxes: false }), { name: 'InvalidInputError', message: /not both/ });
  }
});

t.test('count stops when a delay list runs out (num undefined) and ignores extra delays (bluesky)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d');
    t.equal((await re.run(count([d], null, [0, 0, 0]))).exitStatus, 'success');
    t.equal(rec.of('event').length, 4, 'num = delays + 1');
    t.equal((await re.run(count([d], 2, [0, 0, 0]))).exitStatus, 'success');
    t.equal(rec.of('event').length, 6, 'extra delays unused');
    t.throws(() => count([d], 4, [0]), { name: 'InvalidInputError', what: 'count delaySeconds' });
  });
});

// 12 ──────────────────────────────────────────────────────────────────────────
t.test('deferredPauseRequested stays set after a plan that never reached a checkpoint (bluesky) until the next run', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    await re.run(function* () {
      yield { command: 'pause', defer: true };
      yield { command: 'null' };
    });
    t.equal(re.deferredPauseRequested, true);
    await re.run([{ command: 'null' }] as Msg[]);
    t.equal(re.deferredPauseRequested, false);
  });
});

t.test('events carry filled ({} when no key is external), as bluesky\'s', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    await re.run(() => countPlan([makeDet('d')], 1));
    t.same(rec.of('event')[0].filled, {});
  });
});

t.test('preprocessors [f, g] apply as f(g(plan)), as bluesky documents (decision 0006)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const order: string[] = [];
    const tag = (name: string) => function* (plan: Generator<Msg, unknown, unknown>): Generator<Msg, unknown, unknown> {
      order.push(`${name} starts`);
      const v = yield* plan;
      order.push(`${name} ends`);
      return v;
    };
    re.preprocessors = [tag('f') as never, tag('g') as never];
    await re.run([{ command: 'null' }] as Msg[]);
    t.same(order, ['f starts', 'g starts', 'g ends', 'f ends'], 'f is outermost');
  });
});

t.test('a plain array of messages is a plan (bluesky accepts a list)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d');
    const r = await re.run([
      { command: 'open_run' },
      { command: 'create' },
      { command: 'read', obj: d },
      { command: 'save' },
      { command: 'close_run' },
    ] as Msg[]);
    t.equal(r.exitStatus, 'success');
    t.equal(rec.of('event').length, 1);
    const bad = await attemptRun(() => re.run([{ nope: 1 }] as never));
    t.equal(bad, 'fail');
  });
});

async function attemptRun(f: () => Promise<{ exitStatus: string }>): Promise<string> {
  return (await f()).exitStatus;
}
