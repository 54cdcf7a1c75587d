/**
 * The engine-side interface an Execution runs against (internal): handlers, hooks, state,
 * subscribers, metadata and suspenders, as held by the RunEngine.
 * @module
 */
import type { DocumentDispatcher } from '../documents/dispatcher.js';
import type { Msg, Plan } from './messages.js';
import type { MdStore } from './md-store.js';
import type { RunEngineState } from './states.js';
import type {
  EngineTimeouts, InputProvider, MdNormalizer, MdValidator, MsgHook, ScanIdSource, WaitingHook,
} from './types.js';
import type { Execution } from './execution.js';

/**
 * What a built-in handler may use of the running plan: its runs, status groups, device sets,
 * checkpoints, signal and settings — not the frame stack, the loop or the plan's outcome, which
 * only the Execution itself changes (issue 8).
 */
export type HandlerContext = Pick<
  Execution,
  | 'host' | 'groups' | 'runs' | 'requireRun' | 'checkpoint' | 'implicitCheckpoint' | 'clearCheckpoint' | 'signal' | 'getSignal'
  | 'moved' | 'staged' | 'planSubs' | 'planName' | 'planType' | 'callMd' | 'runStartUids' | 'waitingListener' | 'consume'
  | 'waitForTrips' | 'takeDeferredPause' | 'sleep' | 'rewindable' | 'setRewindable' | 'pushPlan' | 'emitter' | 'reportAsyncError' | 'seen'
>;

/**
 * A command handler as stored in the engine's table and called by the loop with the Execution:
 * built-ins are written against {@link HandlerContext}, registered ones against the public
 * EngineContext; both are narrower views of the Execution.
 */
export type Handler = (msg: Msg, ctx: Execution) => unknown;

/** A command's handler and whether its messages are replayed on rewind. */
export interface HandlerEntry {
  readonly fn: Handler;
  /** False for commands never replayed (UNCACHEABLE), which a pause also does not cut short. */
  readonly replay: boolean;
}

/** A tripped condition the engine must wait out (implemented by suspenders). */
export interface SuspensionSource {
  readonly name: string;
  /** Plan to run when the suspension starts (e.g. close a shutter). */
  readonly prePlan?: (() => Plan) | undefined;
  /** Plan to run before the rewound plan resumes. */
  readonly postPlan?: (() => Plan) | undefined;
}

/** What an Execution reads from and asks of its RunEngine. */
export interface EngineHost {
  readonly handlers: ReadonlyMap<string, HandlerEntry>;
  readonly state: RunEngineState;
  transition(next: RunEngineState): void;
  readonly dispatcher: DocumentDispatcher;
  readonly md: MdStore;
  readonly msgHook: MsgHook | undefined;
  readonly waitingHook: WaitingHook | undefined;
  readonly mdValidator: MdValidator | undefined;
  readonly mdNormalizer: MdNormalizer | undefined;
  readonly scanIdSource: ScanIdSource;
  readonly recordInterruptions: boolean;
  readonly inputProvider: InputProvider | undefined;
  readonly ignoreCallbackExceptions: boolean;
  readonly eventPageSize: number;
  readonly cleanupTimeoutMs: number;
  readonly yieldEveryMs: number;
  /** Whether plans start rewindable. */
  readonly rewindable: boolean;
  /** Engine-level bounds on device verbs. */
  readonly timeouts: EngineTimeouts;
  /** Report an error the engine does not raise. */
  report(err: Error, context: string): void;
  /** Pause now, or at the next checkpoint when `defer`. */
  requestPause(defer: boolean): void;
  installSuspender(s: unknown): void;
  removeSuspender(s: unknown): void;
  /** Tripped suspension sources not yet released, in trip order. */
  readonly trips: readonly SuspensionSource[];
}
