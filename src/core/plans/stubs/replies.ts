/**
 * What the engine sends back into a plan for each command, in one place.
 *
 * A plan receives the engine's reply as the value of `yield`: `const st = yield msg('set', ...)`.
 * TypeScript types every `yield` result as `unknown`, so stubs narrow it with a cast to
 * `Reply<'set'>` etc. These casts are the only unchecked conversions in the plan library; they
 * state the contract with the RunEngine (and with dry-run tools, which simulate these replies).
 * A reply may be `undefined` when a simulator or a custom engine does not produce one; stubs
 * that depend on a value handle that case.
 * @module
 */
import type { Location, Readings } from '../../protocols.js';
import type { Status } from '../../status.js';
import type { Command, Msg } from '../../engine/messages.js';
import type { SRLatch } from '../../engine/latch.js';

/** The reply to each command, as the engine sends it into the plan. */
export interface ReplyRegistry {
  /** The new run's start uid. */
  open_run: string | undefined;
  /** The closed run's start uid (or nothing). */
  close_run: string | undefined;
  set: Status<unknown> | undefined;
  trigger: Status<unknown> | undefined;
  stage: Status<unknown> | unknown;
  unstage: Status<unknown> | unknown;
  kickoff: Status<unknown> | undefined;
  complete: Status<unknown> | undefined;
  prepare: Status<unknown> | undefined;
  stash: Status<unknown> | undefined;
  clear_cache: Status<unknown> | undefined;
  /** Readings of the object (undefined from simulators that do not read). */
  read: Readings | undefined;
  /** One Location when `squeeze` is on and one object was asked, else one per object. */
  locate: Location | Location[] | undefined;
  /** `[old, new]` configuration readings. */
  configure: [Readings, Readings] | undefined;
  /** Token for `unsubscribe`. */
  subscribe: number | undefined;
  /** What the user typed. */
  input: string | undefined;
  /** Whether the waited group finished (false when `moveOn`/`errorOnTimeout: false` let a timeout pass). */
  wait: boolean | undefined;
  /** One settled result per awaitable. */
  wait_for: PromiseSettledResult<unknown>[] | undefined;
  /** `[name, latch]` of the action that fired, or undefined when the wait timed out. */
  wait_for_actions: readonly [string, SRLatch] | undefined;
}

/** Reply type of command `C` (unknown for commands without a documented reply). */
export type Reply<C extends Command> = C extends keyof ReplyRegistry ? ReplyRegistry[C] : unknown;

const session = Math.random().toString(16).slice(2, 8);
let uidCounter = 0;
/** Make a short id, unique in this process, with a prefix, e.g. `set-3f2a9c-12` (group names). */
export function shortUid(prefix = 'uid'): string {
  return `${prefix}-${session}-${++uidCounter}`;
}

/** A synchronous plan (what every stub and plan of labrig returns): yields messages, returns R. */
export type PlanGen<R = void> = Generator<Msg, R, unknown>;
