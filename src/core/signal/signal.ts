/**
 * Signal and SignalR: a typed value behind a {@link SignalBackend}, and its read-only view with one
 * backend subscription fanned out to every listener.
 * @module
 */
import { InvalidStateError } from '../errors.js';
import type { DataKeys, Readable, Reading, ReadingCallback, Readings, Stageable, Subscribable } from '../protocols.js';
import { Status } from '../status.js';
import { Device, type ConnectOptions } from '../device/device.js';
import { DEFAULT_TIMEOUT_MS, withTimeout } from '../device/timeout.js';
import type { ReadingListener, SignalBackend } from './backend.js';
import { MockSignalBackend } from './mock-backend.js';

/** Options of a new Signal. */
export interface SignalOptions {
  /** Name until a parent device renames it. */
  name?: string;
  /** Default limit in ms of this signal's reads, writes and connect. Default 10 000. */
  timeoutMs?: number;
}

/**
 * A typed value behind a backend: a leaf of the device tree. `connect({ mock: true })` swaps the
 * backend for a {@link MockSignalBackend} that inherits the real one's data key; `connect()`
 * swaps back.
 */
export abstract class Signal<T> extends Device {
  /** Default limit in ms of reads, writes and connect. */
  readonly timeoutMs: number;
  readonly #real: SignalBackend<T>;
  #mock: MockSignalBackend<T> | undefined;
  #active: SignalBackend<T>;
  #connected: { mock: boolean; promise: Promise<void> } | undefined;

  /** Wrap `backend`. */
  constructor(backend: SignalBackend<T>, options: SignalOptions = {}) {
    super(options.name ?? '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#real = backend;
    this.#active = backend;
    backend.setName?.(this.name);
  }

  /** The backend in use: the real one, or the mock after `connect({ mock: true })`. */
  get backend(): SignalBackend<T> {
    return this.#active;
  }

  /** Tell whether the signal currently runs on a mock backend. */
  get isMock(): boolean {
    return this.#active instanceof MockSignalBackend;
  }

  /** Where the value comes from, e.g. `soft://motor1-velocity`. */
  get source(): string {
    return this.#active.source(this.name);
  }

  /** Rename the signal (and tell its backends, for their error messages). */
  override setName(name: string): void {
    super.setName(name);
    this.#real.setName?.(name);
    if (this.#mock && this.#mock !== this.#real) this.#mock.setName?.(name);
  }

  /** A signal has no children. */
  override children(): Array<[string, Device]> {
    return [];
  }

  /**
   * Connect the backend (the mock one when `mock` is set), bounded by `timeoutMs`. Rejects with
   * the backend's error (e.g. TimeoutError naming the signal); a parent Device gathers these
   * into its NotConnectedError. A repeated call in the same mode reuses the first unless `force`.
   */
  override connect(options: ConnectOptions = {}): Promise<void> {
    const mock = options.mock ?? false;
    const prev = this.#connected;
    if (prev && prev.mock === mock && !options.force) return prev.promise;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    let next = this.#real;
    if (mock && !(this.#real instanceof MockSignalBackend)) {
      this.#mock ??= new MockSignalBackend<T>({ inherit: this.#real });
      next = this.#mock;
    }
    this.#swap(next);
    let started: Promise<void>;
    try {
      started = next.connect(timeoutMs);
    } catch (e) {
      started = Promise.reject(e as Error);
    }
    const promise = withTimeout(started, timeoutMs, `${this.name || 'signal'}.connect`);
    const entry = { mock, promise };
    this.#connected = entry;
    promise.catch(() => {
      if (this.#connected === entry) this.#connected = undefined;
    });
    return promise;
  }

  /** Called when the active backend changes (SignalR moves its subscription). */
  protected backendChanged(_previous: SignalBackend<T>, _next: SignalBackend<T>): void {}

  /** Bound a backend call by this signal's timeout, naming the operation. */
  protected bounded<R>(promise: Promise<R>, verb: string, timeoutMs = this.timeoutMs): Promise<R> {
    return withTimeout(promise, timeoutMs, `${this.name || 'signal'}.${verb}`);
  }

  #swap(next: SignalBackend<T>): void {
    const prev = this.#active;
    if (prev === next) return;
    this.#active = next;
    next.setName?.(this.name);
    this.backendChanged(prev, next);
  }
}

/**
 * A readable signal. Listeners (`subscribe`, `subscribeValue`) share ONE backend subscription:
 * the first listener (or `stage`) starts `backend.setCallback`, the last one removed (and
 * `unstage`) stops it. While subscribed, the last reading is cached: new listeners get it at once
 * and `read()` / `getValue()` return it without asking the backend.
 */
export class SignalR<T> extends Signal<T> implements Readable, Subscribable, Stageable {
  #listeners = new Set<ReadingListener<T>>();
  #readingSubs = new Map<ReadingCallback, ReadingListener<T>>();
  #valueSubs = new Map<(value: T) => void, ReadingListener<T>>();
  #staged = false;
  #subscribed = false;
  #reading: Reading<T> | undefined;
  #firstReading: Array<(r: Reading<T>) => void> = [];
  readonly #onReading: ReadingListener<T> = (r) => this.#deliver(r);

  /** Tell whether the backend subscription is running (listeners or staged). */
  get subscribed(): boolean {
    return this.#subscribed;
  }

  /**
   * Read `{ [name]: reading }`. `cached` undefined: from the cache while subscribed, else from the
   * backend; true: from the cache (InvalidStateError if not subscribed); false: from the backend.
   */
  async read(cached?: boolean): Promise<Readings> {
    return { [this.name]: await this.getReading(cached) };
  }

  /** Read the value with its timestamp; `cached` as in {@link SignalR.read}. */
  async getReading(cached?: boolean): Promise<Reading<T>> {
    if (cached === true && !this.#subscribed) {
      throw new InvalidStateError(`${this.name || 'signal'}: cannot read from cache, it is not subscribed or staged`);
    }
    if ((cached ?? true) && this.#subscribed) {
      if (this.#reading) return this.#reading;
      return this.bounded(new Promise<Reading<T>>((resolve) => this.#firstReading.push(resolve)), 'read');
    }
    const backend = this.backend;
    return backend.selfTimed ? backend.getReading() : this.bounded(backend.getReading(), 'read');
  }

  /** Read the value; `cached` as in {@link SignalR.read}. */
  async getValue(cached?: boolean): Promise<T> {
    return (await this.getReading(cached)).value;
  }

  /** Describe the value as `{ [name]: DataKey }`. */
  async describe(): Promise<DataKeys> {
    return { [this.name]: await this.bounded(this.backend.getDatakey(this.source), 'describe') };
  }

  /** Deliver `{ [name]: reading }` on every change (the current one first); returns an unsubscribe function. */
  subscribe(callback: ReadingCallback): () => void {
    if (!this.#readingSubs.has(callback)) {
      const listener: ReadingListener<T> = (r) => callback({ [this.name]: r });
      this.#readingSubs.set(callback, listener);
      this.#addListener(listener);
    }
    return () => this.clearSub(callback);
  }

  /** Deliver the value on every change (the current one first); returns an unsubscribe function. */
  subscribeValue(callback: (value: T) => void): () => void {
    if (!this.#valueSubs.has(callback)) {
      const listener: ReadingListener<T> = (r) => callback(r.value);
      this.#valueSubs.set(callback, listener);
      this.#addListener(listener);
    }
    return () => this.clearSub(callback);
  }

  /** Remove a callback given to `subscribe` or `subscribeValue`. */
  clearSub(callback: ReadingCallback | ((value: T) => void)): void {
    const listener = this.#readingSubs.get(callback as ReadingCallback) ?? this.#valueSubs.get(callback as (v: T) => void);
    this.#readingSubs.delete(callback as ReadingCallback);
    this.#valueSubs.delete(callback as (v: T) => void);
    if (listener) {
      this.#listeners.delete(listener);
      this.#maybeStop();
    }
  }

  /** Keep the backend subscription running so reads come from the cache (until unstage). */
  stage(): Status<unknown> {
    this.#staged = true;
    this.#start();
    return Status.finished<unknown>(undefined, `${this.name}.stage`);
  }

  /** Undo stage; the subscription stops if no listener is left. */
  unstage(): Status<unknown> {
    this.#staged = false;
    this.#maybeStop();
    return Status.finished<unknown>(undefined, `${this.name}.unstage`);
  }

  protected override backendChanged(previous: SignalBackend<T>, next: SignalBackend<T>): void {
    if (!this.#subscribed) return;
    previous.setCallback(undefined);
    this.#reading = undefined;
    next.setCallback(this.#onReading);
  }

  #addListener(listener: ReadingListener<T>): void {
    this.#listeners.add(listener);
    if (!this.#subscribed) this.#start();
    else if (this.#reading) this.#call(listener, this.#reading);
  }

  #start(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    this.backend.setCallback(this.#onReading);
  }

  #maybeStop(): void {
    if (!this.#subscribed || this.#listeners.size > 0 || this.#staged) return;
    this.#subscribed = false;
    this.#reading = undefined;
    this.backend.setCallback(undefined);
  }

  #deliver(reading: Reading<T>): void {
    if (!this.#subscribed) return;
    this.#reading = reading;
    const waiting = this.#firstReading;
    this.#firstReading = [];
    for (const w of waiting) w(reading);
    for (const l of [...this.#listeners]) this.#call(l, reading);
  }

  #call(listener: ReadingListener<T>, reading: Reading<T>): void {
    try {
      listener(reading);
    } catch (e) {
      console.error(`labrig: a listener of signal ${this.name || '<unnamed>'} threw:`, e);
    }
  }
}
