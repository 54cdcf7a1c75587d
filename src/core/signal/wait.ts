/**
 * Wait for a signal to reach a value.
 * @module
 */
import { TimeoutError } from '../errors.js';
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
