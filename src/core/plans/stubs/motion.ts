/**
 * Plan stubs that move things: absolute and relative sets, parallel moves, locate.
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../../errors.js';
import { deviceName, isLocatable, isMovable, isReadable } from '../../protocols.js';
import type { Locatable, Location, Movable } from '../../protocols.js';
import type { Status } from '../../status.js';
import { shortUid, type PlanGen, type Reply } from './replies.js';

/** Options of a set: group, wait for it, and the Status' own timeout. */
export interface SetOptions {
  group?: string;
  wait?: boolean;
  /** Timeout given to the device's set (the Status fails after it). */
  timeoutMs?: number;
}

function setMsg(obj: Movable, value: unknown, group: string | undefined, timeoutMs: number | undefined) {
  const m: { command: 'set'; obj: Movable; value: unknown; group?: string; timeoutMs?: number } = { command: 'set', obj, value };
  if (group !== undefined) m.group = group;
  if (timeoutMs !== undefined) m.timeoutMs = timeoutMs;
  return m;
}

/** Set `obj` to `value`; returns the Status. With `wait`, waits for it first. */
export function* absSet(obj: Movable, value: unknown, options: SetOptions = {}): PlanGen<Reply<'set'>> {
  if (!isMovable(obj)) throw new UnsupportedError({ device: deviceName(obj), verb: 'set' });
  const group = options.group ?? (options.wait ? shortUid('set') : undefined);
  const st = (yield setMsg(obj, value, group, options.timeoutMs)) as Reply<'set'>;
  if (options.wait) yield { command: 'wait', group: group as string };
  return st;
}

/** Set `obj` to its current setpoint plus `delta`; returns the Status. */
export function* relSet(obj: Movable, delta: number, options: SetOptions = {}): PlanGen<Reply<'set'>> {
  if (typeof delta !== 'number' || !Number.isFinite(delta)) throw new InvalidInputError({ what: `relSet ${deviceName(obj)}`, value: delta, reason: 'must be a finite number' });
  const here = yield* currentSetpoint(obj);
  return yield* absSet(obj, here + delta, options);
}

/**
 * Where `obj` is asked to be: its located setpoint, or (for devices that cannot locate) the
 * first value of its reading, as bluesky does. 0 when the engine gives no reply (dry runs).
 */
export function* currentSetpoint(obj: Movable): PlanGen<number> {
  let value: unknown;
  if (isLocatable(obj)) {
    const loc = (yield { command: 'locate', objs: [obj], squeeze: true }) as Reply<'locate'>;
    if (loc === undefined) return 0;
    value = (Array.isArray(loc) ? loc[0] : loc)?.setpoint;
  } else if (isReadable(obj)) {
    const reading = (yield { command: 'read', obj }) as Reply<'read'>;
    if (reading === undefined) return 0;
    value = Object.values(reading)[0]?.value;
  } else {
    throw new UnsupportedError({ device: deviceName(obj), verb: 'locate' });
  }
  if (typeof value !== 'number') throw new InvalidInputError({ what: `position of ${deviceName(obj)}`, value, reason: 'must be a number for a relative move' });
  return value;
}

/** Split `mv`-style arguments: motor/value pairs and an optional trailing options object. */
function pairsOf(args: unknown[], what: string): { pairs: Array<[Movable, unknown]>; options: SetOptions } {
  let options: SetOptions = {};
  let list = args;
  if (args.length % 2 === 1) {
    const last = args[args.length - 1];
    if (typeof last !== 'object' || last === null || isMovable(last)) {
      throw new InvalidInputError({ what, value: args.length, reason: 'expects motor, value pairs (and an optional options object)' });
    }
    options = last as SetOptions;
    list = args.slice(0, -1);
  }
  const pairs: Array<[Movable, unknown]> = [];
  for (let i = 0; i < list.length; i += 2) {
    const obj = list[i];
    if (!isMovable(obj)) throw new UnsupportedError({ device: deviceName(obj), verb: 'set' });
    pairs.push([obj, list[i + 1]]);
  }
  if (pairs.length === 0) throw new InvalidInputError({ what, value: 0, reason: 'needs at least one motor, value pair' });
  return { pairs, options };
}

/**
 * Move several devices in parallel and wait for all: `mv(m1, 1, m2, 2)`; an options object may
 * come last (`group`, `timeoutMs`). Returns the Statuses in order.
 */
export function* mv(...args: unknown[]): PlanGen<Array<Reply<'set'>>> {
  const { pairs, options } = pairsOf(args, 'mv');
  const group = options.group ?? shortUid('set');
  const statuses: Array<Status<unknown> | undefined> = [];
  for (const [obj, value] of pairs) statuses.push((yield setMsg(obj, value, group, options.timeoutMs)) as Reply<'set'>);
  yield { command: 'wait', group };
  return statuses;
}

/** Move several devices by offsets from their current setpoints, in parallel, and wait. */
export function* mvr(...args: unknown[]): PlanGen<Array<Reply<'set'>>> {
  const { pairs, options } = pairsOf(args, 'mvr');
  const absolute: unknown[] = [];
  for (const [obj, delta] of pairs) {
    if (typeof delta !== 'number' || !Number.isFinite(delta)) throw new InvalidInputError({ what: `mvr ${deviceName(obj)}`, value: delta, reason: 'must be a finite number' });
    const here = yield* currentSetpoint(obj);
    absolute.push(obj, here + delta);
  }
  return yield* mv(...absolute, options);
}

/** Locate devices: one Location for a single device (when `squeeze`), else one per device. */
export function* locate(...objs: Locatable[]): PlanGen<Location | Location[] | undefined> {
  for (const o of objs) if (!isLocatable(o)) throw new UnsupportedError({ device: deviceName(o), verb: 'locate' });
  return (yield { command: 'locate', objs, squeeze: true }) as Reply<'locate'>;
}

/**
 * Set property `propr` of `obj` to `value` and wait for it (redsun's set_property); returns the
 * Status. `timeoutMs` bounds the wait.
 */
export function* setProperty(obj: Movable, value: unknown, propr: string, timeoutMs?: number): PlanGen<Reply<'set'>> {
  if (!isMovable(obj)) throw new UnsupportedError({ device: deviceName(obj), verb: 'set' });
  if (typeof propr !== 'string' || propr === '') throw new InvalidInputError({ what: 'setProperty propr', value: propr, reason: 'must name a property' });
  const group = shortUid('set');
  const st = (yield { command: 'set', obj, value, group, propr }) as Reply<'set'>;
  yield timeoutMs === undefined ? { command: 'wait', group } : { command: 'wait', group, timeoutMs };
  return st;
}

/**
 * Move to one step of a scan (bluesky's move_per_step): checkpoint, set every motor whose
 * position differs from `posCache`, then wait for them together.
 */
export function* movePerStep(step: ReadonlyMap<Movable, unknown>, posCache: Map<Movable, unknown>): PlanGen<void> {
  yield { command: 'checkpoint' };
  const group = shortUid('set');
  for (const [motor, pos] of step) {
    if (posCache.has(motor) && posCache.get(motor) === pos) continue;
    yield { command: 'set', obj: motor, value: pos, group };
    posCache.set(motor, pos);
  }
  yield { command: 'wait', group };
}
