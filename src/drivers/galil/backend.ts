/**
 * A transport-backed SignalBackend for one Galil query/command pair (e.g. read `TPA`, write
 * `PAA=n`), with unit scaling done by the caller's `decode`/`encode`, limits checked before any
 * byte is written, and polling while subscribed (the mechanism of `../shared/polled.ts`).
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../../core/errors.js';
import type { Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener } from '../../core/signal/backend.js';
import { checkValue, type ValueMetadata } from '../../core/signal/datakey.js';
import { TransportBackend, pollChanges, transportSource } from '../shared/polled.js';
import type { GalilIO } from './io.js';

/** What a Galil signal reads and writes. */
export interface GalilSignalSpec<T> {
  /** Command that reads the value (e.g. `TPA`, `MG _BGA`) and how to decode its reply. */
  read?: { command: string; decode: (reply: string) => T };
  /** Build the command that writes `value` (e.g. `PAA=1000`); `undefined` for command signals. */
  write?: (value: T | undefined) => string;
  /** Send writes at high priority (stops). Default false. */
  urgent?: boolean;
  /** Value metadata: dtype, units, precision, limits. */
  meta: ValueMetadata & { dtype: Dtype };
  /** Neutral value used before the first read (and to describe the value). */
  initial: T;
  /** Poll period while subscribed, in ms. Default 100. */
  pollMs?: number;
}

/** Hold one value behind a Galil query/command pair (see the module notes). */
export class GalilSignalBackend<T> extends TransportBackend<T> {
  readonly #io: () => GalilIO;
  readonly #spec: GalilSignalSpec<T>;
  #listener: ReadingListener<T> | undefined;
  #stop: (() => void) | undefined;

  /** Read and write through the GalilIO that `io` returns (resolved late, so a controller can swap it). */
  constructor(io: () => GalilIO, spec: GalilSignalSpec<T>) {
    super({ open: (timeoutMs) => io().open({ timeoutMs }), initial: spec.initial, meta: () => spec.meta });
    this.#io = io;
    this.#spec = spec;
  }

  /** Return `galil+<address>/<command>`, e.g. `galil+tcp://127.0.0.1:23/TPA`. */
  source(_name: string): string {
    const cmd = this.#spec.read?.command ?? this.#spec.write?.(this.#spec.initial) ?? '';
    return transportSource('galil', this.#io().address, cmd.replace(/ /g, '%20'));
  }

  /** Query the value. */
  getReading(): Promise<Reading<T>> {
    const r = this.#spec.read;
    if (!r) return Promise.resolve(this.fallback());
    return this.#io().query(r.command, r.decode).then(this.#stamp);
  }

  readonly #stamp = (value: T): Reading<T> => {
    const reading = { value, timestamp: Date.now() / 1000 };
    this.last = reading;
    return reading;
  };

  /** Query the value. */
  override getValue(): Promise<T> {
    const r = this.#spec.read;
    if (!r) return this.getReading().then((x) => x.value);
    return this.#io().query(r.command, r.decode);
  }

  /** Check the value (type, limits), then send the write command; resolves on the controller's `:`. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    const w = this.#spec.write;
    if (!w) throw new UnsupportedError({ device: this.name || 'galil signal', verb: 'put' });
    if (value !== undefined) checkValue(this.name, value, this.#spec.meta, this.#spec.meta.dtype);
    else if (this.#spec.initial !== undefined) {
      throw new InvalidInputError({ what: this.name || 'galil signal', value, reason: 'expected a value' });
    }
    const command = w(value);
    await this.#io().command(command, this.#spec.urgent ? { priority: 'high' } : {});
    if (value !== undefined) this.setpoint = value;
    if (!this.#spec.read && value !== undefined) {
      this.last = { value, timestamp: Date.now() / 1000 };
      this.#listener?.(this.last);
    }
  }

  /** Start polling (`listener`) or stop (`undefined`); readings are delivered when the value changes. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#listener = listener;
    this.#stop?.();
    this.#stop = undefined;
    if (!listener) return;
    if (!this.#spec.read) {
      listener(this.fallback());
      return;
    }
    this.#stop = pollChanges(() => this.getReading(), this.#spec.pollMs ?? 100, listener);
  }
}
