/**
 * Bound a promise by a time limit (internal helper of the signal and device layers).
 * @module
 */
import { TimeoutError, toError } from '../errors.js';

/** Default limit in ms for connects, reads and writes when the caller gives none. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Settle with `promise`, or reject with a TimeoutError naming `operation` after `timeoutMs`.
 * An infinite (or undefined) limit waits for the promise alone. The timer is always cleared.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined, operation: string): Promise<T> {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError({ operation, afterMs: timeoutMs })), Math.max(0, timeoutMs));
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

/** Settle with `promise`, or reject with the signal's reason as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as unknown);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Wait `ms`; with `signal`, reject with its reason (as an Error) as soon as it aborts. The timer
 * and the abort listener are removed either way. The one abortable sleep of the library.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(toError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(toError(signal!.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
