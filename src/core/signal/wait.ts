/**
 * Wait for a signal to reach a value.
 * @module
 */
import { TimeoutError, toError } from '../errors.js';
import type { SignalR } from './signal.js';

/**
 * Resolve with the first value that equals `match` (or satisfies it, if a function), checking the
 * current value first; reject with TimeoutError after `timeoutMs` (default the signal's). The
 * subscription and timer are removed either way.
 */
export function waitForValue<T>(signal: SignalR<T>, match: T | ((value: T) => boolean), options: { timeoutMs?: number } = {}): Promise<T> {
  const test = typeof match === 'function' ? (match as (v: T) => boolean) : (v: T) => Object.is(v, match);
  const timeoutMs = options.timeoutMs ?? signal.timeoutMs;
  return new Promise<T>((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      queueMicrotask(() => unsubscribe?.());
      fn();
    };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => finish(() => reject(new TimeoutError({ operation: `waiting for ${signal.name || 'signal'} to match`, afterMs: timeoutMs }))), timeoutMs)
      : undefined;
    unsubscribe = signal.subscribeValue((v) => {
      try {
        if (test(v)) finish(() => resolve(v));
      } catch (e) {
        finish(() => reject(e as Error));
      }
    });
  });
}

/** Options of {@link waitForStable}. */
export interface WaitForStableOptions {
  /** Reject with TimeoutError after this many ms (default the signal's timeoutMs; Infinity: never). */
  timeoutMs?: number;
  /** Reject with the signal's reason (an Error) as soon as it aborts. */
  signal?: AbortSignal;
  /** Name of what is awaited, for the TimeoutError (default `<signal> stable`). */
  operation?: string;
}

/**
 * Resolve with the value once `predicate` has held for every value delivered during `holdMs`
 * (a value failing it restarts the hold; `holdMs` 0 resolves on the first value that passes).
 * Rejects with TimeoutError after `timeoutMs`, with the abort reason when `signal` aborts, or with
 * what `predicate` throws (e.g. a DeviceError when the device reports it cannot get there). The
 * subscription and both timers are removed either way.
 */
export function waitForStable<T>(
  signal: SignalR<T>,
  predicate: (value: T) => boolean,
  holdMs: number,
  options: WaitForStableOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? signal.timeoutMs;
  const abort = options.signal;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let unsubscribe: (() => void) | undefined;
    let hold: ReturnType<typeof setTimeout> | undefined;
    let last: T;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(hold);
      abort?.removeEventListener('abort', onAbort);
      queueMicrotask(() => unsubscribe?.());
      fn();
    };
    const onAbort = (): void => finish(() => reject(toError(abort!.reason)));
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => finish(() => reject(new TimeoutError({ operation: options.operation ?? `waiting for ${signal.name || 'signal'} to be stable for ${holdMs} ms`, afterMs: timeoutMs }))), timeoutMs)
      : undefined;
    if (abort?.aborted) return onAbort();
    abort?.addEventListener('abort', onAbort, { once: true });
    unsubscribe = signal.subscribeValue((v) => {
      if (settled) return;
      last = v;
      let ok: boolean;
      try {
        ok = predicate(v);
      } catch (e) {
        finish(() => reject(toError(e)));
        return;
      }
      if (!ok) {
        clearTimeout(hold);
        hold = undefined;
      } else if (holdMs <= 0) {
        finish(() => resolve(v));
      } else {
        hold ??= setTimeout(() => finish(() => resolve(last)), holdMs);
      }
    });
    if (settled) queueMicrotask(() => unsubscribe?.());
  });
}
