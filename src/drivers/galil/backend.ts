/**
 * A transport-backed SignalBackend for one Galil query/command pair (e.g. read `TPA`, write
 * `PAA=n`), with unit scaling done by the caller's `decode`/`encode`, limits checked before any
 * byte is written, and polling while subscribed.
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../../core/errors.js';
import type { DataKey, Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import { buildDatakey, checkValue, type ValueMetadata } from '../../core/signal/datakey.js';
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
export class GalilSignalBackend<T> implements SignalBackend<T> {
  /** Every query goes through the request channel, which bounds it by its own timeout. */
  readonly selfTimed = true;
  readonly #io: () => GalilIO;
  readonly #spec: GalilSignalSpec<T>;
  #name = '';
  #last: Reading<T> | undefined;
  #setpoint: T | undefined;
  #listener: ReadingListener<T> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;

  /** Read and write through the GalilIO that `io` returns (resolved late, so a controller can swap it). */
  constructor(io: () => GalilIO, spec: GalilSignalSpec<T>) {
    this.#io = io;
    this.#spec = spec;
  }

  /** Learn the owning signal's name for error messages. */
  setName(name: string): void {
    this.#name = name;
  }

  /** Return `galil+<address>/<command>`, e.g. `galil+tcp://127.0.0.1:23/TPA`. */
  source(_name: string): string {
    const address = this.#io().address || 'galil://';
    const cmd = this.#spec.read?.command ?? this.#spec.write?.(this.#spec.initial) ?? '';
    return `${address.startsWith('galil') ? '' : 'galil+'}${address}/${cmd.replace(/ /g, '%20')}`;
  }

  /** Open the controller's channel (no query is sent). */
  async connect(timeoutMs: number): Promise<void> {
    await this.#io().open({ timeoutMs });
  }

  /** Stop polling. */
  disconnect(): void {
    this.setCallback(undefined);
  }

  /** Query the value. */
  getReading(): Promise<Reading<T>> {
    const r = this.#spec.read;
    if (!r) return Promise.resolve(this.#last ?? { value: this.#setpoint ?? this.#spec.initial, timestamp: Date.now() / 1000 });
    return this.#io().query(r.command, r.decode).then(this.#stamp);
  }

  readonly #stamp = (value: T): Reading<T> => {
    const reading = { value, timestamp: Date.now() / 1000 };
    this.#last = reading;
    return reading;
  };

  /** Query the value. */
  getValue(): Promise<T> {
    const r = this.#spec.read;
    if (!r) return this.getReading().then((x) => x.value);
    return this.#io().query(r.command, r.decode);
  }

  /** Return the last value written, or query the value when nothing was written yet. */
  async getSetpoint(): Promise<T> {
    return this.#setpoint !== undefined ? this.#setpoint : this.getValue();
  }

  /** Describe the value from the metadata (no query). */
  async getDatakey(source: string): Promise<DataKey> {
    return buildDatakey(source, this.#spec.initial, this.#spec.meta);
  }

  /** Check the value (type, limits), then send the write command; resolves on the controller's `:`. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    const w = this.#spec.write;
    if (!w) throw new UnsupportedError(this.#name || 'galil signal', 'put');
    if (value !== undefined) checkValue(this.#name, value, this.#spec.meta, this.#spec.meta.dtype);
    else if (this.#spec.initial !== undefined) {
      throw new InvalidInputError(this.#name || 'galil signal', value, 'expected a value');
    }
    const command = w(value);
    await this.#io().command(command, this.#spec.urgent ? { priority: 'high' } : {});
    if (value !== undefined) this.#setpoint = value;
    if (!this.#spec.read && value !== undefined) {
      this.#last = { value, timestamp: Date.now() / 1000 };
      this.#listener?.(this.#last);
    }
  }

  /** Start polling (`listener`) or stop (`undefined`); readings are delivered when the value changes. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#listener = listener;
    this.#generation++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!listener) return;
    if (!this.#spec.read) {
      listener(this.#last ?? { value: this.#setpoint ?? this.#spec.initial, timestamp: Date.now() / 1000 });
      return;
    }
    void this.#poll(this.#generation, undefined);
  }

  async #poll(generation: number, previous: Reading<T> | undefined): Promise<void> {
    let next = previous;
    try {
      const r = await this.getReading();
      if (generation !== this.#generation) return;
      if (previous === undefined || !Object.is(r.value, previous.value)) {
        next = r;
        this.#listener?.(r);
      }
    } catch {
      // A failed poll (timeout, link lost) is retried at the next period; reads report errors.
      if (generation !== this.#generation) return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#poll(generation, next);
    }, this.#spec.pollMs ?? 100);
  }
}
