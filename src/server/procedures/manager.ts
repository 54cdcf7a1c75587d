/**
 * The procedure service behind the OET-style REST API: each procedure runs in its own child
 * process (a crash, `process.exit` or a segfault there is recorded as FAILED and the server keeps
 * serving), at most one executes its main function at a time, and the newest ten are kept.
 * Every request, state change and script message is published on the {@link EventStream};
 * documents of the child's runs go to the document bus.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InvalidInputError, InvalidStateError, LabrigError, toError } from '../../core/errors.js';
import type { AnyDocument, DocumentName } from '../../core/documents/types.js';
import { builtinPlans } from '../../core/executor/index.js';
import { removeTempRootOf } from '../../sim/temp.js';
import type { EventStream } from './events.js';
import { resolveScript } from './paths.js';
import { FINAL_STATES, type FromChild, type FunctionArgs, type LoadSpec, type ProcedureState, type ProcedureSummary, type ToChild } from './types.js';

/** A procedure id that is unknown or no longer kept (HTTP 404). */
export class ProcedureNotFoundError extends LabrigError {
  /** The id asked for. */
  readonly id: number;
  constructor(id: number, keep: number) {
    super({ code: 'NOT_FOUND', message: `No information available for procedure ${id} (unknown, or no longer among the newest ${keep})` });
    this.id = id;
  }
}

/** Where documents of procedures' runs go (the server's DocumentBus satisfies it). */
export interface DocumentSink {
  /** Publish one document. */
  publish(name: DocumentName, doc: AnyDocument): void;
}

/** Options of {@link ProcedureManager}. */
export interface ProcedureManagerOptions {
  /** The allow-listed folder scripts and Observation Blocks are loaded from. */
  scriptsDir: string;
  /** Where requests, lifecycle changes and script messages are published. */
  events: EventStream;
  /** Where documents of procedures' runs are published. */
  bus?: DocumentSink;
  /** The server's open rig: e-stopped when a stop asks for an abort. */
  rig?: { eStop(): Promise<unknown> };
  /** Rig file each procedure process opens for its script (`ctx.rig`). */
  rigFile?: string;
  /** Procedures kept (running ones are never dropped). Default 10, as OET. */
  keep?: number;
  /** Limit from create to READY (loading the script and its init), ms. Default 60 000. */
  loadTimeoutMs?: number;
  /** Time a stopped procedure has to end before its process is killed, ms. Default 5000. */
  stopTimeoutMs?: number;
  /** Prefix of each procedure's `uri`. Default `/api/v1.0/procedures`. */
  baseUri?: string;
}

interface Proc {
  summary: ProcedureSummary;
  child: ChildProcess | undefined;
  requestId: number | undefined;
  stderr: string;
  stacktrace: string | null;
  stopping: boolean;
  started: boolean;
  loadTimer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
  abortMessage: string | undefined;
}

const WORKER = ((): { path: string; ts: boolean } => {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  return { path: self.replace(/manager\.(ts|js)$/, `worker.${ts ? 'ts' : 'js'}`), ts };
})();

const now = (): number => Date.now() / 1000;

/** Runs procedures in child processes (see the module notes). */
export class ProcedureManager {
  readonly #o: Required<Pick<ProcedureManagerOptions, 'keep' | 'loadTimeoutMs' | 'stopTimeoutMs' | 'baseUri'>> & ProcedureManagerOptions;
  readonly #procs = new Map<number, Proc>();
  readonly #plans: string[];
  #nextId = 1;
  #closed = false;

  constructor(options: ProcedureManagerOptions) {
    this.#o = { keep: 10, loadTimeoutMs: 60_000, stopTimeoutMs: 5000, baseUri: '/api/v1.0/procedures', ...options };
    this.#plans = Object.keys(builtinPlans());
  }

  /** Summaries of the kept procedures, oldest first. */
  list(): ProcedureSummary[] {
    return [...this.#procs.values()].map((p) => clone(p.summary));
  }

  /** The summary of procedure `id`; throws ProcedureNotFoundError. */
  get(id: number): ProcedureSummary {
    return clone(this.#proc(id).summary);
  }

  /** The procedure executing its main function, if any. */
  get executing(): number | undefined {
    for (const p of this.#procs.values()) if (p.started && !FINAL_STATES.has(p.summary.state)) return p.summary.id;
    return undefined;
  }

  /**
   * Create a procedure: check the script URI, start its process, load the script and call its
   * init (asynchronously: the summary returned is in state CREATING; READY or FAILED follow on
   * the event stream). Drops the oldest procedures beyond `keep` that are not executing.
   */
  create(scriptUri: string, init: FunctionArgs, requestId?: number): ProcedureSummary {
    if (this.#closed) throw new InvalidStateError('the procedure service is closed');
    const spec: LoadSpec = { ...resolveScript(this.#o.scriptsDir, scriptUri, this.#plans), ...(this.#o.rigFile ? { rigFile: this.#o.rigFile } : {}) };
    const id = this.#nextId++;
    const summary: ProcedureSummary = {
      id,
      uri: `${this.#o.baseUri}/${id}`,
      script: { script_type: spec.kind === 'plan' ? 'plan' : 'filesystem', script_uri: scriptUri, kind: spec.kind },
      script_args: { init: { args: [...init.args], kwargs: { ...init.kwargs } }, run: { args: [], kwargs: {} } },
      history: { process_states: [], stacktrace: null },
      state: 'CREATING',
    };
    let markExited!: () => void;
    const p: Proc = {
      summary, child: undefined, requestId, stderr: '', stacktrace: null, stopping: false, started: false, loadTimer: undefined,
      exited: new Promise<void>((r) => (markExited = r)), abortMessage: undefined,
    };
    this.#procs.set(id, p);
    this.#setState(p, 'CREATING');
    this.#evict();

    const execArgv = WORKER.ts || spec.path?.endsWith('.ts') ? ['--import', 'tsx'] : [];
    let child: ChildProcess;
    try {
      child = fork(WORKER.path, [], { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
    } catch (e) {
      this.#fail(p, `could not start the procedure process: ${toError(e).message}`);
      markExited();
      return clone(summary);
    }
    p.child = child;
    child.stdout!.on('data', () => undefined);
    child.stderr!.on('data', (d: Buffer) => {
      p.stderr = (p.stderr + d.toString()).slice(-8192);
    });
    child.on('message', (m: FromChild) => this.#onMessage(p, m));
    child.on('error', (e) => {
      if (!FINAL_STATES.has(p.summary.state)) this.#fail(p, `procedure process error: ${e.message}`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(p.loadTimer);
      p.child = undefined;
      // Killed by a signal, its exit listener did not remove its temp folder (the rig's pty links).
      if (signal && child.pid !== undefined) removeTempRootOf(child.pid);
      if (!FINAL_STATES.has(p.summary.state)) {
        if (p.stopping) this.#setState(p, 'STOPPED');
        else {
          const how = signal ? `killed by signal ${signal}` : `exited with code ${code}`;
          this.#fail(p, `the procedure process ${how} before the procedure ended${p.stderr.trim() ? `\n${p.stderr.trim()}` : ''}`);
        }
      }
      markExited();
    });
    p.loadTimer = setTimeout(() => {
      if (p.summary.state !== 'READY' && !FINAL_STATES.has(p.summary.state) && !p.started) {
        this.#fail(p, `loading the script took longer than ${this.#o.loadTimeoutMs} ms`);
        child.kill('SIGKILL');
      }
    }, this.#o.loadTimeoutMs);
    this.#send(p, { op: 'load', spec, init: summary.script_args.init });
    return clone(summary);
  }

  /** Start procedure `id`'s main function with `run`; refused unless it is READY and no other procedure executes. */
  start(id: number, run: FunctionArgs, requestId?: number): ProcedureSummary {
    const p = this.#proc(id);
    const busy = this.executing;
    if (busy !== undefined && busy !== id) throw new InvalidStateError(`procedure ${busy} is executing; only one procedure executes at a time`);
    if (p.summary.state !== 'READY' || p.started) throw new InvalidStateError(`procedure ${id} is ${p.summary.state}${p.started ? ' (already started)' : ''}, not READY`);
    p.requestId = requestId;
    p.started = true;
    p.summary.script_args.run = { args: [...run.args], kwargs: { ...run.kwargs } };
    this.#send(p, { op: 'run', run: p.summary.script_args.run });
    return clone(p.summary);
  }

  /**
   * Stop procedure `id`: ask its process to abort its run and end; kill it after `stopTimeoutMs`.
   * With `abort`, the rig is e-stopped too (the child's rig and the server's). Resolves when the
   * process is gone, with OET's `abort_message`.
   */
  async stop(id: number, abort: boolean, requestId?: number): Promise<{ abort_message: string; procedure: ProcedureSummary }> {
    const p = this.#proc(id);
    if (FINAL_STATES.has(p.summary.state)) throw new InvalidStateError(`procedure ${id} is already ${p.summary.state}`);
    p.requestId = requestId;
    p.stopping = true;
    this.#send(p, { op: 'stop', abort });
    const killer = setTimeout(() => p.child?.kill('SIGKILL'), this.#o.stopTimeoutMs);
    const serverStop = abort && this.#o.rig ? this.#o.rig.eStop().then(() => 'server rig e-stopped', (e: unknown) => `server rig e-stop failed: ${toError(e).message}`) : undefined;
    await p.exited;
    clearTimeout(killer);
    if (!FINAL_STATES.has(p.summary.state)) this.#setState(p, 'STOPPED');
    const notes = [p.abortMessage, await serverStop].filter(Boolean);
    const abort_message = `Successfully stopped script with ID ${id}${abort ? (notes.length ? ` and aborted (${notes.join('; ')})` : ' (no rig to abort)') : ''}`;
    return { abort_message, procedure: clone(p.summary) };
  }

  /** Stop every procedure process (killing any that does not end within `stopTimeoutMs`). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#procs.values()].map(async (p) => {
      clearTimeout(p.loadTimer);
      if (!p.child) return;
      p.stopping = true;
      this.#send(p, { op: 'stop', abort: false });
      const killer = setTimeout(() => p.child?.kill('SIGKILL'), this.#o.stopTimeoutMs);
      await p.exited;
      clearTimeout(killer);
    }));
  }

  #proc(id: number): Proc {
    const p = this.#procs.get(id);
    if (!p) throw new ProcedureNotFoundError(id, this.#o.keep);
    return p;
  }

  #send(p: Proc, m: ToChild): void {
    if (p.child?.connected) p.child.send(m);
  }

  #onMessage(p: Proc, m: FromChild): void {
    switch (m.t) {
      case 'state':
        if (!FINAL_STATES.has(p.summary.state)) {
          if (m.state === 'READY') clearTimeout(p.loadTimer);
          this.#setState(p, m.state);
        }
        break;
      case 'doc':
        this.#o.bus?.publish(m.name, m.doc);
        break;
      case 'announce':
        this.#o.events.publish('user.script.announce', { msg_src: `procedure ${p.summary.id}`, procedure_id: p.summary.id, msg: m.msg });
        break;
      case 'failed':
        p.stacktrace = m.stacktrace;
        break;
      case 'aborted':
        p.abortMessage = m.message;
        break;
    }
  }

  #fail(p: Proc, stacktrace: string): void {
    p.stacktrace = p.stacktrace ?? stacktrace;
    this.#setState(p, 'FAILED');
  }

  #setState(p: Proc, state: ProcedureState): void {
    const s = p.summary;
    s.state = state;
    s.history.process_states.push([state, now()]);
    if (state === 'FAILED') s.history.stacktrace = p.stacktrace ?? 'failed without a stack trace';
    const base = { msg_src: 'ProcedureManager', request_id: p.requestId ?? null };
    const ev = this.#o.events;
    ev.publish('procedure.lifecycle.statechange', { ...base, procedure_id: s.id, new_state: state });
    if (state === 'READY') ev.publish('procedure.lifecycle.created', { ...base, result: clone(s) });
    else if (state === 'RUNNING' && p.started) ev.publish('procedure.lifecycle.started', { ...base, result: clone(s) });
    else if (state === 'COMPLETE') ev.publish('procedure.lifecycle.complete', { ...base, result: clone(s) });
    else if (state === 'STOPPED') ev.publish('procedure.lifecycle.stopped', { ...base, result: clone(s) });
    else if (state === 'FAILED') {
      ev.publish('procedure.lifecycle.stacktrace', { ...base, procedure_id: s.id, stacktrace: s.history.stacktrace });
      ev.publish('procedure.lifecycle.failed', { ...base, result: clone(s) });
    }
  }

  /** Drop the oldest procedures beyond `keep` that are not executing (killing an idle process). */
  #evict(): void {
    for (const p of this.#procs.values()) {
      if (this.#procs.size <= this.#o.keep) return;
      if (p.started && !FINAL_STATES.has(p.summary.state)) continue;
      this.#procs.delete(p.summary.id);
      clearTimeout(p.loadTimer);
      if (p.child) {
        p.stopping = true;
        p.child.kill('SIGKILL');
      }
    }
  }
}

function clone<T>(x: T): T {
  return structuredClone(x);
}

/** Parse an OET FunctionArgs object from a request (`{ args?: [], kwargs?: {} }`). */
export function functionArgs(x: unknown, what: string): FunctionArgs {
  if (x === undefined || x === null) return { args: [], kwargs: {} };
  if (typeof x !== 'object' || Array.isArray(x)) throw new InvalidInputError({ what, value: x, reason: 'expected { args: [...], kwargs: {...} }' });
  const o = x as { args?: unknown; kwargs?: unknown };
  if (o.args !== undefined && !Array.isArray(o.args)) throw new InvalidInputError({ what: `${what}.args`, value: o.args, reason: 'expected a list' });
  if (o.kwargs !== undefined && (typeof o.kwargs !== 'object' || o.kwargs === null || Array.isArray(o.kwargs))) throw new InvalidInputError({ what: `${what}.kwargs`, value: o.kwargs, reason: 'expected an object' });
  return { args: (o.args as unknown[] | undefined) ?? [], kwargs: (o.kwargs as Record<string, unknown> | undefined) ?? {} };
}
