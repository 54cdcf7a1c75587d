/**
 * One simulated DMC axis: settings, motor state, stop code and an analytic motion profile. All
 * state is derived from time on demand (no timers): a profile planned at BG is sampled whenever a
 * command asks, and settles into the final position and stop code once its time is over.
 * Positions are counts; the physical position (where switches sit) differs from the reported
 * one by an offset that DP, HM/FI and a reset change.
 * @module
 */
import { changeVelocity, clipAtLimits, endOf, pointToPoint, sample, stopFrom, type Segment } from './motion.js';

/** Placement of an axis' switches and its starting point (physical counts). */
export interface SimAxisConfig {
  /** Forward limit switch: active at and above this position. Default none. */
  forwardLimit?: number;
  /** Reverse limit switch: active at and below this position. Default none. */
  reverseLimit?: number;
  /** Home switch: the home input reads 1 at and above this position. Default 0. */
  home?: number;
  /** Encoder index pulses at `home + indexOffset + k * indexSpacing`. Defaults 0 and 4000. */
  indexOffset?: number;
  indexSpacing?: number;
  /** Starting physical position. Default 0. */
  position?: number;
  /** Start with the servo enabled. Default false (as after power-up). */
  motorOn?: boolean;
}

/** The last motion command given: what BG will run. */
export type SimMode = 'PA' | 'PR' | 'JG' | 'HM' | 'FE' | 'FI';

interface Motion {
  /** Start time, ms. */
  t0: number;
  x0: number;
  segments: Segment[];
  /** Duration, s (Infinity while jogging). */
  duration: number;
  /** Exact end position (physical). */
  end: number;
  /** Stop code once over. */
  code: number;
  /** Define the reported position 0 at the end (HM, FI). */
  zero: boolean;
  jog: boolean;
}

const DEFAULTS = { sp: 25_000, ac: 256_000, dc: 256_000, sd: 256_000, hv: 256 };

/** A simulated axis (see the module notes). */
export class SimAxis {
  readonly letter: string;
  readonly config: Readonly<SimAxisConfig>;
  /** Physical position at rest, counts. */
  phys: number;
  /** Reported = physical + offset. */
  offset = 0;
  motorOff: boolean;
  sp = DEFAULTS.sp;
  ac = DEFAULTS.ac;
  dc = DEFAULTS.dc;
  sd = DEFAULTS.sd;
  hv = DEFAULTS.hv;
  jg = 0;
  /** Absolute target (reported counts) and relative distance. */
  pa = 0;
  pr = 0;
  mode: SimMode = 'PA';
  /** Stop code of the last motion. */
  sc = 1;
  /** Other settings (MT, CE, TW, KP, ...), stored and echoed. */
  readonly settings = new Map<string, number>();
  /** Time (ms) the last motion ended. */
  stoppedAt = 0;
  #motion: Motion | undefined;

  constructor(letter: string, config: SimAxisConfig = {}) {
    this.letter = letter;
    this.config = { ...config };
    this.phys = config.position ?? 0;
    this.motorOff = !(config.motorOn ?? false);
  }

  /** Power-up state: settings back to defaults, motor off, position reads 0 where the axis stands. */
  reset(now: number): void {
    this.abort(now, this.sc);
    this.offset = -this.phys;
    this.motorOff = true;
    Object.assign(this, { ...DEFAULTS, jg: 0, pa: 0, pr: 0, mode: 'PA', sc: 1 });
    this.settings.clear();
  }

  #settle(now: number): void {
    const m = this.#motion;
    if (!m || now < m.t0 + m.duration * 1000) return;
    this.phys = m.end;
    this.sc = m.code;
    if (m.zero) this.offset = -this.phys;
    this.stoppedAt = m.t0 + m.duration * 1000;
    this.#motion = undefined;
  }

  /** Physical position and velocity now. */
  state(now: number): { x: number; v: number } {
    this.#settle(now);
    const m = this.#motion;
    if (!m) return { x: this.phys, v: 0 };
    return sample(m.segments, m.x0, (now - m.t0) / 1000);
  }

  /** Reported position, counts. */
  position(now: number): number {
    return this.state(now).x + this.offset;
  }

  /** Velocity, counts/s. */
  velocity(now: number): number {
    return this.state(now).v;
  }

  /** True while the profiler runs (`_BG`). */
  moving(now: number): boolean {
    this.#settle(now);
    return this.#motion !== undefined;
  }

  /** True while jogging. */
  jogging(now: number): boolean {
    this.#settle(now);
    return this.#motion?.jog ?? false;
  }

  /** Stop code (0 while running independently). */
  stopCode(now: number): number {
    return this.moving(now) ? 0 : this.sc;
  }

  /** Position error, counts: a small lag proportional to speed. */
  error(now: number): number {
    return Math.round(this.state(now).v / 2000);
  }

  /** Forward limit switch active. */
  forwardActive(now: number): boolean {
    const f = this.config.forwardLimit;
    return f !== undefined && this.state(now).x >= f;
  }

  /** Reverse limit switch active. */
  reverseActive(now: number): boolean {
    const r = this.config.reverseLimit;
    return r !== undefined && this.state(now).x <= r;
  }

  /** Home input level (1 at and above the home switch). */
  homeInput(now: number): number {
    return this.state(now).x >= (this.config.home ?? 0) ? 1 : 0;
  }

  /** Check BG is allowed (0) or give the TC code: 20 motor off, 21 running, 22 limit switch. */
  checkBegin(now: number): number {
    if (this.motorOff) return 20;
    if (this.moving(now)) return 21;
    const plan = this.#plan(now);
    if (plan.dir > 0 && this.forwardActive(now)) return 22;
    if (plan.dir < 0 && this.reverseActive(now)) return 22;
    return 0;
  }

  /** BG: start the prepared motion (call checkBegin first). */
  begin(now: number): void {
    const x = this.state(now).x;
    const plan = this.#plan(now);
    if (this.mode === 'PA' || this.mode === 'PR') this.pa = plan.end + this.offset;
    this.#start(now, x, plan.segments, plan.end, plan.code, plan.zero, this.mode === 'JG');
  }

  #plan(now: number): { segments: Segment[]; end: number; code: number; zero: boolean; dir: number } {
    const x = this.state(now).x;
    const home = this.config.home ?? 0;
    const nextIndex = (from: number): number => {
      const spacing = this.config.indexSpacing ?? 4000;
      const base = home + (this.config.indexOffset ?? 0);
      return base + Math.ceil((from - base) / spacing) * spacing;
    };
    switch (this.mode) {
      case 'PA':
      case 'PR': {
        const end = this.mode === 'PA' ? this.pa - this.offset : x + this.pr;
        return { segments: pointToPoint(x, end, this.sp, this.ac, this.dc), end, code: 1, zero: false, dir: Math.sign(end - x) };
      }
      case 'JG': {
        const segments = this.jg === 0 ? [{ dt: Infinity, x0: x, v0: 0, a: 0 }] : changeVelocity(x, 0, this.jg, this.ac, this.dc);
        return { segments, end: NaN, code: 0, zero: false, dir: Math.sign(this.jg) };
      }
      case 'FE':
        return { segments: pointToPoint(x, home, this.sp, this.ac, this.dc), end: home, code: 9, zero: false, dir: Math.sign(home - x) };
      case 'HM': {
        const index = nextIndex(home);
        const fast = pointToPoint(x, home, this.sp, this.ac, this.dc);
        const crawl = pointToPoint(home, index, Math.min(this.hv, this.sp || this.hv), this.ac, this.dc);
        return { segments: [...fast, ...crawl], end: index, code: 10, zero: true, dir: Math.sign(home - x) || 1 };
      }
      case 'FI': {
        const index = nextIndex(x);
        const speed = Math.abs(this.jg) || this.hv;
        return { segments: pointToPoint(x, index, speed, this.ac, this.dc), end: index, code: 10, zero: true, dir: 1 };
      }
    }
  }

  #start(now: number, x0: number, raw: Segment[], end: number, code: number, zero: boolean, jog: boolean): void {
    const { segments, hit } = clipAtLimits(raw, this.config.forwardLimit, this.config.reverseLimit, this.sd);
    const e = endOf(segments, x0);
    const finalX = hit ? e.x : Number.isFinite(end) ? end : e.x;
    this.#motion = { t0: now, x0, segments, duration: e.duration, end: finalX, code: hit === 'fwd' ? 2 : hit === 'rev' ? 3 : code, zero: zero && !hit, jog };
    this.sc = 0;
    this.#settle(now);
  }

  /** JG while jogging: change speed on the fly. */
  changeJog(now: number): void {
    if (!this.jogging(now)) return;
    const { x, v } = this.state(now);
    const segs = this.jg === 0 && v === 0 ? [{ dt: Infinity, x0: x, v0: 0, a: 0 }] : changeVelocity(x, v, this.jg, this.ac, this.dc);
    this.#start(now, x, segs, NaN, 0, false, true);
  }

  /** ST: decelerate to a stop (stop code 4). */
  stop(now: number): void {
    if (!this.moving(now)) return;
    const { x, v } = this.state(now);
    this.#start(now, x, stopFrom(x, v, this.dc), NaN, 4, false, false);
  }

  /** AB (or a fault): stop at once with `code` (7 = AB command). */
  abort(now: number, code = 7): void {
    if (!this.moving(now)) return;
    this.phys = this.state(now).x;
    this.#motion = undefined;
    this.sc = code;
    this.stoppedAt = now;
  }

  /** DP: define the current (resting) position as `n`. */
  define(n: number, now: number): void {
    this.offset = n - this.state(now).x;
  }
}
