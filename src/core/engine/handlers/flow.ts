/**
 * Handlers of flow control: checkpoint, clear_checkpoint, rewindable, pause, sleep, null, input.
 * @module
 */
import { InvalidInputError, InvalidStateError } from '../../errors.js';
import type { HandlerContext } from '../host.js';
import type { MsgOf } from '../messages.js';

/** checkpoint: the place a pause or suspension rewinds to; a deferred pause happens here. */
export function checkpoint(_msg: MsgOf<'checkpoint'>, ctx: HandlerContext): void {
  const runs = ctx.runs.list;
  for (let i = 0; i < runs.length; i++) {
    if (runs[i]!.bundling) throw new InvalidStateError("'checkpoint' between 'create' and 'save' is not allowed");
  }
  ctx.checkpoint();
  if (ctx.takeDeferredPause()) ctx.host.requestPause(false);
}

/** clear_checkpoint: make the rest of the plan unrewindable (a pause then aborts, as bluesky). */
export function clearCheckpoint(_msg: MsgOf<'clear_checkpoint'>, ctx: HandlerContext): void {
  ctx.clearCheckpoint();
}

/** rewindable: allow or forbid replay (undefined: only ask); returns the setting. */
export function rewindable(msg: MsgOf<'rewindable'>, ctx: HandlerContext): boolean {
  if (msg.allow !== undefined) ctx.setRewindable(msg.allow === true);
  return ctx.rewindable;
}

/** pause: pause now, or at the next checkpoint when `defer`. */
export function pause(msg: MsgOf<'pause'>, ctx: HandlerContext): void {
  ctx.host.requestPause(msg.defer === true);
}

/** sleep: wait `seconds` (bluesky's unit); ends early when the engine is interrupted. */
export function sleep(msg: MsgOf<'sleep'>, ctx: HandlerContext): Promise<void> {
  const s = msg.seconds;
  if (typeof s !== 'number' || !(s >= 0) || !Number.isFinite(s)) throw new InvalidInputError({ what: 'sleep seconds', value: s, reason: 'must be a finite number >= 0' });
  return ctx.sleep(s * 1000).then(() => undefined);
}

/** null: do nothing (a no-op message, for tests and timing). */
export function nullMsg(_msg: MsgOf<'null'>, _ctx: HandlerContext): undefined {
  return undefined;
}

/** input: ask the configured inputProvider; returns its answer. */
export function input(msg: MsgOf<'input'>, ctx: HandlerContext): Promise<string> {
  const provider = ctx.host.inputProvider;
  if (provider === undefined) throw new InvalidStateError("'input' needs an inputProvider in the RunEngine options (core has no terminal)");
  return provider(msg.prompt ?? '', ctx.signal);
}
