/**
 * Handlers of staging and configuration: stage, unstage, configure.
 * @module
 */
import { InvalidStateError, UnsupportedError } from '../../errors.js';
import { deviceName } from '../../protocols.js';
import { isStatus } from '../../status.js';
import type { HandlerContext } from '../host.js';
import type { MsgOf } from '../messages.js';

/** Whether `obj` has both `stage` and `unstage` (bluesky skips an object with only one of them). */
const stageable = (obj: unknown): obj is { stage(): unknown; unstage(): unknown } =>
  typeof (obj as { stage?: unknown } | undefined)?.stage === 'function' && typeof (obj as { unstage?: unknown }).unstage === 'function';

/** stage: stage a device (devices without both `stage` and `unstage` are skipped, as bluesky); implies a checkpoint. */
export function stage(msg: MsgOf<'stage'>, ctx: HandlerContext): unknown {
  const obj = msg.obj;
  if (!stageable(obj)) return undefined;
  const ret = obj.stage();
  ctx.staged.add(obj);
  ctx.implicitCheckpoint();
  if (isStatus(ret)) ctx.groups.add(ret, msg.group);
  return ret;
}

/** unstage: unstage a device (skipped unless it has both `stage` and `unstage`); implies a checkpoint. */
export function unstage(msg: MsgOf<'unstage'>, ctx: HandlerContext): unknown {
  const obj = msg.obj;
  if (!stageable(obj)) return undefined;
  const ret = obj.unstage();
  ctx.staged.delete(obj);
  ctx.implicitCheckpoint();
  if (isStatus(ret)) ctx.groups.add(ret, msg.group);
  return ret;
}

/** configure: change a device's configuration; later descriptors record it. Returns `[old, new]`. */
export function configure(msg: MsgOf<'configure'>, ctx: HandlerContext): unknown {
  const obj = msg.obj;
  if (typeof obj?.configure !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'configure' });
  for (const run of ctx.runs.values()) {
    if (run.bundling) throw new InvalidStateError("'configure' between 'create' and 'save' is not allowed");
  }
  const after = (v: unknown): unknown => {
    for (const run of ctx.runs.values()) run.invalidateConfiguration(obj);
    return v;
  };
  const r = obj.configure(msg.values);
  return r instanceof Promise ? r.then(after) : after(r);
}
