/**
 * Issue 14: plans and wrappers bluesky users look for, run through the real engine and checked
 * against bluesky's documented trajectories and message order.
 */
import t from 'tap';
import type { DataKeys, Readings } from '../../../src/core/protocols.js';
import { Status } from '../../../src/core/status.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import {
  logScan, spiral, spiralFermat, spiralSquare, spiralPoints, spiralSquarePoints, x2xScan, rampPlan, tuneCentroid, repeater,
  scan, gridScan, scanNd,
} from '../../../src/core/plans/index.js';
import { flyDuringWrapper, lazilyStageWrapper } from '../../../src/core/plans/preprocessors/index.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { makeDet, makeMotor, makeSignal, now, withEngine } from './engine-fixtures.js';

const close = (a: number[], b: number[], eps = 1e-9): boolean => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) < eps);

t.test('logScan visits numpy.logspace(start, stop, num) (bluesky log_scan)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const m = makeMotor('m');
    const r = await re.run(logScan([makeDet('d')], m, 0, 2, 3));
    t.equal(r.exitStatus, 'success');
    t.ok(close(rec.of('event').map((e) => e.data.m), [1, 10, 100]));
    t.equal(rec.of('start')[0].plan_name, 'log_scan');
    t.equal(rec.of('start')[0].plan_pattern, 'logspace');
  });
});

t.test('spiral: rings dr apart with i*nth points each, inside the rectangle (bluesky spiral)', async (t) => {
  // Computed by hand from bluesky's pattern: xRange=yRange=2, dr=1, nth=4 -> rMax=sqrt(2), 2 rings (+1).
  const [xs, ys] = spiralPoints(0, 0, 2, 2, 1, 4);
  // Ring 1 (r=1, 4 angles: 0, 90, 180, 270 deg) all inside; ring 2 (r=2, 8 angles) only none inside |x|,|y|<=1.
  t.ok(close(xs, [1, 0, -1, 0]) && close(ys, [0, 1, 0, -1]), `got ${xs.map((x, i) => `(${x.toFixed(2)},${ys[i]!.toFixed(2)})`).join(' ')}`);
  await withEngine(t, {}, async ({ re, rec }) => {
    const x = makeMotor('x');
    const y = makeMotor('y');
    const r = await re.run(spiral([makeDet('d')], x, y, 5, 5, 2, 2, 1, 4));
    t.equal(r.exitStatus, 'success');
    t.ok(close(rec.of('event').map((e) => e.data.x), [6, 5, 4, 5]));
    t.equal(rec.of('start')[0].plan_name, 'spiral');
    t.equal(rec.of('start')[0].num_points, 4);
  });
});

t.test('spiralFermat: golden-angle points inside the rectangle (bluesky spiral_fermat)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const x = makeMotor('x');
    const y = makeMotor('y');
    const r = await re.run(spiralFermat([makeDet('d')], x, y, 0, 0, 2, 2, 0.2, 1));
    t.equal(r.exitStatus, 'success');
    const evs = rec.of('event');
    t.ok(evs.length > 5);
    for (const e of evs) t.ok(Math.abs(e.data.x) <= 1 + 1e-12 && Math.abs(e.data.y) <= 1 + 1e-12, 'inside the range');
    // The first point: radius dr/factor = 0.2 at the golden angle 137.508 deg.
    const phi = (137.508 * Math.PI) / 180;
    t.ok(close([evs[0].data.x, evs[0].data.y], [0.2 * Math.cos(phi), 0.2 * Math.sin(phi)]));
    t.equal(rec.of('start')[0].plan_name, 'spiral_fermat');
  });
});

t.test('spiralSquare: every point of the odd grid once, from the centre outward (bluesky spiral_square)', async (t) => {
  const [xs, ys] = spiralSquarePoints(0, 0, 2, 2, 3, 3);
  t.same(xs.map((x, i) => [x, ys[i]]), [[0, 0], [1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]]);
  const [x5, y5] = spiralSquarePoints(10, 0, 4, 2, 5, 3);
  t.equal(new Set(x5.map((x, i) => `${x},${y5[i]}`)).size, 15, 'all 15 points of a 5x3 grid, none twice');
  t.throws(() => spiralSquarePoints(0, 0, 1, 1, 4, 3), { name: 'InvalidInputError' });
  await withEngine(t, {}, async ({ re, rec }) => {
    const r = await re.run(spiralSquare([makeDet('d')], makeMotor('x'), makeMotor('y'), 0, 0, 2, 2, 3, 3));
    t.equal(r.exitStatus, 'success');
    t.equal(rec.of('event').length, 9);
  });
});

t.test('x2xScan moves motor2 twice as far as motor1, relative, and returns both (bluesky x2x_scan)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const th = makeMotor('th');
    const tth = makeMotor('tth');
    await re.run([{ command: 'set', obj: th, value: 10 }, { command: 'set', obj: tth, value: 20 }] as Msg[]);
    const r = await re.run(x2xScan([makeDet('d')], th, tth, -1, 1, 3));
    t.equal(r.exitStatus, 'success');
    t.same(rec.of('event').map((e) => [e.data.th, e.data.tth]), [[9, 18], [10, 20], [11, 22]]);
    t.same([th.position, tth.position], [10, 20], 'both motors returned');
    t.equal(rec.of('start')[0].plan_name, 'x2x_scan');
  });
});

t.test('scanNd over a list of points, and perStep hooks for scan and gridScan (bluesky per_step)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const a = makeMotor('a');
    const b = makeMotor('b');
    const d = makeDet('d');
    const r = await re.run(scanNd([d], [new Map([[a, 1], [b, 5]]), new Map([[a, 2], [b, 3]])]));
    t.equal(r.exitStatus, 'success');
    t.same(rec.of('event').map((e) => [e.data.a, e.data.b]), [[1, 5], [2, 3]]);
    const steps: string[] = [];
    const perStep = function* (dets: never[], step: ReadonlyMap<{ name: string }, number>): Generator<Msg, void, unknown> {
      steps.push([...step].map(([m, v]) => `${m.name}=${v}`).join(','));
      yield* bps.oneNdStep(dets, step as never, new Map());
    };
    await re.run(scan([d], a, 0, 1, 2, { perStep: perStep as never }));
    await re.run(gridScan([d], a, 0, 1, 2, b, 0, 1, 2, { perStep: perStep as never }));
    t.same(steps, ['a=0', 'a=1', 'a=0,b=0', 'a=0,b=1', 'a=1,b=0', 'a=1,b=1']);
  });
});

t.test('tuneCentroid converges on the centroid of the signal and parks the motor there (bluesky tune_centroid)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const m = makeMotor('m');
    const det = {
      name: 'det',
      read: (): Readings => ({ det: { value: Math.exp(-((m.position - 1.3) ** 2) / 0.5), timestamp: now() } }),
      describe: (): DataKeys => ({ det: { source: 'sim://det', dtype: 'number', shape: [] } }),
    };
    const r = await re.run(tuneCentroid([det], 'det', m, 0, 3, 0.05, 10, 3));
    t.equal(r.exitStatus, 'success', r.reason);
    t.ok(Math.abs(m.position - 1.3) < 0.1, `parked at ${m.position}`);
    t.equal(rec.of('start')[0].plan_name, 'tune_centroid');
    t.ok(rec.of('event').length > 10, 'several passes');
  });
});

t.test('rampPlan runs the inner plan until the ramp is done, monitoring a signal (bluesky ramp_plan)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const temp = makeSignal('temp', 20);
    const d = makeDet('d');
    let st!: Status<unknown>;
    let timer: ReturnType<typeof setTimeout> | undefined;
    t.teardown(() => clearTimeout(timer));
    const go = function* (): Generator<Msg, Status<unknown>, unknown> {
      st = new Status({ name: 'ramp' });
      timer = setTimeout(() => {
        temp.put(30);
        st.setFinished();
      }, 40);
      yield { command: 'null' };
      return st;
    };
    const r = await re.run(rampPlan(go, temp, () => bps.triggerAndRead([d]), { periodS: 0.005 }));
    t.equal(r.exitStatus, 'success', r.reason);
    const names = rec.of('descriptor').map((x) => x.name);
    t.same(names.sort(), ['primary', 'temp_monitor']);
    t.ok(rec.of('event').filter((e) => 'd' in e.data).length >= 2, 'the inner plan ran repeatedly');
    t.equal(rec.of('start')[0].plan_name, 'ramp_plan');
  });
});

t.test('repeater runs a plan n times and returns each result (bluesky repeater)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    let i = 0;
    const r = await re.run(() => repeater(3, function* () {
      yield { command: 'null' };
      return ++i;
    }));
    t.same(r.planResult, [1, 2, 3]);
  });
});

t.test('flyDuringWrapper kicks off after open_run and completes/collects before close_run (bluesky fly_during_wrapper)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const flyer = {
      name: 'fly',
      kickoff: () => Status.finished<unknown>(),
      complete: () => Status.finished<unknown>(),
      describeCollect: (): DataKeys => ({ fly_x: { source: 'sim://fly', dtype: 'number', shape: [] } }),
      collect: () => [{ data: { fly_x: 1 }, timestamps: { fly_x: now() }, time: now() }],
    };
    const seen: string[] = [];
    re.configure({ msgHook: (m) => seen.push(m.command) });
    const r2 = await re.run(flyDuringWrapper((function* (): Generator<Msg> {
      yield { command: 'open_run' };
      yield { command: 'null' };
      yield { command: 'close_run' };
    })(), [flyer]));
    t.equal(r2.exitStatus, 'success', r2.reason);
    t.same(seen, ['open_run', 'kickoff', 'wait', 'null', 'complete', 'wait', 'collect', 'close_run']);
  });
});

t.test('lazilyStageWrapper stages a device when first used and unstages all at the end, in reverse (bluesky lazily_stage_wrapper)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const log: string[] = [];
    const mk = (name: string) => ({ ...makeDet(name), name, stage: () => log.push(`stage ${name}`), unstage: () => log.push(`unstage ${name}`) });
    const a = mk('a');
    const b = mk('b');
    const r = await re.run(lazilyStageWrapper((function* (): Generator<Msg> {
      yield { command: 'open_run' };
      yield { command: 'read', obj: a };
      log.push('read a');
      yield { command: 'read', obj: b };
      yield { command: 'read', obj: a };
      yield { command: 'close_run' };
    })()));
    t.equal(r.exitStatus, 'success', r.reason);
    t.same(log, ['stage a', 'read a', 'stage b', 'unstage b', 'unstage a']);
  });
});
