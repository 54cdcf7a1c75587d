/**
 * Public types of the RunEngine: its result, options, hooks and the command-handler contract.
 * @module
 */
import type { Status } from '../status.js';
import type { AnyDocument, DocumentName, Event } from '../documents/types.js';
import type { ExitStatus, Msg, Plan } from './messages.js';
import type { MdStore } from './md-store.js';
import type { RunEngineState } from './states.js';

/** What a run ended with (bluesky's RunEngineResult, camelCase). */
export interface RunEngineResult<R = unknown> {
  /** uids of the run_start documents the plan emitted (so far, when paused). */
  runStartUids: string[];
  /** What the plan returned; undefined when it did not run to completion. */
  planResult: R | undefined;
  /** How the plan ended, or `paused` when this promise settled because the run paused. */
  exitStatus: ExitStatus | 'paused';
  /** True when the run was paused, stopped, aborted or halted (by a request or a suspender). */
  interrupted: boolean;
  /** Why the plan stopped short: the abort reason, the error message, or '' on success. */
  reason: string;
  /** The error that ended the plan (exit status `fail`), or undefined. */
  exception: Error | undefined;
}

/** A plan, or a function returning one (its name becomes `plan_name`). */
export type PlanSource<R = unknown> = Plan<R> | readonly Msg[] | (() => Plan<R>);

/** Wrap a plan in another (bluesky's preprocessors/wrappers). */
export type Preprocessor = (plan: Plan) => Plan;
/** See every message before it is processed. */
export type MsgHook = (msg: Msg) => void;
/** Be told of every state change. */
export type StateHook = (next: RunEngineState, previous: RunEngineState) => void;
/** Be told when the engine starts (with the Statuses) and stops (undefined) waiting on them. */
export type WaitingHook = (statuses: readonly Status<unknown>[] | undefined) => void;
/** Throw to refuse a run's metadata (checked at open_run). */
export type MdValidator = (md: Record<string, unknown>) => void;
/** Return the metadata to record, transformed; throw to refuse it. */
export type MdNormalizer = (md: Record<string, unknown>) => Record<string, unknown>;
/** Return the next scan_id given the persistent metadata (which holds the last one as `scan_id`). */
export type ScanIdSource = (md: Record<string, unknown>) => number | Promise<number>;
/** Answer an `input` message; `signal` aborts when the engine is interrupted. */
export type InputProvider = (prompt: string, signal: AbortSignal) => Promise<string>;

/** Options of a RunEngine. */
export interface RunEngineOptions {
  /** Initial persistent metadata, written into the md store. */
  md?: Record<string, unknown>;
  /** Where persistent metadata lives; default an in-memory store. */
  mdStore?: MdStore;
  /** Plan wrappers; `[f, g]` apply as `f(g(plan))`. */
  preprocessors?: Preprocessor[];
  msgHook?: MsgHook;
  stateHook?: StateHook;
  waitingHook?: WaitingHook;
  mdValidator?: MdValidator;
  mdNormalizer?: MdNormalizer;
  scanIdSource?: ScanIdSource;
  /** Emit an `interruptions` event stream in each run (pause, suspend, resume). */
  recordInterruptions?: boolean;
  /** Batch events of a stream into event pages of up to this many rows (1: plain events, the default). */
  eventPageSize?: number;
  /** Report and ignore subscriber exceptions instead of failing the plan (default false). */
  ignoreCallbackExceptions?: boolean;
  /** Answer `input` messages (core has no terminal); without one, `input` fails. */
  inputProvider?: InputProvider;
  /** Bound, in ms, on each cleanup step (stop, unstage, collect...) at the end of a run. Default 10000. */
  cleanupTimeoutMs?: number;
  /** Longest stretch of continuous work, in ms, before the engine yields to the event loop. Default 5. */
  yieldEveryMs?: number;
  /**
   * Whether plans may be rewound to their last checkpoint on resume (bluesky's
   * `RE.rewindable`); a plan can still change it for itself with a `rewindable` message. Default true.
   */
  rewindable?: boolean;
  /** Engine-level bounds on device verbs (read, trigger, set, wait); see {@link EngineTimeouts}. */
  timeouts?: EngineTimeouts;
  /** Receive errors the engine reports but does not raise (cleanup failures, hook exceptions). Default console.error. */
  onError?: (err: Error, context: string) => void;
}

/**
 * The RunEngine's settings, one object: read them from `re.settings` (a frozen copy), change them
 * with `re.configure(patch)` (every value checked first; an invalid patch changes nothing).
 * Hooks and bounds apply from the next message; `eventPageSize` and `rewindable` when a plan starts.
 */
export interface RunEngineSettings {
  /** Sees every message before it is processed. */
  msgHook: MsgHook | undefined;
  /** Told of every state change `(next, previous)`. */
  stateHook: StateHook | undefined;
  /** Told when the engine starts (Statuses) and stops (undefined) waiting, e.g. for progress bars. */
  waitingHook: WaitingHook | undefined;
  /** Throws to refuse a run's metadata. */
  mdValidator: MdValidator | undefined;
  /** Transforms a run's metadata (throws to refuse it). */
  mdNormalizer: MdNormalizer | undefined;
  /** Computes each run's scan_id. */
  scanIdSource: ScanIdSource;
  /** Emit an `interruptions` stream in each run (pause, suspend, resume). */
  recordInterruptions: boolean;
  /** Rows per event page for each stream (1: plain events). */
  eventPageSize: number;
  /** Answers `input` messages. */
  inputProvider: InputProvider | undefined;
  /** Bound, in ms, on each cleanup step at the end of a run. */
  cleanupTimeoutMs: number;
  /** Longest stretch of work, in ms, before the engine yields to the event loop. */
  yieldEveryMs: number;
  /** Whether plans start rewindable (bluesky's `RE.rewindable`); a plan may change it for itself. */
  rewindable: boolean;
  /** Engine-level bounds on device verbs (a validated copy). */
  timeouts: EngineTimeouts;
}

/**
 * Bounds, in ms, on how long the engine waits for a device verb before it fails the plan with a
 * TimeoutError naming the device. `read`/`trigger`: the promise or Status they return; `set`: the
 * move's Status when a `wait` waits for it; `wait`: any `wait` without its own `timeoutMs`.
 * Precedence: a message's own `timeoutMs`, then `devices[name]`, then the engine-wide value.
 * Undefined means no bound (bluesky's behaviour).
 */
export interface EngineTimeouts {
  readMs?: number | undefined;
  triggerMs?: number | undefined;
  setMs?: number | undefined;
  waitMs?: number | undefined;
  /** Per-device bounds, by device name (they override the engine-wide ones). */
  devices?: Record<string, { readMs?: number | undefined; triggerMs?: number | undefined; setMs?: number | undefined }> | undefined;
}

/**
 * What a command handler sees. A handler returns the response sent back into the plan; to make
 * the engine wait it returns a native Promise (any other value, a Status included, is the
 * response as is). Errors it throws or rejects with are thrown into the plan.
 */
export interface EngineContext {
  /** Aborted when the engine is interrupted (pause, stop, abort, halt, suspend); use it to clear timers. */
  readonly signal: AbortSignal;
  /** The engine's state. */
  readonly state: RunEngineState;
  /** uids of runs opened so far by this plan. */
  readonly runStartUids: readonly string[];
  /** File a Status under a wait group (as `set`/`trigger` do). */
  addStatus(status: Status<unknown>, group: string | undefined): void;
  /** Emit a document to the subscribers (outside the run bundling; use with care). */
  emit(name: DocumentName, doc: AnyDocument): void;
  /** Emit an event (batched into pages when the engine is configured so). */
  emitEvent(event: Event): void;
  /** Sleep `ms`, ending early (resolving false) when the engine is interrupted. */
  sleep(ms: number): Promise<boolean>;
}

/** A command handler; see {@link EngineContext}. */
export type CommandHandler<M = Msg> = (msg: M, ctx: EngineContext) => unknown;
