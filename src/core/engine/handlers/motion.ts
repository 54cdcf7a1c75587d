/**
 * Handlers of motion, triggers and waits: set, trigger, wait, wait_for, locate, stop.
 * @module
 */
import { InvalidInputError, TimeoutError, UnsupportedError } from '../../errors.js';
import { deviceName } from '../../protocols.js';
import type { Location } from '../../protocols.js';
import { asStatus } from '../groups.js';
import { Status, isStatus } from '../../status.js';
import { verbTimeout, withDeadline } from './deadline.js';
import { setLongTimeout } from '../../timers.js';
import type { HandlerContext } from '../host.js';
import type { MsgOf } from '../messages.js';

/** Check an optional duration in ms. */
export function checkMs(what: string, ms: unknown): number | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== 'number' || !(ms >= 0)) throw new InvalidInputError({ what, value: ms, reason: 'must be a number of milliseconds >= 0' });
  return ms;
}

/** set: start a move; the Status joins `group` and is returned to the plan. */
export function set(msg: MsgOf<'set'>, ctx: HandlerContext): Status<unknown> {
  const obj = msg.obj as { set?: (v: unknown, o?: Record<string, unknown>) => unknown };
  if (typeof obj?.set !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'set' });
  let ret: unknown;
  if (msg.timeoutMs === undefined && msg.propr === undefined) {
    ctx.moved.add(obj);
    ret = obj.set(msg.value);
  } else {
    const o: Record<string, unknown> = {};
    if (msg.timeoutMs !== undefined) o['timeoutMs'] = checkMs('set timeoutMs', msg.timeoutMs);
    if (msg.propr !== undefined) o['propr'] = msg.propr;
    ctx.moved.add(obj);
    ret = obj.set(msg.value, o);
  }
  // The name is built only when the device did not return a Status (hot path: it did).
  const st = ret instanceof Status || isStatus(ret) ? ret : asStatus(ret, `${deviceName(obj)}.set`);
  // The plan gets the device's Status (progress, watch); the group holds it under the engine's deadline.
  ctx.groups.add(st.done ? st : withDeadline(ctx, st, verbTimeout(ctx, obj, 'setMs', undefined), `set of ${deviceName(obj)}`), msg.group);
  return st;
}

/** trigger: start an acquisition; the Status joins `group` and is returned to the plan. */
export function trigger(msg: MsgOf<'trigger'>, ctx: HandlerContext): Status<unknown> {
  const obj = msg.obj;
  if (typeof obj?.trigger !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'trigger' });
  if (msg.timeoutMs !== undefined) checkMs('trigger timeoutMs', msg.timeoutMs);
  const ret = obj.trigger();
  const st = ret instanceof Status || isStatus(ret) ? ret : asStatus(ret, `${deviceName(obj)}.trigger`);
  ctx.groups.add(st.done ? st : withDeadline(ctx, st, verbTimeout(ctx, obj, 'triggerMs', msg.timeoutMs), `trigger of ${deviceName(obj)}`), msg.group);
  return st;
}

/** wait: block until every Status of `group` (all groups if none) is done; true when done. */
export function wait(msg: MsgOf<'wait'>, ctx: HandlerContext): boolean | Promise<boolean> {
  // A bad timeoutMs is refused even when nothing is pending; the default is looked up only when needed.
  const given = msg.timeoutMs === undefined ? undefined : checkMs('wait timeoutMs', msg.timeoutMs);
  if (ctx.groups.size === 0) return true;
  return ctx.groups.wait(msg.group, {
    timeoutMs: given ?? ctx.host.timeouts.waitMs,
    moveOn: msg.moveOn,
    signal: ctx.getSignal,
    onWaiting: ctx.host.waitingHook ? ctx.waitingListener : undefined,
    consumed: ctx.consume,
  });
}

/** Race `p` against a timer of `ms` (TimeoutError naming `what`) and the engine's interrupt signal. */
export function withTimeout<T>(p: Promise<T>, ms: number | undefined, what: string, signal: AbortSignal): Promise<T> {
  if (ms === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    const end = (): void => {
      timer.clear();
      signal.removeEventListener('abort', end);
    };
    const timer = setLongTimeout(() => {
      end();
      reject(new TimeoutError({ operation: what, afterMs: ms }));
    }, ms);
    signal.addEventListener('abort', end, { once: true });
    p.then(
      (v) => {
        end();
        resolve(v);
      },
      (e: unknown) => {
        end();
        reject(e);
      },
    );
  });
}

/**
 * wait_for: wait until every awaitable settles (TimeoutError after `timeoutMs`); returns one
 * settled result per awaitable (`{status: 'fulfilled', value}` or `{status: 'rejected', reason}`),
 * as bluesky hands back the finished tasks rather than failing on the first rejection.
 */
export function waitFor(msg: MsgOf<'wait_for'>, ctx: HandlerContext): Promise<PromiseSettledResult<unknown>[]> {
  if (!Array.isArray(msg.awaitables)) throw new InvalidInputError({ what: 'wait_for awaitables', value: msg.awaitables, reason: 'must be an array of functions returning promises' });
  const ms = checkMs('wait_for timeoutMs', msg.timeoutMs);
  const ps = msg.awaitables.map((f, i) => {
    if (typeof f !== 'function') throw new InvalidInputError({ what: `wait_for awaitables[${i}]`, value: f, reason: 'must be a function returning a promise' });
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(e);
    }
  });
  return withTimeout(Promise.allSettled(ps), ms, 'wait_for', ctx.signal);
}

/** locate: setpoint and readback of each device (one Location when a single device and `squeeze`). */
export function locate(msg: MsgOf<'locate'>, _ctx: HandlerContext): unknown {
  const objs = msg.objs;
  if (!Array.isArray(objs) || objs.length === 0) throw new InvalidInputError({ what: 'locate objs', value: objs, reason: 'must list at least one device' });
  const results = objs.map((o) => {
    if (typeof (o as { locate?: unknown })?.locate !== 'function') throw new UnsupportedError({ device: deviceName(o), verb: 'locate' });
    return o.locate();
  });
  const squeeze = (list: Location[]): Location | Location[] => (list.length === 1 && msg.squeeze !== false ? list[0]! : list);
  if (results.some((r) => r instanceof Promise)) return Promise.all(results).then(squeeze);
  return squeeze(results as Location[]);
}

/** stop: stop a device now. */
export function stop(msg: MsgOf<'stop'>, _ctx: HandlerContext): unknown {
  const obj = msg.obj;
  if (typeof obj?.stop !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'stop' });
  return obj.stop();
}
