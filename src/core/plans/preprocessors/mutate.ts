/**
 * Plan mutation building blocks: rewrite, drop or surround messages of any plan.
 * @module
 */
import type { Msg, Plan } from '../../engine/messages.js';
import { drive, emit, relay, type Proc, type SameKind } from './core.js';

/**
 * What a plan mutator returns for one message: a `head` plan that runs instead of the message
 * (the original plan receives the reply to the last message the head yields, so a head usually
 * ends by yielding the message or a rewrite of it) and a `tail` plan that runs after it.
 * Return undefined (or `[undefined, undefined]`) to let the message through unchanged.
 */
export type MutatorResult = readonly [head?: Plan | null, tail?: Plan | null] | undefined | null;

/** Decide, per message, what to insert around it (see MutatorResult). */
export type MsgProc = (msg: Msg) => MutatorResult;

/** Build the procedure of a plan mutator (for composing inside other wrappers). */
export function mutateProc(plan: Plan, msgProc: MsgProc): Proc<unknown> {
  // Messages currently being expanded: their own head may yield them again, unprocessed.
  const active = new Set<Msg>();
  function* onMsg(m: Msg): Proc<unknown> {
    if (active.has(m)) return yield* emit(m);
    const r = msgProc(m);
    const head = r?.[0] ?? undefined;
    const tail = r?.[1] ?? undefined;
    if (!head && !tail) return yield* emit(m);
    let last: unknown;
    active.add(m);
    try {
      yield* relay(head ?? singleGen(m), function* (hm) {
        last = yield* onMsg(hm);
        return last;
      });
    } finally {
      active.delete(m);
    }
    if (tail) yield* relay(tail, onMsg);
    return last;
  }
  return relay(plan, onMsg);
}

/**
 * Apply `msgProc` to every message of `plan` (bluesky's plan_mutator): insert plans before
 * (head) and after (tail) a message, or replace it. Messages of inserted plans are processed
 * too, except the one being expanded.
 */
export function planMutator<P extends Plan>(plan: P, msgProc: MsgProc): SameKind<P> {
  return drive<P>(mutateProc(plan, msgProc) as Proc<never>, plan);
}

/**
 * Replace each message by what `fn` returns (bluesky's msg_mutator); returning null or
 * undefined drops the message, and the plan receives `undefined` as its reply.
 */
export function msgMutator<P extends Plan>(plan: P, fn: (msg: Msg) => Msg | null | undefined): SameKind<P> {
  const proc = relay(plan, function* (m) {
    const n = fn(m);
    if (n === null || n === undefined) return undefined;
    return yield* emit(n);
  });
  return drive<P>(proc as Proc<never>, plan);
}

/** Drop every message for which `predicate` holds. */
export function pluck<P extends Plan>(plan: P, predicate: (msg: Msg) => boolean): SameKind<P> {
  return msgMutator(plan, (m) => (predicate(m) ? null : m));
}

/** Run the plan `make(msg)` before every message matching `predicate`. */
export function insertBefore<P extends Plan>(plan: P, predicate: (msg: Msg) => boolean, make: (msg: Msg) => Plan): SameKind<P> {
  return planMutator(plan, (m) => (predicate(m) ? [pchain(make(m), singleGen(m))] : undefined));
}

/** Run the plan `make(msg)` after every message matching `predicate`. */
export function insertAfter<P extends Plan>(plan: P, predicate: (msg: Msg) => boolean, make: (msg: Msg) => Plan): SameKind<P> {
  return planMutator(plan, (m) => (predicate(m) ? [null, make(m)] : undefined));
}

/** A plan of one message; returns the engine's reply to it. */
export function* singleGen(msg: Msg): Generator<Msg, unknown, unknown> {
  return yield msg;
}

/** Run plans one after another; returns their results in order. */
export function pchain(...plans: Plan[]): Generator<Msg, unknown[], unknown> | AsyncGenerator<Msg, unknown[], unknown> {
  function* proc(): Proc<unknown[]> {
    const out: unknown[] = [];
    for (const p of plans) out.push(yield* relay(p, emit));
    return out;
  }
  return drive<Generator<Msg, unknown[], unknown>>(proc(), ...plans);
}
