/**
 * Cleanup wrappers: run a plan after another whatever happens (finalize), or choose follow-up
 * plans by outcome (contingency).
 * @module
 */
import type { Plan } from '../../engine/messages.js';
import { drive, emit, isClosing, relay, type Proc, type SameKind, type PlanResult } from './core.js';

/** A plan, or a function making one (called only when it is needed). */
export type PlanOrFactory = Plan | (() => Plan);

function make(p: PlanOrFactory): Plan {
  return typeof p === 'function' ? p() : p;
}

/** Build the procedure of finalizeWrapper (for composing inside other wrappers). */
export function* finalizeProc(plan: Plan, finalPlan: PlanOrFactory): Proc<unknown> {
  let cleanup = false;
  try {
    const r = yield* relay(plan, emit);
    cleanup = true;
    return r;
  } catch (err) {
    // Not when the engine closed the plan (halt): as bluesky on GeneratorExit, no cleanup then.
    cleanup = !isClosing(err);
    throw err;
  } finally {
    if (cleanup) yield* relay(make(finalPlan), emit);
  }
}

/**
 * Run `finalPlan` after `plan`, whether it ends normally or with an error (the error goes on
 * afterwards). Not run when the engine closes the plan without an error (halt). Give a factory
 * to build the final plan only when needed. If `plan` is synchronous, `finalPlan` must be too.
 */
export function finalizeWrapper<P extends Plan>(plan: P, finalPlan: PlanOrFactory): SameKind<P> {
  return drive<P>(finalizeProc(plan, finalPlan) as Proc<PlanResult<P>>, plan, typeof finalPlan === 'function' ? undefined : finalPlan);
}

/** Plans to run after a plan, by outcome. */
export interface Contingency {
  /** Run when the plan throws (the error goes on afterwards unless `autoRaise` is false). */
  exceptPlan?: (err: unknown) => Plan;
  /** Run when the plan ends normally. */
  elsePlan?: () => Plan;
  /** Run after either (not when the engine closes the plan). */
  finalPlan?: () => Plan;
  /** Rethrow the plan's error after exceptPlan (default true); when false the wrapper returns exceptPlan's value. */
  autoRaise?: boolean;
}

/** Run follow-up plans by outcome: exceptPlan on error, elsePlan on success, finalPlan after both. */
export function contingencyWrapper<P extends Plan>(plan: P, c: Contingency): SameKind<P> {
  function* proc(): Proc<unknown> {
    let cleanup = false;
    let result: unknown;
    try {
      try {
        result = yield* relay(plan, emit);
      } catch (err) {
        if (isClosing(err)) throw err;
        cleanup = true;
        const handled: unknown = c.exceptPlan ? yield* relay(c.exceptPlan(err), emit) : undefined;
        if (c.autoRaise !== false) throw err;
        // bluesky: with auto_raise off, the wrapper returns what the except plan returned.
        return handled;
      }
      cleanup = true;
      if (c.elsePlan) yield* relay(c.elsePlan(), emit);
      return result;
    } finally {
      if (cleanup && c.finalPlan) yield* relay(c.finalPlan(), emit);
    }
  }
  return drive<P>(proc() as Proc<PlanResult<P>>, plan);
}
