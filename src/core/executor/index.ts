/**
 * The executor: HELAO-style actions with typed parameters, a lifecycle, live data, FIFO queues
 * and an e-stop; built-in actions for axes, flows, pumps, signals and plans.
 * @module
 */
export { Executor, bounded } from './executor.js';
export type { ExecutorOptions, ExecutorEStopReport } from './executor.js';
export { checkSchema, validateParams, parseParamArgs } from './params.js';
export type { ParamType, ParamSpec, ParamSchema, ParamsOf } from './params.js';
export type {
  ActionState, ActionPhase, ActionData, ActionContext, PollResult, ActionDefinition, PhaseTimes, ActionRecord,
  StartOptions, ActionHandle,
} from './types.js';
export { defineAction, builtinActions, builtinPlans } from './builtins.js';
export type { BuiltinActionOptions } from './builtins.js';
