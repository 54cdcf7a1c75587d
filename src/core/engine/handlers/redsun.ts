/**
 * redsun's handlers: stash, clear_cache, wait_for_actions.
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../../errors.js';
import { deviceName } from '../../protocols.js';
import type { Status } from '../../status.js';
import type { HandlerContext } from '../host.js';
import { asStatus } from '../groups.js';
import type { SRLatch } from '../latch.js';
import type { MsgOf } from '../messages.js';
import { checkMs } from './motion.js';

/** stash: put readings into a device's cache; the Status joins `group`. */
export function stash(msg: MsgOf<'stash'>, ctx: HandlerContext): Status<unknown> {
  const obj = msg.obj;
  if (typeof obj?.stash !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'stash' });
  if (msg.readings === null || typeof msg.readings !== 'object') throw new InvalidInputError({ what: 'stash readings', value: msg.readings, reason: 'must be readings' });
  const st = asStatus(obj.stash(msg.readings), `${deviceName(obj)}.stash`);
  ctx.groups.add(st, msg.group);
  return st;
}

/** clear_cache: empty a device's cache; the Status joins `group`. */
export function clearCache(msg: MsgOf<'clear_cache'>, ctx: HandlerContext): Status<unknown> {
  const obj = msg.obj;
  if (typeof obj?.clear !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'clear' });
  const st = asStatus(obj.clear(), `${deviceName(obj)}.clear`);
  ctx.groups.add(st, msg.group);
  return st;
}

const isLatch = (x: unknown): x is SRLatch =>
  typeof x === 'object' && x !== null && typeof (x as SRLatch).isSet === 'function' && typeof (x as SRLatch).waitForSet === 'function';

/**
 * wait_for_actions: wait until one latch of `events` is set (or reset, with `waitFor: 'reset'`);
 * returns `[name, latch]`, or undefined when `timeoutMs` passes first (or the engine is interrupted).
 */
export function waitForActions(msg: MsgOf<'wait_for_actions'>, ctx: HandlerContext): [string, SRLatch] | undefined | Promise<[string, SRLatch] | undefined> {
  const events = msg.events;
  if (events === null || typeof events !== 'object') throw new InvalidInputError({ what: 'wait_for_actions events', value: events, reason: 'must map names to SRLatches' });
  const want = msg.waitFor ?? 'set';
  if (want !== 'set' && want !== 'reset') throw new InvalidInputError({ what: 'wait_for_actions waitFor', value: want, reason: "must be 'set' or 'reset'" });
  const ms = checkMs('wait_for_actions timeoutMs', msg.timeoutMs);
  const entries = Object.entries(events);
  for (const [name, latch] of entries) {
    if (!isLatch(latch)) throw new InvalidInputError({ what: `wait_for_actions events.${name}`, value: latch, reason: 'must be an SRLatch' });
    if (latch.isSet() === (want === 'set')) return [name, latch];
  }
  if (ms === 0 || entries.length === 0) return undefined;
  const outer = ctx.signal;
  const inner = new AbortController();
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (v: [string, SRLatch] | undefined): void => {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuter);
      inner.abort();
      resolve(v);
    };
    const onOuter = (): void => done(undefined);
    outer.addEventListener('abort', onOuter, { once: true });
    for (const [name, latch] of entries) {
      const p = want === 'set' ? latch.waitForSet(undefined, inner.signal) : latch.waitForReset(undefined, inner.signal);
      p.then(() => done([name, latch]), () => undefined);
    }
    if (ms !== undefined) timer = setTimeout(() => done(undefined), ms);
  });
}
