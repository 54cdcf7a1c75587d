/**
 * The contract between a Signal and whatever holds its value: memory (soft), a recorder (mock),
 * or a transport (a driver's query/command pair, a Modbus register, an OPC UA node, a Tango
 * attribute). Transports and drivers implement this; Signals never know which one they have.
 * @module
 */
import type { DataKey, Reading } from '../protocols.js';
import type { ValueMetadata } from './datakey.js';

/** Listener a backend calls with each new reading. */
export type ReadingListener<T> = (reading: Reading<T>) => void;

/**
 * Hold and move one value.
 *
 * - `connect` resolves once the value can be read, or rejects (with a TimeoutError after
 *   `timeoutMs`, or with the transport's error) and may be retried.
 * - `put(value, wait)` resolves when the write was accepted (`wait` false) or its effect is
 *   complete (`wait` true); it rejects with a typed error (LimitsError, DeviceError,
 *   TimeoutError, DisconnectedError) and never hangs.
 * - `setCallback(listener)` starts delivering readings (the current one first, then each
 *   change); `setCallback(undefined)` stops. A Signal calls it at most once per subscription and
 *   fans readings out to its own listeners, so a backend has at most one listener.
 */
export interface SignalBackend<T> {
  /**
   * True when every call of this backend already rejects with a TimeoutError within a bound of
   * its own (e.g. each goes through a RequestChannel with per-request timeouts). Signals then
   * add no timer of their own on reads, which keeps transport-backed reads at wire speed.
   */
  readonly selfTimed?: boolean;
  /** Source string for data keys, e.g. `soft://x`, `modbus+tcp://host:502/1/hr/10`. */
  source(name: string): string;
  /** Open the value; `timeoutMs` bounds the wait. */
  connect(timeoutMs: number): Promise<void>;
  /** Release whatever connect took (subscriptions, handles). Idempotent. */
  disconnect?(): Promise<void> | void;
  /** Read the current value with its timestamp. */
  getReading(): Promise<Reading<T>>;
  /** Read the current value. */
  getValue(): Promise<T>;
  /** Read the last value asked for (the setpoint); the value itself for read-only backends. */
  getSetpoint(): Promise<T>;
  /** Describe the value for event-model (dtype, shape, units, precision, limits). */
  getDatakey(source: string): Promise<DataKey>;
  /**
   * The rules a written value must satisfy: `dtype` (omitted: no type check), `limits`,
   * `choices`. The owning Signal checks every value against them before calling `put`
   * (LimitsError / InvalidInputError, nothing sent), so soft, mock and transport backends refuse
   * the same values; a backend does not repeat the check. Undefined: no rules.
   */
  constraints?(): ValueMetadata | undefined;
  /** Write a value (undefined: execute, for command signals); the Signal has already checked it against `constraints()`. */
  put(value: T | undefined, wait: boolean): Promise<void>;
  /** Start (listener) or stop (undefined) delivering readings. */
  setCallback(listener: ReadingListener<T> | undefined): void;
  /**
   * Learn the owning Signal's name (called on every rename), so errors the backend raises
   * (LimitsError, DeviceError, TimeoutError) can name the signal. Optional.
   */
  setName?(name: string): void;
}
