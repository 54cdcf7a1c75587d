/**
 * Writable signals: SignalW (write-only), SignalRW (read and write) and SignalX (a command).
 * @module
 */
import type { Location, Locatable } from '../protocols.js';
import { Status } from '../status.js';
import type { SignalBackend } from './backend.js';
import { checkValue } from './datakey.js';
import { Signal, SignalR } from './signal.js';

/** Options of a write. */
export interface SetOptions {
  /** Wait for the write's effect to complete (true, default) or only for it to be accepted. */
  wait?: boolean;
  /** Fail the Status with StatusTimeoutError after this many ms; default the signal's timeoutMs; Infinity: never. */
  timeoutMs?: number;
}

function putStatus<T, R = void>(signal: Signal<T>, backend: SignalBackend<T>, value: T | undefined, verb: string, options: SetOptions): Status<R> {
  // A self-timed backend bounds its own puts (and a soft one never waits): no timer per write.
  const limit = options.timeoutMs ?? (backend.selfTimed ? Infinity : signal.timeoutMs);
  return Status.wrap<R>(async () => {
    // The one place a value is checked (dtype, limits, choices), whatever the backend tier.
    const rules = value === undefined ? undefined : backend.constraints?.();
    if (rules) checkValue(signal.name, value, rules, rules.dtype);
    await backend.put(value, options.wait ?? true);
    return undefined as R;
  }, {
    name: `${signal.name || '<unnamed signal>'}.${verb}`,
    timeoutMs: Number.isFinite(limit) ? limit : undefined,
  });
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? `[${value.length}]` : typeof value;
}

/** A write-only signal. */
export class SignalW<T> extends Signal<T> {
  /** Write `value`; the Status completes when the backend's put does (rejections carry its typed error). */
  set(value: T, options: SetOptions = {}): Status<void> {
    return putStatus(this, this.backend, value, `set(${show(value)})`, options);
  }
}

/** A read-write signal: a SignalR that can also be set and located. */
export class SignalRW<T> extends SignalR<T> implements Locatable<T> {
  /** Write `value`; the Status completes when the backend's put does (rejections carry its typed error). */
  set(value: T, options: SetOptions = {}): Status<void> {
    return putStatus(this, this.backend, value, `set(${show(value)})`, options);
  }

  /** Read the last value written. */
  getSetpoint(): Promise<T> {
    return this.bounded(this.backend.getSetpoint(), 'getSetpoint');
  }

  /** Return the setpoint and the readback. */
  async locate(): Promise<Location<T>> {
    const [setpoint, readback] = await Promise.all([this.getSetpoint(), this.getValue()]);
    return { setpoint, readback };
  }
}

/** An executable command (e.g. `home`, `tare`): `trigger()` puts no value. */
export class SignalX extends Signal<undefined> {
  /** Execute the command; the Status completes when the backend's put does. */
  trigger(options: SetOptions = {}): Status<unknown> {
    return putStatus<undefined, unknown>(this, this.backend, undefined, 'trigger()', options);
  }
}
