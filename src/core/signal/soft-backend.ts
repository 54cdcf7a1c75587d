/**
 * SoftSignalBackend: a value held in memory, with optional units, precision, limits and choices.
 * @module
 */
import type { DataKey, Dtype, Reading } from '../protocols.js';
import type { ReadingListener, SignalBackend } from './backend.js';
import { buildDatakey, hasInferableDtype, inferDtype, type ValueMetadata } from './datakey.js';

/** Options of a soft backend (metadata of the value plus a name for error messages). */
export interface SoftSignalOptions extends ValueMetadata {
  /** Name used in errors; a Signal keeps it equal to its own name through `setName`. */
  name?: string;
}

/**
 * Hold one value in memory. Its `constraints()` (the dtype when given or inferred from a
 * primitive or array, choices, limits) are checked by the owning Signal before `put`, which then
 * updates value, setpoint and timestamp and notifies the listener synchronously. `setValue` is the simulator's door: it changes the value without checks.
 */
export class SoftSignalBackend<T> implements SignalBackend<T> {
  /** In memory: no call ever waits, so Signals need no timer of their own. */
  readonly selfTimed = true;
  #value: T;
  #setpoint: T;
  #timestamp: number;
  #listener: ReadingListener<T> | undefined;
  #meta: SoftSignalOptions;
  readonly #dtype: Dtype;
  readonly #typeChecked: boolean;

  /** Hold `initialValue`; its dtype is inferred unless `options.dtype` says otherwise. */
  constructor(initialValue: T, options: SoftSignalOptions = {}) {
    this.#value = initialValue;
    this.#setpoint = initialValue;
    this.#timestamp = Date.now() / 1000;
    this.#meta = { ...options };
    this.#dtype = options.dtype ?? inferDtype(initialValue);
    this.#typeChecked = options.dtype !== undefined || hasInferableDtype(initialValue);
  }

  /** The current value, synchronously. */
  get value(): T {
    return this.#value;
  }

  /** The value's metadata (dtype, units, precision, limits, choices). */
  get metadata(): ValueMetadata {
    const { name: _name, ...meta } = this.#meta;
    return { ...meta, dtype: this.#dtype };
  }

  /** Use `name` in the errors this backend raises (called by the owning Signal). */
  setName(name: string): void {
    this.#meta.name = name;
  }

  /** Change the value as the simulated hardware would (no checks, setpoint unchanged) and notify. */
  setValue(value: T): void {
    this.#value = value;
    this.#timestamp = Date.now() / 1000;
    this.#emit();
  }

  /** Return `soft://<name>`. */
  source(name: string): string {
    return `soft://${name}`;
  }

  /** Resolve at once: memory is always there. */
  connect(): Promise<void> {
    return Promise.resolve();
  }

  /** Return the value with the time it was last changed (seconds since the epoch). */
  getReading(): Promise<Reading<T>> {
    return Promise.resolve(this.#reading());
  }

  /** Return the value. */
  getValue(): Promise<T> {
    return Promise.resolve(this.#value);
  }

  /** Return the last value put. */
  getSetpoint(): Promise<T> {
    return Promise.resolve(this.#setpoint);
  }

  /** Describe the value (dtype, shape, units, precision, limits, choices). */
  getDatakey(source: string): Promise<DataKey> {
    return Promise.resolve(buildDatakey(source, this.#value, { ...this.#meta, dtype: this.#dtype }));
  }

  /** The rules the owning Signal checks before `put`: the dtype (when trusted), limits, choices. */
  constraints(): ValueMetadata {
    const { name: _name, ...meta } = this.#meta;
    return { ...meta, dtype: this.#typeChecked ? this.#dtype : undefined };
  }

  /** Store a value (undefined: a command with no value, which only re-stamps it); the Signal checked it. */
  put(value: T | undefined, _wait: boolean): Promise<void> {
    if (value !== undefined) {
      this.#setpoint = value;
      this.#value = value;
    }
    this.#timestamp = Date.now() / 1000;
    this.#emit();
    return Promise.resolve();
  }

  /** Deliver the current reading at once, then every change; undefined stops. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#listener = listener;
    if (listener) listener(this.#reading());
  }

  #reading(): Reading<T> {
    return { value: this.#value, timestamp: this.#timestamp };
  }

  #emit(): void {
    this.#listener?.(this.#reading());
  }
}
