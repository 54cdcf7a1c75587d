/**
 * Device protocols: structural interfaces a device implements, with type guards.
 * Any plain object that has the methods is a valid device; no base class is required.
 * As in bluesky, a method may return a value or a promise of it.
 * @module
 */
import type { Status } from './status.js';

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** JSON-schema broad type of a data key (event-model `Dtype`). */
export type Dtype = 'string' | 'number' | 'array' | 'boolean' | 'integer';

/** One range of limits (event-model `LimitsRange`). */
export interface LimitsRange {
  low: number | null;
  high: number | null;
}

/** EPICS-style limits of a data key (event-model `Limits`). */
export interface DataKeyLimits {
  control?: LimitsRange | null;
  display?: LimitsRange | null;
  warning?: LimitsRange | null;
  alarm?: LimitsRange | null;
  hysteresis?: number | null;
}

/** Describe one key of an event's data; maps 1:1 onto event-model's DataKey. */
export interface DataKey {
  /** Where the data came from, e.g. `soft://motor.readback` or `galil+tcp://host:23/A/TP`. */
  source: string;
  dtype: Dtype;
  /** Empty for scalars; `null` marks a dimension of unknown length. */
  shape: Array<number | null>;
  /** Numpy dtype string such as `<f8`. */
  dtype_numpy?: string;
  /** Set (e.g. `STREAM:`) when the data lives outside the event. */
  external?: string;
  units?: string | null;
  precision?: number | null;
  limits?: DataKeyLimits;
  choices?: string[];
  dims?: string[];
  object_name?: string;
}

/** One value read from a device, with its time (seconds since the epoch). */
export interface Reading<T = unknown> {
  value: T;
  /** Seconds since the Unix epoch (event-model convention). */
  timestamp: number;
  alarm_severity?: number;
  message?: string;
}

/** Readings keyed by data key name. */
export type Readings = Record<string, Reading>;
/** Data keys keyed by name. */
export type DataKeys = Record<string, DataKey>;

/** Hints tell viewers which fields matter most. */
export interface Hints {
  fields?: string[];
  dimensions?: Array<[string[], string]>;
  gridding?: 'rectilinear' | 'rectilinear_nonsequential';
}

/** Something with a name (dotted, from its place in the device tree). */
export interface HasName {
  readonly name: string;
}
/** Something that may sit inside a parent device. */
export interface HasParent {
  readonly parent?: unknown;
}
/** Something that offers plotting/table hints. */
export interface HasHints {
  readonly hints: Hints;
}

/** Read current values and describe them. */
export interface Readable extends HasName {
  read(): MaybePromise<Readings>;
  describe(): MaybePromise<DataKeys>;
}

/** Read and describe configuration values (go into descriptors, not events). */
export interface Configurable extends HasName {
  readConfiguration(): MaybePromise<Readings>;
  describeConfiguration(): MaybePromise<DataKeys>;
  configure?(values: Record<string, unknown>): MaybePromise<[Readings, Readings]>;
}

/** Move to a value; the Status completes when the move (or setpoint) has completed. */
export interface Movable<T = unknown> {
  set(value: T, options?: { timeoutMs?: number }): Status<void> | Status<unknown>;
}

/** Return where a device is and where it was asked to be. */
export interface Location<T = unknown> {
  setpoint: T;
  readback: T;
}
/** Report setpoint and readback. */
export interface Locatable<T = unknown> extends Movable<T> {
  locate(): MaybePromise<Location<T>>;
}
/** Check a value is allowed, without moving (throws LimitsError otherwise). */
export interface Checkable<T = unknown> {
  checkValue(value: T): MaybePromise<void>;
}
/** Start an acquisition; the Status completes when data can be read. */
export interface Triggerable {
  trigger(): Status<unknown>;
}
/** Stop motion or acquisition; `success` false marks an emergency stop. */
export interface Stoppable {
  stop(options?: { success?: boolean }): MaybePromise<void>;
}
/** Pause and resume (used when a run pauses). */
export interface Pausable {
  pause(): MaybePromise<void>;
  resume(): MaybePromise<void>;
}
/** Prepare for and clean up after a run. */
export interface Stageable {
  stage(): Status<unknown> | MaybePromise<void>;
  unstage(): Status<unknown> | MaybePromise<void>;
}
/** Listener for subscriptions: receives readings as they change. */
export type ReadingCallback = (readings: Readings) => void;
/** Deliver readings as they change. */
export interface Subscribable extends HasName {
  subscribe(callback: ReadingCallback): void;
  clearSub(callback: ReadingCallback): void;
  describe(): MaybePromise<DataKeys>;
}
/** Start and complete a fly scan. */
export interface Flyable extends HasName {
  kickoff(): Status<unknown>;
  complete(): Status<unknown>;
}
/** Partial event-model document produced by a collectable device. */
export interface PartialEvent {
  data: Record<string, unknown>;
  timestamps: Record<string, number>;
  time: number;
}
/** Collect data gathered during a fly scan or by an external writer. */
export interface Collectable extends HasName {
  describeCollect(): MaybePromise<Record<string, DataKeys> | DataKeys>;
  collect?(): MaybePromise<Iterable<PartialEvent>>;
  /** Produce stream_resource / stream_datum partial documents (external data). */
  collectAssetDocs?(index?: number): MaybePromise<Iterable<[string, Record<string, unknown>]>>;
  getIndex?(): MaybePromise<number>;
}
/** Prepare a device for a fly scan with a value. */
export interface Preparable<T = unknown> {
  prepare(value: T): Status<unknown>;
}
/** Hold readings in a cache and clear it (redsun's HasCache). */
export interface HasCache {
  stash(readings: Readings): Status<unknown>;
  clear(): Status<unknown>;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const hasFns = (x: unknown, ...names: string[]): boolean =>
  (isObj(x) || typeof x === 'function') && names.every((n) => typeof (x as Record<string, unknown>)[n] === 'function');

/** Tell whether `x` has a string name. */
export const hasName = (x: unknown): x is HasName => isObj(x) && typeof x['name'] === 'string';
/** Tell whether `x` is Readable. */
export const isReadable = (x: unknown): x is Readable => hasFns(x, 'read', 'describe');
/** Tell whether `x` is Configurable. */
export const isConfigurable = (x: unknown): x is Configurable => hasFns(x, 'readConfiguration', 'describeConfiguration');
/** Tell whether `x` is Movable. */
export const isMovable = (x: unknown): x is Movable => hasFns(x, 'set');
/** Tell whether `x` is Locatable. */
export const isLocatable = (x: unknown): x is Locatable => hasFns(x, 'set', 'locate');
/** Tell whether `x` is Checkable. */
export const isCheckable = (x: unknown): x is Checkable => hasFns(x, 'checkValue');
/** Tell whether `x` is Triggerable. */
export const isTriggerable = (x: unknown): x is Triggerable => hasFns(x, 'trigger');
/** Tell whether `x` is Stoppable. */
export const isStoppable = (x: unknown): x is Stoppable => hasFns(x, 'stop');
/** Tell whether `x` is Pausable. */
export const isPausable = (x: unknown): x is Pausable => hasFns(x, 'pause', 'resume');
/** Tell whether `x` is Stageable. */
export const isStageable = (x: unknown): x is Stageable => hasFns(x, 'stage', 'unstage');
/** Tell whether `x` is Subscribable. */
export const isSubscribable = (x: unknown): x is Subscribable => hasFns(x, 'subscribe', 'clearSub', 'describe');
/** Tell whether `x` is Flyable. */
export const isFlyable = (x: unknown): x is Flyable => hasFns(x, 'kickoff', 'complete');
/** Tell whether `x` is Collectable. */
export const isCollectable = (x: unknown): x is Collectable => hasFns(x, 'describeCollect');
/** Tell whether `x` is Preparable. */
export const isPreparable = (x: unknown): x is Preparable => hasFns(x, 'prepare');
/** Tell whether `x` has a cache (stash/clear). */
export const hasCache = (x: unknown): x is HasCache => hasFns(x, 'stash', 'clear');
/** Tell whether `x` has hints. */
export const hasHints = (x: unknown): x is HasHints => isObj(x) && isObj(x['hints']);
/** Tell whether `x` has a parent. */
export const hasParent = (x: unknown): x is HasParent & { parent: unknown } => isObj(x) && x['parent'] !== undefined;

/** Name of a device for messages, or a short description if it has none. */
export function deviceName(x: unknown): string {
  if (hasName(x)) return x.name || '<unnamed>';
  if (typeof x === 'function') return x.name || '<function>';
  return Object.prototype.toString.call(x);
}
