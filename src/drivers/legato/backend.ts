/**
 * Transport-backed signal backends of one pump. The values of `status` (state, running,
 * direction, stall, target, volume, time, rate) come from one {@link StatusSource}: reads made
 * together share one `status` command, and while any of them is subscribed it polls every
 * `pollMs`. Other values have their own query/command pair.
 * @module
 */
import { UnsupportedError } from '../../core/errors.js';
import type { DataKey, Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import { buildDatakey, checkValue, type ValueMetadata } from '../../core/signal/datakey.js';
import type { LegatoIO, StatusReport } from './io.js';

/** A status report with the time it arrived (seconds since the epoch). */
export interface StampedStatus {
  status: StatusReport;
  timestamp: number;
}

/** Share `status` polls of one pump among its signals (see the module notes). */
export class StatusSource {
  /** Poll period while any listener is registered, ms. */
  readonly pollMs: number;
  readonly #io: () => LegatoIO;
  readonly #listeners = new Set<(s: StampedStatus) => void>();
  #latest: StampedStatus | undefined;
  #inflight: Promise<StampedStatus> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;

  /** Poll through the LegatoIO that `io` returns. */
  constructor(io: () => LegatoIO, pollMs = 100) {
    this.#io = io;
    this.pollMs = pollMs;
  }

  /** The last status seen, if any. */
  get latest(): StampedStatus | undefined {
    return this.#latest;
  }

  /** Ask the pump for its status; callers while one is in flight share it. */
  poll(): Promise<StampedStatus> {
    if (this.#inflight) return this.#inflight;
    const p = this.#io().status().then(
      (status) => {
        if (this.#inflight === p) this.#inflight = undefined;
        const s = { status, timestamp: Date.now() / 1000 };
        this.#latest = s;
        if (this.#listeners.size > 0) for (const l of [...this.#listeners]) l(s);
        return s;
      },
      (e: unknown) => {
        if (this.#inflight === p) this.#inflight = undefined;
        throw e;
      },
    );
    this.#inflight = p;
    return p;
  }

  /** Listen to every status; the first listener starts polling, the last one stops it. */
  listen(listener: (s: StampedStatus) => void): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) void this.#loop(++this.#generation);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.dispose();
    };
  }

  /** Stop polling. */
  dispose(): void {
    this.#listeners.clear();
    this.#generation++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #loop(gen: number): Promise<void> {
    try {
      await this.poll();
    } catch {
      // A failed poll (timeout, lost link) is tried again next period; reads report their errors.
    }
    if (gen !== this.#generation) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (gen === this.#generation) void this.#loop(gen);
    }, this.pollMs);
  }
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
export class LegatoSignalBackend<T> implements SignalBackend<T> {
  /** Every call goes through the channel, whose requests have their own time limits. */
  readonly selfTimed = true;
  readonly #io: () => LegatoIO;
  readonly #source: StatusSource;
  readonly #spec: LegatoSignalSpec<T>;
  #name = '';
  #setpoint: T | undefined;
  #last: Reading<T> | undefined;
  #listener: ReadingListener<T> | undefined;
  #stop: (() => void) | undefined;

  /** Read and write through `io` (resolved late) and the pump's shared status source. */
  constructor(io: () => LegatoIO, source: StatusSource, spec: LegatoSignalSpec<T>) {
    this.#io = io;
    this.#source = source;
    this.#spec = spec;
  }

  /** Learn the owning signal's name for error messages. */
  setName(name: string): void {
    this.#name = name;
  }

  /** Return e.g. `legato+tcp://127.0.0.1:5000/0/irate`. */
  source(_name: string): string {
    const io = this.#io();
    const a = io.address || 'legato://';
    return `${a.startsWith('legato') ? '' : 'legato+'}${a}/${io.pump}/${this.#spec.field}`;
  }

  /** Open the pump's channel (no command is sent). */
  async connect(timeoutMs: number): Promise<void> {
    await this.#io().open({ timeoutMs });
  }

  /** Stop delivering readings. */
  disconnect(): void {
    this.setCallback(undefined);
  }

  /** Read the value: from a status poll, its own query, or the last value written. */
  async getReading(): Promise<Reading<T>> {
    const { pick, query } = this.#spec;
    let r: Reading<T>;
    if (pick) {
      const s = await this.#source.poll();
      r = { value: pick(s.status), timestamp: s.timestamp };
    } else if (query) {
      r = { value: await query(), timestamp: Date.now() / 1000 };
    } else {
      return this.#last ?? { value: this.#setpoint ?? this.#spec.initial, timestamp: Date.now() / 1000 };
    }
    this.#remember(r);
    return r;
  }

  /** Read the value. */
  async getValue(): Promise<T> {
    return (await this.getReading()).value;
  }

  /** Return the last value written, or read it when nothing was written yet. */
  async getSetpoint(): Promise<T> {
    return this.#setpoint !== undefined ? this.#setpoint : this.getValue();
  }

  /** Describe the value from the metadata (no command sent). */
  async getDatakey(source: string): Promise<DataKey> {
    return buildDatakey(source, this.#spec.initial, this.#spec.meta);
  }

  /** Check the value (type, limits) before anything is sent, then write it. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    const w = this.#spec.write;
    if (!w) throw new UnsupportedError(this.#name || `legato ${this.#spec.field}`, 'put');
    if (value !== undefined) checkValue(this.#name || this.#spec.field, value, this.#spec.meta, this.#spec.meta.dtype);
    await w(value);
    if (value === undefined) return;
    this.#setpoint = value;
    if (!this.#spec.pick) this.#remember({ value, timestamp: Date.now() / 1000 }, true);
  }

  /** Start (listener) or stop (undefined) delivering readings. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#stop?.();
    this.#stop = undefined;
    this.#listener = listener;
    if (!listener) return;
    const { pick } = this.#spec;
    if (pick) {
      let previous: T | undefined;
      let first = true;
      const deliver = (s: StampedStatus): void => {
        const value = pick(s.status);
        if (!first && Object.is(value, previous)) return;
        first = false;
        previous = value;
        this.#last = { value, timestamp: s.timestamp };
        listener(this.#last);
      };
      const latest = this.#source.latest;
      if (latest) deliver(latest);
      this.#stop = this.#source.listen(deliver);
      return;
    }
    this.#stop = this.#pollQuery(listener);
  }

  #remember(r: Reading<T>, notify = false): void {
    const changed = this.#last === undefined || !Object.is(this.#last.value, r.value);
    this.#last = r;
    this.#spec.seen?.(r.value);
    if (notify && changed) this.#listener?.(r);
  }

  /** Poll a query signal while subscribed; deliver changes only. */
  #pollQuery(listener: ReadingListener<T>): () => void {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let previous: T | undefined;
    let first = true;
    const tick = async (): Promise<void> => {
      try {
        const r = this.#spec.query ? await this.getReading() : (this.#last ?? { value: this.#spec.initial, timestamp: Date.now() / 1000 });
        if (!stopped && (first || !Object.is(r.value, previous))) {
          first = false;
          previous = r.value;
          listener(r);
        }
      } catch {
        // retried next period
      }
      if (stopped || !this.#spec.query) return;
      timer = setTimeout(() => void tick(), this.#spec.pollMs ?? 200);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }
}
