/**
 * Handlers of flyers, collection and monitors: kickoff, complete, collect, prepare, monitor, unmonitor.
 * @module
 */
import { InvalidStateError, UnsupportedError } from '../../errors.js';
import { deviceName } from '../../protocols.js';
import type { Status } from '../../status.js';
import { collectFrom } from '../collect.js';
import type { HandlerContext } from '../host.js';
import { asStatus } from '../groups.js';
import type { MsgOf } from '../messages.js';

/** kickoff: start a fly scan (needs an open run); the flyer is collected at cleanup if the plan does not. */
export function kickoff(msg: MsgOf<'kickoff'>, ctx: HandlerContext): Status<unknown> {
  const run = ctx.requireRun(msg.run, 'kickoff');
  const obj = msg.obj;
  if (typeof obj?.kickoff !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'kickoff' });
  const st = asStatus(obj.kickoff(), `${deviceName(obj)}.kickoff`);
  run.uncollected.add(obj);
  if (typeof (obj as { stop?: unknown }).stop === 'function') ctx.moved.add(obj);
  ctx.groups.add(st, msg.group);
  return st;
}

/** complete: tell a flyer to finish; its Status joins `group`. */
export function complete(msg: MsgOf<'complete'>, ctx: HandlerContext): Status<unknown> {
  const obj = msg.obj;
  if (typeof obj?.complete !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'complete' });
  const st = asStatus(obj.complete(), `${deviceName(obj)}.complete`);
  ctx.groups.add(st, msg.group);
  return st;
}

/** collect: emit what a flyer gathered (events, or stream_resource/stream_datum documents). */
export function collect(msg: MsgOf<'collect'>, ctx: HandlerContext): Promise<unknown> {
  const run = ctx.requireRun(msg.run, 'collect');
  return collectFrom(ctx, run, msg.obj, { name: msg.name, stream: msg.stream, returnPayload: msg.returnPayload });
}

/** prepare: prepare a device for a fly scan; its Status joins `group`. */
export function prepare(msg: MsgOf<'prepare'>, ctx: HandlerContext): Status<unknown> {
  const obj = msg.obj;
  if (typeof obj?.prepare !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'prepare' });
  const st = asStatus(obj.prepare(msg.value), `${deviceName(obj)}.prepare`);
  ctx.groups.add(st, msg.group);
  return st;
}

/** monitor: emit an event on stream `name` (default the device's name) each time the device reports. */
export function monitor(msg: MsgOf<'monitor'>, ctx: HandlerContext): Promise<void> {
  const run = ctx.requireRun(msg.run, 'monitor');
  const obj = msg.obj;
  if (typeof obj?.subscribe !== 'function' || typeof obj.clearSub !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'subscribe' });
  if (run.monitors.has(obj)) throw new InvalidStateError(`${deviceName(obj)} is already monitored in run ${run.uid}`);
  const name = msg.name ?? `${deviceName(obj)}_monitor`;
  return run.describeAndConfig(obj).then(() => {
    // Monitoring again after unmonitor continues the same stream (bluesky re-uses its descriptor).
    const prev = run.streams.get(name);
    const stream = prev !== undefined && prev.kind === 'monitor' && prev.objs.length === 1 && prev.objs[0] === obj
      ? prev
      : run.addStream(name, 'monitor', [obj], run.describedKeys([obj]));
    run.addMonitor(obj, stream);
    ctx.implicitCheckpoint();
  });
}

/** unmonitor: stop monitoring a device. */
export function unmonitor(msg: MsgOf<'unmonitor'>, ctx: HandlerContext): void {
  ctx.requireRun(msg.run, 'unmonitor').removeMonitor(msg.obj);
  ctx.implicitCheckpoint();
}
