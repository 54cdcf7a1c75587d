/**
 * Status: the one asynchronous contract between the run engine and devices.
 *
 * A Status is created by whoever starts an operation (a move, a trigger) and completed by it,
 * once, with {@link Status.setFinished} or {@link Status.setException}. Anyone may watch it:
 * `await status`, {@link Status.addCallback} (each callback runs exactly once, at once if the
 * Status is already done), {@link Status.wait} with a limit, or {@link Status.watch} for progress.
 *
 * Semantics follow ophyd/redsun (seed 001): an optional timeout (plus settle time) fails the
 * Status with {@link StatusTimeoutError}; a completion that arrives after the timeout is ignored
 * but a second completion call is still an {@link InvalidStateError}.
 * @module
 */
import { CanceledError, InvalidStateError, StatusTimeoutError, WaitTimeoutError, toError } from './errors.js';
import { setLongTimeout, type LongTimer } from './timers.js';

/** Progress of a watchable Status (a move, an acquisition). */
export interface StatusProgress {
  /** Name of the operation or device. */
  name: string;
  current: number;
  initial: number;
  target: number;
  units?: string;
  precision?: number;
  /** 0..1 of the way from initial to target (1 when initial equals target). */
  fraction: number;
  /** Milliseconds since the Status was created. */
  elapsedMs: number;
  /** Estimated milliseconds left, from the rate so far; undefined before any progress. */
  remainingMs: number | undefined;
}

/** Options of a new Status. */
export interface StatusOptions {
  /** Fail with StatusTimeoutError after this many ms (plus settleMs). Undefined: never. */
  timeoutMs?: number | undefined;
  /** Delay in ms between setFinished and the Status being done. Default 0. */
  settleMs?: number;
  /** Name used in messages and progress, e.g. `motor.set(3)`. */
  name?: string;
}

/** Callback run once when a Status is done. */
export type StatusCallback<S> = (status: S) => void;

let callbackErrorReporter: (err: Error, status: Status<unknown>) => void = (err, status) => {
  console.error(`labrig: a callback of ${status.name} threw:`, err);
};

/** Track an operation that completes later; awaitable, with callbacks, timeout, settle and progress. */
export class Status<T = void> implements PromiseLike<T> {
  /** Name used in messages. */
  readonly name: string;
  /** Timeout in ms, or undefined for none. */
  readonly timeoutMs: number | undefined;
  /** Settle time in ms. */
  readonly settleMs: number;
  /** `performance.now()` when the Status was created. */
  readonly startedAt: number;

  #done = false;
  #success = false;
  #exception: Error | undefined;
  #value: T | undefined;
  #completionCalls = 0;
  #expired = false;
  // Stored with an erased parameter type so that Status<T> stays covariant in T.
  #callbacks: Array<StatusCallback<never>> | undefined;
  #timer: LongTimer | undefined;
  #settleTimer: LongTimer | undefined;
  #promise: Promise<T> | undefined;
  #watchers: Array<(p: StatusProgress) => void> | undefined;
  #lastProgress: StatusProgress | undefined;
  #abort: AbortController | undefined;

  constructor(options: StatusOptions = {}) {
    this.name = options.name ?? 'status';
    this.timeoutMs = options.timeoutMs;
    this.settleMs = options.settleMs ?? 0;
    this.startedAt = performance.now();
    if (this.timeoutMs !== undefined) {
      if (!(this.timeoutMs >= 0)) throw new InvalidStateError(`${this.name}: timeoutMs must be >= 0, got ${this.timeoutMs}`);
      const limit = this.timeoutMs + this.settleMs;
      this.#timer = setLongTimeout(() => this.#onTimeout(limit), limit);
    }
    if (statusObserver) statusObserver.onCreate(this as Status<unknown>);
  }

  /** True once the Status has finished, successfully or not. */
  get done(): boolean {
    return this.#done;
  }
  /** True once the Status has finished successfully. */
  get success(): boolean {
    return this.#success;
  }
  /** The value given to setFinished, once done successfully. */
  get value(): T | undefined {
    return this.#value;
  }
  /** Milliseconds since creation. */
  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
  /** The error the Status failed with, or undefined (also while pending). */
  exception(): Error | undefined {
    return this.#exception;
  }

  /**
   * An AbortSignal aborted when the Status fails (timeout, cancel, exception), so the work
   * behind it can stop. Created on first use.
   */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    if (this.#done && !this.#success && !this.#abort.signal.aborted) this.#abort.abort(this.#exception);
    return this.#abort.signal;
  }

  /** Mark the operation as finished (after settleMs). Call at most once, by the Status' owner. */
  setFinished(value?: T): void {
    this.#claimCompletion('setFinished');
    if (this.#expired) return;
    this.#timer?.clear();
    this.#timer = undefined;
    if (this.settleMs > 0) {
      this.#settleTimer = setLongTimeout(() => this.#finish(true, value, undefined), this.settleMs);
    } else {
      this.#finish(true, value, undefined);
    }
  }

  /** Mark the operation as failed with `error`. Call at most once, by the Status' owner. */
  setException(error: unknown): void {
    const err = toError(error);
    if (err instanceof StatusTimeoutError || err instanceof WaitTimeoutError) {
      // These two are reserved for the Status' own timeout and for waiters, as in ophyd.
      throw new InvalidStateError(`${this.name}: ${err.name} is reserved for Status' own timeouts; use TimeoutError`);
    }
    this.#claimCompletion('setException');
    if (this.#expired) return;
    this.#timer?.clear();
    this.#timer = undefined;
    this.#finish(false, undefined, err);
  }

  /** Fail a pending Status with a CanceledError; does nothing once it is done or completing. */
  cancel(reason = `${this.name} canceled`): boolean {
    if (this.#done || this.#completionCalls > 0) return false;
    this.setException(new CanceledError(reason));
    return true;
  }

  /** Run `callback` exactly once when done; at once (synchronously) if already done. */
  addCallback(callback: StatusCallback<this>): void {
    if (this.#done) this.#runCallback(callback);
    else (this.#callbacks ??= []).push(callback as StatusCallback<never>);
  }

  /**
   * Wait until done, at most `timeoutMs`. Resolves with the value, rejects with the Status'
   * exception, or with WaitTimeoutError (the Status itself carries on) when the wait gives up.
   */
  wait(timeoutMs?: number): Promise<T> {
    if (timeoutMs === undefined || this.#done) return this.#asPromise();
    return new Promise<T>((resolve, reject) => {
      const t = setLongTimeout(() => reject(new WaitTimeoutError({ operation: `waiting for ${this.name}`, afterMs: timeoutMs })), timeoutMs);
      this.#asPromise().then(
        (v) => {
          t.clear();
          resolve(v);
        },
        (e: unknown) => {
          t.clear();
          reject(e);
        },
      );
    });
  }

  /** Make the Status awaitable: resolves with the value or rejects with the exception. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#asPromise().then(onFulfilled, onRejected);
  }

  /** Handle a failure (Promise.prototype.catch): a Status is a full thenable. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#asPromise().catch(onRejected);
  }

  /** Run `onFinally` when done, whatever the outcome (Promise.prototype.finally). */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#asPromise().finally(onFinally);
  }

  /** Listen to progress updates; called at once with the last one. Returns an unsubscribe function. */
  watch(listener: (progress: StatusProgress) => void): () => void {
    if (this.#done) return () => {};
    (this.#watchers ??= []).push(listener);
    if (this.#lastProgress) listener(this.#lastProgress);
    return () => {
      const i = this.#watchers?.indexOf(listener) ?? -1;
      if (i >= 0) this.#watchers!.splice(i, 1);
    };
  }

  /** Report progress (called by the Status' owner). */
  updateProgress(p: { current: number; initial: number; target: number; units?: string; precision?: number }): void {
    const span = p.target - p.initial;
    const raw = span === 0 ? 1 : (p.current - p.initial) / span;
    const fraction = Math.min(1, Math.max(0, raw));
    const elapsedMs = this.elapsedMs;
    const remainingMs = fraction > 0 ? (elapsedMs * (1 - fraction)) / fraction : undefined;
    const progress: StatusProgress = { name: this.name, ...p, fraction, elapsedMs, remainingMs };
    this.#lastProgress = progress;
    if (this.#watchers) for (const w of [...this.#watchers]) w(progress);
  }

  /** The last progress reported, if any. */
  get progress(): StatusProgress | undefined {
    return this.#lastProgress;
  }

  /** Describe the Status for logs. */
  toString(): string {
    return `Status(${this.name}, ${this.#done ? (this.#success ? 'done' : `failed: ${this.#exception?.message}`) : 'pending'})`;
  }

  /** A Status that is already finished with `value`. */
  static finished<T = void>(value?: T, name = 'finished'): Status<T> {
    const s = new Status<T>({ name });
    s.setFinished(value);
    return s;
  }

  /** A Status that has already failed with `error`. */
  static failed<T = void>(error: unknown, name = 'failed'): Status<T> {
    const s = new Status<T>({ name });
    s.setException(error);
    return s;
  }

  /**
   * Run async `work` and track it with a Status. `work` receives an AbortSignal that aborts if
   * the Status fails first (timeout or cancel), so it can stop what it started (declare the
   * parameter: work declared without one is not given the signal).
   */
  static wrap<T>(work: (signal: AbortSignal) => Promise<T> | T, options: StatusOptions = {}): Status<T> {
    const s = new Status<T>(options);
    let result: Promise<T>;
    try {
      // The AbortController is only made for work that takes the signal (an arity check).
      result = Promise.resolve(work.length > 0 ? work(s.signal) : (work as () => Promise<T> | T)());
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (v) => {
        if (s.#completionCalls === 0) s.setFinished(v);
      },
      (e: unknown) => {
        if (s.#completionCalls === 0) s.setException(e);
      },
    );
    return s;
  }

  /** A Status done when every one is done; fails with the first failure. */
  static all(statuses: Iterable<Status<unknown>>, options: StatusOptions = {}): Status<void> {
    const list = [...statuses];
    const out = new Status<void>({ name: options.name ?? `all(${list.length})`, ...options });
    let left = list.length;
    if (left === 0) out.setFinished();
    for (const st of list) {
      st.addCallback(() => {
        if (out.done || out.#completionCalls > 0) return;
        if (!st.success) out.setException(st.exception());
        else if (--left === 0) out.setFinished();
      });
    }
    return out;
  }

  /** A Status done when the first one succeeds; fails only when all fail. */
  static any<T>(statuses: Iterable<Status<T>>, options: StatusOptions = {}): Status<T> {
    const list = [...statuses];
    const out = new Status<T>({ name: options.name ?? `any(${list.length})`, ...options });
    const errors: Error[] = [];
    if (list.length === 0) out.setException(new InvalidStateError('Status.any of no statuses'));
    for (const st of list) {
      st.addCallback(() => {
        if (out.done || out.#completionCalls > 0) return;
        if (st.success) out.setFinished(st.value);
        else {
          errors.push(st.exception() ?? new Error('unknown failure'));
          if (errors.length === list.length) out.setException(new AggregateError(errors, `${out.name}: every status failed`));
        }
      });
    }
    return out;
  }

  /** Set how errors thrown by callbacks are reported (default: console.error). */
  static setCallbackErrorReporter(reporter: (err: Error, status: Status<unknown>) => void): void {
    callbackErrorReporter = reporter;
  }

  #claimCompletion(method: string): void {
    this.#completionCalls++;
    if (this.#completionCalls > 1) {
      throw new InvalidStateError(`${this.name}: ${method} called after the Status was already completed`);
    }
  }

  #onTimeout(limit: number): void {
    this.#timer = undefined;
    if (this.#done) return;
    this.#expired = true;
    this.#settleTimer?.clear();
    this.#finish(false, undefined, new StatusTimeoutError({ operation: this.name, afterMs: limit }));
  }

  #finish(success: boolean, value: T | undefined, err: Error | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#success = success;
    this.#value = value;
    this.#exception = err;
    this.#settleTimer = undefined;
    if (!success && this.#abort && !this.#abort.signal.aborted) this.#abort.abort(err);
    const cbs = this.#callbacks;
    this.#callbacks = undefined;
    this.#watchers = undefined;
    if (cbs) for (const cb of cbs) this.#runCallback(cb as StatusCallback<this>);
    if (statusObserver) statusObserver.onDone(this as Status<unknown>);
  }

  #runCallback(cb: StatusCallback<this>): void {
    try {
      cb(this);
    } catch (e) {
      callbackErrorReporter(toError(e), this as Status<unknown>);
    }
  }

  #asPromise(): Promise<T> {
    this.#promise ??= new Promise<T>((resolve, reject) => {
      this.addCallback((s) => (s.#success ? resolve(s.#value as T) : reject(s.#exception)));
    });
    return this.#promise;
  }
}

/** Instrumentation hook used by labrig/testing's leak guard to find Statuses left pending. */
export interface StatusObserver {
  onCreate(status: Status<unknown>): void;
  onDone(status: Status<unknown>): void;
}
let statusObserver: StatusObserver | undefined;

/** Install (or remove, with undefined) the Status observer; returns the previous one. */
export function setStatusObserver(observer: StatusObserver | undefined): StatusObserver | undefined {
  const prev = statusObserver;
  statusObserver = observer;
  return prev;
}

/** Tell whether `x` behaves like a Status (has addCallback and done). */
export function isStatus(x: unknown): x is Status<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as Status<unknown>).addCallback === 'function' && 'done' in x;
}
