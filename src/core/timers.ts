/**
 * Timers for any duration: Node's setTimeout fires at once (with a TimeoutOverflowWarning) for
 * delays above 2^31-1 ms (~24.8 days), so longer delays are chained in chunks; `Infinity` never
 * fires. Used wherever a user-given duration becomes a timer (sleeps, Status and wait timeouts).
 * @module
 */

/** The longest delay one setTimeout honours, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending long timer; `clear()` cancels it (idempotent). */
export interface LongTimer {
  clear(): void;
}

const NEVER: LongTimer = { clear() {} };

/** Call `fn` after `ms` milliseconds, whatever their size (chunked above {@link MAX_TIMER_MS}). */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  if (!(ms < Infinity)) return NEVER;
  let left = ms > 0 ? ms : 0;
  let handle: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    const step = left > MAX_TIMER_MS ? MAX_TIMER_MS : left;
    left -= step;
    handle = setTimeout(() => {
      if (left > 0) arm();
      else {
        handle = undefined;
        fn();
      }
    }, step);
  };
  arm();
  return {
    clear(): void {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
  };
}
