/**
 * Step scans along one line: scan (motors move together from start to stop), listScan (through
 * given positions), their relative forms, and scanNd (any trajectory).
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { isMovable } from '../protocols.js';
import type { Movable, Readable } from '../protocols.js';
import { oneNdStep } from './stubs/acquire.js';
import { axisFields, checkDetectors, checkFinite, checkMotor, checkCount, type Motor } from './stubs/devices.js';
import type { PlanGen } from './stubs/replies.js';
import { relativeSetWrapper, resetPositionsWrapper } from './preprocessors/motion-wrappers.js';
import { innerProduct, linspace, type Axis, type Step, type Trajectory } from './patterns.js';
import { defaultHint, mergeMd, names, stagedRun, type RunPlan } from './wrap.js';

/** What a scan does at each point (default oneNdStep: move what changed, trigger and read). */
export type PerStep = (detectors: Readable[], step: Step, posCache: Map<Movable, unknown>) => PlanGen<unknown>;

/** Options of step scans. */
export interface ScanOptions {
  /** Number of points, when not given as the last positional argument. */
  num?: number;
  perStep?: PerStep;
  /** Metadata merged over the plan's own (hints key by key). */
  md?: Record<string, unknown>;
}

/** Tell whether `x` is a trailing options object (a plain object that is not a device). */
export function isOptions(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !isMovable(x);
}

/** Split a trailing options object off variadic plan arguments. */
export function splitOptions<O>(args: readonly unknown[]): [unknown[], O] {
  const last = args[args.length - 1];
  return isOptions(last) ? [args.slice(0, -1), last as O] : [[...args], {} as O];
}

function checkDistinct(motors: readonly Motor[]): void {
  const seen = new Set<Motor>();
  for (const m of motors) {
    if (seen.has(m)) throw new InvalidInputError({ what: 'motors', value: m.name, reason: 'each motor may appear only once' });
    seen.add(m);
  }
}

/**
 * Run a trajectory (bluesky's scan_nd): stage detectors and motors, open a run, and at each
 * step call `perStep`. Metadata: detectors, motors, num_points, num_intervals, plan_args,
 * plan_name and hints.dimensions (one per motor) unless `md` sets them.
 */
export function scanNd(detectors: readonly Readable[], trajectory: Trajectory | readonly Step[], options: ScanOptions = {}): RunPlan {
  const dets = checkDetectors(detectors);
  const traj = Array.isArray(trajectory) ? fromSteps(trajectory as readonly Step[]) : (trajectory as Trajectory);
  if (traj.numPoints < 1) throw new InvalidInputError({ what: 'scanNd trajectory', value: traj.numPoints, reason: 'must have at least one point' });
  const motors = traj.axes.map((a) => a.motor);
  checkDistinct(motors);
  const perStep = options.perStep ?? ((d: Readable[], s: Step, cache: Map<Movable, unknown>) => oneNdStep(d, s, cache));
  const defaults: Record<string, unknown> = {
    detectors: names(dets),
    motors: names(motors),
    num_points: traj.numPoints,
    num_intervals: traj.numPoints - 1,
    plan_args: { detectors: names(dets), motors: names(motors), per_step: options.perStep?.name || null },
    plan_name: 'scan_nd',
    hints: {},
  };
  const md = mergeMd(defaults, options.md);
  defaultHint(md, 'dimensions', motors.map((m) => [axisFields(m), 'primary']));
  return stagedRun([...dets, ...motors], md, function* () {
    const cache = new Map<Movable, unknown>();
    for (const step of traj.steps()) yield* perStep([...dets], step, cache);
  });
}

function fromSteps(steps: readonly Step[]): Trajectory {
  const first = steps[0];
  if (!first) throw new InvalidInputError({ what: 'scanNd trajectory', value: 0, reason: 'must have at least one point' });
  const motors = [...first.keys()];
  for (const [i, s] of steps.entries()) {
    if (s.size !== motors.length || motors.some((m) => !s.has(m))) {
      throw new InvalidInputError({ what: `scanNd step ${i}`, value: [...s.keys()].map((m) => m.name), reason: 'must move the same motors as the first step' });
    }
  }
  motors.forEach((m, i) => checkMotor(m, `scanNd motor ${i}`));
  const axes: Axis[] = motors.map((motor) => ({ motor, positions: steps.map((s) => s.get(motor) as number) }));
  return { axes, numPoints: steps.length, steps: () => steps };
}

/** Parse `motor, start, stop` triples (then the number of points) for scan. */
function lineArgs(args: readonly unknown[], what: string): { axes: Axis[]; num: number; mdArgs: unknown[]; options: ScanOptions } {
  const [rest, options] = splitOptions<ScanOptions>(args);
  let list = rest;
  let num = options.num;
  if (rest.length % 3 === 1) {
    if (num !== undefined) throw new InvalidInputError({ what: `${what} num`, value: num, reason: 'given both positionally and as an option' });
    num = list[list.length - 1] as number;
    list = list.slice(0, -1);
  } else if (rest.length % 3 !== 0 || num === undefined) {
    throw new InvalidInputError({ what: `${what} arguments`, value: rest.length, reason: 'expects motor, start, stop (repeated), then the number of points' });
  }
  if (list.length === 0) throw new InvalidInputError({ what: `${what} arguments`, value: 0, reason: 'needs at least one motor, start, stop' });
  const n = checkCount(num, `${what} num`);
  const axes: Axis[] = [];
  const mdArgs: unknown[] = [];
  for (let i = 0; i < list.length; i += 3) {
    const motor = checkMotor(list[i], `${what} motor ${i / 3}`);
    const start = checkFinite(list[i + 1], `${what} start of ${motor.name}`);
    const stop = checkFinite(list[i + 2], `${what} stop of ${motor.name}`);
    axes.push({ motor, positions: linspace(start, stop, n) });
    mdArgs.push(motor.name, start, stop);
  }
  checkDistinct(axes.map((a) => a.motor));
  return { axes, num: n, mdArgs, options };
}

/**
 * Scan motors together from start to stop in `num` evenly spaced points (bluesky's scan, an
 * inner product): `scan(dets, motor, -1, 1, 11)` or `scan(dets, m1, 0, 1, m2, 5, 10, 11)`;
 * a trailing options object may give `num`, `perStep` and `md`. Returns the run uid.
 */
export function scan(detectors: readonly Readable[], motor: Movable, start: number, stop: number, num: number, options?: ScanOptions): RunPlan;
export function scan(detectors: readonly Readable[], ...args: Array<Movable | number | ScanOptions>): RunPlan;
export function scan(detectors: readonly Readable[], ...args: unknown[]): RunPlan {
  checkDetectors(detectors);
  const { axes, num, mdArgs, options } = lineArgs(args, 'scan');
  const md: Record<string, unknown> = {
    plan_args: { detectors: names(detectors), num, args: mdArgs, per_step: options.perStep?.name || null },
    plan_name: 'scan',
    plan_pattern: 'inner_product',
    plan_pattern_args: { num, args: mdArgs },
    motors: axes.map((a) => a.motor.name),
    hints: { dimensions: [[axes.flatMap((a) => axisFields(a.motor)), 'primary']] },
  };
  return scanNd(detectors, innerProduct(axes), { ...withPerStep(options), md: mergeMd(md, options.md) });
}

function withPerStep(o: ScanOptions): ScanOptions {
  return o.perStep ? { perStep: o.perStep } : {};
}

/** Parse `motor, positions[]` pairs for listScan / listGridScan. */
export function listArgs(args: readonly unknown[], what: string, sameLength: boolean): { axes: Axis[]; mdArgs: unknown[]; rest: unknown[] } {
  const mdArgs: unknown[] = [];
  const axes: Axis[] = [];
  let i = 0;
  for (; i + 1 < args.length && Array.isArray(args[i + 1]); i += 2) {
    const motor = checkMotor(args[i], `${what} motor ${i / 2}`);
    const positions = (args[i + 1] as unknown[]).map((p, j) => checkFinite(p, `${what} position ${j} of ${motor.name}`));
    if (positions.length === 0) throw new InvalidInputError({ what: `${what} positions of ${motor.name}`, value: positions, reason: 'must not be empty' });
    axes.push({ motor, positions });
    mdArgs.push(motor.name, positions);
  }
  if (axes.length === 0) throw new InvalidInputError({ what: `${what} arguments`, value: args.length, reason: 'expects motor, [positions] pairs' });
  if (sameLength) {
    const n = axes[0]?.positions.length;
    for (const a of axes) {
      if (a.positions.length !== n) {
        throw new InvalidInputError({ what: `${what} positions of ${a.motor.name}`, value: a.positions.length, reason: `must have the same length as the first motor's (${n})` });
      }
    }
  }
  checkDistinct(axes.map((a) => a.motor));
  return { axes, mdArgs, rest: args.slice(i) };
}

/**
 * Scan motors together through lists of positions: `listScan(dets, m1, [1, 2, 5], m2, [0, 0, 1])`
 * (lists of equal length). A trailing options object may give `perStep` and `md`.
 */
export function listScan(detectors: readonly Readable[], ...args: Array<Movable | readonly number[] | ScanOptions>): RunPlan {
  checkDetectors(detectors);
  const [list, options] = splitOptions<ScanOptions>(args);
  const { axes, mdArgs, rest } = listArgs(list, 'listScan', true);
  if (rest.length > 0) throw new InvalidInputError({ what: 'listScan arguments', value: rest.length, reason: 'expects only motor, [positions] pairs' });
  const md: Record<string, unknown> = {
    plan_args: { detectors: names(detectors), args: mdArgs, per_step: options.perStep?.name || null },
    plan_name: 'list_scan',
    plan_pattern: 'inner_list_product',
    plan_pattern_args: { args: mdArgs },
    motors: axes.map((a) => a.motor.name),
    hints: { dimensions: [[axes.flatMap((a) => axisFields(a.motor)), 'primary']] },
  };
  return scanNd(detectors, innerProduct(axes), { ...withPerStep(options), md: mergeMd(md, options.md) });
}

/** Wrap a scan so its sets are relative to where the motors are, and put them back at the end. */
export function relativeToStart(plan: RunPlan, motors: readonly Movable[]): RunPlan {
  return resetPositionsWrapper(relativeSetWrapper(plan, motors), motors) as RunPlan;
}

/** Like scan, with start and stop relative to each motor's position; motors return afterwards. */
export function relScan(detectors: readonly Readable[], motor: Movable, start: number, stop: number, num: number, options?: ScanOptions): RunPlan;
export function relScan(detectors: readonly Readable[], ...args: Array<Movable | number | ScanOptions>): RunPlan;
export function relScan(detectors: readonly Readable[], ...args: unknown[]): RunPlan {
  const [rest, options] = splitOptions<ScanOptions>(args);
  const md = mergeMd({ plan_name: 'rel_scan' }, options.md);
  const plan = scan(detectors, ...(rest as Array<Movable | number>), { ...options, md });
  return relativeToStart(plan, rest.filter((a): a is Movable => isMovable(a)));
}

/** Alias of relScan (bluesky's relative_scan). */
export const relativeScan = relScan;

/** Like listScan, with positions relative to each motor's position; motors return afterwards. */
export function relListScan(detectors: readonly Readable[], ...args: Array<Movable | readonly number[] | ScanOptions>): RunPlan {
  const [rest, options] = splitOptions<ScanOptions>(args);
  const md = mergeMd({ plan_name: 'rel_list_scan' }, options.md);
  const plan = listScan(detectors, ...(rest as Array<Movable | number[]>), { ...options, md });
  return relativeToStart(plan, rest.filter((a): a is Movable => isMovable(a)));
}
