/**
 * The run engine: RunEngine, its states, results and options, suspenders, metadata stores,
 * plan messages and SRLatch.
 * @module
 */
export { RunEngine, defaultScanIdSource } from './run-engine.js';
export type {
  RunEngineResult, RunEngineOptions, RunEngineSettings, PlanSource, Preprocessor, MsgHook, StateHook, WaitingHook, MdValidator,
  MdNormalizer, ScanIdSource, InputProvider, EngineContext, CommandHandler,
} from './types.js';
export { RUN_ENGINE_STATES, STATE_TRANSITIONS, StateMachine, canTransition } from './states.js';
export type { RunEngineState, StateListener } from './states.js';
export {
  Suspender, SuspendBoolHigh, SuspendBoolLow, SuspendFloor, SuspendCeil, SuspendWhenOutsideBand,
} from './suspenders.js';
export type { SuspenderOptions, ThresholdOptions, SuspenderSource, SuspendTarget } from './suspenders.js';
export { MemoryMdStore, mdToObject } from './md-store.js';
export type { MdStore } from './md-store.js';
export { msg, isMsg, msgObjects } from './messages.js';
export type {
  Msg, MsgBase, MsgRegistry, MsgOf, Command, Plan, ExitStatus, SuspenderLike,
} from './messages.js';
export { SRLatch } from './latch.js';
