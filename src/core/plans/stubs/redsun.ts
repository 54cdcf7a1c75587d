/**
 * redsun's plan stubs: device caches (stash, clearCache) and action-driven flow
 * (waitForActions, readWhileWaiting, readAndStash). See seed 001.
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../../errors.js';
import { deviceName, hasCache, isTriggerable } from '../../protocols.js';
import type { HasCache, Readable, Readings } from '../../protocols.js';
import type { SRLatch } from '../../engine/latch.js';
import { triggerAndRead } from './acquire.js';
import { shortUid, type PlanGen, type Reply } from './replies.js';

/** Options of cache operations: group for a later wait, and whether to wait now. */
export interface CacheOptions {
  group?: string;
  wait?: boolean;
}

/** Stash readings into a device's cache (its Status joins `group`); optionally wait for it. */
export function* stash(obj: HasCache, readings: Readings, options: CacheOptions = {}): PlanGen<Reply<'stash'>> {
  if (!hasCache(obj)) throw new UnsupportedError({ device: deviceName(obj), verb: 'stash' });
  const group = options.group || shortUid('stash');
  const st = (yield { command: 'stash', obj, readings, group }) as Reply<'stash'>;
  if (options.wait) yield { command: 'wait', group };
  return st;
}

/** Clear a device's cache (its Status joins `group`); optionally wait for it. */
export function* clearCache(obj: HasCache, options: CacheOptions = {}): PlanGen<Reply<'clear_cache'>> {
  if (!hasCache(obj)) throw new UnsupportedError({ device: deviceName(obj), verb: 'clear' });
  const group = options.group || shortUid('clear_cache');
  const st = (yield { command: 'clear_cache', obj, group }) as Reply<'clear_cache'>;
  if (options.wait) yield { command: 'wait', group };
  return st;
}

/**
 * Wait until one of the latches is set (or reset, with `waitFor: 'reset'`), at most `timeoutMs`
 * (default 1 ms, as redsun). Returns `[name, latch]`, or undefined when none changed in time.
 */
export function* waitForActions(
  events: Record<string, SRLatch>,
  timeoutMs = 1,
  waitFor: 'set' | 'reset' = 'set',
): PlanGen<Reply<'wait_for_actions'>> {
  if (typeof events !== 'object' || events === null) throw new InvalidInputError({ what: 'waitForActions events', value: events, reason: 'must map action names to latches' });
  if (!(timeoutMs >= 0)) throw new InvalidInputError({ what: 'waitForActions timeoutMs', value: timeoutMs, reason: 'must be >= 0' });
  return (yield { command: 'wait_for_actions', events, timeoutMs, waitFor }) as Reply<'wait_for_actions'>;
}

/** Options of readWhileWaiting. */
export interface ReadWhileWaitingOptions {
  /** Stream the readings go to (default `primary`). */
  stream?: string;
  /** How long each wait for an action lasts, in ms (default 1000/60: 60 Hz). */
  refreshPeriodMs?: number;
  /** Wait for a latch to be set (default) or reset. */
  waitFor?: 'set' | 'reset';
}

/**
 * Trigger and read `objs` over and over until one of the action latches changes state: each
 * round is checkpoint, wait for actions (one refresh period), trigger-and-read. The round in
 * which an action fires still takes its reading. Returns `[name, latch]` of that action.
 */
export function* readWhileWaiting(
  objs: readonly Readable[],
  events: Record<string, SRLatch>,
  options: ReadWhileWaitingOptions = {},
): PlanGen<readonly [string, SRLatch]> {
  const { stream = 'primary', refreshPeriodMs = 1000 / 60, waitFor = 'set' } = options;
  if (Object.keys(events).length === 0) throw new InvalidInputError({ what: 'readWhileWaiting events', value: events, reason: 'needs at least one action latch (or it would never end)' });
  let fired: Reply<'wait_for_actions'>;
  while (fired === undefined) {
    yield { command: 'checkpoint' };
    fired = yield* waitForActions(events, refreshPeriodMs, waitFor);
    yield* triggerAndRead(objs, stream);
  }
  return fired;
}

/** Options of readAndStash. */
export interface ReadAndStashOptions extends CacheOptions {
  /** Stream of the event (default `primary`). */
  stream?: string;
}

/**
 * Trigger the triggerable `objs`, then bundle one event reading each and stashing its readings
 * into the paired cache (`cacheObjs[i]` for `objs[i]`). Returns all readings.
 */
export function* readAndStash(
  objs: readonly Readable[],
  cacheObjs: readonly HasCache[],
  options: ReadAndStashOptions = {},
): PlanGen<Readings> {
  if (objs.length !== cacheObjs.length) {
    throw new InvalidInputError({ what: 'readAndStash cacheObjs', value: cacheObjs.length, reason: `must pair one cache with each of the ${objs.length} devices` });
  }
  const { stream = 'primary', group, wait = false } = options;
  const triggerGroup = shortUid('trigger');
  let triggered = false;
  for (const obj of objs) {
    if (!isTriggerable(obj)) continue;
    triggered = true;
    yield { command: 'trigger', obj, group: triggerGroup };
  }
  if (triggered) yield { command: 'wait', group: triggerGroup };
  yield { command: 'create', name: stream };
  const out: Readings = {};
  for (let i = 0; i < objs.length; i++) {
    const obj = objs[i] as Readable;
    const reading = ((yield { command: 'read', obj }) as Reply<'read'>) ?? {};
    const cacheOptions: CacheOptions = { wait };
    if (group !== undefined) cacheOptions.group = group;
    yield* stash(cacheObjs[i] as HasCache, reading, cacheOptions);
    Object.assign(out, reading);
  }
  yield { command: 'save' };
  return out;
}
