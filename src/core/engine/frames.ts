/**
 * The frame stack of an Execution (internal): generator frames (the plan, suspender plans, the
 * suspension itself) and replay frames (messages replayed after a rewind); request kinds; the
 * commands never replayed.
 * @module
 */
import type { Msg } from './messages.js';

/** Request kinds, by priority (a higher one overrides a lower one). */
export const Req = { None: 0, Pause: 1, Suspend: 2, Stop: 3, Abort: 4, Halt: 5 } as const;
/** A request kind. */
export type Req = (typeof Req)[keyof typeof Req];

/** Commands never replayed on rewind (they act on the engine or are not idempotent), as bluesky's. */
export const UNCACHEABLE: ReadonlySet<string> = new Set([
  'pause', 'subscribe', 'unsubscribe', 'stage', 'unstage', 'monitor', 'unmonitor', 'open_run', 'close_run',
  'install_suspender', 'remove_suspender', 'declare_stream', 'checkpoint', 'clear_checkpoint',
]);

/** Any plan generator. */
export type AnyGen = Generator<Msg, unknown, unknown> | AsyncGenerator<Msg, unknown, unknown>;

/** A generator on the frame stack. */
export interface GenFrame {
  readonly replay: undefined;
  readonly gen: AnyGen;
  readonly async: boolean;
  /** Whether its messages go into the rewind cache. */
  readonly cache: boolean;
}

/** Messages being replayed after a rewind. */
export interface ReplayFrame {
  readonly replay: readonly Msg[];
  i: number;
  /** Send the plan the last replayed response (true) or `saved` (false). */
  readonly deliverLast: boolean;
  readonly saved: unknown;
  readonly cache: true;
}

/** One entry of the frame stack. */
export type Frame = GenFrame | ReplayFrame;

/** Tell whether `x` is a (sync or async) generator object. */
export function isGenerator(x: unknown): x is AnyGen {
  return typeof x === 'object' && x !== null && typeof (x as AnyGen).next === 'function' && typeof (x as AnyGen).throw === 'function';
}

/** Make a generator frame. */
export function genFrame(gen: AnyGen, cache: boolean): GenFrame {
  return { replay: undefined, gen, async: typeof (gen as AsyncGenerator<Msg>)[Symbol.asyncIterator] === 'function', cache };
}

/** An internal message (commands starting with `__` are the engine's own). */
export function internalMsg(command: string, fields: Record<string, unknown> = {}): Msg {
  return { command, ...fields } as Msg;
}
