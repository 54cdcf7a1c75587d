/**
 * Sequencer nodes (ESO ELT sequencer style): Action (a function, a plan or an executor action),
 * Sequence, Parallel, Loop (condition, index local to each running loop) and Template (a
 * reusable sub-DAG with typed, validated parameters). Nodes are plain data; the runner runs them.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { Plan } from '../engine/index.js';
import { checkSchema, validateParams, type ParamSchema } from '../executor/params.js';

/** States a node goes through while a sequence runs. */
export type NodeState = 'not_started' | 'running' | 'paused' | 'finished' | 'failed' | 'skipped' | 'aborted';

/** What to do when a node fails: abort the sequence (default), retry N times then abort, or mark it failed and go on. */
export type ErrorPolicy = 'abort' | 'continue' | { readonly retry: number };

/** Runtime flags and error policy of a node. */
export interface NodeOptions {
  /** Do not run the node (state `skipped`). */
  skip?: boolean;
  /** Pause the sequence before this node (single step); resume() runs it. */
  pauseBefore?: boolean;
  onError?: ErrorPolicy;
  /** Bound on an action node, ms (default: the runner's). */
  timeoutMs?: number;
}

/** What an action node sees while it runs. */
export interface SeqContext {
  /** Aborted when the sequence is aborted. */
  readonly signal: AbortSignal;
  /** Index of the innermost running loop (0-based), or undefined outside loops. */
  readonly index: number | undefined;
  /** Index of every enclosing loop, by loop id. Local to this branch: parallel loops do not share it. */
  readonly indices: Readonly<Record<string, number>>;
  /** Parameters of the innermost template. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Id of the node running. */
  readonly node: string;
}

interface Base {
  readonly id: string;
  readonly options: NodeOptions;
}

/** Runs a function. */
export interface FunctionNode extends Base {
  readonly kind: 'action';
  readonly run: (ctx: SeqContext) => unknown;
}
/** Runs a plan on the runner's engine. */
export interface PlanNode extends Base {
  readonly kind: 'plan';
  readonly plan: (ctx: SeqContext) => Plan;
}
/** Runs an action of the runner's executor. */
export interface ExecutorActionNode extends Base {
  readonly kind: 'executor';
  readonly action: string;
  readonly params: Record<string, unknown> | ((ctx: SeqContext) => Record<string, unknown>);
}
/** Runs its children one after the other. */
export interface SequenceNode extends Base {
  readonly kind: 'sequence';
  readonly children: readonly SeqNode[];
}
/** Runs its children side by side and ends when all have. */
export interface ParallelNode extends Base {
  readonly kind: 'parallel';
  readonly children: readonly SeqNode[];
}
/** Runs its body while the condition holds (checked before each iteration, with the index). */
export interface LoopNode extends Base {
  readonly kind: 'loop';
  readonly body: SequenceNode;
  readonly condition: (ctx: SeqContext) => boolean | Promise<boolean>;
  /** Hard bound on iterations (a runaway condition fails the loop). Default 1,000,000. */
  readonly maxIterations: number;
}
/** An instance of a template: its parameters and the sub-DAG built from them. */
export interface TemplateNode extends Base {
  readonly kind: 'template';
  readonly template: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly child: SeqNode;
}

/** Any node. */
export type SeqNode = FunctionNode | PlanNode | ExecutorActionNode | SequenceNode | ParallelNode | LoopNode | TemplateNode;

function checkId(id: string): string {
  if (typeof id !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(id)) throw new InvalidInputError({ what: 'node id', value: id, reason: 'must start with a letter or _ and contain only letters, digits, _ . -' });
  return id;
}

function checkOptions(id: string, o: NodeOptions = {}): NodeOptions {
  const p = o.onError;
  if (p !== undefined && p !== 'abort' && p !== 'continue' && !(typeof p === 'object' && Number.isInteger(p.retry) && p.retry >= 0)) {
    throw new InvalidInputError({ what: `node '${id}' onError`, value: p, reason: "must be 'abort', 'continue' or { retry: N } with N >= 0" });
  }
  if (o.timeoutMs !== undefined && !(typeof o.timeoutMs === 'number' && o.timeoutMs > 0)) throw new InvalidInputError({ what: `node '${id}' timeoutMs`, value: o.timeoutMs, reason: 'must be a positive number' });
  return { ...o };
}

function checkChildren(id: string, children: readonly SeqNode[]): readonly SeqNode[] {
  if (!Array.isArray(children) || children.some((c) => typeof c !== 'object' || c === null || typeof c.kind !== 'string')) throw new InvalidInputError({ what: `node '${id}' children`, value: children, reason: 'must be an array of nodes' });
  return [...children];
}

/** An action node that calls `run` (its result is ignored; a throw is a failure). */
export function actionNode(id: string, run: (ctx: SeqContext) => unknown, options?: NodeOptions): FunctionNode {
  if (typeof run !== 'function') throw new InvalidInputError({ what: `node '${id}' run`, value: run, reason: 'must be a function' });
  return { kind: 'action', id: checkId(id), run, options: checkOptions(id, options) };
}

/** An action node that runs a plan on the runner's engine. */
export function planNode(id: string, plan: (ctx: SeqContext) => Plan, options?: NodeOptions): PlanNode {
  if (typeof plan !== 'function') throw new InvalidInputError({ what: `node '${id}' plan`, value: plan, reason: 'must be a function returning a plan' });
  return { kind: 'plan', id: checkId(id), plan, options: checkOptions(id, options) };
}

/** An action node that runs executor action `action` with `params`. */
export function executorNode(id: string, action: string, params: ExecutorActionNode['params'] = {}, options?: NodeOptions): ExecutorActionNode {
  if (typeof action !== 'string' || action === '') throw new InvalidInputError({ what: `node '${id}' action`, value: action, reason: 'must be an action name' });
  return { kind: 'executor', id: checkId(id), action, params, options: checkOptions(id, options) };
}

/** A sequence of nodes. */
export function sequence(id: string, children: readonly SeqNode[], options?: NodeOptions): SequenceNode {
  return { kind: 'sequence', id: checkId(id), children: checkChildren(id, children), options: checkOptions(id, options) };
}

/** Nodes run side by side. */
export function parallel(id: string, children: readonly SeqNode[], options?: NodeOptions): ParallelNode {
  return { kind: 'parallel', id: checkId(id), children: checkChildren(id, children), options: checkOptions(id, options) };
}

/** A loop over `body` while `condition` holds; `{ times: n }` for a fixed count. */
export function loop(id: string, body: readonly SeqNode[], condition: LoopNode['condition'] | { times: number }, options: NodeOptions & { maxIterations?: number } = {}): LoopNode {
  let cond: LoopNode['condition'];
  if (typeof condition === 'function') cond = condition;
  else {
    const n = condition?.times;
    if (!Number.isInteger(n) || n < 0) throw new InvalidInputError({ what: `loop '${id}' times`, value: n, reason: 'must be an integer >= 0' });
    cond = (ctx) => ctx.indices[id]! < n;
  }
  const { maxIterations = 1_000_000, ...rest } = options;
  return { kind: 'loop', id: checkId(id), body: sequence(`${id}.body`, body), condition: cond, maxIterations, options: checkOptions(id, rest) };
}

/** A reusable sub-DAG with typed parameters: `instantiate` validates them and builds the nodes. */
export interface Template {
  readonly name: string;
  readonly doc?: string;
  readonly params: ParamSchema;
  /** Validate `values` (InvalidInputError naming the template, the parameter and the rule) and build an instance. */
  instantiate(id: string, values: unknown, options?: NodeOptions): TemplateNode;
}

/** Define a template: `build` makes the sub-DAG from validated parameters (ids prefixed by the instance id). */
export function defineTemplate(def: { name: string; doc?: string; params: ParamSchema; build: (params: Record<string, unknown>, id: string) => SeqNode | readonly SeqNode[] }): Template {
  checkSchema(def.params, `template '${def.name}'`);
  return {
    name: def.name,
    doc: def.doc,
    params: def.params,
    instantiate(id, values, options) {
      const params = validateParams(def.params, values, `template '${def.name}'`);
      const built = def.build(params, id);
      const child = Array.isArray(built) ? sequence(`${id}.seq`, built) : (built as SeqNode);
      return { kind: 'template', id: checkId(id), template: def.name, params, child, options: checkOptions(id, options) };
    },
  };
}

/** The direct children of a node. */
export function childrenOf(node: SeqNode): readonly SeqNode[] {
  switch (node.kind) {
    case 'sequence':
    case 'parallel':
      return node.children;
    case 'loop':
      return [node.body];
    case 'template':
      return [node.child];
    default:
      return [];
  }
}

/** Every node of a tree, depth first; throws InvalidInputError on a duplicate id. */
export function allNodes(root: SeqNode): SeqNode[] {
  const out: SeqNode[] = [];
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n.id)) throw new InvalidInputError({ what: 'node id', value: n.id, reason: 'used twice in the sequence (ids must be unique)' });
    seen.add(n.id);
    out.push(n);
    const kids = childrenOf(n);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return out;
}
