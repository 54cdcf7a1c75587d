/**
 * Engine-level timeouts on device verbs (issue 14): a read, trigger or set that never finishes
 * fails the plan with a TimeoutError naming the device, instead of hanging the run. The bound
 * comes from the message's own `timeoutMs`, else the engine's `timeouts.devices[name]`, else the
 * engine-wide `timeouts` (none by default, as bluesky).
 * @module
 */
import { StatusTimeoutError, TimeoutError, WaitTimeoutError } from '../../errors.js';
import { deviceName } from '../../protocols.js';
import { Status } from '../../status.js';
import { setLongTimeout } from '../../timers.js';
import type { HandlerContext } from '../host.js';

/** Which bound applies. */
export type VerbBound = 'readMs' | 'triggerMs' | 'setMs';

/** The timeout, in ms, for `verb` of `obj` (undefined: no bound). */
export function verbTimeout(ctx: HandlerContext, obj: unknown, verb: VerbBound, own: number | undefined): number | undefined {
  if (own !== undefined) return own;
  const t = ctx.host.timeouts;
  const per = t.devices;
  if (per !== undefined) {
    const d = per[deviceName(obj)];
    if (d !== undefined && d[verb] !== undefined) return d[verb];
  }
  return t[verb];
}

/**
 * A Status that follows `st` but fails with TimeoutError(`operation`) after `ms`; `st` itself is
 * returned when it is already done or there is no bound. The timer ends with `st` or when the
 * engine is interrupted.
 */
export function withDeadline(ctx: HandlerContext, st: Status<unknown>, ms: number | undefined, operation: string): Status<unknown> {
  if (ms === undefined || st.done) return st;
  const d = new Status<unknown>({ name: st.name });
  const signal = ctx.signal;
  const stop = (): void => {
    timer.clear();
    signal.removeEventListener('abort', stop);
  };
  const timer = setLongTimeout(() => {
    signal.removeEventListener('abort', stop);
    if (!d.done) d.setException(new TimeoutError({ operation, afterMs: ms, detail: ' (engine timeout; see RunEngine timeouts)' }));
  }, ms);
  signal.addEventListener('abort', stop, { once: true });
  st.addCallback((s) => {
    stop();
    if (d.done) return;
    if (s.success) d.setFinished(s.value);
    else {
      const e = s.exception();
      // StatusTimeoutError/WaitTimeoutError are reserved for a Status' own timer: pass it on as a TimeoutError.
      d.setException(e instanceof StatusTimeoutError || e instanceof WaitTimeoutError
        ? new TimeoutError({ operation: e.operation, afterMs: e.afterMs, cause: e })
        : e ?? new Error(`${s.name} failed`));
    }
  });
  return d;
}
