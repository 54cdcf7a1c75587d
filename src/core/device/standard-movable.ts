/**
 * StandardMovable: the one `set()` for stages, pumps and setpoints. The driver injects a small
 * {@link MoveLogic} (how to move, read back and stop); the base checks limits, bounds the move by
 * a timeout, reports progress, stops on failure and cancels on stop (STYLE rule 4).
 * @module
 */
import { CanceledError, InvalidInputError, InvalidStateError, LimitsError, TimeoutError, toError } from '../errors.js';
import type { Checkable, Locatable, Location, MaybePromise, Stoppable } from '../protocols.js';
import { Status } from '../status.js';
import type { SignalR } from '../signal/signal.js';
import { StandardReadable } from './standard-readable.js';
import { DEFAULT_TIMEOUT_MS, raceAbort, withTimeout } from './timeout.js';

/** What a driver supplies to make a StandardMovable move. */
export interface MoveLogic {
  /** Where the device is (units), watched for progress during a move. */
  readonly readback: SignalR<number>;
  /** Where the device was asked to be; `locate()` falls back to the last target without it. */
  readonly setpoint?: SignalR<number>;
  /** Engineering units of readback and target, for progress and errors. */
  readonly units?: string;
  /** Decimal places, for progress. */
  readonly precision?: number;
  /**
   * Move to `target` and resolve once there (or reject with a typed error). An abort of `signal`
   * means "stop waiting" (a new target superseded this one, or the base gave up); halting the
   * hardware is `stop()`'s job, which the base calls when needed.
   */
  move(target: number, signal: AbortSignal): Promise<void>;
  /** Halt the motion. */
  stop(): Promise<void>;
  /** Allowed range of targets (units), or undefined for none. */
  limits?(): MaybePromise<{ low: number; high: number } | undefined>;
  /** Speed in units/s, for the default move timeout. */
  speed?(): MaybePromise<number | undefined>;
  /** Time in ms to reach speed from rest, for the default move timeout. */
  accelerationTimeMs?(): MaybePromise<number | undefined>;
  /**
   * The time limit of a move to `target` from `initial`, in ms (Infinity: none), replacing the
   * estimate from `speed` and `accelerationTimeMs` (e.g. a pump: volume / rate). An explicit
   * `set(target, { timeoutMs })` still wins.
   */
  timeoutMs?(target: number, initial: number): MaybePromise<number>;
  /**
   * Where progress comes from, when not from `readback` going from its value at the start to the
   * target (e.g. a pump: the volume pumped, from 0 to the volume asked).
   */
  progress?(target: number, initial: number): { source: SignalR<number>; initial: number; target: number };
}

/** The error a failed `stop()` after a failed or timed-out move left on the move's error, if any. */
export function stopErrorOf(error: unknown): Error | undefined {
  const e = error as { stopError?: unknown } | null;
  return e && e.stopError instanceof Error ? e.stopError : undefined;
}

/** Attach the failure of the halt that followed `error` to it (field `stopError`, and its message). */
function withStopError(error: Error, stopError: Error | undefined): Error {
  if (!stopError) return error;
  Object.defineProperty(error, 'stopError', { value: stopError, enumerable: true, configurable: true });
  error.message += `; stopping afterwards also failed: ${stopError.name}: ${stopError.message}`;
  return error;
}

/** Options of {@link StandardMovable.set}. */
export interface MoveOptions {
  /** Fail the move with TimeoutError (and stop) after this many ms, overriding the estimate; Infinity: never. */
  timeoutMs?: number;
  /** Name of the move's Status. Default `<device>.set(<target>)`. */
  name?: string;
}

/**
 * Return the default limit of a move in ms: travel time at `speed` (units/s) plus an acceleration
 * and a deceleration, plus `marginMs`; `fallbackMs` plus `marginMs` when the speed is unknown.
 */
export function moveTimeoutMs(p: { distance: number; speed?: number | undefined; accelerationTimeMs?: number | undefined; marginMs?: number; fallbackMs?: number }): number {
  const margin = p.marginMs ?? DEFAULT_TIMEOUT_MS;
  if (p.speed === undefined || !(p.speed > 0)) return (p.fallbackMs ?? 60_000) + margin;
  return (Math.abs(p.distance) / p.speed) * 1000 + 2 * Math.max(0, p.accelerationTimeMs ?? 0) + margin;
}

interface ActiveMove {
  status: Status<void>;
  abort: AbortController;
  target: number;
}

/**
 * A readable, movable device driven by an injected {@link MoveLogic}. Subclasses build their
 * signals, call {@link StandardMovable.setMoveLogic} and declare their readables. A new `set`
 * supersedes a running one (its Status fails with CanceledError, the hardware is retargeted, not
 * stopped); `stop()` fails the running Status with CanceledError and halts the hardware.
 */
export class StandardMovable extends StandardReadable implements Locatable<number>, Stoppable, Checkable<number> {
  /** Extra ms added to every estimated move timeout. */
  timeoutMarginMs = DEFAULT_TIMEOUT_MS;
  #logic: MoveLogic | undefined;
  #move: ActiveMove | undefined;
  #lastTarget: number | undefined;

  /** Install the move logic (once, in the subclass constructor). */
  protected setMoveLogic(logic: MoveLogic): void {
    this.#logic = logic;
  }

  /** Tell whether a move started by `set` is still running. */
  get moveInProgress(): boolean {
    return this.#move !== undefined;
  }

  /**
   * Move to `target`. Limits are checked before anything moves (LimitsError; the logic's `move`
   * is never called); the move is bounded by `timeoutMs` or an estimate from distance and speed
   * (TimeoutError, and the device is stopped); progress follows the readback; a failure of the
   * move stops the device. When that stop fails too, the move's error carries it as
   * `stopError` (see {@link stopErrorOf}); nothing is printed.
   */
  set(target: number, options: MoveOptions = {}): Status<void> {
    const status = new Status<void>({ name: options.name ?? `${this.name || '<unnamed>'}.set(${target})` });
    let logic: MoveLogic;
    try {
      logic = this.#requireLogic();
      if (typeof target !== 'number' || Number.isNaN(target)) {
        throw new InvalidInputError({ what: `${this.name}.set`, value: target, reason: 'expected a number' });
      }
    } catch (e) {
      status.setException(e);
      return status;
    }
    const previous = this.#move;
    if (previous) {
      const err = new CanceledError(`${this.name}: move to ${previous.target} superseded by set(${target})`);
      previous.abort.abort(err);
      if (!previous.status.done) previous.status.setException(err);
    }
    const move: ActiveMove = { status, abort: new AbortController(), target };
    this.#move = move;
    void this.#run(move, logic, options.timeoutMs);
    return status;
  }

  /** Throw LimitsError if `value` lies outside the logic's limits (InvalidInputError if not a number). */
  async checkValue(value: number): Promise<void> {
    const logic = this.#requireLogic();
    if (typeof value !== 'number' || Number.isNaN(value)) throw new InvalidInputError({ what: `${this.name}.set`, value, reason: 'expected a number' });
    const lim = await logic.limits?.();
    if (lim && (value < lim.low || value > lim.high)) throw new LimitsError({ device: this.name, value, low: lim.low, high: lim.high, units: logic.units });
  }

  /** Fail a running move with `reason` and stop waiting for it, without halting the hardware (e.g. on close). */
  protected cancelMove(reason: CanceledError): void {
    const move = this.#move;
    if (!move) return;
    move.abort.abort(reason);
    if (!move.status.done) move.status.setException(reason);
  }

  /** Return the setpoint (or last target) and the readback. */
  async locate(): Promise<Location<number>> {
    const logic = this.#requireLogic();
    const readback = await logic.readback.getValue();
    const setpoint = logic.setpoint ? await logic.setpoint.getValue() : (this.#lastTarget ?? readback);
    return { setpoint, readback };
  }

  /**
   * Halt the device. A running move's Status fails with CanceledError (also when `success` is
   * true: the target was not reached); `success: false` marks an emergency stop in the reason.
   */
  async stop(options: { success?: boolean } = {}): Promise<void> {
    const logic = this.#requireLogic();
    const move = this.#move;
    if (move) {
      const kind = options.success === false ? 'emergency stop' : 'stopped';
      const err = new CanceledError(`${this.name}: move to ${move.target} ${kind}`);
      move.abort.abort(err);
      if (!move.status.done) move.status.setException(err);
    }
    await logic.stop();
  }

  async #run(move: ActiveMove, logic: MoveLogic, explicitTimeoutMs: number | undefined): Promise<void> {
    const { status, abort, target } = move;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut: TimeoutError | undefined;
    let unsubscribe: (() => void) | undefined;
    let started = false;
    try {
      await raceAbort(this.checkValue(target), abort.signal);
      const initial = await raceAbort(logic.readback.getValue(), abort.signal);
      const timeoutMs = explicitTimeoutMs ?? (await raceAbort(this.#limit(logic, target, initial), abort.signal));
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => {
        timedOut = new TimeoutError({ operation: status.name, afterMs: Math.round(timeoutMs) });
        abort.abort(timedOut);
      }, timeoutMs);
      const from = logic.progress?.(target, initial) ?? { source: logic.readback, initial, target };
      const progress = { initial: from.initial, target: from.target, ...(logic.units ? { units: logic.units } : {}), ...(logic.precision !== undefined ? { precision: logic.precision } : {}) };
      unsubscribe = from.source.subscribeValue((current) => {
        if (!status.done) status.updateProgress({ current, ...progress });
      });
      this.#lastTarget = target;
      started = true;
      const moving = logic.move(target, abort.signal);
      moving.catch(() => undefined);
      await raceAbort(moving, abort.signal);
      if (!status.done) status.setFinished();
    } catch (e) {
      // Canceled or superseded: already reported by stop()/set(). Timed out or failed: halt, then report.
      if (abort.signal.aborted && !(timedOut && abort.signal.reason === timedOut)) return;
      const error = timedOut ?? toError(e);
      if (!abort.signal.aborted) abort.abort(error);
      const stopError = started ? await this.#halt(logic) : undefined;
      if (!status.done) status.setException(withStopError(error, stopError));
    } finally {
      clearTimeout(timer);
      unsubscribe?.();
      if (this.#move === move) this.#move = undefined;
    }
  }

  async #limit(logic: MoveLogic, target: number, initial: number): Promise<number> {
    if (logic.timeoutMs) return logic.timeoutMs(target, initial);
    return this.#estimate(logic, target - initial);
  }

  async #estimate(logic: MoveLogic, distance: number): Promise<number> {
    const [speed, accelerationTimeMs] = await Promise.all([logic.speed?.(), logic.accelerationTimeMs?.()]);
    return moveTimeoutMs({ distance, speed, accelerationTimeMs, marginMs: this.timeoutMarginMs });
  }

  /** Halt after a failed move; return the halt's own failure (reported on the move's error, never printed). */
  async #halt(logic: MoveLogic): Promise<Error | undefined> {
    try {
      await withTimeout(logic.stop(), DEFAULT_TIMEOUT_MS, `${this.name || 'device'}.stop after a failed move`);
      return undefined;
    } catch (e) {
      return toError(e);
    }
  }

  #requireLogic(): MoveLogic {
    if (!this.#logic) throw new InvalidStateError(`${this.name || 'device'}: no move logic installed (call setMoveLogic)`);
    return this.#logic;
  }
}
