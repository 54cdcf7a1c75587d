/**
 * Types of the executor: an action's definition (HELAO's lifecycle), its context and its record.
 * @module
 */
import type { ParamSchema, ParamsOf } from './params.js';

/** States of an action (HELAO's status, plus `queued` and `skipped`). */
export type ActionState = 'queued' | 'active' | 'finished' | 'errored' | 'aborted' | 'skipped' | 'estopped';

/** Lifecycle phases, in order. */
export type ActionPhase = 'preExec' | 'exec' | 'poll' | 'manualStop' | 'postExec';

/** One item of live data an action produced: values by key (numbers, strings, booleans, arrays). */
export type ActionData = Record<string, unknown>;

/** What each lifecycle step of an action receives. */
export interface ActionContext<P = Record<string, unknown>> {
  readonly id: string;
  readonly name: string;
  /** Validated parameters, defaults filled in. */
  readonly params: P;
  /** Aborted when the action is stopped or e-stopped; pass it to every wait. */
  readonly signal: AbortSignal;
  /** True once stop/stopMatching/e-stop asked the action to end. */
  readonly stopRequested: boolean;
  /** Stream one item of data now (HELAO's live buffer): listeners see it at once. */
  emit(data: ActionData): void;
  /** A device by name, from the executor's `resolve` (a rig's `get`). */
  device<T = unknown>(name: string): T;
  /** Scratch space shared by the phases of this action. */
  readonly state: Record<string, unknown>;
}

/** What `poll` returns: true (or `{ done: true }`) when the action is done; data to stream. */
export type PollResult = boolean | { done: boolean; data?: ActionData };

/** An action: a named unit of work with typed parameters and HELAO's lifecycle. */
export interface ActionDefinition<S extends ParamSchema = ParamSchema> {
  readonly name: string;
  /** One line shown by `labrig action --help`. */
  readonly doc?: string;
  readonly params: S;
  /** Non-concurrent actions of the same group run one at a time, FIFO. Default true (concurrent). */
  readonly concurrent?: boolean;
  /** Executor group for the FIFO queue. Default: the action name. */
  readonly group?: string;
  /** Time between polls, ms. Default 100. */
  readonly pollRateMs?: number;
  /** Bound on each of preExec, exec, manualStop, postExec, ms. Default: the executor's. */
  readonly phaseTimeoutMs?: number;
  /** Bound on polling until done, ms. Default: the executor's. */
  readonly timeoutMs?: number;
  preExec?(ctx: ActionContext<ParamsOf<S>>): unknown;
  exec(ctx: ActionContext<ParamsOf<S>>): unknown;
  /** Called every pollRateMs after exec until it reports done. Without it, the action is done after exec. */
  poll?(ctx: ActionContext<ParamsOf<S>>): PollResult | Promise<PollResult>;
  /** Called only when the action was stopped (not on e-stop: the rig's e-stop does that). */
  manualStop?(ctx: ActionContext<ParamsOf<S>>): unknown;
  /** Called after exec/poll (also after an error or a stop), not after a failed preExec or an e-stop. */
  postExec?(ctx: ActionContext<ParamsOf<S>>): unknown;
}

/** Per-phase timestamps, ms since the epoch. */
export type PhaseTimes = Partial<Record<ActionPhase | 'queued' | 'end', number>>;

/** The live record of one action. */
export interface ActionRecord {
  readonly id: string;
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly group: string;
  readonly concurrent: boolean;
  state: ActionState;
  /** The phase running now, or the last one that ran. */
  phase: ActionPhase | undefined;
  /** Error code (LabrigError's `code`, or the error's name) when errored/skipped. */
  errorCode: string | undefined;
  errorMessage: string | undefined;
  /** The phase that failed. */
  errorPhase: ActionPhase | undefined;
  readonly times: PhaseTimes;
  /** What exec returned. */
  result: unknown;
  /** Number of data items emitted. */
  dataCount: number;
  /** uid of the run_start when the action ran as a run. */
  runUid: string | undefined;
}

/** Options of one start. */
export interface StartOptions {
  /** Also emit the action as a bluesky-style run: start, one descriptor, an event per data item, stop. */
  readonly asRun?: boolean;
  /** Extra run_start metadata. */
  readonly md?: Record<string, unknown>;
}

/** A started (or queued) action. */
export interface ActionHandle {
  readonly id: string;
  readonly record: Readonly<ActionRecord>;
  /** Settles with the final record (never rejects: the state tells how it ended). */
  readonly done: Promise<ActionRecord>;
}
