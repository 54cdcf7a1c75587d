/**
 * Plan messages: the discriminated union a plan yields to the RunEngine.
 *
 * Names of commands are bluesky's (`open_run`, `set`, `wait`, ...); fields are camelCase.
 * Every message may carry `run` (a key to address one of several open runs).
 * Custom commands: register a handler with `RunEngine.registerCommand(name, handler)` and, for
 * typing, add the message to {@link MsgRegistry} by declaration merging:
 *
 * ```ts
 * declare module 'labrig' { interface MsgRegistry { beep: { command: 'beep'; times: number } } }
 * ```
 * @module
 */
import type {
  Collectable, Configurable, Flyable, HasCache, Locatable, Movable, Preparable, Readable, Readings, Stageable,
  Stoppable, Subscribable, Triggerable,
} from '../protocols.js';
import type { SRLatch } from './latch.js';

/** Exit status of a run (event-model `run_stop.exit_status`). */
export type ExitStatus = 'success' | 'abort' | 'fail';

/** Fields every message may carry. */
export interface MsgBase {
  /** Key of the run this message belongs to, when several runs are open at once. */
  run?: string;
}

/** A suspender: watches a condition and asks the engine to suspend while it holds. */
export interface SuspenderLike {
  readonly name: string;
  install(engine: unknown): void;
  remove(): void;
}

/** Built-in messages by command name. Extend by declaration merging for custom commands. */
export interface MsgRegistry {
  open_run: MsgBase & { command: 'open_run'; md?: Record<string, unknown> };
  close_run: MsgBase & { command: 'close_run'; exitStatus?: ExitStatus; reason?: string };
  declare_stream: MsgBase & { command: 'declare_stream'; name: string; objs: Readable[]; collect?: boolean };
  create: MsgBase & { command: 'create'; name?: string };
  /** `timeoutMs` bounds an asynchronous read (else the engine's `timeouts`). */
  read: MsgBase & { command: 'read'; obj: Readable; timeoutMs?: number };
  save: MsgBase & { command: 'save' };
  drop: MsgBase & { command: 'drop' };
  /** `propr` (redsun's set_property): name of the property to set, passed as `obj.set(value, { propr })`. */
  set: MsgBase & { command: 'set'; obj: Movable; value: unknown; group?: string; timeoutMs?: number; propr?: string };
  /** `timeoutMs` bounds the acquisition when a `wait` waits for it (else the engine's `timeouts`). */
  trigger: MsgBase & { command: 'trigger'; obj: Triggerable; group?: string; timeoutMs?: number };
  /** Wait for every Status of `group` (all groups when omitted); `timeoutMs` bounds the wait. */
  wait: MsgBase & { command: 'wait'; group?: string; timeoutMs?: number; moveOn?: boolean };
  /** Sleep for `seconds` (bluesky's unit). */
  sleep: MsgBase & { command: 'sleep'; seconds: number };
  checkpoint: MsgBase & { command: 'checkpoint' };
  clear_checkpoint: MsgBase & { command: 'clear_checkpoint' };
  rewindable: MsgBase & { command: 'rewindable'; allow?: boolean };
  pause: MsgBase & { command: 'pause'; defer?: boolean };
  stage: MsgBase & { command: 'stage'; obj: Stageable; group?: string };
  unstage: MsgBase & { command: 'unstage'; obj: Stageable; group?: string };
  configure: MsgBase & { command: 'configure'; obj: Configurable; values: Record<string, unknown> };
  kickoff: MsgBase & { command: 'kickoff'; obj: Flyable; group?: string };
  complete: MsgBase & { command: 'complete'; obj: Flyable; group?: string };
  collect: MsgBase & { command: 'collect'; obj: Collectable; stream?: boolean; name?: string; returnPayload?: boolean };
  prepare: MsgBase & { command: 'prepare'; obj: Preparable; value: unknown; group?: string };
  locate: MsgBase & { command: 'locate'; objs: Locatable[]; squeeze?: boolean };
  monitor: MsgBase & { command: 'monitor'; obj: Subscribable; name?: string };
  unmonitor: MsgBase & { command: 'unmonitor'; obj: Subscribable };
  subscribe: MsgBase & { command: 'subscribe'; name: string; callback: (name: string, doc: unknown) => void };
  unsubscribe: MsgBase & { command: 'unsubscribe'; token: number };
  stop: MsgBase & { command: 'stop'; obj: Stoppable };
  null: MsgBase & { command: 'null' };
  input: MsgBase & { command: 'input'; prompt: string };
  /** Wait until every awaitable settles; `timeoutMs` bounds the wait. */
  wait_for: MsgBase & { command: 'wait_for'; awaitables: Array<() => PromiseLike<unknown>>; timeoutMs?: number };
  install_suspender: MsgBase & { command: 'install_suspender'; suspender: SuspenderLike };
  remove_suspender: MsgBase & { command: 'remove_suspender'; suspender: SuspenderLike };
  /** redsun: stash readings into a device's cache. */
  stash: MsgBase & { command: 'stash'; obj: HasCache; readings: Readings; group?: string };
  /** redsun: clear a device's cache. */
  clear_cache: MsgBase & { command: 'clear_cache'; obj: HasCache; group?: string };
  /** redsun: wait until one of the action latches is set; resolves to `[name, latch]` or undefined on timeout. */
  wait_for_actions: MsgBase & {
    command: 'wait_for_actions';
    events: Record<string, SRLatch>;
    timeoutMs?: number;
    /** Wait for a latch to be set (default) or reset (redsun's `wait_for`). */
    waitFor?: 'set' | 'reset';
  };
}

/** Any message a plan may yield. */
export type Msg = MsgRegistry[keyof MsgRegistry];
/** Name of any known command. */
export type Command = Msg['command'];
/** The message type of command `C`. */
export type MsgOf<C extends Command> = Extract<Msg, { command: C }>;

/** A plan: a (possibly async) generator of messages; what it returns is the plan's result. */
export type Plan<R = unknown> = Generator<Msg, R, unknown> | AsyncGenerator<Msg, R, unknown>;

/** Build a message, checked against its command's type. */
export function msg<C extends Command>(command: C, fields: Omit<MsgOf<C>, 'command'>): MsgOf<C> {
  return { command, ...fields } as MsgOf<C>;
}

/** Tell whether `x` looks like a plan message. */
export function isMsg(x: unknown): x is Msg {
  return typeof x === 'object' && x !== null && typeof (x as { command?: unknown }).command === 'string';
}

/** Devices a message refers to (used by summaries and cleanup). */
export function msgObjects(m: Msg): unknown[] {
  const r = m as { obj?: unknown; objs?: unknown[] };
  if (r.obj !== undefined) return [r.obj];
  return r.objs ?? [];
}

/** Re-exported device protocol types used in message fields. */
export type { Readable, Movable, Triggerable, Stoppable, Locatable };
