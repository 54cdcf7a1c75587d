/**
 * Transport-backed signal backends for one Alicat unit. Most values come from the data frame,
 * so a unit has one {@link FrameSource}: concurrent reads share one poll, command replies (which
 * are data frames too) refresh it, and while any signal is subscribed it polls every `pollMs`.
 * {@link AlicatSignalBackend} turns a field of the frame, or a dedicated query (register,
 * firmware), plus an optional write into a SignalBackend.
 * @module
 */
import { UnsupportedError } from '../../core/errors.js';
import type { DataKey, Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import { buildDatakey, checkValue, type ValueMetadata } from '../../core/signal/datakey.js';
import type { AlicatIO } from './io.js';
import type { AlicatFrame } from './protocol.js';

/** A frame with the time it arrived (seconds since the epoch). */
export interface StampedFrame {
  frame: AlicatFrame;
  timestamp: number;
}

/** Share polls of one unit among its signals (see the module notes). */
export class FrameSource {
  /** Poll period while any listener is registered, in ms. */
  readonly pollMs: number;
  readonly #io: () => AlicatIO;
  readonly #listeners = new Set<(f: StampedFrame) => void>();
  #latest: StampedFrame | undefined;
  #inflight: Promise<StampedFrame> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #generation = 0;

  /** Poll through the AlicatIO that `io` returns. */
  constructor(io: () => AlicatIO, pollMs = 100) {
    this.#io = io;
    this.pollMs = pollMs;
  }

  /** The last frame seen (poll or command reply), if any. */
  get latest(): StampedFrame | undefined {
    return this.#latest;
  }

  /** Poll the unit; callers during a poll in flight share its result. */
  poll(): Promise<StampedFrame> {
    if (this.#inflight) return this.#inflight;
    const p = this.#io().poll().then((frame) => this.accept(frame));
    this.#inflight = p;
    const clear = (): void => {
      if (this.#inflight === p) this.#inflight = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  /** Take a frame from a command reply (or a poll) as the newest state and tell the listeners. */
  accept(frame: AlicatFrame): StampedFrame {
    const stamped = { frame, timestamp: Date.now() / 1000 };
    this.#latest = stamped;
    for (const l of [...this.#listeners]) l(stamped);
    return stamped;
  }

  /** Listen to every new frame; the first listener starts periodic polling, the last one stops it. */
  listen(listener: (f: StampedFrame) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#running) {
      this.#running = true;
      const gen = ++this.#generation;
      void this.#loop(gen);
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

/** What one Alicat signal reads and writes. */
export interface AlicatSignalSpec<T> {
  /** Field name used in the data key source, e.g. `massFlow`. */
  field: string;
  /** Take the value from a data frame. */
  pick?: (frame: AlicatFrame) => T;
  /** Query the value with a dedicated command (register, firmware) instead of the frame. */
  query?: () => Promise<T>;
  /** Write a value (undefined for command signals); a returned frame refreshes the source. */
  write?: (value: T | undefined) => Promise<AlicatFrame | void>;
  /** Value metadata (dtype, units, precision, limits, choices), or a function giving the current one; checked before any write. */
  meta: (ValueMetadata & { dtype: Dtype }) | (() => ValueMetadata & { dtype: Dtype });
  /** Neutral value before the first read. */
  initial: T;
}

/** Hold one value of an Alicat unit (see the module notes). */
export class AlicatSignalBackend<T> implements SignalBackend<T> {
  /** Every poll and command goes through the request channel, which bounds it by its own timeout. */
  readonly selfTimed = true;
  readonly #io: () => AlicatIO;
  readonly #source: FrameSource;
  readonly #spec: AlicatSignalSpec<T>;
  #name = '';
  #setpoint: T | undefined;
  #listener: ReadingListener<T> | undefined;
  #unlisten: (() => void) | undefined;
  #last: Reading<T> | undefined;

  /** Read and write through `io` (resolved late) and the unit's shared frame source. */
  constructor(io: () => AlicatIO, source: FrameSource, spec: AlicatSignalSpec<T>) {
    this.#io = io;
    this.#source = source;
    this.#spec = spec;
  }

  /** Learn the owning signal's name for error messages. */
  setName(name: string): void {
    this.#name = name;
  }

  /** Return e.g. `alicat+tcp://127.0.0.1:5000/A/massFlow`. */
  source(_name: string): string {
    const io = this.#io();
    const address = io.address || 'alicat://';
    return `${address.startsWith('alicat') ? '' : 'alicat+'}${address}/${io.unit}/${this.#spec.field}`;
  }

  /** Open the unit's channel (no command is sent). */
  async connect(timeoutMs: number): Promise<void> {
    await this.#io().open({ timeoutMs });
  }

  /** Stop delivering readings. */
  disconnect(): void {
    this.setCallback(undefined);
  }

  /** Poll the unit (or run the query) and return the value. */
  async getReading(): Promise<Reading<T>> {
    const { pick, query } = this.#spec;
    let reading: Reading<T>;
    if (pick) {
      const s = await this.#source.poll();
      reading = { value: pick(s.frame), timestamp: s.timestamp };
    } else if (query) {
      reading = { value: await query(), timestamp: Date.now() / 1000 };
    } else {
      reading = this.#last ?? { value: this.#setpoint ?? this.#spec.initial, timestamp: Date.now() / 1000 };
    }
    this.#last = reading;
    return reading;
  }

  /** Return the value. */
  async getValue(): Promise<T> {
    return (await this.getReading()).value;
  }

  /** Return the last value written, or read the value when nothing was written yet. */
  async getSetpoint(): Promise<T> {
    return this.#setpoint !== undefined ? this.#setpoint : this.getValue();
  }

  /** Describe the value from the metadata (no command sent). */
  async getDatakey(source: string): Promise<DataKey> {
    return buildDatakey(source, this.#spec.initial, this.#meta());
  }

  #meta(): ValueMetadata & { dtype: Dtype } {
    const m = this.#spec.meta;
    return typeof m === 'function' ? m() : m;
  }

  /** Check the value (type, limits, choices) before anything is sent, then write it. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    const w = this.#spec.write;
    if (!w) throw new UnsupportedError(this.#name || `alicat ${this.#spec.field}`, 'put');
    if (value !== undefined) {
      const meta = this.#meta();
      checkValue(this.#name || this.#spec.field, value, meta, meta.dtype);
    }
    const frame = await w(value);
    if (value !== undefined) this.#setpoint = value;
    if (frame) this.#source.accept(frame);
    else if (!this.#spec.pick && value !== undefined) {
      this.#last = { value, timestamp: Date.now() / 1000 };
      this.#listener?.(this.#last);
    }
  }

  /** Start (listener) or stop (undefined) delivering readings: frame fields follow the shared poll. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.#listener = listener;
    if (!listener) return;
    const { pick } = this.#spec;
    if (pick) {
      let previous: T | undefined;
      let first = true;
      const deliver = (s: StampedFrame): void => {
        const value = pick(s.frame);
        if (!first && Object.is(value, previous)) return;
        first = false;
        previous = value;
        this.#last = { value, timestamp: s.timestamp };
        listener(this.#last);
      };
      const latest = this.#source.latest;
      if (latest) deliver(latest);
      this.#unlisten = this.#source.listen(deliver);
      return;
    }
    if (this.#last) listener(this.#last);
    else {
      this.getReading().then(
        (r) => {
          if (this.#listener === listener) listener(r);
        },
        () => undefined,
      );
    }
  }
}
