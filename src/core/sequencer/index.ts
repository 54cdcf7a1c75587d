/**
 * The sequencer (ESO ELT style): nodes (Action, Sequence, Parallel, Loop, Template), a runner
 * with node states, flags, error policies, pause/resume and abort, Observation Blocks, and a
 * DOT drawing.
 * @module
 */
export {
  actionNode, planNode, executorNode, sequence, parallel, loop, defineTemplate, childrenOf, allNodes,
} from './nodes.js';
export type {
  NodeState, ErrorPolicy, NodeOptions, SeqContext, FunctionNode, PlanNode, ExecutorActionNode, SequenceNode,
  ParallelNode, LoopNode, TemplateNode, SeqNode, Template,
} from './nodes.js';
export { SequenceRunner } from './runner.js';
export type { RunnerOptions, SequenceResult, RunnerState, NodeStateChange } from './runner.js';
export { parseObservationBlock } from './ob.js';
export type { ObservationBlock, TemplateLibrary } from './ob.js';
export { toDot } from './dot.js';
export { builtinTemplates } from './templates.js';
