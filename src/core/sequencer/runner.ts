/**
 * The sequencer's runner: runs a node tree with observable node states, pause (before the next
 * node) and resume where it stopped, pause-before and skip flags, per-node error policies, and
 * abort. Every wait is bounded (action nodes by their timeout, a pause by `pauseTimeoutMs`).
 * @module
 */
import { CanceledError, InvalidInputError, InvalidStateError, LabrigError, TimeoutError } from '../errors.js';
import type { RunEngine } from '../engine/index.js';
import { validateParams, type Executor } from '../executor/index.js';
import { allNodes, type NodeState, type SeqContext, type SeqNode } from './nodes.js';

/** Options of a {@link SequenceRunner}. */
export interface RunnerOptions {
  /** Runs executor action nodes. */
  executor?: Executor;
  /** Runs plan nodes. */
  engine?: RunEngine;
  /** Bound on each action node, ms, unless the node sets its own. Default 600,000. */
  actionTimeoutMs?: number;
  /** A pause longer than this aborts the sequence, ms. Default 3,600,000. */
  pauseTimeoutMs?: number;
}

/** How a whole sequence ended. */
export interface SequenceResult {
  readonly state: 'finished' | 'failed' | 'aborted';
  /** Nodes that failed (also those whose policy was `continue`), with their errors. */
  readonly failures: ReadonlyArray<{ node: string; error: Error }>;
  /** States of every node at the end. */
  readonly states: Readonly<Record<string, NodeState>>;
}

/** The runner's own state. */
export type RunnerState = 'idle' | 'running' | 'paused' | 'finished' | 'failed' | 'aborted';

/** A node state change. */
export interface NodeStateChange {
  readonly node: string;
  readonly state: NodeState;
  /** Loop iteration (innermost), when inside a loop. */
  readonly index: number | undefined;
  readonly error?: Error;
  readonly attempt?: number;
}

/** Thrown through the tree to end the sequence (abort, or a failure with the abort policy). */
class Halt extends Error {}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** Runs one node tree once. */
export class SequenceRunner {
  readonly root: SeqNode;
  readonly #states = new Map<string, NodeState>();
  readonly #listeners = new Set<(c: NodeStateChange) => void>();
  readonly #runnerListeners = new Set<(s: RunnerState) => void>();
  readonly #options: Required<Omit<RunnerOptions, 'executor' | 'engine'>> & RunnerOptions;
  readonly #abort = new AbortController();
  readonly #failures: Array<{ node: string; error: Error }> = [];
  /** Abort callbacks of the waits in progress (one Set instead of a listener per wait on the signal). */
  readonly #onAbort = new Set<(reason: unknown) => void>();
  #state: RunnerState = 'idle';
  #pauseRequested = false;
  #resume: (() => void) | undefined;
  #resumed: Promise<void> | undefined;
  #failed = false;

  /** Check the tree (unique ids) and the nodes' needs (an executor/engine where used, known actions). */
  constructor(root: SeqNode, options: RunnerOptions = {}) {
    this.root = root;
    this.#options = { actionTimeoutMs: 600_000, pauseTimeoutMs: 3_600_000, ...options };
    for (const n of allNodes(root)) {
      this.#states.set(n.id, 'not_started');
      if (n.kind === 'executor') {
        if (!options.executor) throw new InvalidInputError({ what: `node '${n.id}'`, value: n.action, reason: 'runs an executor action but the runner has no executor' });
        const def = options.executor.definition(n.action);
        // Fixed parameters are validated now, before anything runs (naming node, action, parameter, rule).
        if (typeof n.params !== 'function') validateParams(def.params, n.params, `node '${n.id}' action '${n.action}'`);
      }
      if (n.kind === 'plan' && !options.engine) throw new InvalidInputError({ what: `node '${n.id}'`, value: 'plan', reason: 'runs a plan but the runner has no run engine' });
    }
  }

  /** The runner's state. */
  get state(): RunnerState {
    return this.#state;
  }

  /** The state of node `id`. */
  nodeState(id: string): NodeState {
    const s = this.#states.get(id);
    if (!s) throw new InvalidInputError({ what: 'node id', value: id, reason: 'not in this sequence' });
    return s;
  }

  /** States of every node, by id. */
  get states(): Record<string, NodeState> {
    return Object.fromEntries(this.#states);
  }

  /** Listen to node state changes; returns the unsubscribe function. */
  onNodeState(listener: (c: NodeStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Listen to the runner's state; returns the unsubscribe function. */
  onState(listener: (s: RunnerState) => void): () => void {
    this.#runnerListeners.add(listener);
    return () => this.#runnerListeners.delete(listener);
  }

  /** Run the tree; resolves with how it ended (never rejects for node failures). */
  async run(): Promise<SequenceResult> {
    if (this.#state !== 'idle') throw new InvalidStateError(`sequence '${this.root.id}' already ${this.#state}: a runner runs once`);
    this.#setRunner('running');
    const ctx: SeqContext = { signal: this.#abort.signal, index: undefined, indices: {}, params: {}, node: this.root.id };
    try {
      await this.#node(this.root, ctx);
    } catch (e) {
      if (!(e instanceof Halt)) this.#failures.push({ node: this.root.id, error: asError(e) });
    }
    const end: SequenceResult['state'] = this.#abort.signal.aborted && !this.#failed ? 'aborted' : this.#failed || this.#failures.length ? 'failed' : 'finished';
    this.#setRunner(end);
    return { state: end, failures: [...this.#failures], states: this.states };
  }

  /** Pause before the next node starts (running nodes finish). */
  pause(): void {
    if (this.#state === 'running') this.#pauseRequested = true;
  }

  /** Resume a paused sequence where it stopped. */
  resume(): void {
    this.#pauseRequested = false;
    const r = this.#resume;
    this.#resume = undefined;
    this.#resumed = undefined;
    r?.();
  }

  /** Abort: stop running actions and plans, start nothing more; running nodes end `aborted`. */
  abort(reason = 'sequence aborted'): void {
    this.#halt(new CanceledError(reason));
  }

  #halt(reason: Error): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort(reason);
    for (const f of [...this.#onAbort]) f(reason);
    this.resume();
  }

  /** Race `work` against a timer and the sequence's abort; the timer is always cleared. */
  #bounded<T>(work: () => unknown, afterMs: number, operation: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#abort.signal.aborted) return reject(this.#abort.signal.reason);
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        this.#onAbort.delete(onAbort);
        return true;
      };
      const onAbort = (reason: unknown): void => void (finish() && reject(reason));
      const timer = setTimeout(() => void (finish() && reject(new TimeoutError({ operation, afterMs }))), afterMs);
      this.#onAbort.add(onAbort);
      let p: unknown;
      try {
        p = work();
      } catch (e) {
        if (finish()) reject(e);
        return;
      }
      Promise.resolve(p).then((v) => void (finish() && resolve(v as T)), (e: unknown) => void (finish() && reject(e)));
    });
  }

  #setRunner(s: RunnerState): void {
    this.#state = s;
    for (const l of this.#runnerListeners) l(s);
  }

  #set(node: SeqNode, state: NodeState, ctx: SeqContext, extra: { error?: Error; attempt?: number } = {}): void {
    this.#states.set(node.id, state);
    if (this.#listeners.size) {
      const change: NodeStateChange = { node: node.id, state, index: ctx.index, ...extra };
      for (const l of this.#listeners) l(change);
    }
  }

  /** Wait here while paused (pause requested, or the node's pauseBefore flag). Bounded by pauseTimeoutMs. */
  async #gate(node: SeqNode, ctx: SeqContext): Promise<void> {
    if (!this.#pauseRequested && !node.options.pauseBefore) return;
    if (!this.#resumed) {
      this.#resumed = new Promise<void>((r) => (this.#resume = r));
      this.#setRunner('paused');
    }
    this.#set(node, 'paused', ctx);
    try {
      await this.#bounded(() => this.#resumed, this.#options.pauseTimeoutMs, `sequence paused before '${node.id}'`);
    } catch (e) {
      if (e instanceof TimeoutError) this.abort(e.message);
      this.#set(node, 'aborted', ctx);
      throw new Halt();
    }
    if (this.#state === 'paused') this.#setRunner('running');
  }

  async #node(node: SeqNode, parent: SeqContext): Promise<void> {
    if (this.#abort.signal.aborted) throw new Halt();
    const ctx: SeqContext = { ...parent, node: node.id };
    if (node.options.skip) {
      this.#set(node, 'skipped', ctx);
      return;
    }
    await this.#gate(node, ctx);
    const policy = node.options.onError ?? 'abort';
    const attempts = typeof policy === 'object' ? policy.retry + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      this.#set(node, 'running', ctx, attempt > 1 ? { attempt } : {});
      try {
        await this.#body(node, ctx);
        this.#set(node, 'finished', ctx);
        return;
      } catch (e) {
        if (e instanceof Halt || this.#abort.signal.aborted) {
          this.#set(node, 'aborted', ctx);
          throw e instanceof Halt ? e : new Halt();
        }
        const error = asError(e);
        this.#set(node, 'failed', ctx, { error, attempt });
        if (attempt < attempts) continue;
        this.#failures.push({ node: node.id, error });
        if (policy === 'continue') return;
        // abort (also after the last retry): end the whole sequence as failed.
        this.#failed = true;
        this.#halt(new CanceledError(`node '${node.id}' failed: ${error.message}`));
        throw new Halt();
      }
    }
  }

  async #body(node: SeqNode, ctx: SeqContext): Promise<void> {
    switch (node.kind) {
      case 'sequence':
        for (const c of node.children) await this.#node(c, ctx);
        return;
      case 'parallel': {
        const results = await Promise.allSettled(node.children.map((c) => this.#node(c, ctx)));
        const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (bad) throw bad.reason;
        return;
      }
      case 'loop':
        for (let i = 0; ; i++) {
          const inner: SeqContext = { ...ctx, index: i, indices: { ...ctx.indices, [node.id]: i } };
          if (!(await node.condition(inner))) return;
          if (i >= node.maxIterations) throw new InvalidStateError(`loop '${node.id}' ran ${node.maxIterations} iterations, its bound`);
          for (const c of node.body.children) await this.#node(c, inner);
        }
      case 'template':
        return this.#node(node.child, { ...ctx, params: node.params });
      default:
        return this.#action(node, ctx);
    }
  }

  async #action(node: Extract<SeqNode, { kind: 'action' | 'plan' | 'executor' }>, ctx: SeqContext): Promise<void> {
    const ms = node.options.timeoutMs ?? this.#options.actionTimeoutMs;
    const what = `node '${node.id}'`;
    if (node.kind === 'action') {
      await this.#bounded(() => node.run(ctx), ms, what);
      return;
    }
    if (node.kind === 'plan') {
      const engine = this.#options.engine!;
      const onAbort = (): void => void engine.abort('sequence aborted').catch(() => undefined);
      this.#onAbort.add(onAbort);
      try {
        const r = await this.#bounded<Awaited<ReturnType<RunEngine['run']>>>(() => engine.run(node.plan(ctx)), ms, what);
        if (r.exitStatus !== 'success') throw r.exception ?? new LabrigError({ code: 'PLAN_' + String(r.exitStatus).toUpperCase(), message: `plan ended ${r.exitStatus}: ${r.reason}` });
      } finally {
        this.#onAbort.delete(onAbort);
      }
      return;
    }
    const ex = this.#options.executor!;
    const params = typeof node.params === 'function' ? node.params(ctx) : node.params;
    const handle = ex.start(node.action, params);
    const onAbort = (): void => void ex.stop(handle.id);
    this.#onAbort.add(onAbort);
    try {
      const rec = await this.#bounded<Awaited<typeof handle.done>>(() => handle.done, ms, what).catch((e: unknown) => {
        ex.stop(handle.id);
        throw e;
      });
      if (rec.state !== 'finished') throw new LabrigError({ code: rec.errorCode ?? 'ACTION_' + rec.state.toUpperCase(), message: `action ${rec.id} ${rec.state}${rec.errorMessage ? `: ${rec.errorMessage}` : ''}` });
    } finally {
      this.#onAbort.delete(onAbort);
    }
  }
}
