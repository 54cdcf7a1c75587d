/**
 * The rig-wide emergency stop: `stop({ success: false })` on every device at once, each bounded
 * by a timeout, then each family's confirmation that the device is stopped (Galil: every axis
 * reads `_BG` 0 and motor off; Alicat: `HLD` in the frame; Legato: motor stopped in the status
 * reply). One device failing or hanging never holds up the others; the report has the time from
 * the request to the last device confirmed.
 * @module
 */
import { TimeoutError, toError } from '../core/errors.js';
import { raceAbort } from '../core/device/timeout.js';
import type { RigMember } from './open.js';
import type { EStopReport, EStopResult } from './types.js';

/** Default limit of one device's e-stop (stop + confirmation), ms. */
export const ESTOP_TIMEOUT_MS = 2000;

async function stopOne(m: RigMember, t0: number, timeoutMs: number): Promise<EStopResult> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new TimeoutError({ operation: `${m.name}: e-stop`, afterMs: timeoutMs })), timeoutMs);
  const result = (ok: boolean, detail: string, error?: Error): EStopResult => ({
    device: m.name, family: m.family, ok, elapsedMs: performance.now() - t0, detail, ...(error ? { error } : {}),
  });
  try {
    if (typeof m.device.stop !== 'function') return result(true, 'nothing to stop');
    let stopping: Promise<void>;
    try {
      stopping = Promise.resolve(m.device.stop({ success: false }));
    } catch (e) {
      stopping = Promise.reject(toError(e));
    }
    await raceAbort(stopping, abort.signal);
    return result(true, await m.entry.family.confirmStopped(m.device, abort.signal));
  } catch (e) {
    const err = toError(e);
    return result(false, `${err.name}: ${err.message}`, err);
  } finally {
    clearTimeout(timer);
  }
}

/** E-stop `members` in parallel (see the module notes); never rejects. */
export async function eStopMembers(members: readonly RigMember[], timeoutMs = ESTOP_TIMEOUT_MS): Promise<EStopReport> {
  const t0 = performance.now();
  const list = await Promise.all(members.map((m) => stopOne(m, t0, timeoutMs)));
  const elapsedMs = performance.now() - t0;
  return { elapsedMs, ok: list.every((r) => r.ok), results: Object.fromEntries(list.map((r) => [r.device, r])) };
}

/** Format a report as lines: a summary, then one line per device. */
export function formatEStop(report: EStopReport): string[] {
  const all = Object.values(report.results);
  const head = report.ok
    ? `e-stop: all ${all.length} devices stopped in ${report.elapsedMs.toFixed(1)} ms`
    : `e-stop: ${all.filter((r) => !r.ok).length} of ${all.length} devices NOT confirmed stopped after ${report.elapsedMs.toFixed(1)} ms`;
  return [head, ...all.map((r) => `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.device} (${r.family}) ${r.elapsedMs.toFixed(1)} ms: ${r.detail}`)];
}
