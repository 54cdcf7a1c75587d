/**
 * The polling mechanism the transport-backed driver families share. A {@link SharedPoll} lets
 * every signal of one unit share a single poll (concurrent reads share the poll in flight, and
 * while anything listens it polls every `pollMs`); {@link followPoll} delivers one field of it
 * to a subscriber; {@link pollChanges} polls a value of its own while subscribed. The signal
 * vocabulary built on them is in `./signals.ts`.
 * @module
 */
import type { Reading } from '../../core/protocols.js';
import type { ReadingListener } from '../../core/signal/backend.js';

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

/** A query's result under the family's own field name (`frame`, `status`) with the time it arrived (seconds since the epoch). */
export type Stamped<K extends string, V> = { readonly [P in K]: V } & { timestamp: number };

/** A {@link SharedPoll} of one query (an Alicat data frame, a Legato `status` report), each result stamped as it arrives. */
export class QueryPoll<K extends string, V> extends SharedPoll<Stamped<K, V>> {
  readonly #key: K;

  /** Poll with `query`, keeping each result under `key`. */
  constructor(key: K, query: () => Promise<V>, pollMs = 100) {
    super(() => query().then((v) => stamp(key, v)), pollMs);
    this.#key = key;
  }

  /** Take `value` (e.g. from a command's reply) as the newest state and tell the listeners. */
  accept(value: V): Stamped<K, V> {
    return this.publish(stamp(this.#key, value));
  }
}

function stamp<K extends string, V>(key: K, value: V): Stamped<K, V> {
  return { [key]: value, timestamp: Date.now() / 1000 } as Stamped<K, V>;
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
