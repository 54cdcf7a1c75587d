/**
 * Suspenders: watch a signal-like source and suspend the RunEngine while a condition holds
 * (bluesky's SuspendBoolHigh/Low, SuspendFloor/Ceil, SuspendWhenOutsideBand). When the
 * condition clears, the suspender waits `sleepMs` (restarting if it trips again meanwhile), then
 * lets the engine rewind to the last checkpoint and carry on. `prePlan` runs when the suspension
 * starts, `postPlan` before the plan resumes.
 * @module
 */
import { InvalidInputError, InvalidStateError } from '../errors.js';
import type { ReadingCallback, Readings } from '../protocols.js';
import type { Plan, SuspenderLike } from './messages.js';

/** What a suspender watches: anything that reports readings (a signal). */
export interface SuspenderSource {
  readonly name?: string;
  subscribe(callback: ReadingCallback): void;
  clearSub(callback: ReadingCallback): void;
}

/** What a suspender tells (the RunEngine implements it). */
export interface SuspendTarget {
  /** The suspender's condition tripped: suspend (now, or when a plan runs). */
  requestSuspend(suspender: Suspender): void;
  /** The condition cleared (and `sleepMs` passed): the suspension may end. */
  releaseSuspend(suspender: Suspender): void;
}

/** Options of every suspender. */
export interface SuspenderOptions {
  /** Wait this many ms after the condition clears before resuming. Default 0. */
  sleepMs?: number;
  /** Plan run when the suspension starts (e.g. close a shutter). */
  prePlan?: () => Plan;
  /** Plan run after the condition cleared, before the rewound plan resumes. */
  postPlan?: () => Plan;
  /** Text recorded with the suspension; default describes the condition. */
  trippedMessage?: string;
}

const isTarget = (x: unknown): x is SuspendTarget =>
  typeof x === 'object' && x !== null && typeof (x as SuspendTarget).requestSuspend === 'function' && typeof (x as SuspendTarget).releaseSuspend === 'function';

/** Base of every suspender: subscribes to the source and trips/releases on its readings. */
export abstract class Suspender implements SuspenderLike {
  /** Name used in messages, e.g. `SuspendFloor(beam_current < 2)`. */
  readonly name: string;
  readonly prePlan: (() => Plan) | undefined;
  readonly postPlan: (() => Plan) | undefined;
  /** Delay after clearing, in ms. */
  readonly sleepMs: number;
  readonly #source: SuspenderSource;
  readonly #message: string | undefined;
  #target: SuspendTarget | undefined;
  #tripped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #last: unknown;

  constructor(source: SuspenderSource, name: string, options: SuspenderOptions = {}) {
    if (typeof source?.subscribe !== 'function' || typeof source.clearSub !== 'function') {
      throw new InvalidInputError({ what: `${name} source`, value: source, reason: 'must have subscribe(cb) and clearSub(cb)' });
    }
    const sleep = options.sleepMs ?? 0;
    if (typeof sleep !== 'number' || !(sleep >= 0)) throw new InvalidInputError({ what: `${name} sleepMs`, value: sleep, reason: 'must be a number of milliseconds >= 0' });
    this.#source = source;
    this.name = name;
    this.sleepMs = sleep;
    this.prePlan = options.prePlan;
    this.postPlan = options.postPlan;
    this.#message = options.trippedMessage;
  }

  /** Whether the condition holds (or cleared less than `sleepMs` ago). */
  get tripped(): boolean {
    return this.#tripped;
  }

  /** Why the suspender tripped, with the last value seen. */
  get justification(): string {
    return `${this.#message ?? `${this.name} tripped`} (value ${String(this.#last)})`;
  }

  /** Start watching and report to `engine` (a RunEngine); called by `installSuspender`. */
  install(engine: unknown): void {
    if (!isTarget(engine)) throw new InvalidInputError({ what: `${this.name}.install engine`, value: engine, reason: 'must be a RunEngine (requestSuspend/releaseSuspend)' });
    if (this.#target !== undefined) throw new InvalidStateError(`${this.name} is already installed`);
    this.#target = engine;
    this.#source.subscribe(this.#onReadings);
  }

  /** Stop watching; a pending suspension is released. Called by `removeSuspender`. */
  remove(): void {
    const target = this.#target;
    if (target === undefined) return;
    this.#target = undefined;
    this.#source.clearSub(this.#onReadings);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#tripped) {
      this.#tripped = false;
      target.releaseSuspend(this);
    }
  }

  /** Whether `value` must suspend the engine. */
  protected abstract shouldSuspend(value: unknown): boolean;
  /** Whether `value` lets a suspended engine resume. */
  protected abstract shouldResume(value: unknown): boolean;

  readonly #onReadings = (readings: Readings): void => {
    const target = this.#target;
    if (target === undefined) return;
    const value = pickValue(readings, this.#source.name);
    this.#last = value;
    if (!this.#tripped) {
      if (this.shouldSuspend(value)) {
        this.#tripped = true;
        target.requestSuspend(this);
      }
      return;
    }
    if (!this.shouldResume(value)) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#timer !== undefined) return;
    if (this.sleepMs > 0) this.#timer = setTimeout(this.#release, this.sleepMs);
    else this.#release();
  };

  readonly #release = (): void => {
    this.#timer = undefined;
    if (!this.#tripped) return;
    this.#tripped = false;
    this.#target?.releaseSuspend(this);
  };
}

function pickValue(readings: Readings, name: string | undefined): unknown {
  if (name !== undefined && readings[name] !== undefined) return readings[name].value;
  for (const k in readings) return readings[k]!.value;
  return undefined;
}

function sourceName(source: SuspenderSource): string {
  return source?.name ?? 'signal';
}

/** Suspend while the source reads truthy (e.g. a shutter-closed flag). */
export class SuspendBoolHigh extends Suspender {
  constructor(source: SuspenderSource, options?: SuspenderOptions) {
    super(source, `SuspendBoolHigh(${sourceName(source)})`, options);
  }
  protected shouldSuspend(v: unknown): boolean {
    return Boolean(v);
  }
  protected shouldResume(v: unknown): boolean {
    return !v;
  }
}

/** Suspend while the source reads falsy (e.g. a beam-on flag). */
export class SuspendBoolLow extends Suspender {
  constructor(source: SuspenderSource, options?: SuspenderOptions) {
    super(source, `SuspendBoolLow(${sourceName(source)})`, options);
  }
  protected shouldSuspend(v: unknown): boolean {
    return !v;
  }
  protected shouldResume(v: unknown): boolean {
    return Boolean(v);
  }
}

/** Options of threshold suspenders. */
export interface ThresholdOptions extends SuspenderOptions {
  /** Resume only past this value (hysteresis); default the suspend threshold. */
  resumeThreshold?: number;
}

function checkNumber(what: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidInputError({ what, value: x, reason: 'must be a finite number' });
  return x;
}

/** Suspend while the source reads below `floor`; resume at or above `resumeThreshold` (default `floor`). */
export class SuspendFloor extends Suspender {
  readonly floor: number;
  readonly resumeThreshold: number;
  constructor(source: SuspenderSource, floor: number, options: ThresholdOptions = {}) {
    super(source, `SuspendFloor(${sourceName(source)} < ${floor})`, options);
    this.floor = checkNumber('SuspendFloor floor', floor);
    this.resumeThreshold = checkNumber('SuspendFloor resumeThreshold', options.resumeThreshold ?? floor);
    if (this.resumeThreshold < floor) throw new InvalidInputError({ what: 'SuspendFloor resumeThreshold', value: this.resumeThreshold, reason: `must be >= the floor ${floor}` });
  }
  protected shouldSuspend(v: unknown): boolean {
    return Number(v) < this.floor;
  }
  protected shouldResume(v: unknown): boolean {
    return Number(v) >= this.resumeThreshold;
  }
}

/** Suspend while the source reads above `ceil`; resume at or below `resumeThreshold` (default `ceil`). */
export class SuspendCeil extends Suspender {
  readonly ceil: number;
  readonly resumeThreshold: number;
  constructor(source: SuspenderSource, ceil: number, options: ThresholdOptions = {}) {
    super(source, `SuspendCeil(${sourceName(source)} > ${ceil})`, options);
    this.ceil = checkNumber('SuspendCeil ceil', ceil);
    this.resumeThreshold = checkNumber('SuspendCeil resumeThreshold', options.resumeThreshold ?? ceil);
    if (this.resumeThreshold > ceil) throw new InvalidInputError({ what: 'SuspendCeil resumeThreshold', value: this.resumeThreshold, reason: `must be <= the ceiling ${ceil}` });
  }
  protected shouldSuspend(v: unknown): boolean {
    return Number(v) > this.ceil;
  }
  protected shouldResume(v: unknown): boolean {
    return Number(v) <= this.resumeThreshold;
  }
}

/** Suspend while the source reads outside [low, high]. */
export class SuspendWhenOutsideBand extends Suspender {
  readonly low: number;
  readonly high: number;
  constructor(source: SuspenderSource, low: number, high: number, options?: SuspenderOptions) {
    super(source, `SuspendWhenOutsideBand(${sourceName(source)} ∉ [${low}, ${high}])`, options);
    this.low = checkNumber('SuspendWhenOutsideBand low', low);
    this.high = checkNumber('SuspendWhenOutsideBand high', high);
    if (high < low) throw new InvalidInputError({ what: 'SuspendWhenOutsideBand high', value: high, reason: `must be >= low ${low}` });
  }
  protected shouldSuspend(v: unknown): boolean {
    const x = Number(v);
    return !(x >= this.low && x <= this.high);
  }
  protected shouldResume(v: unknown): boolean {
    return !this.shouldSuspend(v);
  }
}
