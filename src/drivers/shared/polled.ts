/**
 * The polling mechanism the transport-backed driver families share. A {@link SharedPoll} lets
 * every signal of one unit share a single poll (concurrent reads share the poll in flight, and
 * while anything listens it polls every `pollMs`); {@link followPoll} delivers one field of it
 * to a subscriber; {@link pollChanges} polls a value of its own while subscribed; and
 * {@link TransportBackend} holds the verbs every transport-backed SignalBackend has in common.
 * What a poll is and how a field is picked stay with each family.
 * @module
 */
import type { DataKey, Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import { buildDatakey, type ValueMetadata } from '../../core/signal/datakey.js';

/** Share one poll of a unit among all its signals; `R` is a poll result with its arrival time. */
export class SharedPoll<R> {
  /** Poll period while any listener is registered, in ms. */
  readonly pollMs: number;
  readonly #fetch: () => Promise<R>;
  readonly #listeners = new Set<(r: R) => void>();
  #latest: R | undefined;
  #inflight: Promise<R> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #generation = 0;

  /** Poll with `fetch` (one request to the unit, stamped when it arrives). */
  constructor(fetch: () => Promise<R>, pollMs = 100) {
    this.#fetch = fetch;
    this.pollMs = pollMs;
  }

  /** The last result seen, if any. */
  get latest(): R | undefined {
    return this.#latest;
  }

  /** Poll the unit; callers while a poll is in flight share its result. */
  poll(): Promise<R> {
    if (this.#inflight) return this.#inflight;
    // Only poll() sets #inflight, and only while none is pending: the settling poll is the one in flight.
    const p = this.#fetch().then(this.#settled, this.#failed);
    this.#inflight = p;
    return p;
  }

  readonly #settled = (r: R): R => {
    this.#inflight = undefined;
    return this.publish(r);
  };

  readonly #failed = (e: unknown): never => {
    this.#inflight = undefined;
    throw e;
  };

  /** Take `r` as the newest state and tell the listeners; return it. */
  protected publish(r: R): R {
    this.#latest = r;
    if (this.#listeners.size > 0) for (const l of [...this.#listeners]) l(r);
    return r;
  }

  /** Listen to every new result; the first listener starts periodic polling, the last one stops it. */
  listen(listener: (r: R) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#running) {
      this.#running = true;
      void this.#loop(++this.#generation);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#halt();
    };
  }

  /** Stop polling and forget the listeners. */
  dispose(): void {
    this.#listeners.clear();
    this.#halt();
  }

  #halt(): void {
    this.#running = false;
    this.#generation++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #loop(gen: number): Promise<void> {
    try {
      await this.poll();
    } catch {
      // A failed poll (timeout, lost link, garbled reply) is retried next period; reads report errors.
    }
    if (gen !== this.#generation) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (gen === this.#generation) void this.#loop(gen);
    }, this.pollMs);
  }
}

/**
 * Deliver the field `pick` of a shared poll to `listener`: the latest result at once (if any),
 * then every change. Return the function that stops delivering.
 */
export function followPoll<R extends { timestamp: number }, T>(
  source: SharedPoll<R>,
  pick: (r: R) => T,
  listener: ReadingListener<T>,
): () => void {
  let previous: T | undefined;
  let first = true;
  const deliver = (r: R): void => {
    const value = pick(r);
    if (!first && Object.is(value, previous)) return;
    first = false;
    previous = value;
    listener({ value, timestamp: r.timestamp });
  };
  const latest = source.latest;
  if (latest) deliver(latest);
  return source.listen(deliver);
}

/**
 * Read with `read` now and, when `repeat`, again every `periodMs` until stopped; deliver the first
 * reading and then changes only. A failed read is retried next period. Return the stop function.
 * A synchronous `read` delivers its first reading before this returns.
 */
export function pollChanges<T>(
  read: () => Reading<T> | Promise<Reading<T>>,
  periodMs: number,
  listener: ReadingListener<T>,
  repeat = true,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let previous: T | undefined;
  let first = true;
  const tick = async (): Promise<void> => {
    try {
      const got = read();
      const r = got instanceof Promise ? await got : got;
      if (!stopped && (first || !Object.is(r.value, previous))) {
        first = false;
        previous = r.value;
        listener(r);
      }
    } catch {
      // A failed poll (timeout, lost link) is retried next period; reads report their errors.
    }
    if (stopped || !repeat) return;
    timer = setTimeout(() => void tick(), periodMs);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** Build a data key source: `<family>+<address>/<path>`, or `<address>/<path>` when the address already names the family. */
export function transportSource(family: string, address: string, path: string): string {
  const a = address || `${family}://`;
  return `${a.startsWith(family) ? '' : `${family}+`}${a}/${path}`;
}

/** Value metadata with its dtype, as a transport-backed signal describes it. */
export type TypedMetadata = ValueMetadata & { dtype: Dtype };

/** What every transport-backed backend is built from. */
export interface TransportBackendParts<T> {
  /** Open the unit's channel (resolved late, so a device can swap its channel). */
  open: (timeoutMs: number) => Promise<unknown>;
  /** Neutral value before the first read (and to describe the value). */
  initial: T;
  /** The current value metadata. */
  meta: () => TypedMetadata;
}

/**
 * Give a transport-backed SignalBackend its common verbs (name, connect, disconnect, value,
 * setpoint, data key); a family says how to read, write, subscribe and name the source.
 */
export abstract class TransportBackend<T> implements SignalBackend<T> {
  /** Every call goes through a request channel, whose requests have their own time limits. */
  readonly selfTimed = true;
  /** The owning signal's name, for error messages. */
  protected name = '';
  /** The last value written, if any. */
  protected setpoint: T | undefined;
  /** The last reading read or written, if any. */
  protected last: Reading<T> | undefined;
  readonly #parts: TransportBackendParts<T>;

  /** Build on the family's `parts`. */
  constructor(parts: TransportBackendParts<T>) {
    this.#parts = parts;
  }

  /** Return the data key source. */
  abstract source(name: string): string;
  /** Read the current value with its timestamp. */
  abstract getReading(): Promise<Reading<T>>;
  /** Write a value (undefined: execute, for command signals). */
  abstract put(value: T | undefined, wait: boolean): Promise<void>;
  /** Start (listener) or stop (undefined) delivering readings. */
  abstract setCallback(listener: ReadingListener<T> | undefined): void;

  /** Learn the owning signal's name for error messages. */
  setName(name: string): void {
    this.name = name;
  }

  /** Open the unit's channel (no command is sent). */
  async connect(timeoutMs: number): Promise<void> {
    await this.#parts.open(timeoutMs);
  }

  /** Stop delivering readings. */
  disconnect(): void {
    this.setCallback(undefined);
  }

  /** Read the value. */
  async getValue(): Promise<T> {
    return (await this.getReading()).value;
  }

  /** Return the last value written, or read the value when nothing was written yet. */
  async getSetpoint(): Promise<T> {
    return this.setpoint !== undefined ? this.setpoint : this.getValue();
  }

  /** Describe the value from the metadata (no command sent). */
  async getDatakey(source: string): Promise<DataKey> {
    return buildDatakey(source, this.#parts.initial, this.#parts.meta());
  }

  /** The current value metadata. */
  protected meta(): TypedMetadata {
    return this.#parts.meta();
  }

  /** A reading of the last value, else the setpoint, else the initial value, stamped now. */
  protected fallback(): Reading<T> {
    return this.last ?? { value: this.setpoint ?? this.#parts.initial, timestamp: Date.now() / 1000 };
  }
}
