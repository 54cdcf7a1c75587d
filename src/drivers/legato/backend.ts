/**
 * Transport-backed signal backends of one pump. The values of `status` (state, running,
 * direction, stall, target, volume, time, rate) come from one {@link StatusSource}: reads made
 * together share one `status` command, and while any of them is subscribed it polls every
 * `pollMs`. Other values have their own query/command pair. The mechanism is the one in
 * `../shared/polled.ts`.
 * @module
 */
import { UnsupportedError } from '../../core/errors.js';
import type { Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener } from '../../core/signal/backend.js';
import { checkValue, type ValueMetadata } from '../../core/signal/datakey.js';
import { SharedPoll, TransportBackend, followPoll, pollChanges, transportSource } from '../shared/polled.js';
import type { LegatoIO, StatusReport } from './io.js';

/** A status report with the time it arrived (seconds since the epoch). */
export interface StampedStatus {
  status: StatusReport;
  timestamp: number;
}

/** Share `status` polls of one pump among its signals (see the module notes). */
export class StatusSource extends SharedPoll<StampedStatus> {
  /** Poll through the LegatoIO that `io` returns. */
  constructor(io: () => LegatoIO, pollMs = 100) {
    super(() => io().status().then(stamp), pollMs);
  }
}

function stamp(status: StatusReport): StampedStatus {
  return { status, timestamp: Date.now() / 1000 };
}

/** What one pump signal reads and writes. */
export interface LegatoSignalSpec<T> {
  /** Name in the data key source, e.g. `irate`. */
  field: string;
  /** Take the value from a status report. */
  pick?: (s: StatusReport) => T;
  /** Query the value with its own command. */
  query?: () => Promise<T>;
  /** Write a value (undefined for command signals). */
  write?: (value: T | undefined) => Promise<void>;
  /** Called with each value read or written (the device keeps a copy of diameter and syringe size). */
  seen?: (value: T) => void;
  /** Value metadata; checked before any write. */
  meta: ValueMetadata & { dtype: Dtype };
  /** Neutral value before the first read. */
  initial: T;
  /** Poll period of a subscribed query signal, ms. Default 200. */
  pollMs?: number;
}

/** Hold one value of a pump (see the module notes). */
export class LegatoSignalBackend<T> extends TransportBackend<T> {
  readonly #io: () => LegatoIO;
  readonly #source: StatusSource;
  readonly #spec: LegatoSignalSpec<T>;
  #listener: ReadingListener<T> | undefined;
  #stop: (() => void) | undefined;

  /** Read and write through `io` (resolved late) and the pump's shared status source. */
  constructor(io: () => LegatoIO, source: StatusSource, spec: LegatoSignalSpec<T>) {
    super({ open: (timeoutMs) => io().open({ timeoutMs }), initial: spec.initial, meta: () => spec.meta });
    this.#io = io;
    this.#source = source;
    this.#spec = spec;
  }

  /** Return e.g. `legato+tcp://127.0.0.1:5000/0/irate`. */
  source(_name: string): string {
    const io = this.#io();
    return transportSource('legato', io.address, `${io.pump}/${this.#spec.field}`);
  }

  /** Read the value: from a status poll, its own query, or the last value written. */
  getReading(): Promise<Reading<T>> {
    return this.#spec.pick ? this.#source.poll().then(this.#fromStatus) : this.#readOther();
  }

  /** Take this signal's reading from a polled status. */
  readonly #fromStatus = (s: StampedStatus): Reading<T> => {
    const r: Reading<T> = { value: this.#spec.pick!(s.status), timestamp: s.timestamp };
    this.#remember(r);
    return r;
  };

  async #readOther(): Promise<Reading<T>> {
    const { query } = this.#spec;
    let r: Reading<T>;
    if (query) {
      r = { value: await query(), timestamp: Date.now() / 1000 };
    } else {
      return this.fallback();
    }
    this.#remember(r);
    return r;
  }

  /** Check the value (type, limits) before anything is sent, then write it. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    const w = this.#spec.write;
    if (!w) throw new UnsupportedError({ device: this.name || `legato ${this.#spec.field}`, verb: 'put' });
    if (value !== undefined) checkValue(this.name || this.#spec.field, value, this.#spec.meta, this.#spec.meta.dtype);
    await w(value);
    if (value === undefined) return;
    this.setpoint = value;
    if (!this.#spec.pick) this.#remember({ value, timestamp: Date.now() / 1000 }, true);
  }

  /** Start (listener) or stop (undefined) delivering readings. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#stop?.();
    this.#stop = undefined;
    this.#listener = listener;
    if (!listener) return;
    const { pick, query } = this.#spec;
    if (pick) {
      this.#stop = followPoll(this.#source, (s) => pick(s.status), (r) => {
        this.last = r;
        listener(r);
      });
      return;
    }
    // A query signal polls while subscribed; a write-only one delivers what it holds once.
    const read = query ? () => this.getReading() : () => this.last ?? { value: this.#spec.initial, timestamp: Date.now() / 1000 };
    this.#stop = pollChanges(read, this.#spec.pollMs ?? 200, listener, query !== undefined);
  }

  #remember(r: Reading<T>, notify = false): void {
    const changed = this.last === undefined || !Object.is(this.last.value, r.value);
    this.last = r;
    this.#spec.seen?.(r.value);
    if (notify && changed) this.#listener?.(r);
  }
}
