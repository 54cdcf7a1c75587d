/**
 * Handlers of suspenders: install_suspender and remove_suspender, and the engine's own
 * suspension steps (commands starting with `__`, run by the suspension frame).
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import { resumeDevices } from '../cleanup.js';
import type { HandlerContext } from '../host.js';
import { isGenerator } from '../frames.js';
import type { Msg, MsgOf, Plan } from '../messages.js';

/** install_suspender: install a suspender on the engine (for the rest of the session). */
export function installSuspender(msg: MsgOf<'install_suspender'>, ctx: HandlerContext): void {
  ctx.host.installSuspender(msg.suspender);
}

/** remove_suspender: remove a suspender from the engine. */
export function removeSuspender(msg: MsgOf<'remove_suspender'>, ctx: HandlerContext): void {
  ctx.host.removeSuspender(msg.suspender);
}

/** __suspend_wait: wait until the tripped suspenders change (one released or another tripped). */
export function suspendWait(_msg: Msg, ctx: HandlerContext): Promise<void> | undefined {
  if (ctx.host.trips.length === 0) return undefined;
  return ctx.waitForTrips();
}

/** __suspend_resume: resume pausable devices and restart monitors once the suspenders released. */
export function suspendResume(_msg: Msg, ctx: HandlerContext): Promise<void> {
  return resumeDevices(ctx);
}

/** __suspend_done: record the resume and go back to `running`. */
export function suspendDone(_msg: Msg, ctx: HandlerContext): void {
  for (const run of ctx.runs.values()) run.recordInterruption('resume');
  if (ctx.host.state === 'suspending') ctx.host.transition('running');
}

/** __push_plan: run a suspender's pre/post plan as a frame of its own. */
export function pushPlan(msg: Msg, ctx: HandlerContext): void {
  const factory = (msg as Msg & { plan?: unknown }).plan;
  if (typeof factory !== 'function') throw new InvalidInputError({ what: 'suspender pre/post plan', value: factory, reason: 'must be a function returning a plan generator' });
  const gen: unknown = (factory as () => Plan)();
  if (!isGenerator(gen)) throw new InvalidInputError({ what: 'suspender pre/post plan', value: gen, reason: 'must be a function returning a plan generator' });
  ctx.pushPlan(gen);
}
