/**
 * adaptiveScan: a 1-D scan whose step size follows the signal — small steps where the target
 * field changes fast, large ones where it is flat (bluesky's adaptive_scan).
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { isReadable, type Movable, type Readable } from '../protocols.js';
import { triggerAndRead } from './stubs/acquire.js';
import { axisFields, checkDetectors, checkFinite, checkMotor } from './stubs/devices.js';
import { shortUid } from './stubs/replies.js';
import { relativeToStart } from './scan.js';
import { defaultHint, mergeMd, names, stagedRun, type RunPlan } from './wrap.js';

/** Parameters of adaptiveScan. */
export interface AdaptiveScanArgs {
  /** Data key whose change sets the step size (e.g. `det`). */
  targetField: string;
  motor: Movable;
  start: number;
  stop: number;
  /** Smallest step (> 0). */
  minStep: number;
  /** Largest step (> minStep). */
  maxStep: number;
  /** Change of the target field wanted between points. */
  targetDelta: number;
  /** Go back and retake a point when the step just taken was too large. */
  backstep: boolean;
  /** A step counts as too large when the new step is below `threshold` times it (default 0.8). */
  threshold?: number;
  md?: Record<string, unknown>;
}

/**
 * Scan `motor` from `start` towards `stop`, reading the detectors and the motor at each point.
 * The next step is `targetDelta / |slope|` of the target field, clipped to [minStep, maxStep]
 * and smoothed (80 % old step, 20 % new); with `backstep`, a step that overshot the wanted
 * change is retaken shorter. Emits one run; returns its uid.
 */
export function adaptiveScan(detectors: readonly Readable[], a: AdaptiveScanArgs): RunPlan {
  const dets = checkDetectors(detectors);
  const motor = checkMotor(a.motor, 'adaptiveScan motor');
  const start = checkFinite(a.start, 'adaptiveScan start');
  const stop = checkFinite(a.stop, 'adaptiveScan stop');
  const minStep = checkFinite(a.minStep, 'adaptiveScan minStep');
  const maxStep = checkFinite(a.maxStep, 'adaptiveScan maxStep');
  const targetDelta = checkFinite(a.targetDelta, 'adaptiveScan targetDelta');
  const threshold = checkFinite(a.threshold ?? 0.8, 'adaptiveScan threshold');
  if (!(minStep > 0 && maxStep > minStep)) throw new InvalidInputError({ what: 'adaptiveScan steps', value: [minStep, maxStep], reason: 'need 0 < minStep < maxStep' });
  if (!(targetDelta > 0)) throw new InvalidInputError({ what: 'adaptiveScan targetDelta', value: targetDelta, reason: 'must be > 0' });
  if (typeof a.targetField !== 'string' || a.targetField === '') throw new InvalidInputError({ what: 'adaptiveScan targetField', value: a.targetField, reason: 'must name a data key' });
  const defaults: Record<string, unknown> = {
    detectors: names(dets),
    motors: [motor.name],
    plan_args: {
      detectors: names(dets), motor: motor.name, start, stop, min_step: minStep, max_step: maxStep,
      target_field: a.targetField, target_delta: targetDelta, backstep: a.backstep, threshold,
    },
    plan_name: 'adaptive_scan',
    hints: {},
  };
  const md = mergeMd(defaults, a.md);
  defaultHint(md, 'dimensions', [[axisFields(motor), 'primary']]);
  const direction = stop >= start ? 1 : -1;
  const devices: Readable[] = [...dets];
  if (isReadable(motor) && !devices.includes(motor)) devices.push(motor);

  return stagedRun([...dets, motor], md, function* () {
    let next = start;
    let step = (maxStep - minStep) / 2;
    let past: number | undefined;
    while (next * direction <= stop * direction) {
      yield { command: 'checkpoint' };
      const group = shortUid('set');
      yield { command: 'set', obj: motor, value: next, group };
      yield { command: 'wait', group };
      const readings = yield* triggerAndRead(devices);
      const v = readings[a.targetField]?.value;
      if (typeof v !== 'number') throw new InvalidInputError({ what: 'adaptiveScan targetField', value: a.targetField, reason: 'is not a numeric field of the readings' });
      if (past === undefined) {
        past = v;
        next += step * direction;
        continue;
      }
      const slope = Math.abs(v - past) / step;
      const wanted = slope > 0 ? Math.min(maxStep, Math.max(minStep, targetDelta / slope)) : Math.min(step * 1.1, maxStep);
      if (a.backstep && wanted < step * threshold) {
        next -= step * direction;
        step = wanted;
      } else {
        past = v;
        step = 0.2 * wanted + 0.8 * step;
      }
      next += step * direction;
    }
  });
}

/** Like adaptiveScan, with start and stop relative to the motor's position; it returns afterwards. */
export function relAdaptiveScan(detectors: readonly Readable[], a: AdaptiveScanArgs): RunPlan {
  return relativeToStart(adaptiveScan(detectors, { ...a, md: mergeMd({ plan_name: 'rel_adaptive_scan' }, a.md) }), [a.motor]);
}
