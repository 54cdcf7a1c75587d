/**
 * Execution: the running of one plan — its frame stack, the rewind cache, status groups, open
 * runs, what was moved/staged/seen — and the dispatch loop that drives it.
 *
 * The loop is synchronous wherever it can be: a sync generator is stepped without promises, a
 * handler's result is awaited only when it is a native Promise, and the loop yields to the event
 * loop (setImmediate) only after a few milliseconds of continuous work, so requests from timers,
 * I/O and user code get in. Requests (pause, stop...) are a field checked once per message; a
 * pending await is woken at once through a race with the request.
 * @module
 */
import { CanceledError, InvalidInputError, InvalidStateError, toError } from '../errors.js';
import { DocumentDispatcher } from '../documents/dispatcher.js';
import type { AnyDocument, DocumentName, Event } from '../documents/types.js';
import type { Status } from '../status.js';
import type { ExitStatus, Msg } from './messages.js';
import type { RunBundler } from './bundler.js';
import { DocumentEmitter } from './emitter.js';
import { StatusGroups, callHook } from './groups.js';
import type { EngineHost, HandlerEntry } from './host.js';
import type { EngineContext, RunEngineResult } from './types.js';
import type { RunEngineState } from './states.js';
import { closeFrames, finishExecution, quiesce, resumeDevices, suspensionFrame } from './cleanup.js';
import { Req, genFrame } from './frames.js';
import { setLongTimeout } from '../timers.js';
import type { AnyGen, Frame, ReplayFrame } from './frames.js';

const INTERRUPTED = Symbol('interrupted');

/** What the synchronous core of the loop asks the async shell to do next. */
const Outcome = { Continue: 0, Request: 1, Finish: 2, Yield: 3, AwaitStep: 4, AwaitReply: 5 } as const;
type Outcome = (typeof Outcome)[keyof typeof Outcome];

/**
 * The open runs by key, plus `list`: the same runs as an array, replaced (never mutated) on every
 * change, so the per-message paths (checkpoint) walk them without allocating a Map iterator.
 */
export class RunMap extends Map<string | undefined, RunBundler> {
  list: readonly RunBundler[] = [];
  override set(key: string | undefined, run: RunBundler): this {
    super.set(key, run);
    this.list = [...super.values()];
    return this;
  }
  override delete(key: string | undefined): boolean {
    const had = super.delete(key);
    if (had) this.list = [...super.values()];
    return had;
  }
  override clear(): void {
    super.clear();
    this.list = [];
  }
}
const yieldToLoop: () => Promise<void> = typeof setImmediate === 'function'
  ? () => new Promise<void>((r) => setImmediate(r))
  : () => new Promise<void>((r) => setTimeout(r, 0));

/** The state of one plan being run; also the context handlers receive. */
export class Execution implements EngineContext {
  readonly host: EngineHost;
  readonly planName: string | undefined;
  readonly planType: string;
  readonly callMd: Record<string, unknown>;
  readonly planSubs = new DocumentDispatcher({ onAsyncCallbackError: (err) => this.reportAsyncError(err) });
  readonly emitter: DocumentEmitter;
  readonly groups: StatusGroups;
  readonly runs = new RunMap();
  readonly runStartUids: string[] = [];
  readonly staged = new Set<object>();
  readonly moved = new Set<object>();
  readonly seen = new Set<object>();
  readonly frames: Frame[] = [];
  /** Failures of Statuses nobody waited for yet, thrown into the plan at the next message. */
  readonly asyncErrors: unknown[] = [];
  /** Messages since the last checkpoint (the first `#cacheLen`); the plan's start is one (as bluesky); null once cleared. */
  #cache: Msg[] | null = [];
  #cacheLen = 0;
  /** clear_checkpoint makes the plan unrewindable for good (as bluesky). */
  #checkpointCleared = false;
  #rewindable: boolean;
  #deferredPause = false;
  #finishing = false;
  #request: Req = Req.None;
  #exitStatus: ExitStatus = 'success';
  #reason = '';
  #exception: Error | undefined;
  #interrupted = false;
  #planResult: unknown;
  /** The error thrown into the plan by stop/abort (recognised when it comes back out). */
  #interruptError: Error | undefined;
  /** Resolves the wait of the suspension frame when trips change. */
  #tripWaiter: (() => void) | undefined;
  /** The waiting hook, made throw-safe (for `wait`). */
  readonly waitingListener = (s: readonly Status<unknown>[] | undefined): void => {
    this.callHook(this.host.waitingHook, s);
  };
  /** Forget a failed Status a `wait` reports (bound once, used on the hot path). */
  readonly consume = (s: Status<unknown>): void => this.consumeFailure(s);
  /** The interrupt signal, as a function (created only if a wait really waits). */
  readonly getSignal = (): AbortSignal => this.signal;

  #resp: unknown;
  #err: unknown;
  #hasErr = false;
  #lastCached = false;
  #lastSeen: unknown;
  #waiter: ((v: unknown) => void) | undefined;
  #softOk = false;
  /** A step of an async generator or a handler's reply, for drive() to await. */
  #pending: Promise<unknown> | undefined;
  #pendingFrame: Frame | undefined;
  #pendingSoft = false;
  /** Messages dispatched (the event-loop yield is checked every 256). */
  #n = 0;
  #lastYield = performance.now();
  readonly #handlers: ReadonlyMap<string, HandlerEntry>;
  #ac: AbortController | undefined;
  #finished: Promise<RunEngineResult>;
  #resolveFinished!: (r: RunEngineResult) => void;

  constructor(host: EngineHost, gen: AnyGen, callMd: Record<string, unknown>, planName: string | undefined) {
    this.host = host;
    this.#handlers = host.handlers;
    this.#rewindable = host.rewindable;
    this.callMd = callMd;
    this.planName = planName;
    this.planType = typeof (gen as AsyncGenerator<Msg>)[Symbol.asyncIterator] === 'function' ? 'async_generator' : 'generator';
    this.emitter = new DocumentEmitter(host.dispatcher, this.planSubs, host.eventPageSize);
    this.groups = new StatusGroups(
      (s) => this.asyncErrors.push(s.exception() ?? new Error(`${s.name} failed`)),
      () => host.waitingHook !== undefined,
    );
    this.frames.push(genFrame(gen, true));
    this.#finished = new Promise((r) => (this.#resolveFinished = r));
  }

  /** Whether plans may be rewound (the engine's setting at start, changed by `rewindable` messages). */
  get rewindable(): boolean {
    return this.#rewindable;
  }

  /** Allow or forbid replay for the rest of this plan (the `rewindable` message). */
  setRewindable(allow: boolean): void {
    this.#rewindable = allow;
  }

  /** Whether a deferred pause waits for the next checkpoint. */
  get deferredPause(): boolean {
    return this.#deferredPause;
  }

  /** Pause at the next checkpoint (`pause` with `defer`, or `requestPause(true)`). */
  deferPause(): void {
    this.#deferredPause = true;
  }

  /** At a checkpoint: whether a deferred pause was waiting (it is consumed). */
  takeDeferredPause(): boolean {
    const d = this.#deferredPause;
    this.#deferredPause = false;
    return d;
  }

  /** Set once cleanup has started; later requests are ignored. */
  get finishing(): boolean {
    return this.#finishing;
  }

  /** How the plan ended so far (`success` until it fails or is aborted). */
  get exitStatus(): ExitStatus {
    return this.#exitStatus;
  }

  /** Why the plan failed or was aborted ('' otherwise). */
  get reason(): string {
    return this.#reason;
  }

  /** Whether the plan was interrupted (pause, stop, abort, halt). */
  get interrupted(): boolean {
    return this.#interrupted;
  }

  /** The engine is pausing: mark the plan interrupted and wake its current wait. */
  interruptForPause(): void {
    this.#interrupted = true;
    this.requestInterrupt(Req.Pause);
  }

  /**
   * The engine is stopping, aborting or halting (`next`) with `reason`: record the outcome and
   * interrupt the plan — at once when it was paused (`wasPaused`), else at its next message.
   */
  end(next: 'stopping' | 'aborting' | 'halting', reason: string, interruptError: Error | undefined, wasPaused: boolean): void {
    this.#interrupted = true;
    if (next !== 'stopping') {
      this.#exitStatus = 'abort';
      this.#reason = reason;
    }
    if (interruptError !== undefined) this.#interruptError = interruptError;
    const kind = next === 'halting' ? Req.Halt : next === 'aborting' ? Req.Abort : Req.Stop;
    if (wasPaused && kind !== Req.Halt) this.throwIn(this.#interruptError);
    else this.requestInterrupt(kind);
  }

  /** Start cleanup: forget pending groups, errors, waits and frames; later requests are ignored. */
  beginFinishing(): void {
    this.#finishing = true;
    this.groups.clear();
    this.asyncErrors.length = 0;
    this.abortWaits();
    this.#tripWaiter = undefined;
    this.frames.length = 0;
  }

  /** Wait until the tripped suspenders change (one released or another tripped) or the engine is interrupted. */
  waitForTrips(): Promise<void> {
    const signal = this.signal;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        if (this.#tripWaiter === done) this.#tripWaiter = undefined;
        resolve();
      };
      this.#tripWaiter = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Promise of the final result (after cleanup). */
  get finished(): Promise<RunEngineResult> {
    return this.#finished;
  }

  /** The engine's state. */
  get state(): RunEngineState {
    return this.host.state;
  }

  /** Aborted when the engine is interrupted; handlers clear their timers on it. */
  get signal(): AbortSignal {
    return (this.#ac ??= new AbortController()).signal;
  }

  /** Whether a pause or suspension can be resumed (the checkpoint was not cleared); as bluesky's `resumable`. */
  get resumable(): boolean {
    return this.#cache !== null;
  }

  /**
   * Whether a resume replays from the last checkpoint: the plan (or engine) allows rewinding and
   * no device the plan touched refuses replay (`rewindable: false`, as bluesky's devices may say).
   */
  get replayAllowed(): boolean {
    if (!this.#rewindable) return false;
    for (const o of this.seen) if ((o as { rewindable?: unknown }).rewindable === false) return false;
    return true;
  }

  /** The open run for `key`, or an InvalidStateError naming the command that needed it. */
  requireRun(key: string | undefined, command: string): RunBundler {
    const list = this.runs.list;
    if (list.length === 1 && list[0]!.key === key) return list[0]!;
    const run = this.runs.get(key);
    if (run === undefined) {
      throw new InvalidStateError(`'${command}' needs an open run${key === undefined ? '' : ` '${key}'`} (missing 'open_run')`);
    }
    return run;
  }

  /** File a Status under a wait group. */
  addStatus(status: Status<unknown>, group: string | undefined): void {
    this.groups.add(status, group);
  }

  /** Emit a document to the subscribers. */
  emit(name: DocumentName, doc: AnyDocument): void {
    this.emitter.emit(name, doc);
  }

  /** Emit an event (paged when configured). */
  emitEvent(event: Event): void {
    this.emitter.emitEvent(event);
  }

  /** Sleep `ms`; resolves false early if the engine is interrupted. */
  sleep(ms: number): Promise<boolean> {
    const signal = this.signal;
    return new Promise<boolean>((resolve) => {
      if (signal.aborted) return resolve(false);
      const onAbort = (): void => {
        t.clear();
        resolve(false);
      };
      // Chunked: a sleep longer than setTimeout's 2^31-1 ms must not end at once.
      const t = setLongTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Report a failure raised outside the message flow; it is thrown into the plan next. */
  reportAsyncError(err: unknown): void {
    this.asyncErrors.push(err);
  }

  /** Forget a failed Status whose error a `wait` is reporting (so it is not thrown twice). */
  consumeFailure(status: Status<unknown>): void {
    const e = status.exception();
    const i = this.asyncErrors.indexOf(e);
    if (i >= 0) this.asyncErrors.splice(i, 1);
  }

  /** Mark a checkpoint: clear the rewind cache and remember seq_nums. */
  checkpoint(): void {
    if (this.#checkpointCleared) return;
    if (this.#cache === null || this.#cache.length > 1024) this.#cache = [];
    this.#cacheLen = 0;
    const runs = this.runs.list;
    for (let i = 0; i < runs.length; i++) runs[i]!.snapshot();
  }

  /** Checkpoint implied by a step that must not be replayed (stage, monitor, subscribe...). */
  implicitCheckpoint(): void {
    if (!this.#checkpointCleared) this.checkpoint();
  }

  /** Make the plan unrewindable (clear_checkpoint). */
  clearCheckpoint(): void {
    this.#cache = null;
    this.#cacheLen = 0;
    this.#checkpointCleared = true;
  }

  /** Queue an error to be thrown into the top frame at the next step. */
  throwIn(err: unknown): void {
    this.#err = err;
    this.#hasErr = true;
  }

  /** Push a generator frame (a suspender's pre/post plan); its messages are not cached. */
  pushPlan(gen: AnyGen): void {
    this.frames.push(genFrame(gen, false));
  }

  /** Ask the loop to handle `kind` at its next step; wake a pending await if allowed. */
  requestInterrupt(kind: Req): void {
    if (kind >= Req.Stop) {
      if (kind > this.#request) this.#request = kind;
    } else if (this.#request < Req.Stop) this.#request = kind;
    if (this.#waiter !== undefined && (kind >= Req.Stop || this.#softOk)) this.#wake();
  }

  /** Wake the suspension frame's wait (a suspender tripped or released). */
  notifyTrips(): void {
    const w = this.#tripWaiter;
    this.#tripWaiter = undefined;
    w?.();
  }

  /** End handler waits (their timers) after an interruption. */
  abortWaits(): void {
    const ac = this.#ac;
    this.#ac = undefined;
    ac?.abort(new CanceledError('RunEngine interrupted'));
  }

  /** Build the frame that replays the messages since the last checkpoint, and roll seq_nums back. */
  rewindFrame(): ReplayFrame {
    let msgs: readonly Msg[] = this.#cache === null ? [] : this.#cache.slice(0, this.#cacheLen);
    let deliverLast = this.#lastCached;
    let saved = this.#resp;
    const top = this.frames[this.frames.length - 1];
    if (top !== undefined && top.replay !== undefined) {
      this.frames.pop();
      msgs = msgs.concat(top.replay.slice(top.i));
      deliverLast = top.deliverLast;
      saved = top.saved;
    }
    this.#cacheLen = 0;
    for (const run of this.runs.values()) run.rewind();
    return { replay: msgs, i: 0, deliverLast, saved, cache: true };
  }

  /** The result while paused. */
  pausedResult(): RunEngineResult {
    return { runStartUids: [...this.runStartUids], planResult: undefined, exitStatus: 'paused', interrupted: true, reason: 'paused', exception: undefined };
  }

  /** Settle {@link finished} with the final result. */
  settle(): RunEngineResult {
    const r: RunEngineResult = {
      runStartUids: [...this.runStartUids],
      planResult: this.#planResult,
      exitStatus: this.#exitStatus,
      interrupted: this.#interrupted,
      reason: this.#reason,
      exception: this.#exception,
    };
    this.#resolveFinished(r);
    return r;
  }

  /** Get ready to continue after a pause: devices resume, monitors restart, the plan rewinds. */
  async prepareResume(): Promise<void> {
    this.#interrupted = false;
    for (const run of this.runs.values()) run.recordInterruption('resume');
    const replay = this.replayAllowed;
    if (this.host.trips.length > 0) {
      if (replay) this.frames.push(this.rewindFrame());
      this.host.transition('suspending');
      this.frames.push(suspensionFrame(this));
      return;
    }
    await resumeDevices(this);
    if (replay) this.frames.push(this.rewindFrame());
  }

  /** Run messages until the plan ends ('done', after cleanup) or the engine pauses ('paused'). */
  async drive(): Promise<'paused' | 'done'> {
    this.#lastYield = performance.now();
    for (;;) {
      switch (this.#runSync()) {
        case Outcome.Request: {
          const r = await this.#onRequest();
          if (r !== undefined) return r;
          break;
        }
        case Outcome.Finish:
          await finishExecution(this);
          return 'done';
        case Outcome.Yield:
          await this.#yield();
          break;
        case Outcome.AwaitStep: {
          const frame = this.#pendingFrame!;
          let step: unknown;
          try {
            step = await this.#await(this.#pending!, false);
          } catch (e) {
            if (this.#stepThrew(e)) {
              await finishExecution(this);
              return 'done';
            }
            break;
          }
          if (step === INTERRUPTED) break;
          const msg = this.#stepped(step as IteratorResult<Msg, unknown>);
          if (msg === undefined) {
            if (this.frames.length === 0) {
              await finishExecution(this);
              return 'done';
            }
            break;
          }
          if (this.#dispatch(msg, frame) === Outcome.AwaitReply) await this.#awaitReply();
          else if (this.#yieldDue()) await this.#yield();
          break;
        }
        case Outcome.AwaitReply:
          await this.#awaitReply();
          break;
      }
    }
  }

  /**
   * Step the plan and dispatch its messages for as long as everything is synchronous: returns
   * what the async {@link drive} must do next (handle a request, await a step or a reply, yield to
   * the event loop, or finish). A synchronous plan with synchronous devices never leaves it.
   */
  #runSync(): Outcome {
    const frames = this.frames;
    for (;;) {
      if (this.#request !== Req.None) return Outcome.Request;
      if (this.asyncErrors.length > 0 && !this.#hasErr) this.throwIn(this.asyncErrors.shift());
      const frame = frames[frames.length - 1];
      if (frame === undefined) return Outcome.Finish;
      let msg: Msg | undefined;
      if (frame.replay !== undefined) {
        if (this.#hasErr || frame.i >= frame.replay.length) {
          frames.pop();
          if (!this.#hasErr && (!frame.deliverLast || frame.replay.length === 0)) this.#resp = frame.saved;
          continue;
        }
        msg = frame.replay[frame.i++]!;
      } else {
        let s: IteratorResult<Msg, unknown> | Promise<IteratorResult<Msg, unknown>>;
        try {
          if (this.#hasErr) {
            const e = this.#err;
            this.#hasErr = false;
            this.#err = undefined;
            s = frame.gen.throw(e);
          } else {
            const v = this.#resp;
            this.#resp = undefined;
            s = frame.gen.next(v);
          }
        } catch (e) {
          if (this.#stepThrew(e)) return Outcome.Finish;
          continue;
        }
        if (frame.async) {
          this.#pending = s as Promise<IteratorResult<Msg, unknown>>;
          this.#pendingFrame = frame;
          return Outcome.AwaitStep;
        }
        msg = this.#stepped(s as IteratorResult<Msg, unknown>);
        if (msg === undefined) {
          if (frames.length === 0) return Outcome.Finish;
          continue;
        }
      }
      const out = this.#dispatch(msg, frame);
      if (out !== Outcome.Continue) return out;
      if (this.#yieldDue()) return Outcome.Yield;
    }
  }

  /** A generator frame threw `e`: pop it; true when it was the plan itself (which has now failed). */
  #stepThrew(e: unknown): boolean {
    this.frames.pop();
    if (this.frames.length === 0) {
      this.#planFailed(e);
      return true;
    }
    this.throwIn(e);
    return false;
  }

  /** The message of a generator step, or undefined when the generator returned (its frame is popped). */
  #stepped(step: IteratorResult<Msg, unknown>): Msg | undefined {
    if (step.done !== true) return step.value;
    this.frames.pop();
    if (this.frames.length === 0) {
      this.#planResult = step.value;
      this.#planReturned();
    } else this.#resp = undefined;
    return undefined;
  }

  /**
   * Dispatch one message to its handler. A synchronous reply is stored for the plan at once
   * (Continue); a promise is kept for {@link drive} to await (AwaitReply); a throw goes to the plan.
   */
  #dispatch(msg: Msg, frame: Frame): Outcome {
    try {
      // Messages come in many shapes, so each property read here is a slow (megamorphic) load:
      // `command` is read once.
      const cmd = typeof msg === 'object' && msg !== null ? msg.command : undefined;
      if (typeof cmd !== 'string') {
        throw new InvalidInputError({ what: 'plan message', value: msg, reason: "must be an object with a string 'command' (a Msg)" });
      }
      // Any message's `obj` counts as seen (as bluesky's _objs_seen), whatever its command.
      const o = (msg as { obj?: unknown }).obj;
      if (o !== this.#lastSeen && typeof o === 'object' && o !== null) {
        this.seen.add(o);
        this.#lastSeen = o;
      }
      const entry = this.#handlers.get(cmd);
      const cache = this.#cache;
      this.#lastCached = false;
      if (cache !== null && frame.cache && this.#rewindable && entry !== undefined && entry.replay) {
        cache[this.#cacheLen++] = msg;
        this.#lastCached = true;
      }
      const hook = this.host.msgHook;
      if (hook !== undefined) hook(msg);
      if (entry === undefined) throw new InvalidInputError({ what: 'command', value: cmd, reason: 'is not a registered command (see RunEngine.registerCommand)' });
      const r = entry.fn(msg, this);
      if (r instanceof Promise) {
        this.#pending = r;
        this.#pendingSoft = entry.replay && this.#rewindable;
        return Outcome.AwaitReply;
      }
      this.#resp = r;
    } catch (e) {
      this.throwIn(e);
    }
    return Outcome.Continue;
  }

  /** Await the reply a handler returned as a promise; store it for the plan (or throw its failure in). */
  async #awaitReply(): Promise<void> {
    const p = this.#pending!;
    this.#pending = undefined;
    this.emitter.flush();
    let r: unknown;
    try {
      r = await this.#await(p, this.#pendingSoft);
    } catch (e) {
      this.throwIn(e);
      return;
    }
    if (r === INTERRUPTED) return;
    this.#resp = r;
    if (this.#yieldDue()) await this.#yield();
  }

  /** Count a message; every 256, tell whether `yieldEveryMs` has passed since the last yield to the event loop. */
  #yieldDue(): boolean {
    return (++this.#n & 255) === 0 && performance.now() - this.#lastYield >= this.host.yieldEveryMs;
  }

  /** Yield to the event loop (timers, I/O and user code get in). */
  async #yield(): Promise<void> {
    await yieldToLoop();
    this.#lastYield = performance.now();
  }

  /** Await `p`, or return INTERRUPTED as soon as a request arrives (`soft`: pause/suspend count too). */
  #await(p: Promise<unknown>, soft: boolean): Promise<unknown> {
    this.#softOk = soft;
    return new Promise<unknown>((resolve, reject) => {
      this.#waiter = resolve;
      p.then(resolve, reject);
      if (this.#request !== Req.None && (soft || this.#request >= Req.Stop)) this.#wake();
    }).finally(() => {
      this.#waiter = undefined;
    });
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    this.abortWaits();
    w?.(INTERRUPTED);
  }

  async #onRequest(): Promise<'paused' | 'done' | undefined> {
    const req = this.#request;
    this.#request = Req.None;
    this.abortWaits();
    switch (req) {
      case Req.Halt:
        await closeFrames(this);
        await finishExecution(this);
        return 'done';
      case Req.Stop:
      case Req.Abort:
        this.throwIn(this.#interruptError ?? new CanceledError('RunEngine interrupted'));
        return undefined;
      case Req.Pause:
      case Req.Suspend: {
        const kind = req === Req.Pause ? 'pause' : 'suspend';
        if (!this.resumable) {
          this.host.transition('aborting');
          this.#interrupted = true;
          this.#exitStatus = 'abort';
          this.#reason = `${kind} requested, but the plan cleared its checkpoint (clear_checkpoint); aborting`;
          this.#interruptError = new CanceledError(this.#reason);
          this.throwIn(this.#interruptError);
          return undefined;
        }
        await quiesce(this, kind);
        // A stop, abort or halt may have come in while devices were brought to rest.
        if (this.#request >= Req.Stop) return undefined;
        if (req === Req.Pause) {
          if (this.host.state !== 'pausing') return undefined;
          this.host.transition('paused');
          return 'paused';
        }
        if (this.replayAllowed) this.frames.push(this.rewindFrame());
        this.frames.push(suspensionFrame(this));
        return undefined;
      }
      default:
        return undefined;
    }
  }

  #planReturned(): void {
    const s = this.host.state;
    if (s === 'aborting' || s === 'halting') this.#exitStatus = 'abort';
    else if (s !== 'stopping') this.#exitStatus = 'success';
  }

  #planFailed(thrown: unknown): void {
    const e = toError(thrown);
    if (e === this.#interruptError) {
      this.#planReturned();
      return;
    }
    this.#exitStatus = 'fail';
    this.#reason = e.message;
    this.#exception = e;
  }

  /** Call a user hook, reporting (never raising) what it throws. */
  callHook<A extends unknown[]>(hook: ((...a: A) => void) | undefined, ...args: A): void {
    callHook(hook, (err) => this.host.report(err, 'hook'), ...args);
  }
}
