/**
 * Handlers of staging and configuration: stage, unstage, configure.
 * @module
 */
import { InvalidStateError, UnsupportedError } from '../../errors.js';
import { deviceName } from '../../protocols.js';
import { isStatus } from '../../status.js';
import type { Execution } from '../execution.js';
import type { MsgOf } from '../messages.js';

/** stage: stage a device (devices without `stage` are skipped, as bluesky); implies a checkpoint. */
export function stage(msg: MsgOf<'stage'>, ctx: Execution): unknown {
  const obj = msg.obj as { stage?: () => unknown } | undefined;
  if (typeof obj?.stage !== 'function') return undefined;
  const ret = obj.stage();
  ctx.staged.add(obj);
  ctx.implicitCheckpoint();
  if (isStatus(ret)) ctx.groups.add(ret, msg.group);
  return ret;
}

/** unstage: unstage a device (skipped when it has no `unstage`); implies a checkpoint. */
export function unstage(msg: MsgOf<'unstage'>, ctx: Execution): unknown {
  const obj = msg.obj as { unstage?: () => unknown } | undefined;
  if (typeof obj?.unstage !== 'function') return undefined;
  const ret = obj.unstage();
  ctx.staged.delete(obj);
  ctx.implicitCheckpoint();
  if (isStatus(ret)) ctx.groups.add(ret, msg.group);
  return ret;
}

/** configure: change a device's configuration; later descriptors record it. Returns `[old, new]`. */
export function configure(msg: MsgOf<'configure'>, ctx: Execution): unknown {
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
