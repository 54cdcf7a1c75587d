/**
 * MockSignalBackend: a value store that records every write, can hold writes in flight, and runs
 * test behaviour on writes. A Signal connected with `{ mock: true }` swaps to one of these.
 * @module
 */
import type { DataKey, Dtype, Reading } from '../protocols.js';
import type { ReadingListener, SignalBackend } from './backend.js';
import { buildDatakey, defaultValueFor, inferDtype, metadataOf, type ValueMetadata } from './datakey.js';
import { SoftSignalBackend } from './soft-backend.js';
import { withTimeout } from '../device/timeout.js';

/** One recorded write. */
export interface MockPut<T> {
  /** The value written (undefined for a command). */
  value: T | undefined;
  /** Whether the writer asked to wait for completion. */
  wait: boolean;
}

/** Behaviour run on every write, before the value is stored; throwing makes the put fail. */
export type MockPutCallback<T> = (value: T | undefined, wait: boolean) => void | Promise<void>;

/** Options of a mock backend. */
export interface MockSignalOptions<T> extends ValueMetadata {
  /** Starting value; otherwise the inherited soft value or the dtype's neutral value. */
  initialValue?: T;
  /** The real backend being replaced: its data key (dtype, units, limits...) is inherited on connect. */
  inherit?: SignalBackend<T>;
}

/**
 * Record writes instead of performing them. A put is recorded, then each `onPut` callback runs,
 * then the value is stored and listeners notified, then, while puts are held, the put's promise
 * waits for {@link MockSignalBackend.releasePuts}. Values are checked by the owning Signal against
 * the same `constraints()` as the backend it replaces (inherited dtype, limits, choices), so a bad
 * value is refused on the mock tier exactly as on the soft and transport tiers, and is not recorded.
 */
export class MockSignalBackend<T> implements SignalBackend<T> {
  #value: T | undefined;
  #setpoint: T | undefined;
  #timestamp = Date.now() / 1000;
  #meta: ValueMetadata;
  #listener: ReadingListener<T> | undefined;
  #puts: Array<MockPut<T>> = [];
  #callbacks: Array<MockPutCallback<T>> = [];
  #gate: { promise: Promise<void>; open: () => void } | undefined;
  #inherited = false;
  #name = '';
  readonly #inherit: SignalBackend<T> | undefined;
  readonly #own: ValueMetadata;

  /** Create a mock; metadata given here wins over metadata inherited from the replaced backend. */
  constructor(options: MockSignalOptions<T> = {}) {
    const { initialValue, inherit, ...meta } = options;
    this.#meta = meta;
    this.#own = meta;
    this.#inherit = inherit;
    if (initialValue !== undefined) this.#value = initialValue;
    else if (inherit instanceof SoftSignalBackend) {
      this.#value = inherit.value;
      this.#meta = { ...inherit.metadata, ...meta };
      this.#inherited = true;
    }
  }

  /** The current value, synchronously. */
  get value(): T {
    return (this.#value ?? defaultValueFor(this.#dtype())) as T;
  }

  /** Every write so far, oldest first (a copy). */
  get puts(): Array<MockPut<T>> {
    return this.#puts.map((p) => ({ ...p }));
  }

  /** Forget the recorded writes. */
  clearPuts(): void {
    this.#puts = [];
  }

  /** Tell whether writes are being held. */
  get holding(): boolean {
    return this.#gate !== undefined;
  }

  /** Keep the promise of every following put pending until {@link releasePuts}. */
  holdPuts(): void {
    if (this.#gate) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.#gate = { promise, open };
  }

  /** Let every held put complete, and stop holding. */
  releasePuts(): void {
    const gate = this.#gate;
    this.#gate = undefined;
    gate?.open();
  }

  /** Run `callback` on every write; returns a function that removes it. */
  onPut(callback: MockPutCallback<T>): () => void {
    this.#callbacks.push(callback);
    return () => {
      const i = this.#callbacks.indexOf(callback);
      if (i >= 0) this.#callbacks.splice(i, 1);
    };
  }

  /** Set the value as if the hardware reported it (not recorded as a put) and notify. */
  setMockValue(value: T): void {
    this.#value = value;
    this.#timestamp = Date.now() / 1000;
    this.#emit();
  }

  /** Remember the owning signal's name. */
  setName(name: string): void {
    this.#name = name;
  }

  /** The owning signal's name ('' until named). */
  get name(): string {
    return this.#name;
  }

  /** Return `mock+<source of the replaced backend>`, or `mock://<name>`. */
  source(name: string): string {
    return this.#inherit ? `mock+${this.#inherit.source(name)}` : `mock://${name}`;
  }

  /** Inherit the replaced backend's data key (bounded by `timeoutMs`; a failure keeps own metadata). */
  async connect(timeoutMs: number): Promise<void> {
    if (this.#inherit && !this.#inherited) {
      try {
        const key = await withTimeout(this.#inherit.getDatakey(''), timeoutMs, 'mock: inherit data key');
        this.#meta = { ...metadataOf(key), ...this.#meta };
        this.#inherited = true;
      } catch {
        // The real backend cannot describe itself without hardware: keep the mock's own metadata.
      }
    }
  }

  /** Return the value and when it was last set. */
  getReading(): Promise<Reading<T>> {
    return Promise.resolve(this.#reading());
  }

  /** Return the value. */
  getValue(): Promise<T> {
    return Promise.resolve(this.value);
  }

  /** Return the last value put (the value itself before any put). */
  getSetpoint(): Promise<T> {
    return Promise.resolve((this.#setpoint ?? this.value) as T);
  }

  /** Describe the value with the inherited (or given) metadata. */
  getDatakey(source: string): Promise<DataKey> {
    return Promise.resolve(buildDatakey(source, this.value, { ...this.#meta, dtype: this.#dtype() }));
  }

  /** The rules of the replaced backend (or given here): the owning Signal checks them before `put`. */
  constraints(): ValueMetadata {
    if (this.#inherit instanceof SoftSignalBackend) return { ...this.#inherit.constraints(), ...this.#own };
    // A transport backend's own rules hold even when it could not describe itself without hardware.
    return { ...this.#meta, ...this.#inherit?.constraints?.(), ...this.#own };
  }

  /** Record the write, run the put callbacks, store the value, then wait while puts are held. */
  async put(value: T | undefined, wait: boolean): Promise<void> {
    this.#puts.push({ value, wait });
    const gate = this.#gate;
    for (const cb of [...this.#callbacks]) await cb(value, wait);
    if (value !== undefined) {
      this.#value = value;
      this.#setpoint = value;
    }
    this.#timestamp = Date.now() / 1000;
    this.#emit();
    const heldNow = gate ?? this.#gate;
    if (heldNow) await heldNow.promise;
  }

  /** Deliver the current reading at once, then every change; undefined stops. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#listener = listener;
    if (listener) listener(this.#reading());
  }

  #dtype(): Dtype {
    return this.#meta.dtype ?? (this.#value === undefined ? 'number' : inferDtype(this.#value));
  }

  #reading(): Reading<T> {
    return { value: this.value, timestamp: this.#timestamp };
  }

  #emit(): void {
    this.#listener?.(this.#reading());
  }
}
