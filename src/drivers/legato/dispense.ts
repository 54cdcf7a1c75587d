/**
 * The dispense move of a pump, through its signals only (so it runs on mock signals too): set the
 * rate (when given), clear the direction's volume counter, set the target volume, run, then watch
 * `status` until the pump reports the target reached (`T*`, flag 6), a stall (`*`, flag 3) or an
 * early stop. It is the `move` of the pump's StandardMovable logic: the base bounds it by
 * {@link dispenseTimeoutMs}, reports progress from the volume pumped, halts the pump on failure
 * and cancels it on `stop()`.
 * @module
 */
import { DeviceError } from '../../core/errors.js';
import { raceAbort, sleep } from '../../core/device/timeout.js';
import type { LegatoPump } from './device.js';
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

/** The signals a dispense drives: these members of a LegatoPump (their declarations and docs are the pump's). */
export type DispenseTarget = Pick<
  LegatoPump,
  'name' | 'infuseRate' | 'withdrawRate' | 'targetVolume' | 'clearInfusedVolume' | 'clearWithdrawnVolume' | 'runInfuse' | 'runWithdraw' | 'volume' | 'running' | 'stalled' | 'targetReached'
>;

/** A checked dispense request. */
export interface DispensePlan {
  /** Volume, µl (> 0). */
  ul: number;
  direction: Direction;
  /** Rate to set first, µl/min; undefined keeps the pump's rate. */
  ulPerMin: number | undefined;
  pollMs: number;
  timeoutMs: number | undefined;
  /** The pump's rate for this dispense, µl/min, once known (read once, by the time limit or the move). */
  rate?: number;
}

/** Return the time limit of `plan`, ms: its own, else 1.5 × volume/rate + 5 s (60 s when the rate is 0). */
export async function dispenseTimeoutMs(pump: DispenseTarget, plan: DispensePlan): Promise<number> {
  if (plan.timeoutMs !== undefined) return plan.timeoutMs;
  const rate = (plan.rate ??= plan.ulPerMin ?? (await (plan.direction === 'infuse' ? pump.infuseRate : pump.withdrawRate).getValue()));
  return rate > 0 ? (1.5 * plan.ul * 60_000) / rate + 5000 : 60_000;
}

/** Run `plan` until the target is reached; `progress` gets the volume pumped (µl). Rejects with DeviceError on a stall or an early stop. */
export async function dispense(pump: DispenseTarget, plan: DispensePlan, signal: AbortSignal, progress: (ul: number) => void): Promise<void> {
  const infuse = plan.direction === 'infuse';
  const step = <T>(p: PromiseLike<T>): Promise<T> => raceAbort(Promise.resolve(p), signal);
  const rateSignal = infuse ? pump.infuseRate : pump.withdrawRate;
  if (plan.ulPerMin !== undefined) await step(rateSignal.set(plan.ulPerMin));
  else plan.rate ??= await step(rateSignal.getValue());
  await step((infuse ? pump.clearInfusedVolume : pump.clearWithdrawnVolume).trigger());
  await step(pump.targetVolume.set(plan.ul));
  await step((infuse ? pump.runInfuse : pump.runWithdraw).trigger());
  for (;;) {
    const [volume, reached, stalled, running] = await step(
      Promise.all([pump.volume.getValue(), pump.targetReached.getValue(), pump.stalled.getValue(), pump.running.getValue()]),
    );
    progress(volume);
    if (stalled) throw new DeviceError({ device: pump.name, vendorMessage: `stalled after ${volume} of ${plan.ul} ul (prompt *)`, vendorCode: 'stall', kind: 'stall' });
    if (reached) return;
    if (!running) throw new DeviceError({ device: pump.name, vendorMessage: `stopped after ${volume} of ${plan.ul} ul, before the target`, vendorCode: 'stopped', kind: 'stopped' });
    await sleep(plan.pollMs, signal);
  }
}
