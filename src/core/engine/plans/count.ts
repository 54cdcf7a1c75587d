/**
 * count: read detectors a number of times (or until stopped), with optional delays.
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import type { Readable } from '../../protocols.js';
import { oneShot, repeat } from '../plan-stubs/acquire.js';
import { checkDetectors } from '../plan-stubs/devices.js';
import type { PlanGen } from '../plan-stubs/replies.js';
import { defaultHint, mergeMd, names, stagedRun, type RunPlan } from './wrap.js';

/** What count does at each shot (default: checkpoint, then trigger and read the detectors). */
export type PerShot = (detectors: Readable[]) => PlanGen<unknown>;

/** Options of count beyond bluesky's positional arguments. */
export interface CountOptions {
  perShot?: PerShot;
}

/**
 * Take `num` readings of the detectors (forever when `num` is null, until the engine stops the
 * plan), `delaySeconds` apart: a number, or one value per gap. Emits one run with a `primary`
 * stream; returns the run uid.
 */
export function count(
  detectors: readonly Readable[],
  num: number | null = 1,
  delaySeconds?: number | readonly number[] | null,
  md?: Record<string, unknown>,
  options: CountOptions = {},
): RunPlan {
  const dets = checkDetectors(detectors);
  if (num !== null && (typeof num !== 'number' || !Number.isInteger(num) || num < 1)) {
    throw new InvalidInputError('count num', num, 'must be a whole number >= 1, or null to count until stopped');
  }
  const delay = delaySeconds ?? 0;
  if (Array.isArray(delay)) {
    if (num === null) throw new InvalidInputError('count delaySeconds', delay, 'a list of delays needs a finite num');
    if (delay.length !== num - 1) throw new InvalidInputError('count delaySeconds', delay.length, `must give num - 1 = ${num - 1} delays`);
  }
  for (const d of typeof delay === 'number' ? [delay] : delay) {
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) throw new InvalidInputError('count delaySeconds', d, 'must be finite seconds >= 0');
  }
  const perShot = options.perShot ?? ((d: Readable[]) => oneShot(d));
  const defaults: Record<string, unknown> = {
    detectors: names(dets),
    num_points: num,
    num_intervals: num === null ? null : num - 1,
    plan_args: { detectors: names(dets), num, delay: delaySeconds ?? null },
    plan_name: 'count',
    hints: {},
  };
  const full = mergeMd(defaults, md);
  defaultHint(full, 'dimensions', [[['time'], 'primary']]);
  // Validate the delay list up front (repeat checks the rest) so nothing is yielded on bad input.
  const body = repeat(() => perShot([...dets]), num, delay);
  return stagedRun(dets, full, () => body);
}
