/**
 * SoftMotor: a simulated motor on StandardMovable whose position follows a trapezoidal velocity
 * profile, computed analytically from elapsed time (so a move ends exactly at its target) and
 * published on the readback every tick.
 * @module
 */
import { CanceledError, InvalidInputError } from '../../core/errors.js';
import { StandardMovable } from '../../core/device/standard-movable.js';
import type { SignalR } from '../../core/signal/signal.js';
import type { SignalRW } from '../../core/signal/writable.js';
import { softSignalRAndSetter, softSignalRW } from '../../core/signal/factories.js';

/** One piece of a motion profile: constant acceleration `a` for `dt` seconds from (`x0`, `v0`) at `t0`. */
export interface MotionSegment {
  /** Start time, s from the profile's start. */
  t0: number;
  /** Duration, s. */
  dt: number;
  /** Start position, units. */
  x0: number;
  /** Start velocity, units/s. */
  v0: number;
  /** Acceleration, units/s². */
  a: number;
  /** Set on segments that approach the end: samples never pass `end` in this direction. */
  approach?: 1 | -1;
}

/** A motion from one state to rest: its segments, total duration (s) and end position (units). */
export interface MotionProfile {
  segments: MotionSegment[];
  duration: number;
  end: number;
}

/**
 * Plan a move from position `x0` and velocity `v0` to rest at `target`, with speed at most `vmax`
 * (units/s) and acceleration `accel` (units/s²): brake first if moving away or too fast to stop in
 * time, then accelerate, cruise (if there is room) and decelerate (a trapezoid or a triangle).
 */
export function planMove(x0: number, v0: number, target: number, vmax: number, accel: number): MotionProfile {
  const segments: MotionSegment[] = [];
  let t = 0;
  let x = x0;
  let v = v0;
  const push = (a: number, dt: number, approach?: 1 | -1): void => {
    if (!(dt > 0)) return;
    segments.push({ t0: t, dt, x0: x, v0: v, a, ...(approach ? { approach } : {}) });
    x = x + v * dt + 0.5 * a * dt * dt;
    v = v + a * dt;
    t += dt;
  };
  let d = target - x;
  if (v !== 0 && (Math.sign(v) !== Math.sign(d) || (v * v) / (2 * accel) > Math.abs(d))) {
    push(-Math.sign(v) * accel, Math.abs(v) / accel);
    v = 0;
    d = target - x;
  }
  const s = d >= 0 ? 1 : -1;
  let u = Math.abs(v);
  if (u > vmax) {
    push(-s * accel, (u - vmax) / accel, s);
    u = vmax;
    v = s * vmax;
  }
  const D = Math.abs(target - x);
  const accelDist = (vmax * vmax - u * u) / (2 * accel);
  const decelDist = (vmax * vmax) / (2 * accel);
  if (accelDist + decelDist <= D) {
    push(s * accel, (vmax - u) / accel, s);
    push(0, (D - accelDist - decelDist) / vmax, s);
    push(-s * accel, vmax / accel, s);
  } else if (D > 0) {
    const peak = Math.sqrt(accel * D + (u * u) / 2);
    push(s * accel, (peak - u) / accel, s);
    push(-s * accel, peak / accel, s);
  }
  return { segments, duration: t, end: target };
}

/** Plan a stop: decelerate from (`x0`, `v0`) to rest at `accel` (units/s²). */
export function planStop(x0: number, v0: number, accel: number): MotionProfile {
  if (v0 === 0) return { segments: [], duration: 0, end: x0 };
  const dt = Math.abs(v0) / accel;
  const end = x0 + (v0 * dt) / 2;
  return { segments: [{ t0: 0, dt, x0, v0, a: -Math.sign(v0) * accel }], duration: dt, end };
}

/** Return position (units) and velocity (units/s) of a profile `t` seconds after its start. */
export function sampleProfile(p: MotionProfile, t: number): { position: number; velocity: number } {
  if (t >= p.duration) return { position: p.end, velocity: 0 };
  const seg = p.segments.find((g) => t < g.t0 + g.dt) ?? p.segments[p.segments.length - 1];
  if (!seg) return { position: p.end, velocity: 0 };
  const tau = Math.max(0, t - seg.t0);
  let position = seg.x0 + seg.v0 * tau + 0.5 * seg.a * tau * tau;
  if (seg.approach === 1) position = Math.min(position, p.end);
  if (seg.approach === -1) position = Math.max(position, p.end);
  return { position, velocity: seg.v0 + seg.a * tau };
}

/** Options of a SoftMotor. */
export interface SoftMotorOptions {
  /** Starting position, units. Default 0. */
  initialPosition?: number;
  /** Cruise speed, units/s. Default 1. */
  velocity?: number;
  /** Acceleration and deceleration, units/s². Default 10. */
  acceleration?: number;
  /** User limits, units; a target outside them is refused before anything moves. Default none. */
  limits?: { low: number; high: number };
  /** Engineering units. Default `mm`. */
  units?: string;
  /** Decimal places. Default 3. */
  precision?: number;
  /** Real ms between readback updates. Default 10. */
  tickMs?: number;
  /** Simulated seconds per real second (e.g. 100 runs moves 100× faster). Default 1. */
  timeScale?: number;
}

/**
 * A simulated motor: trapezoidal moves, user limits, decelerating stop, readback published every
 * tick. `set` puts the setpoint, then runs the motion model. In mock mode (`connect({ mock: true })`)
 * the setpoint put goes to the mock (recorded, can be held) and the model still runs, but the
 * readback is a mock under the test's control: the model's position is then only in `position`.
 */
export class SoftMotor extends StandardMovable {
  /** Position, units; its data key is the motor's own name. */
  readonly readback: SignalR<number>;
  /** Last target asked for, units. */
  readonly setpoint: SignalRW<number>;
  /** Cruise speed, units/s. */
  readonly velocity: SignalRW<number>;
  /** Acceleration, units/s². */
  readonly acceleration: SignalRW<number>;
  /** Lower user limit, units (-Infinity: none). */
  readonly lowLimit: SignalRW<number>;
  /** Upper user limit, units (Infinity: none). */
  readonly highLimit: SignalRW<number>;
  /** True while the motor moves. */
  readonly moving: SignalR<boolean>;
  /** Real ms between readback updates. */
  readonly tickMs: number;
  /** Simulated seconds per real second. */
  readonly timeScale: number;

  #writeReadback: (v: number) => void;
  #writeMoving: (v: boolean) => void;
  #rest: number;
  #profile: { plan: MotionProfile; startedAt: number } | undefined;
  #waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Create a motor named `name`. */
  constructor(name = '', options: SoftMotorOptions = {}) {
    super(name);
    const units = options.units ?? 'mm';
    const precision = options.precision ?? 3;
    this.tickMs = positive('tickMs', options.tickMs ?? 10);
    this.timeScale = positive('timeScale', options.timeScale ?? 1);
    this.#rest = options.initialPosition ?? 0;
    [this.readback, this.#writeReadback] = softSignalRAndSetter(this.#rest, { units, precision });
    [this.moving, this.#writeMoving] = softSignalRAndSetter(false);
    this.setpoint = softSignalRW(this.#rest, { units, precision });
    this.velocity = softSignalRW(positive('velocity', options.velocity ?? 1), { units: `${units}/s`, precision });
    this.acceleration = softSignalRW(positive('acceleration', options.acceleration ?? 10), { units: `${units}/s^2`, precision });
    this.lowLimit = softSignalRW(options.limits?.low ?? -Infinity, { units, precision });
    this.highLimit = softSignalRW(options.limits?.high ?? Infinity, { units, precision });
    this.addReadables([this.readback], 'hinted');
    this.addReadables([this.setpoint], 'read');
    this.addReadables([this.velocity, this.acceleration], 'config');
    this.setMoveLogic({
      readback: this.readback,
      setpoint: this.setpoint,
      units,
      precision,
      move: (target, signal) => this.#move(target, signal),
      stop: () => this.#halt(),
      limits: async () => {
        const [low, high] = await Promise.all([this.lowLimit.getValue(), this.highLimit.getValue()]);
        return low === -Infinity && high === Infinity ? undefined : { low, high };
      },
      speed: async () => (await this.velocity.getValue()) * this.timeScale,
      accelerationTimeMs: async () => {
        const [v, a] = await Promise.all([this.velocity.getValue(), this.acceleration.getValue()]);
        return ((v / a) * 1000) / this.timeScale;
      },
    });
    this.setName(name);
  }

  /** Name the motor and its signals; the readback takes the motor's own name (its data key). */
  override setName(name: string): void {
    super.setName(name);
    this.readback.setName(name);
  }

  /** Where the motor is now, units (computed from the profile, between ticks too). */
  get position(): number {
    return this.#state().position;
  }

  async #move(target: number, signal: AbortSignal): Promise<void> {
    const [vmax, accel] = await Promise.all([this.velocity.getValue(), this.acceleration.getValue()]);
    positive(`${this.name}.velocity`, vmax);
    positive(`${this.name}.acceleration`, accel);
    await this.setpoint.set(target);
    if (signal.aborted) return;
    const { position, velocity } = this.#state();
    this.#settleWaiters(new CanceledError(`${this.name}: move superseded by a move to ${target}`));
    return this.#run(planMove(position, velocity, target, vmax, accel));
  }

  async #halt(): Promise<void> {
    const accel = await this.acceleration.getValue();
    const { position, velocity } = this.#state();
    this.#settleWaiters(new CanceledError(`${this.name}: stopped`));
    if (!this.#profile) return;
    return this.#run(planStop(position, velocity, accel > 0 ? accel : 1));
  }

  #run(plan: MotionProfile): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#profile = { plan, startedAt: performance.now() };
    this.#writeMoving(true);
    clearTimeout(this.#timer);
    this.#tick();
    return done;
  }

  #tick(): void {
    this.#timer = undefined;
    const p = this.#profile;
    if (!p) return;
    if (this.#elapsedS(p.startedAt) >= p.plan.duration) {
      this.#profile = undefined;
      this.#rest = p.plan.end;
      this.#writeReadback(p.plan.end);
      this.#writeMoving(false);
      this.#settleWaiters();
      return;
    }
    this.#writeReadback(sampleProfile(p.plan, this.#elapsedS(p.startedAt)).position);
    this.#timer = setTimeout(() => this.#tick(), this.tickMs);
  }

  #state(): { position: number; velocity: number } {
    const p = this.#profile;
    return p ? sampleProfile(p.plan, this.#elapsedS(p.startedAt)) : { position: this.#rest, velocity: 0 };
  }

  #elapsedS(startedAt: number): number {
    return ((performance.now() - startedAt) / 1000) * this.timeScale;
  }

  #settleWaiters(error?: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) (error ? w.reject(error) : w.resolve());
  }
}

function positive(what: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidInputError({ what, value, reason: 'expected a finite number > 0' });
  return value;
}
