/**
 * Preprocessors: functions that take a plan and return a changed plan (bluesky.preprocessors in
 * camelCase). Each `xxxWrapper(plan, ...)` has a curried `xxxDecorator(...)` form that returns a
 * `(plan) => plan` function, usable in the RunEngine's `preprocessors` list or with
 * {@link decorate} on a plan function. Wrappers keep the plan's kind: a synchronous plan stays a
 * Generator, an async one an AsyncGenerator.
 * @module
 */
import type { Plan, Msg } from '../../engine/messages.js';
import type { Readable, Subscribable, Movable } from '../../protocols.js';
import type { SuspenderLike } from '../../engine/messages.js';
import type { SameKind } from './core.js';
import { finalizeWrapper, type PlanOrFactory } from './finalize.js';
import {
  baselineWrapper, injectMdWrapper, monitorDuringWrapper, runWrapper, stageWrapper, subsWrapper, suspendWrapper, type Subs,
} from './run-wrappers.js';
import { configureCountTimeWrapper, relativeSetWrapper, resetPositionsWrapper } from './motion-wrappers.js';

export {
  driveSync, driveAsync, drive, relay, emit, pull, emitAll, isAsyncPlan, isPlan, CLOSING, isClosing,
} from './core.js';
export type { Effect, PullEffect, EmitEffect, Proc, ResumeMode, SameKind, PlanResult } from './core.js';
export { planMutator, msgMutator, pluck, insertBefore, insertAfter, singleGen, pchain, mutateProc } from './mutate.js';
export type { MsgProc, MutatorResult } from './mutate.js';
export { finalizeWrapper, contingencyWrapper, finalizeProc } from './finalize.js';
export type { Contingency, PlanOrFactory } from './finalize.js';
export {
  runWrapper, stageWrapper, baselineWrapper, subsWrapper, suspendWrapper, injectMdWrapper, monitorDuringWrapper,
  rewindableWrapper, flyDuringWrapper, lazilyStageWrapper,
} from './run-wrappers.js';
export type { Subs } from './run-wrappers.js';
export { relativeSetWrapper, resetPositionsWrapper, configureCountTimeWrapper } from './motion-wrappers.js';

/** A preprocessor: takes a plan, returns a plan of the same kind (the RunEngine's `preprocessors` entries). */
export type Preprocessor = <P extends Plan>(plan: P) => SameKind<P, unknown>;

/** Make a plan function whose plans go through `pre` (bluesky's decorators applied to plan functions). */
export function decorate<A extends unknown[], P extends Plan>(planFn: (...args: A) => P, pre: Preprocessor): (...args: A) => SameKind<P, unknown> {
  return (...args: A) => pre(planFn(...args));
}

/** Curried baselineWrapper: read `devices` into `name` at the start and end of every run. */
export const baselineDecorator = (devices: readonly Readable[], name = 'baseline'): Preprocessor =>
  (plan) => baselineWrapper(plan, devices, name);
/** Curried relativeSetWrapper. */
export const relativeSetDecorator = (devices?: readonly Movable[]): Preprocessor => (plan) => relativeSetWrapper(plan, devices);
/** Curried resetPositionsWrapper. */
export const resetPositionsDecorator = (devices?: readonly Movable[]): Preprocessor => (plan) => resetPositionsWrapper(plan, devices);
/** Curried finalizeWrapper. */
export const finalizeDecorator = (finalPlan: () => Plan): Preprocessor => (plan) => finalizeWrapper(plan, finalPlan as PlanOrFactory);
/** Curried subsWrapper. */
export const subsDecorator = (subs: Subs): Preprocessor => (plan) => subsWrapper(plan, subs);
/** Curried suspendWrapper. */
export const suspendDecorator = (suspenders: SuspenderLike | readonly SuspenderLike[]): Preprocessor =>
  (plan) => suspendWrapper(plan, suspenders);
/** Curried stageWrapper. */
export const stageDecorator = (devices: readonly unknown[]): Preprocessor => (plan) => stageWrapper(plan, devices);
/** Curried runWrapper. */
export const runDecorator = (md?: Record<string, unknown>): Preprocessor => (plan) => runWrapper(plan, md);
/** Curried injectMdWrapper. */
export const injectMdDecorator = (md: Record<string, unknown>): Preprocessor => (plan) => injectMdWrapper(plan, md);
/** Curried monitorDuringWrapper. */
export const monitorDuringDecorator = (signals: readonly Subscribable[]): Preprocessor => (plan) => monitorDuringWrapper(plan, signals);
/** Curried configureCountTimeWrapper. */
export const configureCountTimeDecorator = (seconds: number | null): Preprocessor => (plan) => configureCountTimeWrapper(plan, seconds);

/** Re-exported for typing message predicates. */
export type { Msg };
