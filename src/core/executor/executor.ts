/**
 * The executor: runs actions through HELAO's lifecycle (preExec → exec → poll every pollRateMs
 * until done → manualStop when stopped → postExec), streams their data as produced, queues
 * non-concurrent actions FIFO per group, stops them one by one or all at once with an e-stop that
 * calls the rig's e-stop and refuses new actions until cleared. Every wait is bounded.
 * @module
 */
import { CanceledError, InvalidInputError, InvalidStateError, LabrigError, TimeoutError } from '../errors.js';
import { composeRun, type ComposeDescriptorBundle, type ComposeRunBundle } from '../documents/index.js';
import type { DocumentName } from '../documents/types.js';
import { checkSchema, validateParams, type ParamSchema } from './params.js';
import type {
  ActionContext, ActionData, ActionDefinition, ActionHandle, ActionPhase, ActionRecord, PollResult, StartOptions,
} from './types.js';

/** Options of an {@link Executor}. */
export interface ExecutorOptions {
  /** Look up a device by name for `ctx.device` (a rig's `get`). */
  resolve?: (name: string) => unknown;
  /** Called by {@link Executor.eStop} after running actions were told to stop (the rig's e-stop). */
  eStop?: () => Promise<unknown> | unknown;
  /** Bound on each phase other than polling, ms. Default 30,000. */
  phaseTimeoutMs?: number;
  /** Bound on polling until done, ms. Default 600,000. */
  timeoutMs?: number;
  /** Bound on the injected e-stop and on running actions settling after it, ms. Default 5,000. */
  eStopTimeoutMs?: number;
  /** Finished records kept for {@link Executor.history}. Default 1,000. */
  historySize?: number;
}

/** What an e-stop did. */
export interface ExecutorEStopReport {
  /** Ids of the actions it ended (running and queued). */
  readonly actions: string[];
  /** What the injected e-stop returned (the rig's report), or its error. */
  readonly result: unknown;
  readonly error: Error | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyAction = ActionDefinition<any>;

interface Entry {
  readonly def: AnyAction;
  readonly rec: ActionRecord;
  readonly stopCtl: AbortController;
  readonly estopCtl: AbortController;
  readonly options: StartOptions;
  resolve: (r: ActionRecord) => void;
  stopRequested: boolean;
  estopped: boolean;
  /** Settles when the lifecycle has ended. */
  finished?: Promise<void>;
  /** Feeds the action's run documents (asRun). */
  onRunData?: ((data: ActionData) => void) | undefined;
}

class Group {
  busy = false;
  readonly queue: Entry[] = [];
}

const errCode = (e: unknown): string => (e instanceof LabrigError ? e.code : e instanceof Error ? e.name : 'ERROR');
const errMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Race `work` against a timer and an abort signal; the timer is always cleared. */
export function bounded<T>(work: () => unknown, afterMs: number, operation: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let done = false;
    const finish = (): void => {
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      if (done) return;
      finish();
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      if (done) return;
      finish();
      reject(new TimeoutError({ operation, afterMs }));
    }, afterMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(work)
      .then(
        (v) => {
          if (done) return;
          finish();
          resolve(v as T);
        },
        (e: unknown) => {
          if (done) return;
          finish();
          reject(e);
        },
      );
  });
}

/** Sleep `ms`, ending early (without error) when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function dtypeOf(v: unknown): 'number' | 'string' | 'boolean' | 'array' | 'integer' {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v)) return 'array';
  return 'string';
}

function matches(params: Readonly<Record<string, unknown>>, wanted: Record<string, unknown>): boolean {
  return Object.entries(wanted).every(([k, v]) => JSON.stringify(params[k]) === JSON.stringify(v));
}

/** Runs actions through HELAO's lifecycle; see the module doc. */
export class Executor {
  readonly #defs = new Map<string, AnyAction>();
  readonly #groups = new Map<string, Group>();
  readonly #live = new Map<string, Entry>();
  readonly #history: ActionRecord[] = [];
  readonly #dataListeners = new Set<(rec: Readonly<ActionRecord>, data: ActionData) => void>();
  readonly #stateListeners = new Set<(rec: Readonly<ActionRecord>) => void>();
  readonly #docListeners = new Set<(name: DocumentName, doc: unknown) => void>();
  readonly #options: Required<Omit<ExecutorOptions, 'resolve' | 'eStop'>> & ExecutorOptions;
  #eStopped = false;
  #counter = 0;

  constructor(options: ExecutorOptions = {}) {
    this.#options = { phaseTimeoutMs: 30_000, timeoutMs: 600_000, eStopTimeoutMs: 5_000, historySize: 1_000, ...options };
  }

  /** Add an action definition (its parameter schema is checked now). */
  register(def: ActionDefinition<any>): this {
    if (typeof def?.name !== 'string' || !/^[A-Za-z][\w.-]*$/.test(def.name)) throw new InvalidInputError({ what: 'action name', value: def?.name, reason: 'must start with a letter and contain only letters, digits, _ . -' });
    if (typeof def.exec !== 'function') throw new InvalidInputError({ what: `action '${def.name}' exec`, value: def.exec, reason: 'must be a function' });
    if (this.#defs.has(def.name)) throw new InvalidInputError({ what: 'action name', value: def.name, reason: 'already registered' });
    checkSchema(def.params, `action '${def.name}'`);
    this.#defs.set(def.name, def as AnyAction);
    return this;
  }

  /** The registered actions. */
  get actions(): readonly ActionDefinition<ParamSchema>[] {
    return [...this.#defs.values()];
  }

  /** The definition registered under `name` (InvalidInputError listing the known ones). */
  definition(name: string): ActionDefinition<ParamSchema> {
    const def = this.#defs.get(name);
    if (!def) throw new InvalidInputError({ what: 'action', value: name, reason: `unknown action (known: ${[...this.#defs.keys()].join(', ') || 'none'})` });
    return def;
  }

  /** True while an e-stop is in force (new actions are refused). */
  get eStopped(): boolean {
    return this.#eStopped;
  }

  /** Records of queued and running actions. */
  get active(): Readonly<ActionRecord>[] {
    return [...this.#live.values()].map((e) => e.rec);
  }

  /** Records of the last finished actions, oldest first. */
  get history(): readonly Readonly<ActionRecord>[] {
    return this.#history;
  }

  /** Listen to live data as actions produce it; returns the unsubscribe function. */
  onData(listener: (rec: Readonly<ActionRecord>, data: ActionData) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  /** Listen to state and phase changes; returns the unsubscribe function. */
  onState(listener: (rec: Readonly<ActionRecord>) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Listen to the event-model documents of actions started with `asRun`. */
  subscribe(listener: (name: DocumentName, doc: unknown) => void): () => void {
    this.#docListeners.add(listener);
    return () => this.#docListeners.delete(listener);
  }

  /**
   * Start (or queue) action `name` with `params`. Throws before anything runs: InvalidInputError for
   * an unknown action or bad parameters, InvalidStateError during an e-stop.
   */
  start(name: string, params: Record<string, unknown> = {}, options: StartOptions = {}): ActionHandle {
    if (this.#eStopped) throw new InvalidStateError(`executor is e-stopped: action '${name}' refused until clearEStop()`);
    const def = this.definition(name);
    const values = validateParams(def.params, params, `action '${name}'`);
    const concurrent = def.concurrent !== false;
    const rec: ActionRecord = {
      id: `${name}-${++this.#counter}`, name, params: values, group: def.group ?? name, concurrent,
      state: 'queued', phase: undefined, errorCode: undefined, errorMessage: undefined, errorPhase: undefined,
      times: { queued: Date.now() }, result: undefined, dataCount: 0, runUid: undefined,
    };
    let resolve!: (r: ActionRecord) => void;
    const done = new Promise<ActionRecord>((r) => (resolve = r));
    const entry: Entry = { def, rec, stopCtl: new AbortController(), estopCtl: new AbortController(), options, resolve, stopRequested: false, estopped: false };
    this.#live.set(rec.id, entry);
    if (concurrent) void this.#run(entry);
    else {
      let g = this.#groups.get(rec.group);
      if (!g) this.#groups.set(rec.group, (g = new Group()));
      if (g.busy) {
        g.queue.push(entry);
        this.#notify(rec);
      } else {
        g.busy = true;
        void this.#run(entry);
      }
    }
    return { id: rec.id, record: rec, done };
  }

  /** Start `name` and wait for its final record. */
  run(name: string, params: Record<string, unknown> = {}, options: StartOptions = {}): Promise<ActionRecord> {
    return this.start(name, params, options).done;
  }

  /** Stop one action: a queued one is dropped (aborted), a running one gets manualStop. False if unknown or done. */
  stop(id: string): boolean {
    const e = this.#live.get(id);
    if (!e) return false;
    if (e.rec.state === 'queued') {
      this.#dequeue(e);
      this.#end(e, 'aborted');
      return true;
    }
    if (e.stopRequested) return true;
    e.stopRequested = true;
    e.stopCtl.abort(new CanceledError(`action ${id} stopped`));
    return true;
  }

  /** Stop every queued or running action named `name` whose parameters include `params`; return their ids. */
  stopMatching(name: string, params: Record<string, unknown> = {}): string[] {
    const ids = [...this.#live.values()].filter((e) => e.rec.name === name && matches(e.rec.params, params)).map((e) => e.rec.id);
    for (const id of ids) this.stop(id);
    return ids;
  }

  /**
   * E-stop: refuse new actions, end queued ones, tell running ones to stop (no manualStop, no
   * postExec), call the injected e-stop (the rig's), and wait (bounded) for them to settle; each
   * ends `estopped`. In force until {@link clearEStop}.
   */
  async eStop(): Promise<ExecutorEStopReport> {
    this.#eStopped = true;
    const all = [...this.#live.values()];
    for (const g of this.#groups.values()) g.queue.length = 0;
    for (const e of all) {
      e.estopped = true;
      if (e.rec.state === 'queued') this.#end(e, 'estopped');
      else {
        e.estopCtl.abort(new CanceledError(`action ${e.rec.id} e-stopped`));
        e.stopCtl.abort(new CanceledError(`action ${e.rec.id} e-stopped`));
      }
    }
    let result: unknown;
    let error: Error | undefined;
    if (this.#options.eStop) {
      try {
        result = await bounded(this.#options.eStop, this.#options.eStopTimeoutMs, 'executor e-stop');
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
    }
    await bounded(() => Promise.all(all.map((e) => e.finished)), this.#options.eStopTimeoutMs, 'actions settling after e-stop').catch(() => undefined);
    return { actions: all.map((e) => e.rec.id), result, error };
  }

  /** Lift the e-stop: new actions are accepted again. */
  clearEStop(): void {
    this.#eStopped = false;
  }

  #notify(rec: ActionRecord): void {
    for (const l of this.#stateListeners) l(rec);
  }

  #dequeue(e: Entry): void {
    const q = this.#groups.get(e.rec.group)?.queue;
    const i = q?.indexOf(e) ?? -1;
    if (i >= 0) q!.splice(i, 1);
  }

  #end(e: Entry, state: ActionRecord['state']): void {
    e.rec.state = state;
    e.rec.times.end = Date.now();
    this.#live.delete(e.rec.id);
    this.#history.push(e.rec);
    if (this.#history.length > this.#options.historySize) this.#history.splice(0, this.#history.length - this.#options.historySize);
    this.#notify(e.rec);
    e.resolve(e.rec);
  }

  #fail(e: Entry, phase: ActionPhase, err: unknown): void {
    e.rec.errorPhase = phase;
    e.rec.errorCode = errCode(err);
    e.rec.errorMessage = errMessage(err);
  }

  async #run(e: Entry): Promise<void> {
    let finish!: () => void;
    e.finished = new Promise<void>((r) => (finish = r));
    try {
      await this.#lifecycle(e);
    } finally {
      finish();
      if (!e.rec.concurrent) {
        const g = this.#groups.get(e.rec.group)!;
        const next = g.queue.shift();
        if (next && !this.#eStopped) void this.#run(next);
        else g.busy = false;
      }
    }
  }

  async #lifecycle(e: Entry): Promise<void> {
    const { def, rec } = e;
    const opts = this.#options;
    const phaseMs = def.phaseTimeoutMs ?? opts.phaseTimeoutMs;
    const ctx = this.#context(e);
    const run = e.options.asRun ? this.#openRun(e) : undefined;
    rec.state = 'active';
    const step = async (phase: ActionPhase, fn: ((c: typeof ctx) => unknown) | undefined, signal: AbortSignal): Promise<unknown> => {
      rec.phase = phase;
      rec.times[phase] ??= Date.now();
      this.#notify(rec);
      if (!fn) return undefined;
      return bounded(() => fn.call(def, ctx), phaseMs, `action ${rec.id} ${phase}`, signal);
    };
    let outcome: ActionRecord['state'] = 'finished';
    try {
      await step('preExec', def.preExec, e.stopCtl.signal);
    } catch (err) {
      if (e.estopped) outcome = 'estopped';
      else if (e.stopRequested) outcome = 'aborted';
      else {
        this.#fail(e, 'preExec', err);
        outcome = 'skipped';
      }
      this.#closeRun(e, run, outcome);
      return this.#end(e, outcome);
    }
    try {
      rec.result = await step('exec', def.exec, e.stopCtl.signal);
      if (def.poll) {
        rec.phase = 'poll';
        rec.times.poll = Date.now();
        this.#notify(rec);
        const deadline = Date.now() + (def.timeoutMs ?? opts.timeoutMs);
        const rate = def.pollRateMs ?? 100;
        for (;;) {
          if (e.stopCtl.signal.aborted) throw e.stopCtl.signal.reason;
          const r = await bounded<PollResult>(() => def.poll!.call(def, ctx), phaseMs, `action ${rec.id} poll`, e.stopCtl.signal);
          const isDone = typeof r === 'boolean' ? r : r.done;
          if (typeof r === 'object' && r.data) ctx.emit(r.data);
          if (isDone) break;
          if (Date.now() >= deadline) throw new TimeoutError({ operation: `action ${rec.id} poll until done`, afterMs: def.timeoutMs ?? opts.timeoutMs });
          await pause(rate, e.stopCtl.signal);
        }
      }
    } catch (err) {
      if (e.estopped) outcome = 'estopped';
      else if (e.stopRequested) outcome = 'aborted';
      else {
        this.#fail(e, rec.phase ?? 'exec', err);
        outcome = 'errored';
      }
    }
    if (outcome === 'aborted') {
      try {
        await step('manualStop', def.manualStop, e.estopCtl.signal);
      } catch (err) {
        if (e.estopped) outcome = 'estopped';
        else this.#fail(e, 'manualStop', err);
      }
    }
    if (!e.estopped) {
      try {
        await step('postExec', def.postExec, e.estopCtl.signal);
      } catch (err) {
        if (e.estopped) outcome = 'estopped';
        else if (outcome !== 'errored') {
          this.#fail(e, 'postExec', err);
          outcome = 'errored';
        }
      }
    } else outcome = 'estopped';
    this.#closeRun(e, run, outcome);
    this.#end(e, outcome);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  #context(e: Entry): ActionContext<any> {
    const resolve = this.#options.resolve;
    const self = this;
    const ctx = {
      id: e.rec.id,
      name: e.rec.name,
      params: e.rec.params,
      signal: e.stopCtl.signal,
      get stopRequested() {
        return e.stopRequested;
      },
      state: {} as Record<string, unknown>,
      emit(data: ActionData): void {
        if (typeof data !== 'object' || data === null) throw new InvalidInputError({ what: `action ${e.rec.id} data`, value: data, reason: 'must be an object of key: value' });
        e.rec.dataCount++;
        e.onRunData?.(data);
        for (const l of self.#dataListeners) l(e.rec, data);
      },
      device<T>(name: string): T {
        if (!resolve) throw new InvalidStateError(`action ${e.rec.id}: no device resolver given to the executor (device '${name}')`);
        return resolve(name) as T;
      },
    };
    return ctx;
  }

  #openRun(e: Entry): ComposeRunBundle {
    const run = composeRun({ ...e.options.md, plan_name: e.rec.name, plan_args: e.rec.params, action_id: e.rec.id });
    e.rec.runUid = run.start.uid;
    this.#doc('start', run.start);
    let desc: ComposeDescriptorBundle | undefined;
    e.onRunData = (data) => {
      const t = Date.now() / 1000;
      if (!desc) {
        const keys = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, { source: `executor:${e.rec.name}`, dtype: dtypeOf(v), shape: Array.isArray(v) ? [v.length] : [] }]));
        desc = run.composeDescriptor({ name: 'primary', dataKeys: keys as never, time: t });
        this.#doc('descriptor', desc.descriptor);
      }
      const ts = Object.fromEntries(Object.keys(data).map((k) => [k, t]));
      this.#doc('event', desc.composeEvent({ data, timestamps: ts, time: t }));
    };
    return run;
  }

  #closeRun(e: Entry, run: ComposeRunBundle | undefined, outcome: ActionRecord['state']): void {
    if (!run) return;
    e.onRunData = undefined;
    const exitStatus = outcome === 'finished' ? 'success' : outcome === 'errored' || outcome === 'skipped' ? 'fail' : 'abort';
    this.#doc('stop', run.composeStop({ exitStatus, reason: e.rec.errorMessage ?? (exitStatus === 'abort' ? outcome : '') }));
  }

  #doc(name: DocumentName, doc: unknown): void {
    for (const l of this.#docListeners) l(name, doc);
  }
}

