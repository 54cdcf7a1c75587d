/**
 * The dispense operation of a pump, through its signals only (so it runs on mock signals too):
 * set the rate (when given), clear the direction's volume counter, set the target volume, run,
 * then watch `status` until the pump reports the target reached (`T*`, flag 6), a stall (`*`,
 * flag 3) or an early stop. Progress is the volume pumped so far, µl.
 * @module
 */
import { CanceledError, DeviceError, TimeoutError, toError } from '../../core/errors.js';
import { raceAbort } from '../../core/device/timeout.js';
import type { SignalR } from '../../core/signal/signal.js';
import type { SignalRW, SignalX } from '../../core/signal/writable.js';
import { Status } from '../../core/status.js';
import type { Direction } from './protocol.js';

/** Options of a dispense. */
export interface DispenseOptions {
  /** Direction; default from the volume's sign (negative withdraws). */
  direction?: Direction;
  /** Fail with TimeoutError (and STOP) after this many ms. Default: 1.5 × volume/rate + 5 s. */
  timeoutMs?: number;
  /** Status poll period, ms. Default the pump's `pollMs` (50). */
  pollMs?: number;
}

/** The signals a dispense drives (a LegatoPump has them all). */
export interface DispenseTarget {
  readonly name: string;
  readonly infuseRate: SignalRW<number>;
  readonly withdrawRate: SignalRW<number>;
  readonly targetVolume: SignalRW<number>;
  readonly clearInfusedVolume: SignalX;
  readonly clearWithdrawnVolume: SignalX;
  readonly runInfuse: SignalX;
  readonly runWithdraw: SignalX;
  readonly halt: SignalX;
  readonly volume: SignalR<number>;
  readonly running: SignalR<boolean>;
  readonly stalled: SignalR<boolean>;
  readonly targetReached: SignalR<boolean>;
}

/** A checked dispense request. */
export interface DispensePlan {
  /** Volume, µl (> 0). */
  ul: number;
  direction: Direction;
  /** Rate to set first, µl/min; undefined keeps the pump's rate. */
  ulPerMin: number | undefined;
  pollMs: number;
  timeoutMs: number | undefined;
}

/** A running dispense: its Status and how to cancel it. */
export interface ActiveDispense {
  readonly status: Status<void>;
  /** Fail the Status with `reason` and stop waiting (the caller stops the pump). */
  cancel(reason: CanceledError): void;
}

/** Start a dispense on `pump` (the request was checked by the caller). */
export function startDispense(pump: DispenseTarget, plan: DispensePlan): ActiveDispense {
  const sign = plan.direction === 'withdraw' ? '-' : '';
  const status = new Status<void>({ name: `${pump.name || 'pump'}.dispense(${sign}${plan.ul} ul)` });
  const abort = new AbortController();
  const cancel = (reason: CanceledError): void => {
    if (status.done) return;
    abort.abort(reason);
    status.setException(reason);
  };
  void run(pump, plan, status, abort);
  return { status, cancel };
}

async function run(pump: DispenseTarget, plan: DispensePlan, status: Status<void>, abort: AbortController): Promise<void> {
  const infuse = plan.direction === 'infuse';
  const rateSignal = infuse ? pump.infuseRate : pump.withdrawRate;
  const step = <T>(p: Promise<T> | PromiseLike<T>): Promise<T> => raceAbort(Promise.resolve(p), abort.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let started = false;
  try {
    if (plan.ulPerMin !== undefined) await step(rateSignal.set(plan.ulPerMin));
    const rate = plan.ulPerMin ?? (await step(rateSignal.getValue()));
    const limitMs = plan.timeoutMs ?? (rate > 0 ? (1.5 * plan.ul * 60_000) / rate + 5000 : 60_000);
    if (Number.isFinite(limitMs)) {
      timer = setTimeout(() => {
        const err = new TimeoutError({ operation: status.name, afterMs: Math.round(limitMs) });
        abort.abort(err);
        if (!status.done) status.setException(err);
        void haltQuietly(pump);
      }, limitMs);
    }
    await step((infuse ? pump.clearInfusedVolume : pump.clearWithdrawnVolume).trigger());
    await step(pump.targetVolume.set(plan.ul));
    started = true;
    await step((infuse ? pump.runInfuse : pump.runWithdraw).trigger());
    for (;;) {
      const [volume, reached, stalled, running] = await step(
        Promise.all([pump.volume.getValue(), pump.targetReached.getValue(), pump.stalled.getValue(), pump.running.getValue()]),
      );
      if (!status.done) status.updateProgress({ current: volume, initial: 0, target: plan.ul, units: 'ul', precision: 4 });
      if (stalled) throw new DeviceError({ device: pump.name, vendorMessage: `stalled after ${volume} of ${plan.ul} ul (prompt *)`, vendorCode: 'stall', kind: 'stall' });
      if (reached) break;
      if (!running) throw new DeviceError({ device: pump.name, vendorMessage: `stopped after ${volume} of ${plan.ul} ul, before the target`, vendorCode: 'stopped', kind: 'stopped' });
      await sleep(plan.pollMs, abort.signal);
    }
    if (!status.done) status.setFinished();
  } catch (e) {
    if (abort.signal.aborted) return; // canceled or timed out: already reported
    abort.abort(e);
    if (!status.done) status.setException(toError(e));
    if (started) await haltQuietly(pump);
  } finally {
    clearTimeout(timer);
  }
}

/** Wait `ms`, or reject with the signal's reason as soon as it aborts (the timer is cleared). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as unknown);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as unknown);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function haltQuietly(pump: DispenseTarget): Promise<void> {
  try {
    await pump.halt.trigger();
  } catch (e) {
    console.error(`labrig: ${pump.name}: STOP after a failed dispense also failed:`, e);
  }
}
