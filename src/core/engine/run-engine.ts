/**
 * RunEngine: runs plans (generators of messages) and turns them into event-model documents,
 * with bluesky's semantics — pause/resume with rewind to the last checkpoint, stop/abort/halt,
 * suspenders, preprocessors, hooks, metadata validation and scan ids — and redsun's stash,
 * clear_cache and wait_for_actions. `run()` returns a promise; the engine never blocks the
 * event loop.
 *
 * ```ts
 * const re = new RunEngine({ md: { operator: 'me' } });
 * re.subscribe((name, doc) => console.log(name, doc));
 * const result = await re.run(myPlan(), { sample: 'A1' });
 * ```
 * @module
 */
import { CanceledError, InvalidInputError, InvalidStateError, toError } from '../errors.js';
import { DocumentDispatcher } from '../documents/dispatcher.js';
import type { DocumentSubscriber } from '../documents/dispatcher.js';
import type { DocumentName, TypedSubscriber } from '../documents/types.js';
import { Execution } from './execution.js';
import { Req, isGenerator } from './frames.js';
import type { AnyGen } from './frames.js';
import { builtinHandlers, isInternalCommand } from './handlers/index.js';
import type { EngineHost, SuspensionSource } from './host.js';
import { MemoryMdStore } from './md-store.js';
import { deepCopy } from './md-check.js';
import type { MdStore } from './md-store.js';
import type { Msg, SuspenderLike } from './messages.js';
import { StateMachine } from './states.js';
import type { RunEngineState } from './states.js';
import { suspensionFrame } from './cleanup.js';
import type { Suspender, SuspendTarget } from './suspenders.js';
import type {
  CommandHandler, EngineTimeouts, InputProvider, MdNormalizer, MdValidator, MsgHook, PlanSource, Preprocessor,
  RunEngineOptions, RunEngineResult, RunEngineSettings, ScanIdSource,
} from './types.js';

/** bluesky's default: the last scan_id plus one. */
export const defaultScanIdSource: ScanIdSource = (md) => (typeof md['scan_id'] === 'number' ? md['scan_id'] : 0) + 1;

const defaultReport = (err: Error, context: string): void => {
  console.error(`labrig RunEngine: ${context}:`, err);
};

/** Run plans and emit their documents (bluesky's RunEngine, camelCase). */
export class RunEngine implements SuspendTarget {
  /** Persistent metadata merged into every run_start. */
  readonly md: MdStore;
  /** Plan wrappers applied to every plan; `[f, g]` apply as `f(g(plan))`. */
  preprocessors: Preprocessor[];
  readonly #sm: StateMachine;
  readonly #dispatcher: DocumentDispatcher;
  readonly #handlers = builtinHandlers();
  readonly #suspenders: SuspenderLike[] = [];
  readonly #trips: SuspensionSource[] = [];
  readonly #report: (err: Error, context: string) => void;
  readonly #host: RunEngineSettings & EngineHost;
  #exec: Execution | undefined;
  /** A deferred pause the last plan requested and never reached (reported until the next run). */
  #lastDeferred = false;

  constructor(options: RunEngineOptions = {}) {
    this.md = options.mdStore ?? new MemoryMdStore();
    if (options.md) for (const [k, v] of Object.entries(options.md)) this.md.set(k, v);
    this.preprocessors = options.preprocessors ? [...options.preprocessors] : [];
    this.#report = options.onError ?? defaultReport;
    this.#dispatcher = new DocumentDispatcher({
      ignoreCallbackExceptions: options.ignoreCallbackExceptions ?? false,
      onCallbackError: (err, name) => this.#report(toError(err), `subscriber of '${name}'`),
      // An async subscriber that rejects fails the running plan at its next message, like a throwing one.
      onAsyncCallbackError: (err, name) => {
        const exec = this.#exec;
        if (exec !== undefined && !exec.finishing) exec.reportAsyncError(err);
        else this.#report(toError(err), `async subscriber of '${name}' (after the plan ended)`);
      },
    });
    this.#sm = new StateMachine((next, prev) => {
      const hook = this.#host.stateHook;
      if (hook === undefined) return;
      try {
        hook(next, prev);
      } catch (e) {
        this.#report(toError(e), 'stateHook');
      }
    });
    this.#host = this.#makeHost(options);
  }

  /** The current settings, as a frozen copy (change them with {@link configure}). */
  get settings(): Readonly<RunEngineSettings> {
    const h = this.#host;
    const out: RunEngineSettings = {
      msgHook: h.msgHook, stateHook: h.stateHook, waitingHook: h.waitingHook, mdValidator: h.mdValidator, mdNormalizer: h.mdNormalizer,
      scanIdSource: h.scanIdSource, recordInterruptions: h.recordInterruptions, eventPageSize: h.eventPageSize, inputProvider: h.inputProvider,
      cleanupTimeoutMs: h.cleanupTimeoutMs, yieldEveryMs: h.yieldEveryMs, rewindable: h.rewindable, timeouts: h.timeouts,
    };
    return Object.freeze(out);
  }

  /**
   * Change settings: each key of `patch` replaces that setting (`undefined` removes a hook). Every
   * value is checked before any is applied; an unknown key or a bad value throws InvalidInputError
   * naming it and changes nothing.
   */
  configure(patch: Partial<RunEngineSettings>): void {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      throw new InvalidInputError({ what: 'RunEngine.configure patch', value: patch, reason: 'must be an object of settings' });
    }
    const checked: Partial<Record<keyof RunEngineSettings, unknown>> = {};
    for (const key of Object.keys(patch)) {
      if (!isSettingKey(key)) {
        throw new InvalidInputError({ what: 'RunEngine setting', value: key, reason: `is not a setting (one of ${Object.keys(SETTING_CHECKS).join(', ')})` });
      }
      checked[key] = SETTING_CHECKS[key](patch[key]);
    }
    Object.assign(this.#host, checked);
  }

  /** The current state (idle, running, pausing, paused, halting, stopping, aborting, suspending, panicked). */
  get state(): RunEngineState {
    return this.#sm.state;
  }

  /** Whether a deferred pause waits for the next checkpoint. */
  get deferredPauseRequested(): boolean {
    return this.#exec?.deferredPause ?? this.#lastDeferred;
  }

  /** Whether subscriber exceptions are reported and ignored (set at construction). */
  get ignoreCallbackExceptions(): boolean {
    return this.#dispatcher.ignoreCallbackExceptions;
  }

  /** Installed suspenders. */
  get suspenders(): readonly SuspenderLike[] {
    return [...this.#suspenders];
  }

  /** Names of every command the engine understands (built-in and registered). */
  get commands(): string[] {
    return [...this.#handlers.keys()].filter((k) => !isInternalCommand(k));
  }

  /**
   * Run a plan (a generator, or a function returning one). Resolves with the result when the plan
   * ends, or with `exitStatus: 'paused'` (interrupted) when it pauses; `resume()` then returns a
   * promise for the rest. `md` is merged into every run_start of this plan (highest precedence).
   */
  run<R = unknown>(plan: PlanSource<R>, md: Record<string, unknown> = {}): Promise<RunEngineResult<R>> {
    try {
      if (this.#sm.state !== 'idle' || this.#exec !== undefined) {
        throw new InvalidStateError(`RunEngine.run: the engine is '${this.#sm.state}', not idle (resume, stop, abort or halt the current plan first)`);
      }
      if (md === null || typeof md !== 'object' || Array.isArray(md)) throw new InvalidInputError({ what: 'run metadata', value: md, reason: 'must be an object' });
      let gen: unknown = plan;
      let planName: string | undefined;
      if (typeof plan === 'function') {
        planName = plan.name || undefined;
        gen = plan();
      }
      if (Array.isArray(gen)) gen = messagesPlan(gen);
      if (!isGenerator(gen)) throw new InvalidInputError({ what: 'plan', value: gen, reason: 'must be a generator of messages or a function returning one' });
      for (let i = this.preprocessors.length - 1; i >= 0; i--) {
        gen = this.preprocessors[i]!(gen as AnyGen);
        if (!isGenerator(gen)) throw new InvalidInputError({ what: `preprocessors[${i}] result`, value: gen, reason: 'must be a plan generator' });
      }
      const exec = new Execution(this.#host, gen as AnyGen, deepCopy(md, 'run metadata') as Record<string, unknown>, planName);
      this.#lastDeferred = false;
      this.#exec = exec;
      this.#sm.to('running');
      if (this.#trips.length > 0) {
        this.#sm.to('suspending');
        exec.frames.push(suspensionFrame(exec));
      }
      return this.#segment(exec) as Promise<RunEngineResult<R>>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Resume a paused plan: rewind to its last checkpoint and replay from there. */
  resume(): Promise<RunEngineResult> {
    const exec = this.#exec;
    if (this.#sm.state !== 'paused' || exec === undefined) {
      return Promise.reject(new InvalidStateError(`RunEngine.resume: the engine is '${this.#sm.state}', not paused`));
    }
    this.#sm.to('running');
    return this.#segment(exec, exec.prepareResume());
  }

  /** Pause now (stop moved devices, pause pausable ones), or at the next checkpoint when `defer`. */
  requestPause(defer = false): void {
    const exec = this.#exec;
    const s = this.#sm.state;
    if (exec === undefined || exec.finishing) throw new InvalidStateError(`RunEngine.requestPause: no plan is running (state '${s}')`);
    if (defer) {
      if (s !== 'running' && s !== 'suspending') throw new InvalidStateError(`RunEngine.requestPause: cannot defer a pause in state '${s}'`);
      exec.deferPause();
      return;
    }
    this.#sm.to('pausing');
    exec.interruptForPause();
  }

  /** Stop the plan, letting it clean up; its runs end with exit_status `success`. */
  stop(): Promise<RunEngineResult> {
    return this.#end('stopping', '');
  }

  /** Abort the plan, letting it clean up; its runs end with exit_status `abort` and `reason`. */
  abort(reason = 'abort requested'): Promise<RunEngineResult> {
    return this.#end('aborting', reason);
  }

  /** Halt now: the plan gets no chance to clean up (the engine still stops devices and closes runs as `abort`). */
  halt(): Promise<RunEngineResult> {
    return this.#end('halting', 'halt requested');
  }

  /** Install a suspender (see suspenders.ts). */
  installSuspender(suspender: SuspenderLike): void {
    if (typeof suspender?.install !== 'function' || typeof suspender.remove !== 'function') {
      throw new InvalidInputError({ what: 'suspender', value: suspender, reason: 'must have install(engine) and remove()' });
    }
    if (this.#suspenders.includes(suspender)) return;
    this.#suspenders.push(suspender);
    suspender.install(this);
  }

  /** Remove a suspender (releasing a suspension it holds). */
  removeSuspender(suspender: SuspenderLike): void {
    const i = this.#suspenders.indexOf(suspender);
    if (i < 0) return;
    this.#suspenders.splice(i, 1);
    suspender.remove();
    this.releaseSuspend(suspender as Suspender);
  }

  /** Remove every suspender. */
  clearSuspenders(): void {
    for (const s of [...this.#suspenders]) this.removeSuspender(s);
  }

  /** Called by a suspender whose condition tripped: suspend the running plan (or the next one). */
  requestSuspend(suspender: Suspender): void {
    if (!this.#trips.includes(suspender)) this.#trips.push(suspender);
    const exec = this.#exec;
    if (exec === undefined || exec.finishing) return;
    const s = this.#sm.state;
    if (s === 'running') {
      this.#sm.to('suspending');
      exec.requestInterrupt(Req.Suspend);
    } else if (s === 'suspending') exec.notifyTrips();
  }

  /** Called by a suspender whose condition cleared: the suspension may end. */
  releaseSuspend(suspender: Suspender): void {
    const i = this.#trips.indexOf(suspender);
    if (i >= 0) this.#trips.splice(i, 1);
    this.#exec?.notifyTrips();
  }

  /**
   * Add or replace the handler of command `name`. `replay: false` marks a command that must not
   * be replayed after a rewind (it acts on the engine or is not idempotent); such a command is
   * also never cut short by a pause.
   */
  registerCommand(name: string, handler: CommandHandler, options: { replay?: boolean } = {}): void {
    if (typeof name !== 'string' || name === '' || name.startsWith('__')) {
      throw new InvalidInputError({ what: 'command name', value: name, reason: "must be a non-empty string not starting with '__'" });
    }
    if (typeof handler !== 'function') throw new InvalidInputError({ what: `handler of '${name}'`, value: handler, reason: 'must be a function (msg, ctx) => response' });
    this.#handlers.set(name, { fn: handler, replay: options.replay ?? true });
  }

  /** Remove command `name`. */
  unregisterCommand(name: string): void {
    if (isInternalCommand(name) || !this.#handlers.has(name)) throw new InvalidInputError({ what: 'command name', value: name, reason: 'is not a registered command' });
    this.#handlers.delete(name);
  }

  /**
   * Send documents to `callback` (all, or only those named `name`); returns a token. The callback's
   * `(name, doc)` are typed together: `if (name === 'event') doc.data` compiles under strict tsc.
   */
  subscribe(callback: TypedSubscriber, name?: DocumentName | 'all'): number;
  subscribe(callback: DocumentSubscriber, name?: DocumentName | 'all'): number;
  subscribe(callback: TypedSubscriber | DocumentSubscriber, name: DocumentName | 'all' = 'all'): number {
    return this.#dispatcher.subscribe(callback as DocumentSubscriber, name);
  }

  /** Remove a subscription by its token; returns whether there was one. */
  unsubscribe(token: number): boolean {
    return this.#dispatcher.unsubscribe(token);
  }

  #end(next: 'stopping' | 'aborting' | 'halting', reason: string): Promise<RunEngineResult> {
    const exec = this.#exec;
    const prev = this.#sm.state;
    if (exec === undefined || prev === 'idle') return Promise.reject(new InvalidStateError(`RunEngine.${verb(next)}: the engine is idle`));
    if (exec.finishing) return exec.finished;
    try {
      this.#sm.to(next);
    } catch (e) {
      return Promise.reject(e);
    }
    const interruptError = next === 'halting' ? undefined : new CanceledError(`RunEngine ${verb(next)}${reason ? `: ${reason}` : ''}`);
    exec.end(next, reason, interruptError, prev === 'paused');
    if (prev === 'paused') return this.#segment(exec);
    return exec.finished;
  }

  async #segment(exec: Execution, before?: Promise<void>): Promise<RunEngineResult> {
    try {
      if (before !== undefined) await before;
      const out = await exec.drive();
      if (out === 'paused') return exec.pausedResult();
      if (this.#exec === exec) {
        this.#exec = undefined;
        this.#lastDeferred = exec.deferredPause;
      }
      return await exec.finished;
    } catch (e) {
      const err = toError(e);
      if (this.#exec === exec) this.#exec = undefined;
      this.#report(err, 'internal error; the RunEngine is now panicked');
      if (this.#sm.state !== 'panicked') this.#sm.to('panicked');
      throw err;
    }
  }

  #makeHost(o: RunEngineOptions): RunEngineSettings & EngineHost {
    const eventPageSize = o.eventPageSize ?? 1;
    if (typeof eventPageSize !== 'number' || !(eventPageSize >= 1)) throw new InvalidInputError({ what: 'eventPageSize', value: eventPageSize, reason: 'must be a number >= 1' });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const sm = this.#sm;
    return {
      handlers: this.#handlers,
      get state() {
        return sm.state;
      },
      transition: (next) => sm.to(next),
      dispatcher: this.#dispatcher,
      md: this.md,
      msgHook: o.msgHook,
      stateHook: o.stateHook,
      waitingHook: o.waitingHook,
      mdValidator: o.mdValidator,
      mdNormalizer: o.mdNormalizer,
      scanIdSource: o.scanIdSource ?? defaultScanIdSource,
      recordInterruptions: o.recordInterruptions ?? false,
      inputProvider: o.inputProvider,
      ignoreCallbackExceptions: this.#dispatcher.ignoreCallbackExceptions,
      eventPageSize,
      cleanupTimeoutMs: o.cleanupTimeoutMs ?? 10_000,
      yieldEveryMs: o.yieldEveryMs ?? 5,
      rewindable: checkBool('rewindable', o.rewindable ?? true),
      timeouts: checkTimeouts(o.timeouts ?? {}),
      report: (err, context) => this.#report(err, context),
      requestPause: (defer) => this.requestPause(defer),
      installSuspender: (s) => this.installSuspender(s as SuspenderLike),
      removeSuspender: (s) => this.removeSuspender(s as SuspenderLike),
      trips: this.#trips,
    };
  }
}


const optionalFn = (what: string) => (v: unknown): unknown => {
  if (v !== undefined && typeof v !== 'function') throw new InvalidInputError({ what, value: v, reason: 'must be a function or undefined' });
  return v;
};
const msSetting = (what: string) => (v: unknown): number => {
  if (typeof v !== 'number' || !(v >= 0)) throw new InvalidInputError({ what, value: v, reason: 'must be a number of milliseconds >= 0' });
  return v;
};

/** How `configure` checks each setting (and what it stores). */
const SETTING_CHECKS: { readonly [K in keyof RunEngineSettings]: (v: unknown) => unknown } = {
  msgHook: optionalFn('msgHook'),
  stateHook: optionalFn('stateHook'),
  waitingHook: optionalFn('waitingHook'),
  mdValidator: optionalFn('mdValidator'),
  mdNormalizer: optionalFn('mdNormalizer'),
  scanIdSource: (v) => {
    if (typeof v !== 'function') throw new InvalidInputError({ what: 'scanIdSource', value: v, reason: 'must be a function (md) => number' });
    return v;
  },
  recordInterruptions: (v) => checkBool('recordInterruptions', v),
  eventPageSize: (v) => {
    if (typeof v !== 'number' || !(v >= 1)) throw new InvalidInputError({ what: 'eventPageSize', value: v, reason: 'must be a number >= 1' });
    return v;
  },
  inputProvider: optionalFn('inputProvider'),
  cleanupTimeoutMs: msSetting('cleanupTimeoutMs'),
  yieldEveryMs: msSetting('yieldEveryMs'),
  rewindable: (v) => checkBool('rewindable', v),
  timeouts: (v) => checkTimeouts(v as EngineTimeouts),
};

const isSettingKey = (k: string): k is keyof RunEngineSettings => Object.hasOwn(SETTING_CHECKS, k);

/** Check a duration setting in ms (finite, >= 0); undefined stays undefined. */
function checkTimeoutMs(what: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new InvalidInputError({ what, value: v, reason: 'must be a finite number of milliseconds >= 0' });
  return v;
}

/** Validate an {@link EngineTimeouts} and return a copy. */
export function checkTimeouts(t: EngineTimeouts): EngineTimeouts {
  if (t === null || typeof t !== 'object') throw new InvalidInputError({ what: 'timeouts', value: t, reason: 'must be an object' });
  const out: EngineTimeouts = {
    readMs: checkTimeoutMs('timeouts.readMs', t.readMs),
    triggerMs: checkTimeoutMs('timeouts.triggerMs', t.triggerMs),
    setMs: checkTimeoutMs('timeouts.setMs', t.setMs),
    waitMs: checkTimeoutMs('timeouts.waitMs', t.waitMs),
  };
  if (t.devices !== undefined) {
    if (t.devices === null || typeof t.devices !== 'object') throw new InvalidInputError({ what: 'timeouts.devices', value: t.devices, reason: 'must be an object keyed by device name' });
    out.devices = {};
    for (const [name, d] of Object.entries(t.devices)) {
      out.devices[name] = {
        readMs: checkTimeoutMs(`timeouts.devices.${name}.readMs`, d?.readMs),
        triggerMs: checkTimeoutMs(`timeouts.devices.${name}.triggerMs`, d?.triggerMs),
        setMs: checkTimeoutMs(`timeouts.devices.${name}.setMs`, d?.setMs),
      };
    }
  }
  return out;
}


/** A plan made of a plain list of messages (bluesky accepts a list too). */
function* messagesPlan(msgs: readonly unknown[]): Generator<Msg, void, unknown> {
  for (const m of msgs) yield m as Msg;
}

const verb = (s: 'stopping' | 'aborting' | 'halting'): string => (s === 'stopping' ? 'stop' : s === 'aborting' ? 'abort' : 'halt');

function checkBool(what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new InvalidInputError({ what, value: v, reason: 'must be a boolean' });
  return v;
}
