/**
 * More of bluesky's plans: logScan, the spiral scans (spiral, spiralFermat, spiralSquare),
 * x2xScan, rampPlan, tuneCentroid and repeater. Trajectories follow bluesky's plan_patterns
 * (same points, same order) except spiralSquare, whose order is labrig's own (documented below).
 * @module
 */
import { InvalidInputError, TimeoutError } from '../errors.js';
import { deviceName, isReadable } from '../protocols.js';
import type { Movable, Readable, Subscribable } from '../protocols.js';
import type { Status } from '../status.js';
import { triggerAndRead } from './stubs/acquire.js';
import { checkCount, checkDetectors, checkFinite, checkMotor, type Motor } from './stubs/devices.js';
import { mv } from './stubs/motion.js';
import type { PlanGen } from './stubs/replies.js';
import { linspace, type Step, type Trajectory } from './patterns.js';
import { relativeToStart, scanNd, type ScanOptions } from './scan.js';
import { defaultHint, mergeMd, names, stagedRun, type RunPlan } from './wrap.js';

/** A trajectory from explicit per-motor point lists of equal length. */
function pointsTrajectory(movables: readonly Movable[], columns: readonly number[][]): Trajectory {
  const motors = movables as readonly Motor[];
  const n = columns[0]?.length ?? 0;
  return {
    axes: motors.map((motor, i) => ({ motor, positions: columns[i]!, snake: false })),
    numPoints: n,
    *steps(): Generator<Step> {
      for (let k = 0; k < n; k++) yield new Map(motors.map((m, i) => [m, columns[i]![k]!] as const));
    },
  };
}

/**
 * Scan `motor` through `num` log-spaced points from 10^start to 10^stop (bluesky's log_scan,
 * `numpy.logspace(start, stop, num)`: start and stop are base-10 exponents).
 */
export function logScan(detectors: readonly Readable[], motor: Movable, start: number, stop: number, num: number, options: ScanOptions = {}): RunPlan {
  checkMotor(motor, 'logScan motor');
  checkFinite(start, 'logScan start');
  checkFinite(stop, 'logScan stop');
  checkCount(num, 'logScan num');
  const pos = linspace(start, stop, num).map((e) => 10 ** e);
  const md = mergeMd({
    plan_name: 'log_scan',
    plan_args: { detectors: names(detectors), motor: deviceName(motor), start, stop, num },
    plan_pattern: 'logspace',
    plan_pattern_module: 'numpy',
    plan_pattern_args: { start, stop, num },
  }, options.md);
  return scanNd(detectors, pointsTrajectory([motor], [pos]), { ...(options.perStep ? { perStep: options.perStep } : {}), md });
}

/** Options of the spiral scans. */
export interface SpiralOptions extends ScanOptions {
  /** Step along y, when it differs from `dr` (the spiral is stretched by drY/dr). */
  drY?: number;
  /** Tilt of the scanned rectangle, in radians. */
  tilt?: number;
}

function spiralChecks(what: string, x: Movable, y: Movable, nums: Record<string, unknown>): void {
  checkMotor(x, `${what} xMotor`);
  checkMotor(y, `${what} yMotor`);
  for (const [k, v] of Object.entries(nums)) checkFinite(v, `${what} ${k}`);
}

/** Points of bluesky's `spiral` pattern (rings of radius i*dr, i*nth points each, inside the rectangle). */
export function spiralPoints(xStart: number, yStart: number, xRange: number, yRange: number, dr: number, nth: number, drY?: number, tilt = 0): [number[], number[]] {
  if (!(dr > 0)) throw new InvalidInputError({ what: 'spiral dr', value: dr, reason: 'must be > 0' });
  if (!(nth > 0)) throw new InvalidInputError({ what: 'spiral nth', value: nth, reason: 'must be > 0' });
  const aspect = drY === undefined ? 1 : drY / dr;
  const halfX = xRange / 2;
  const halfY = yRange / (2 * aspect);
  const rMax = Math.sqrt(halfX ** 2 + halfY ** 2);
  const numRing = 1 + Math.trunc(rMax / dr);
  const tiltTan = Math.tan(tilt + Math.PI / 2);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let ring = 1; ring < numRing + 2; ring++) {
    const radius = ring * dr;
    const nAngles = Math.trunc(ring * nth);
    const step = (2 * Math.PI) / (ring * nth);
    for (let a = 0; a < nAngles; a++) {
      const angle = a * step;
      const x = radius * Math.cos(angle);
      const y = radius * Math.sin(angle) * aspect;
      if (Math.abs(x - y / aspect / tiltTan) <= halfX && Math.abs(y / aspect) <= halfY) {
        xs.push(xStart + x);
        ys.push(yStart + y);
      }
    }
  }
  return [xs, ys];
}

/** Points of bluesky's `spiral_fermat` pattern (golden-angle Fermat spiral inside the rectangle). */
export function spiralFermatPoints(xStart: number, yStart: number, xRange: number, yRange: number, dr: number, factor: number, drY?: number, tilt = 0): [number[], number[]] {
  if (!(dr > 0)) throw new InvalidInputError({ what: 'spiralFermat dr', value: dr, reason: 'must be > 0' });
  if (!(factor > 0)) throw new InvalidInputError({ what: 'spiralFermat factor', value: factor, reason: 'must be > 0' });
  const phi = (137.508 * Math.PI) / 180;
  const aspect = drY === undefined ? 1 : drY / dr;
  const halfX = xRange / 2;
  const halfY = yRange / (2 * aspect);
  const tiltTan = Math.tan(tilt + Math.PI / 2);
  const diag = Math.sqrt(halfX ** 2 + halfY ** 2);
  const numRings = Math.trunc(((1.5 * diag) / (dr / factor)) ** 2);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let ring = 1; ring < numRings; ring++) {
    const radius = (Math.sqrt(ring) * dr) / factor;
    const angle = phi * ring;
    const x = radius * Math.cos(angle);
    const y = radius * Math.sin(angle) * aspect;
    if (Math.abs(x - y / aspect / tiltTan) <= halfX && Math.abs(y) <= halfY) {
      xs.push(xStart + x);
      ys.push(yStart + y);
    }
  }
  return [xs, ys];
}

/**
 * Points of a square spiral over the `xNum` × `yNum` grid centred on (xCenter, yCenter)
 * spanning xRange × yRange: every grid point once, starting at the centre and walking outward
 * right, up, left, down with legs 1, 1, 2, 2, 3, 3... (the same points as bluesky's
 * spiral_square_pattern; the walk order is labrig's). Both nums must be odd.
 */
export function spiralSquarePoints(xCenter: number, yCenter: number, xRange: number, yRange: number, xNum: number, yNum: number): [number[], number[]] {
  for (const [k, v] of [['xNum', xNum], ['yNum', yNum]] as const) {
    if (!Number.isInteger(v) || v < 1 || v % 2 === 0) throw new InvalidInputError({ what: `spiralSquare ${k}`, value: v, reason: 'must be an odd whole number >= 1' });
  }
  const hx = (xNum - 1) / 2;
  const hy = (yNum - 1) / 2;
  const dx = xNum > 1 ? xRange / (xNum - 1) : 0;
  const dy = yNum > 1 ? yRange / (yNum - 1) : 0;
  const xs: number[] = [];
  const ys: number[] = [];
  let i = 0;
  let j = 0;
  const visit = (): void => {
    if (Math.abs(i) <= hx && Math.abs(j) <= hy) {
      xs.push(xCenter + i * dx);
      ys.push(yCenter + j * dy);
    }
  };
  visit();
  const dirs = [[1, 0], [0, 1], [-1, 0], [0, -1]] as const;
  for (let leg = 0; xs.length < xNum * yNum; leg++) {
    const [di, dj] = dirs[leg % 4]!;
    const len = Math.floor(leg / 2) + 1;
    for (let s = 0; s < len; s++) {
      i += di;
      j += dj;
      visit();
    }
  }
  return [xs, ys];
}

function spiralPlan(name: string, detectors: readonly Readable[], x: Movable, y: Movable, pts: [number[], number[]], args: Record<string, unknown>, options: ScanOptions): RunPlan {
  checkDetectors(detectors);
  if (pts[0].length === 0) throw new InvalidInputError({ what: `${name} pattern`, value: 0, reason: 'holds no point inside the given ranges' });
  const md = mergeMd({
    plan_name: name,
    plan_args: { detectors: names(detectors), x_motor: deviceName(x), y_motor: deviceName(y), ...args },
    plan_pattern: name,
    plan_pattern_module: 'labrig.plans',
    plan_pattern_args: args,
    hints: {},
  }, options.md);
  defaultHint(md, 'gridding', 'rectilinear');
  return scanNd(detectors, pointsTrajectory([x, y], pts), { ...(options.perStep ? { perStep: options.perStep } : {}), md });
}

/** Spiral scan with rings `dr` apart, `nth` points per unit ring (bluesky's spiral). */
export function spiral(detectors: readonly Readable[], xMotor: Movable, yMotor: Movable, xStart: number, yStart: number, xRange: number, yRange: number, dr: number, nth: number, options: SpiralOptions = {}): RunPlan {
  spiralChecks('spiral', xMotor, yMotor, { xStart, yStart, xRange, yRange, dr, nth });
  const pts = spiralPoints(xStart, yStart, xRange, yRange, dr, nth, options.drY, options.tilt ?? 0);
  return spiralPlan('spiral', detectors, xMotor, yMotor, pts, { x_start: xStart, y_start: yStart, x_range: xRange, y_range: yRange, dr, nth, dr_y: options.drY ?? null, tilt: options.tilt ?? 0 }, options);
}

/** Fermat (golden-angle) spiral scan (bluesky's spiral_fermat). */
export function spiralFermat(detectors: readonly Readable[], xMotor: Movable, yMotor: Movable, xStart: number, yStart: number, xRange: number, yRange: number, dr: number, factor: number, options: SpiralOptions = {}): RunPlan {
  spiralChecks('spiralFermat', xMotor, yMotor, { xStart, yStart, xRange, yRange, dr, factor });
  const pts = spiralFermatPoints(xStart, yStart, xRange, yRange, dr, factor, options.drY, options.tilt ?? 0);
  return spiralPlan('spiral_fermat', detectors, xMotor, yMotor, pts, { x_start: xStart, y_start: yStart, x_range: xRange, y_range: yRange, dr, factor, dr_y: options.drY ?? null, tilt: options.tilt ?? 0 }, options);
}

/** Square spiral over an odd xNum × yNum grid (bluesky's spiral_square). */
export function spiralSquare(detectors: readonly Readable[], xMotor: Movable, yMotor: Movable, xCenter: number, yCenter: number, xRange: number, yRange: number, xNum: number, yNum: number, options: ScanOptions = {}): RunPlan {
  spiralChecks('spiralSquare', xMotor, yMotor, { xCenter, yCenter, xRange, yRange });
  const pts = spiralSquarePoints(xCenter, yCenter, xRange, yRange, xNum, yNum);
  return spiralPlan('spiral_square', detectors, xMotor, yMotor, pts, { x_center: xCenter, y_center: yCenter, x_range: xRange, y_range: yRange, x_num: xNum, y_num: yNum }, options);
}

/**
 * Relative scan of two motors in a 2:1 ratio (bluesky's x2x_scan, e.g. a θ–2θ scan): `motor1`
 * goes from start to stop relative to where it is, `motor2` twice as far; both return afterwards.
 */
export function x2xScan(detectors: readonly Readable[], motor1: Movable, motor2: Movable, start: number, stop: number, num: number, options: ScanOptions = {}): RunPlan {
  checkMotor(motor1, 'x2xScan motor1');
  checkMotor(motor2, 'x2xScan motor2');
  checkFinite(start, 'x2xScan start');
  checkFinite(stop, 'x2xScan stop');
  checkCount(num, 'x2xScan num');
  const md = mergeMd({ plan_name: 'x2x_scan', plan_args: { detectors: names(detectors), motor1: deviceName(motor1), motor2: deviceName(motor2), start, stop, num } }, options.md);
  const traj = pointsTrajectory([motor1, motor2], [linspace(start, stop, num), linspace(2 * start, 2 * stop, num)]);
  return relativeToStart(scanNd(detectors, traj, { ...(options.perStep ? { perStep: options.perStep } : {}), md }), [motor1, motor2]);
}

/** Options of {@link rampPlan}. */
export interface RampOptions {
  /** Run the inner plan once before starting the ramp (default true). */
  takePreData?: boolean;
  /** Fail with a TimeoutError if the ramp is not done after this many seconds. */
  timeoutS?: number;
  /** Seconds between inner plans (default: back to back). */
  periodS?: number;
  md?: Record<string, unknown>;
}

/**
 * Start a ramp with `goPlan` (which returns the ramp's Status) and run `innerPlan` repeatedly
 * until it is done, monitoring `monitorSig` throughout (bluesky's ramp_plan). Returns the run uid.
 */
export function rampPlan(goPlan: () => PlanGen<Status<unknown> | undefined>, monitorSig: Subscribable & Readable, innerPlan: () => PlanGen<unknown>, options: RampOptions = {}): RunPlan {
  if (typeof goPlan !== 'function' || typeof innerPlan !== 'function') throw new InvalidInputError({ what: 'rampPlan plans', value: typeof goPlan, reason: 'goPlan and innerPlan must be functions returning plans' });
  const timeoutS = options.timeoutS;
  const periodS = options.periodS;
  if (timeoutS !== undefined) checkFinite(timeoutS, 'rampPlan timeoutS');
  if (periodS !== undefined && !(periodS >= 0)) throw new InvalidInputError({ what: 'rampPlan periodS', value: periodS, reason: 'must be seconds >= 0' });
  const md = mergeMd({ plan_name: 'ramp_plan', plan_args: { monitor_sig: deviceName(monitorSig), take_pre_data: options.takePreData ?? true, timeout: timeoutS ?? null, period: periodS ?? null } }, options.md);
  return stagedRun([], md, function* () {
    yield { command: 'monitor', obj: monitorSig };
    if (options.takePreData !== false) yield* innerPlan();
    const status = yield* goPlan();
    const t0 = Date.now();
    while (status !== undefined && !status.done) {
      if (timeoutS !== undefined && Date.now() - t0 > timeoutS * 1000) throw new TimeoutError({ operation: 'rampPlan', afterMs: timeoutS * 1000 });
      yield* innerPlan();
      yield periodS ? { command: 'sleep', seconds: periodS } : { command: 'null' };
    }
    if (status !== undefined && !status.success) throw status.exception() ?? new Error('ramp failed');
    yield { command: 'unmonitor', obj: monitorSig };
  });
}

/**
 * Find the centroid of `signal` (a data key) over `motor` by repeated scans, each narrowing the
 * range by `stepFactor` around the last centroid, until the step is below `minStep`; then move
 * the motor to the centroid (bluesky's tune_centroid). Emits one run; returns its uid.
 */
export function tuneCentroid(detectors: readonly Readable[], signal: string, motor: Movable, start: number, stop: number, minStep: number, num = 10, stepFactor = 3, snake = false, md?: Record<string, unknown>): RunPlan {
  const dets = checkDetectors(detectors);
  checkMotor(motor, 'tuneCentroid motor');
  checkFinite(start, 'tuneCentroid start');
  checkFinite(stop, 'tuneCentroid stop');
  if (!(minStep > 0)) throw new InvalidInputError({ what: 'tuneCentroid minStep', value: minStep, reason: 'must be > 0' });
  if (!Number.isInteger(num) || num < 2) throw new InvalidInputError({ what: 'tuneCentroid num', value: num, reason: 'must be a whole number >= 2' });
  if (!(stepFactor > 1)) throw new InvalidInputError({ what: 'tuneCentroid stepFactor', value: stepFactor, reason: 'must be > 1' });
  if (typeof signal !== 'string' || signal === '') throw new InvalidInputError({ what: 'tuneCentroid signal', value: signal, reason: 'must name a data key' });
  const full = mergeMd({
    plan_name: 'tune_centroid',
    detectors: names(dets),
    motors: [deviceName(motor)],
    plan_args: { detectors: names(dets), motor: deviceName(motor), start, stop, step_factor: stepFactor, min_step: minStep, num, snake },
    hints: {},
  }, md);
  return stagedRun([...dets, motor], full, function* () {
    const low = Math.min(start, stop);
    const high = Math.max(start, stop);
    let a = start;
    let b = stop;
    let step = (b - a) / (num - 1);
    let next = a;
    let sumI = 0;
    let sumXI = 0;
    let peak: number | undefined;
    const clip = (v: number): number => Math.min(high, Math.max(low, v));
    while (Math.abs(step) >= minStep && next >= low && next <= high) {
      yield { command: 'checkpoint' };
      yield* mv(motor, next);
      const r = yield* triggerAndRead(isReadable(motor) ? [...dets, motor] : dets);
      const I = r[signal]?.value;
      if (typeof I !== 'number') throw new InvalidInputError({ what: 'tuneCentroid signal', value: signal, reason: 'is not a numeric data key of the detectors' });
      const x = (r[deviceName(motor)]?.value as number | undefined) ?? next;
      sumI += I;
      sumXI += x * I;
      next += step;
      if (next < Math.min(a, b) - 1e-12 || next > Math.max(a, b) + 1e-12) {
        if (sumI === 0) return;
        peak = sumXI / sumI;
        sumI = 0;
        sumXI = 0;
        const range = (b - a) / stepFactor;
        a = clip(peak - range / 2);
        b = clip(peak + range / 2);
        if (snake) [a, b] = [b, a];
        step = (b - a) / (num - 1);
        next = a;
      }
    }
    if (peak !== undefined) yield* mv(motor, peak);
  });
}

/** Run the plan `planFn()` returns `n` times (forever when `n` is null), as bluesky's repeater. */
export function* repeater<R>(n: number | null, planFn: () => PlanGen<R>): PlanGen<R[]> {
  if (n !== null && (!Number.isInteger(n) || n < 0)) throw new InvalidInputError({ what: 'repeater n', value: n, reason: 'must be a whole number >= 0, or null for ever' });
  if (typeof planFn !== 'function') throw new InvalidInputError({ what: 'repeater planFn', value: planFn, reason: 'must be a function returning a plan' });
  const out: R[] = [];
  for (let i = 0; n === null || i < n; i++) out.push(yield* planFn());
  return out;
}
