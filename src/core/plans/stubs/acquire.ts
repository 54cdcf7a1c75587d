/**
 * Plan stubs that acquire data: trigger, read, trigger-and-read, describe, and the inner loops
 * of count and step scans (one shot, one step, repeat).
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../../errors.js';
import { deviceName, isLocatable, isReadable, isTriggerable } from '../../protocols.js';
import type { Collectable, DataKeys, Movable, Readable, Readings, Triggerable } from '../../protocols.js';
import { hintedFields, separateDevices } from './devices.js';
import { movePerStep } from './motion.js';
import { shortUid, type PlanGen, type Reply } from './replies.js';
import { waitFor } from './flow.js';

/** Trigger `obj`; returns its Status. With `wait`, waits for it first. */
export function* trigger(obj: Triggerable, options: { group?: string; wait?: boolean } = {}): PlanGen<Reply<'trigger'>> {
  if (!isTriggerable(obj)) throw new UnsupportedError({ device: deviceName(obj), verb: 'trigger' });
  const group = options.group ?? (options.wait ? shortUid('trigger') : undefined);
  const st = (yield group === undefined ? { command: 'trigger', obj } : { command: 'trigger', obj, group }) as Reply<'trigger'>;
  if (options.wait) yield { command: 'wait', group: group as string };
  return st;
}

/** Read `obj` into the event being bundled (if any); returns its readings. */
export function* read(obj: Readable): PlanGen<Reply<'read'>> {
  if (!isReadable(obj)) throw new UnsupportedError({ device: deviceName(obj), verb: 'read' });
  return (yield { command: 'read', obj }) as Reply<'read'>;
}

/**
 * Read one value of a device: its single hinted field, else the field named like the device,
 * else its only (or first) field. Returns `defaultValue` when the engine gives no reading.
 */
export function* rd(obj: Readable, defaultValue: unknown = 0): PlanGen<unknown> {
  if (isLocatable(obj)) {
    // bluesky's rd: a Locatable answers with its readback.
    const loc = (yield { command: 'locate', objs: [obj], squeeze: true }) as Reply<'locate'>;
    if (loc === undefined) return defaultValue;
    return Array.isArray(loc) ? loc[0]?.readback : loc.readback;
  }
  const hints = hintedFields(obj);
  if (hints && hints.length > 1) {
    throw new InvalidInputError({ what: `rd ${deviceName(obj)}`, value: hints, reason: 'has several hinted fields; read it with read() and pick one' });
  }
  const reading = yield* read(obj);
  if (reading === undefined) return defaultValue;
  const keys = Object.keys(reading);
  const key = hints?.[0] ?? (keys.includes(obj.name) ? obj.name : keys[0]);
  if (key === undefined) throw new InvalidInputError({ what: `rd ${deviceName(obj)}`, value: reading, reason: 'returned no fields' });
  const r = reading[key];
  if (r === undefined) throw new InvalidInputError({ what: `rd ${deviceName(obj)}`, value: keys, reason: `has no field '${key}'` });
  return r.value;
}

/**
 * Trigger every triggerable device, wait, then bundle one event of stream `name` with a read of
 * each device. If a read fails, the event is dropped and the error goes on. Returns the
 * readings; with no devices, yields a `null` message and returns `{}`.
 */
export function* triggerAndRead(devices: readonly Readable[], name = 'primary'): PlanGen<Readings> {
  if (devices.length === 0) {
    yield { command: 'null' };
    return {};
  }
  const devs = separateDevices(devices);
  let group: string | undefined;
  for (const obj of devs) {
    if (!isTriggerable(obj)) continue;
    group ??= shortUid('trigger');
    yield { command: 'trigger', obj, group };
  }
  if (group !== undefined) yield { command: 'wait', group };
  yield { command: 'create', name };
  const out: Readings = {};
  try {
    for (const obj of devs) {
      const reading = (yield { command: 'read', obj }) as Reply<'read'>;
      if (reading) Object.assign(out, reading);
    }
  } catch (err) {
    yield { command: 'drop' };
    throw err;
  }
  yield { command: 'save' };
  return out;
}

/** Describe a Readable device (redsun's describe stub); returns its data keys. */
export function* describe(obj: Readable): PlanGen<DataKeys | undefined> {
  if (!isReadable(obj)) throw new UnsupportedError({ device: deviceName(obj), verb: 'describe' });
  let keys: DataKeys | undefined;
  yield* waitFor([async () => {
    keys = await obj.describe();
  }]);
  return keys;
}

/** Describe what a Collectable device will collect. */
export function* describeCollect(obj: Collectable): PlanGen<Record<string, DataKeys> | DataKeys | undefined> {
  let keys: Record<string, DataKeys> | DataKeys | undefined;
  yield* waitFor([async () => {
    keys = await obj.describeCollect();
  }]);
  return keys;
}

/** How a step takes its reading: a plan over the devices to read (default triggerAndRead). */
export type TakeReading = (devices: Readable[], name?: string) => PlanGen<unknown>;

/** Inner loop of `count`: checkpoint, then take a reading of the detectors. */
export function* oneShot(detectors: readonly Readable[], takeReading: TakeReading = triggerAndRead): PlanGen<unknown> {
  yield { command: 'checkpoint' };
  return yield* takeReading([...detectors]);
}

/** Inner loop of a 1-D scan: move `motor` to `step`, then read detectors and motor. */
export function* one1dStep(
  detectors: readonly Readable[],
  motor: Movable,
  step: unknown,
  takeReading: TakeReading = triggerAndRead,
): PlanGen<unknown> {
  const group = shortUid('set');
  yield { command: 'checkpoint' };
  yield { command: 'set', obj: motor, value: step, group };
  yield { command: 'wait', group };
  const devices: Readable[] = [...detectors];
  if (isReadable(motor)) devices.push(motor);
  return yield* takeReading(devices);
}

/**
 * Inner loop of an N-D scan: move the motors that change (see movePerStep), then read the
 * detectors and the readable motors.
 */
export function* oneNdStep(
  detectors: readonly Readable[],
  step: ReadonlyMap<Movable, unknown>,
  posCache: Map<Movable, unknown>,
  takeReading: TakeReading = triggerAndRead,
): PlanGen<unknown> {
  yield* movePerStep(step, posCache);
  const devices: Readable[] = [...detectors];
  for (const m of step.keys()) if (isReadable(m)) devices.push(m);
  return yield* takeReading(devices);
}

/**
 * Repeat a plan `num` times (forever when null), with a checkpoint before each and `delay`
 * seconds from the start of one repetition to the start of the next (a number, or one per gap).
 * Unlike bluesky, no sleep follows the last repetition. Returns the last repetition's result.
 */
export function repeat<R>(plan: () => PlanGen<R>, num: number | null = 1, delay: number | readonly number[] = 0): PlanGen<R | undefined> {
  if (num !== null && (!Number.isInteger(num) || num < 1)) throw new InvalidInputError({ what: 'repeat num', value: num, reason: 'must be a whole number >= 1 or null' });
  if (Array.isArray(delay)) {
    if (num === null) throw new InvalidInputError({ what: 'repeat delay', value: delay, reason: 'a list of delays needs a finite num' });
    if (delay.length < num - 1) throw new InvalidInputError({ what: 'repeat delay', value: delay.length, reason: `needs at least num - 1 = ${num - 1} entries` });
  }
  const delays: readonly number[] | number = delay;
  for (const d of typeof delays === 'number' ? [delays] : delays) {
    if (typeof d !== 'number' || !(d >= 0) || !Number.isFinite(d)) throw new InvalidInputError({ what: 'repeat delay', value: d, reason: 'must be finite seconds >= 0' });
  }
  return repeatInner(plan, num, delays);
}

function* repeatInner<R>(plan: () => PlanGen<R>, num: number | null, delay: readonly number[] | number): PlanGen<R | undefined> {
  let last: R | undefined;
  for (let i = 0; num === null || i < num; i++) {
    const startedS = performance.now() / 1000;
    yield { command: 'checkpoint' };
    last = yield* plan();
    if (num !== null && i + 1 >= num) break;
    const d = typeof delay === 'number' ? delay : (delay[i] ?? 0);
    const left = d - (performance.now() / 1000 - startedS);
    if (left > 0) yield { command: 'sleep', seconds: left };
  }
  return last;
}
