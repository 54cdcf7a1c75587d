/**
 * Plan stubs: the small plans that bigger plans are made of (bluesky.plan_stubs in camelCase,
 * plus redsun's stubs). Each is a synchronous generator function; compose with `yield*`.
 *
 * ```ts
 * import * as bps from 'labrig/plan-stubs';
 * function* myPlan(det, motor) {
 *   yield* bps.mv(motor, 1);
 *   return yield* bps.triggerAndRead([det, motor]);
 * }
 * ```
 * @module
 */
export {
  checkpoint, clearCheckpoint, sleep, wait, pause, deferredPause, nullStub, null, input, waitFor,
  installSuspender, removeSuspender, rewindable, subscribe, unsubscribe,
} from './flow.js';
export {
  openRun, closeRun, declareStream, create, save, drop, stage, unstage, stageAll, unstageAll, configure,
  kickoff, complete, prepare, collect, monitor, unmonitor, stop,
} from './run.js';
export type { GroupOptions } from './run.js';
export { absSet, relSet, mv, mvr, locate, setProperty, movePerStep, currentSetpoint } from './motion.js';
export type { SetOptions } from './motion.js';
export { trigger, read, rd, triggerAndRead, describe, describeCollect, oneShot, one1dStep, oneNdStep, repeat } from './acquire.js';
export type { TakeReading } from './acquire.js';
export { stash, clearCache, waitForActions, readWhileWaiting, readAndStash } from './redsun.js';
export type { CacheOptions, ReadWhileWaitingOptions, ReadAndStashOptions } from './redsun.js';
export { shortUid } from './replies.js';
export type { PlanGen, Reply, ReplyRegistry } from './replies.js';
export {
  rootAncestor, separateDevices, hintedFields, axisFields, checkDetectors, checkMotor, checkFinite, checkCount,
} from './devices.js';
export type { Motor } from './devices.js';
