import t from 'tap';
import {
  adaptiveScan, count, gridScan, listGridScan, listScan, relGridScan, relListScan, relScan, scan, scanNd, linspace, outerProduct,
} from '../../../src/core/plans/index.js';
import { InvalidInputError, UnsupportedError } from '../../../src/core/errors.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { oneShot } from '../../../src/core/plans/stubs/index.js';
import { listMessages, PlanSimulator } from '../../../src/core/plans/dry-run.js';
import { engineRun, makeDetector, makeMotor, show, type EngineRunLog } from './plans-harness.js';

/** The start document of the first run, without what the engine adds (uid, time, scan_id, plan_type). */
function startMd(e: EngineRunLog<unknown>): Record<string, unknown> {
  const start = e.docs.find(([n]) => n === 'start')?.[1] ?? {};
  const { uid: _uid, time: _time, scan_id: _scanId, plan_type: _planType, ...md } = start;
  return md;
}

/** The stop document of the first run. */
function stopDoc(e: EngineRunLog<unknown>): Record<string, unknown> | undefined {
  return e.docs.find(([n]) => n === 'stop')?.[1];
}

const step = (dets: string[], sets: string[], reads: string[]): string[] => [
  'checkpoint', ...sets, 'wait', ...dets.map((d) => `trigger ${d}`), 'wait', 'create primary', ...reads.map((r) => `read ${r}`), 'save',
];

/** Assert that making the plan throws at once (so nothing can have been yielded). */
function nothingYielded(tt: { throws: (fn: () => unknown, err: never, msg: string) => unknown }, make: () => unknown, err: unknown, label: string): void {
  tt.throws(make, err as never, label);
}

t.test('count: stage, open_run, per shot checkpoint x2 + trigger-and-read, close_run, unstage', async (t) => {
  const det = makeDetector('det', () => 7);
  const e = await engineRun(count([det], 3));
  t.ok(e.runs[0]?.uid);
  t.equal(e.result.planResult, e.runs[0]?.uid, 'count returns the run uid');
  const shot = ['checkpoint', 'checkpoint', 'trigger det', 'wait', 'create primary', 'read det', 'save'];
  t.same(e.log.map(show), ['stage det', 'open_run', ...shot, ...shot, ...shot, 'close_run', 'unstage det']);
  t.same(e.events.length, 3);
  t.same(e.runs[0]?.exitStatus, 'success');
  // The plan's own metadata, exactly (the open_run message); the start document carries it.
  const open = e.log.find((m) => m.command === 'open_run') as { md?: Record<string, unknown> } | undefined;
  t.match(startMd(e), open?.md ?? {});
  t.same(open?.md, {
    detectors: ['det'], num_points: 3, num_intervals: 2,
    plan_args: { detectors: ['det'], num: 3, delay: null }, plan_name: 'count',
    hints: { dimensions: [[['time'], 'primary']] },
  });
});

t.test('count: md merges over defaults, user hints win key by key; delays between shots', (t) => {
  const det = makeDetector('det');
  // 50 s delays: the messages (open_run's md, the sleeps) come from the dry-run walker, which
  // does not sleep.
  const log = listMessages(count([det], 2, 50, { sample: 'A1', hints: { gridding: 'rectilinear' } }));
  const open = log.find((m) => m.command === 'open_run') as { md?: Record<string, unknown> } | undefined;
  const md = open?.md ?? {};
  t.equal(md['sample'], 'A1');
  t.same(md['hints'], { gridding: 'rectilinear', dimensions: [[['time'], 'primary']] });
  t.equal(log.filter((m) => m.command === 'sleep').length, 1);
  t.end();
});

t.test('count\'s flat default path yields the same messages as the composed plan, also on failure', async (t) => {
  const m = makeMotor('m');
  const det = makeDetector('det');
  const composed = { perShot: (d: Parameters<typeof oneShot>[0]) => oneShot(d) };
  const a = await engineRun(count([det, m, det], 3, [0, 0], { k: 1 }));
  const b = await engineRun(count([det, m, det], 3, [0, 0], { k: 1 }, composed));
  t.same(a.log.map(show), b.log.map(show));
  t.same(a.runs.map((r) => r.exitStatus), b.runs.map((r) => r.exitStatus));
  t.same(startMd(a), startMd(b));
  t.same(a.events, b.events);
  let n = 0;
  const flaky = makeDetector('flaky', () => {
    if (++n % 3 === 0) throw new Error('flaky');
    return 1;
  });
  const c = await engineRun(count([flaky], 5));
  t.match(c.result.exception?.message, /flaky/);
  n = 0;
  const d = await engineRun(count([flaky], 5, null, undefined, composed));
  t.match(d.result.exception?.message, /flaky/);
  t.same(c.log.map(show), d.log.map(show));
  t.same(c.runs.map((r) => r.exitStatus), d.runs.map((r) => r.exitStatus));
  t.same(c.events, d.events);
  t.match(c.runs[0], { exitStatus: 'fail' });
  t.match(stopDoc(c), { exit_status: 'fail', reason: 'flaky' });
  t.match(stopDoc(d), { exit_status: 'fail', reason: 'flaky' });
});

t.test('count validates before yielding anything', (t) => {
  const det = makeDetector('det');
  nothingYielded(t, () => count([det], 0), InvalidInputError, 'num 0');
  nothingYielded(t, () => count([det], 1.5), InvalidInputError, 'num 1.5');
  nothingYielded(t, () => count([det], 3, [1]), InvalidInputError, 'delay list too short');
  nothingYielded(t, () => count([det], 3, -1), InvalidInputError, 'negative delay');
  nothingYielded(t, () => count([{ name: 'x' } as never]), UnsupportedError, 'not readable');
  nothingYielded(t, () => count('det' as never), InvalidInputError, 'not an array');
  t.end();
});

t.test('count with num null runs until the engine stops it', (t) => {
  const det = makeDetector('det');
  const plan = count([det], null);
  // Stepped by hand to close it mid-run, with the dry-run walker's replies.
  const sim = new PlanSimulator();
  let r = plan.next();
  let saves = 0;
  while (!r.done && saves < 5) {
    if (r.value.command === 'save') saves++;
    r = plan.next(sim.reply(r.value));
  }
  t.equal(saves, 5);
  t.same(plan.return(undefined as never), { done: true, value: undefined }, 'closing does not yield cleanup (engine cleans up)');
  t.end();
});

t.test('scan: 3 points, exact message sequence and positions', async (t) => {
  const m = makeMotor('m');
  const det = makeDetector('det', () => m.position * 10);
  const e = await engineRun(scan([det], m, -1, 1, 3));
  t.same(e.log.map(show), [
    'stage det', 'stage m', 'open_run',
    ...step(['det'], ['set m -1'], ['det', 'm']),
    ...step(['det'], ['set m 0'], ['det', 'm']),
    ...step(['det'], ['set m 1'], ['det', 'm']),
    'close_run', 'unstage m', 'unstage det',
  ]);
  t.same(e.events.map((ev) => ev.data), [{ det: -10, m: -1 }, { det: 0, m: 0 }, { det: 10, m: 1 }]);
  const md = startMd(e);
  t.match(md, {
    plan_name: 'scan', plan_pattern: 'inner_product', motors: ['m'], detectors: ['det'], num_points: 3, num_intervals: 2,
    plan_args: { detectors: ['det'], num: 3, args: ['m', -1, 1], per_step: null },
    plan_pattern_args: { num: 3, args: ['m', -1, 1] },
    hints: { dimensions: [[['m'], 'primary']] },
  });
  t.doesNotThrow(() => JSON.stringify(md));
});

t.test('scan with two motors is an inner product with one shared dimension', async (t) => {
  const m1 = makeMotor('m1');
  const m2 = makeMotor('m2');
  const det = makeDetector('det');
  const e = await engineRun(scan([det], m1, 0, 1, m2, 10, 20, 3));
  const sets = e.log.filter((x) => x.command === 'set').map(show);
  t.same(sets, ['set m1 0', 'set m2 10', 'set m1 0.5', 'set m2 15', 'set m1 1', 'set m2 20']);
  t.same(startMd(e)['hints'], { dimensions: [[['m1', 'm2'], 'primary']] });
  t.same(startMd(e)['motors'], ['m1', 'm2']);
  // num as an option
  const e2 = await engineRun(scan([det], m1, 0, 1, { num: 2 }));
  t.equal(e2.events.length, 2);
});

t.test('scan validates arguments before yielding anything', (t) => {
  const m = makeMotor('m');
  const det = makeDetector('det');
  nothingYielded(t, () => scan([det], m, 0, 1, 0), InvalidInputError, 'num < 1');
  nothingYielded(t, () => scan([det], m, 0, 1, 2.5), InvalidInputError, 'step size, not a count');
  nothingYielded(t, () => scan([det], m, 0, 1), InvalidInputError, 'missing num');
  nothingYielded(t, () => scan([det], m, 0, 1, 3, { num: 3 }), InvalidInputError, 'num twice');
  nothingYielded(t, () => scan([det], m, 0, Number.NaN, 3), InvalidInputError, 'NaN stop');
  nothingYielded(t, () => scan([det], det as never, 0, 1, 3), UnsupportedError, 'not movable');
  nothingYielded(t, () => scan([det], m, 0, 1, m, 0, 1, 3), InvalidInputError, 'duplicate motor');
  nothingYielded(t, () => scan([det], { set: () => undefined } as never, 0, 1, 3), InvalidInputError, 'unnamed motor');
  t.end();
});

t.test('listScan and relListScan', async (t) => {
  const m1 = makeMotor('m1', 100);
  const m2 = makeMotor('m2');
  const det = makeDetector('det');
  let e = await engineRun(listScan([det], m1, [1, 2, 5], m2, [0, 0, 1]));
  t.same(e.log.filter((x) => x.command === 'set').map(show), ['set m1 1', 'set m2 0', 'set m1 2', 'set m1 5', 'set m2 1']);
  t.match(startMd(e), { plan_name: 'list_scan', plan_pattern: 'inner_list_product', num_points: 3, plan_args: { args: ['m1', [1, 2, 5], 'm2', [0, 0, 1]] } });
  nothingYielded(t, () => listScan([det], m1, [1, 2], m2, [1]), InvalidInputError, 'lengths differ');
  nothingYielded(t, () => listScan([det], m1, []), InvalidInputError, 'empty list');
  nothingYielded(t, () => listScan([det], m1, [1, 'a' as never]), InvalidInputError, 'bad position');
  m1.position = 100;
  e = await engineRun(relListScan([det], m1, [-1, 1]));
  t.same(e.log.filter((x) => x.command === 'set').map(show), ['set m1 99', 'set m1 101', 'set m1 100']);
  t.equal(startMd(e)['plan_name'], 'rel_list_scan');
});

t.test('relScan: relative to the start, motor returns afterwards, plan_name rel_scan', async (t) => {
  const m = makeMotor('m', 5);
  const det = makeDetector('det');
  const e = await engineRun(relScan([det], m, -1, 1, 3));
  t.same(e.log.filter((x) => ['set', 'locate', 'close_run', 'unstage'].includes(x.command)).map(show), [
    'locate m', 'locate m', 'set m 4', 'set m 5', 'set m 6', 'close_run', 'unstage m', 'unstage det', 'set m 5',
  ]);
  t.equal(m.position, 5);
  t.equal(startMd(e)['plan_name'], 'rel_scan');
});

t.test('relScan puts the motor back even when a detector fails mid-scan', async (t) => {
  const m = makeMotor('m', 5);
  let n = 0;
  const det = makeDetector('det', () => {
    if (++n === 2) throw new Error('detector lost');
    return 1;
  });
  const e = await engineRun(relScan([det], m, -1, 1, 3));
  t.match(e.result.exception?.message, /detector lost/);
  t.equal(m.position, 5);
  t.match(e.runs[0], { exitStatus: 'fail' });
  t.match(stopDoc(e), { exit_status: 'fail', reason: 'detector lost' });
  t.same(det.calls, ['stage', 'unstage']);
  t.equal(e.events.length, 1, 'the event before the failure was kept');
  t.same(e.log.slice(-6).map(show), ['drop', 'close_run', 'unstage m', 'unstage det', 'set m 5', 'wait']);
});

t.test('gridScan: outer product, snaking order, shape/extents/hints', async (t) => {
  const y = makeMotor('y');
  const x = makeMotor('x');
  const det = makeDetector('det');
  const e = await engineRun(gridScan([det], y, 0, 1, 2, x, 0, 2, 3, true));
  const pts = e.events.map((ev) => [ev.data['y'], ev.data['x']]);
  t.same(pts, [[0, 0], [0, 1], [0, 2], [1, 2], [1, 1], [1, 0]]);
  // y is set only when it changes; x is not re-set at the turn.
  t.same(e.log.filter((m) => m.command === 'set').map(show), ['set y 0', 'set x 0', 'set x 1', 'set x 2', 'set y 1', 'set x 1', 'set x 0']);
  t.match(startMd(e), {
    plan_name: 'grid_scan', plan_pattern: 'outer_product', shape: [2, 3], extents: [[0, 1], [0, 2]], snaking: [false, true],
    num_points: 6, num_intervals: 5, motors: ['y', 'x'],
    plan_args: { args: ['y', 0, 1, 2, 'x', 0, 2, 3, true] },
    hints: { gridding: 'rectilinear', dimensions: [[['y'], 'primary'], [['x'], 'primary']] },
  });
});

t.test('gridScan without snake returns to the start of each row; snakeAxes option', async (t) => {
  const y = makeMotor('y');
  const x = makeMotor('x');
  const det = makeDetector('det');
  let e = await engineRun(gridScan([det], y, 0, 1, 2, x, 0, 1, 2));
  t.same(e.events.map((ev) => [ev.data['y'], ev.data['x']]), [[0, 0], [0, 1], [1, 0], [1, 1]]);
  t.same(startMd(e)['snaking'], [false, false]);
  e = await engineRun(gridScan([det], y, 0, 1, 2, x, 0, 1, 2, { snakeAxes: [x] }));
  t.same(e.events.map((ev) => [ev.data['y'], ev.data['x']]), [[0, 0], [0, 1], [1, 1], [1, 0]]);
  nothingYielded(t, () => gridScan([det], y, 0, 1, 2, x, 0, 1, 2, { snakeAxes: [y] }), InvalidInputError, 'first axis cannot snake');
  nothingYielded(t, () => gridScan([det], y, 0, 1, 2, x, 0, 1, 2, true, { snakeAxes: true }), InvalidInputError, 'both ways');
  nothingYielded(t, () => gridScan([det], y, 0, 1, 2, x, 0, 1), InvalidInputError, 'missing num');
  nothingYielded(t, () => gridScan([det], y, 0, 1, 0), InvalidInputError, 'num 0');
  nothingYielded(t, () => gridScan([det], y, 0, 1, 2, y, 0, 1, 2), InvalidInputError, 'duplicate motor');
});

t.test('3-axis snake is a continuous path (each move changes one axis by one step)', (t) => {
  const a = makeMotor('a');
  const b = makeMotor('b');
  const c = makeMotor('c');
  const traj = outerProduct([
    { motor: a, positions: [0, 1] },
    { motor: b, positions: [0, 1, 2], snake: true },
    { motor: c, positions: [0, 1, 2, 3], snake: true },
  ]);
  const pts = [...traj.steps()].map((s) => [s.get(a), s.get(b), s.get(c)] as number[]);
  t.equal(pts.length, 24);
  t.equal(new Set(pts.map((p) => p.join())).size, 24, 'every point once');
  for (let i = 1; i < pts.length; i++) {
    const d = (pts[i] as number[]).map((v, k) => Math.abs(v - (pts[i - 1] as number[])[k]!));
    t.equal(d.reduce((s, v) => s + v, 0), 1, `step ${i} moves one axis by one`);
  }
  t.end();
});

t.test('relGridScan and listGridScan', async (t) => {
  const y = makeMotor('y', 10);
  const x = makeMotor('x', 20);
  const det = makeDetector('det');
  let e = await engineRun(relGridScan([det], y, -1, 1, 2, x, 0, 1, 2));
  t.same(e.events.map((ev) => [ev.data['y'], ev.data['x']]), [[9, 20], [9, 21], [11, 20], [11, 21]]);
  t.same([y.position, x.position], [10, 20]);
  t.equal(startMd(e)['plan_name'], 'rel_grid_scan');
  e = await engineRun(listGridScan([det], y, [3, 1], x, [5, 6, 7], { snakeAxes: true }));
  t.same(e.events.map((ev) => [ev.data['y'], ev.data['x']]), [[3, 5], [3, 6], [3, 7], [1, 7], [1, 6], [1, 5]]);
  t.match(startMd(e), { plan_name: 'list_grid_scan', shape: [2, 3], extents: [[1, 3], [5, 7]] });
});

t.test('scanNd takes explicit steps; perStep can be replaced', async (t) => {
  const m = makeMotor('m');
  const det = makeDetector('det');
  const seen: number[] = [];
  const e = await engineRun(scanNd([det], [new Map([[m, 3]]), new Map([[m, 1]])], {
    *perStep(_d, s) {
      seen.push(s.get(m) as number);
      yield { command: 'null' } as Msg;
    },
  }));
  t.same(seen, [3, 1]);
  t.same(startMd(e)['num_points'], 2);
  t.equal(e.events.length, 0, 'the replaced perStep reads nothing');
  nothingYielded(t, () => scanNd([det], []), InvalidInputError, 'no steps');
});

t.test('linspace matches numpy for the ends and single points', (t) => {
  t.same(linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  t.same(linspace(2, 2, 1), [2]);
  t.same(linspace(1, -1, 3), [1, 0, -1]);
  t.end();
});

t.test('adaptiveScan takes small steps where the signal changes and large ones where it is flat', async (t) => {
  const m = makeMotor('m');
  // A sharp edge at 5: flat 0 below, flat 100 above.
  const det = makeDetector('det', () => 100 / (1 + Math.exp(-(m.position - 5) * 4)));
  const e = await engineRun(adaptiveScan([det], { targetField: 'det', motor: m, start: 0, stop: 10, minStep: 0.05, maxStep: 1, targetDelta: 5, backstep: true }));
  const xs = e.events.map((ev) => ev.data['m'] as number);
  t.ok(xs.length > 10, `took ${xs.length} points`);
  t.ok(xs[0] === 0, 'starts at start');
  t.ok(xs.every((x) => x >= 0 && x <= 10), 'stays in range');
  const near = xs.filter((x) => x > 4 && x < 6).length;
  const far = xs.filter((x) => x < 2).length;
  t.ok(near > far, `more points near the edge (${near}) than in the flat part (${far})`);
  // Changes between consecutive kept points near the edge stay close to the target.
  const md = startMd(e);
  t.match(md, { plan_name: 'adaptive_scan', motors: ['m'], hints: { dimensions: [[['m'], 'primary']] } });
  t.throws(() => adaptiveScan([det], { targetField: 'det', motor: m, start: 0, stop: 1, minStep: 1, maxStep: 0.5, targetDelta: 1, backstep: false }), InvalidInputError);
  t.throws(() => adaptiveScan([det], { targetField: '', motor: m, start: 0, stop: 1, minStep: 0.1, maxStep: 0.5, targetDelta: 1, backstep: false }), InvalidInputError);
});

t.test('adaptiveScan on a flat signal grows its step to maxStep', async (t) => {
  const m = makeMotor('m');
  const det = makeDetector('det', () => 1);
  const e = await engineRun(adaptiveScan([det], { targetField: 'det', motor: m, start: 100, stop: 0, minStep: 0.1, maxStep: 2, targetDelta: 1, backstep: false }));
  const xs = e.events.map((ev) => ev.data['m'] as number);
  t.ok(xs.every((x, i) => i === 0 || x < (xs[i - 1] as number)), 'moves towards stop (downwards)');
  const steps = xs.slice(1).map((x, i) => (xs[i] as number) - x);
  t.ok(steps.every((s, i) => i === 0 || s >= (steps[i - 1] as number) - 1e-12), 'steps never shrink on a flat signal');
  const lastStep = (xs[xs.length - 2] as number) - (xs[xs.length - 1] as number);
  t.ok(lastStep > 1.5 && lastStep <= 2, `step grew towards maxStep (${lastStep})`);
});
