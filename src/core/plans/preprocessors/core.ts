/**
 * The machinery under every preprocessor: wrappers are written once, as synchronous
 * "procedures" that yield two kinds of effect — pull the next message out of a plan, or emit a
 * message to the engine — and a driver turns a procedure into a plan. The sync driver returns
 * a Generator (when every plan involved is synchronous, which is the fast, usual case); the
 * async driver returns an AsyncGenerator and accepts async plans too.
 *
 * Semantics match a hand-written `yield*`: the engine's reply goes back to the plan that
 * yielded the message; an error the engine throws in goes to that plan; `return()` on the
 * wrapped plan closes the inner plans (running their `finally` blocks, whose messages still
 * reach the engine) without running the wrappers' error or cleanup plans (see CLOSING).
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import type { Msg, Plan } from '../../engine/messages.js';

/** How to resume a plan: send a value, throw an error into it, or return from it. */
export type ResumeMode = 'next' | 'throw' | 'return';

/** Ask the driver to resume `plan` and hand back its IteratorResult. */
export interface PullEffect {
  op: 'pull';
  plan: Plan;
  mode: ResumeMode;
  value: unknown;
}
/** Ask the driver to yield `msg` to the engine and hand back the reply. */
export interface EmitEffect {
  op: 'emit';
  msg: Msg;
}
/** A step a procedure asks its driver to perform. */
export type Effect = PullEffect | EmitEffect;
/** A wrapper's logic: a synchronous generator of effects returning the plan's result. */
export type Proc<R> = Generator<Effect, R, unknown>;

/** Tell whether a plan is an async generator. */
export function isAsyncPlan(plan: unknown): plan is AsyncGenerator<Msg, unknown, unknown> {
  return typeof plan === 'object' && plan !== null && typeof (plan as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** Tell whether `x` is a plan (sync or async generator of messages). */
export function isPlan(x: unknown): x is Plan {
  return typeof x === 'object' && x !== null && typeof (x as { next?: unknown }).next === 'function'
    && typeof (x as { throw?: unknown }).throw === 'function';
}

/** A plan of the same kind as P: a Generator stays a Generator, an AsyncGenerator stays async. */
export type SameKind<P, R = PlanResult<P>> = P extends AsyncGenerator<Msg, unknown, unknown>
  ? AsyncGenerator<Msg, R, unknown>
  : Generator<Msg, R, unknown>;
/** The value a plan returns. */
export type PlanResult<P> = P extends Generator<Msg, infer R, unknown> ? R : P extends AsyncGenerator<Msg, infer R, unknown> ? R : unknown;

/** Resume `plan` (through the driver) and return its IteratorResult; throws what the plan throws. */
export function* pull(plan: Plan, mode: ResumeMode, value: unknown): Proc<IteratorResult<Msg, unknown>> {
  return (yield { op: 'pull', plan, mode, value }) as IteratorResult<Msg, unknown>;
}

/** Send `msg` to the engine (through the driver) and return the reply; throws what the engine throws in. */
export function* emit(msg: Msg): Proc<unknown> {
  return yield { op: 'emit', msg };
}

/** Emit every message of a sync plan built inside a procedure (helper for head/tail plans). */
export function* emitAll<R>(plan: Plan<R>): Proc<R> {
  return (yield* relay(plan, (m) => emit(m))) as R;
}

/**
 * The signal a driver throws into a procedure when its plan is closed from outside (the
 * engine called `return()`): relays close their plans (whose `finally` messages still go out)
 * and rethrow it; wrappers must let it pass without running their error or cleanup plans.
 */
export const CLOSING: { readonly closing: true } = Object.freeze({ closing: true as const });

/** Tell whether `err` is the closing signal (wrappers rethrow it untouched). */
export function isClosing(err: unknown): boolean {
  return err === CLOSING;
}

/**
 * Drive `plan` to its end, handing each message to `onMsg` (which emits it, or more) and sending
 * what `onMsg` returns back as the reply; an error from `onMsg` is thrown into the plan. On the
 * closing signal the plan is closed (its `finally` messages still go out) and the signal goes on.
 */
export function* relay(plan: Plan, onMsg: (m: Msg) => Proc<unknown>): Proc<unknown> {
  let mode: ResumeMode = 'next';
  let value: unknown;
  for (;;) {
    const r = yield* pull(plan, mode, value);
    if (r.done) return r.value;
    try {
      value = yield* onMsg(r.value);
      mode = 'next';
    } catch (err) {
      if (err === CLOSING) {
        yield* closePlan(plan);
        throw err;
      }
      value = err;
      mode = 'throw';
    }
  }
}

/** Close a plan with `return()`, emitting the messages its `finally` blocks yield. */
function* closePlan(plan: Plan): Proc<void> {
  let r = yield* pull(plan, 'return', undefined);
  while (!r.done) {
    let mode: ResumeMode = 'next';
    let reply: unknown;
    try {
      reply = yield* emit(r.value);
    } catch (err) {
      if (err === CLOSING) return;
      reply = err;
      mode = 'throw';
    }
    r = yield* pull(plan, mode, reply);
  }
}

function resumeSync(e: PullEffect): IteratorResult<Msg, unknown> {
  if (isAsyncPlan(e.plan)) {
    throw new InvalidInputError({ what: 'preprocessor', value: 'AsyncGenerator', reason: 'met an async plan inside a synchronous plan; wrap an async plan instead' });
  }
  const g = e.plan as Generator<Msg, unknown, unknown>;
  return e.mode === 'next' ? g.next(e.value) : e.mode === 'throw' ? g.throw(e.value) : g.return(e.value);
}

async function resumeAsync(e: PullEffect): Promise<IteratorResult<Msg, unknown>> {
  const g = e.plan as AsyncGenerator<Msg, unknown, unknown>;
  return e.mode === 'next' ? g.next(e.value) : e.mode === 'throw' ? g.throw(e.value) : g.return(e.value);
}

/**
 * Step a procedure from `mode`/`value` until it returns: its pulls are resumed in place, its
 * messages yielded to the engine, and what the engine sends (or throws) is handed back to it.
 */
function* stepSync<R>(proc: Proc<R>, mode: 'next' | 'throw', value: unknown): Generator<Msg, R, unknown> {
  for (;;) {
    const r = mode === 'next' ? proc.next(value) : proc.throw(value);
    if (r.done) return r.value;
    const eff = r.value;
    try {
      value = eff.op === 'pull' ? resumeSync(eff) : yield eff.msg;
      mode = 'next';
    } catch (err) {
      value = err;
      mode = 'throw';
    }
  }
}

/** {@link stepSync} for async plans: a pull of an async plan is awaited. */
async function* stepAsync<R>(proc: Proc<R>, mode: 'next' | 'throw', value: unknown): AsyncGenerator<Msg, R, unknown> {
  for (;;) {
    const r = mode === 'next' ? proc.next(value) : proc.throw(value);
    if (r.done) return r.value;
    const eff = r.value;
    try {
      value = eff.op === 'pull' ? await resumeAsync(eff) : yield eff.msg;
      mode = 'next';
    } catch (err) {
      value = err;
      mode = 'throw';
    }
  }
}

/**
 * Turn a procedure into a synchronous plan; fails with InvalidInputError if it meets an async
 * plan. A plan closed from outside (`return()` by the engine) closes the procedure by throwing
 * CLOSING into it, forwarding the cleanup messages it yields; CLOSING coming back out ends it.
 */
export function* driveSync<R>(proc: Proc<R>): Generator<Msg, R, unknown> {
  let done = false;
  try {
    const result = yield* stepSync(proc, 'next', undefined);
    done = true;
    return result;
  } catch (err) {
    done = true;
    throw err;
  } finally {
    if (!done) {
      try {
        yield* stepSync(proc, 'throw', CLOSING);
      } catch (err) {
        if (err !== CLOSING) throw err;
      }
    }
  }
}

/** Turn a procedure into an async plan (accepts sync and async inner plans); closes as {@link driveSync}. */
export async function* driveAsync<R>(proc: Proc<R>): AsyncGenerator<Msg, R, unknown> {
  let done = false;
  try {
    const result = yield* stepAsync(proc, 'next', undefined);
    done = true;
    return result;
  } catch (err) {
    done = true;
    throw err;
  } finally {
    if (!done) {
      try {
        yield* stepAsync(proc, 'throw', CLOSING);
      } catch (err) {
        if (err !== CLOSING) throw err;
      }
    }
  }
}

/** Drive a procedure as a plan of the same kind as `like` (async if any of them is async). */
export function drive<P>(proc: Proc<PlanResult<P>>, ...like: unknown[]): SameKind<P> {
  return (like.some(isAsyncPlan) ? driveAsync(proc) : driveSync(proc)) as SameKind<P>;
}
