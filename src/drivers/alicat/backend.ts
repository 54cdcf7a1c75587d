/**
 * Transport-backed signal backends for one Alicat unit. Most values come from the data frame,
 * so a unit has one {@link FrameSource}: concurrent reads share one poll, command replies (which
 * are data frames too) refresh it, and while any signal is subscribed it polls every `pollMs`.
 * {@link AlicatSignalBackend} turns a field of the frame, or a dedicated query (register,
 * firmware), plus an optional write into a SignalBackend. The mechanism is the one in
 * `../shared/polled.ts`.
 * @module
 */
import { UnsupportedError } from '../../core/errors.js';
import type { Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener } from '../../core/signal/backend.js';
import { checkValue, type ValueMetadata } from '../../core/signal/datakey.js';
import { SharedPoll, TransportBackend, followPoll, transportSource } from '../shared/polled.js';
import type { AlicatIO } from './io.js';
import type { AlicatFrame } from './protocol.js';

/** A frame with the time it arrived (seconds since the epoch). */
export interface StampedFrame {
  frame: AlicatFrame;
  timestamp: number;
}

/** Share polls of one unit among its signals (see the module notes). */
export class FrameSource extends SharedPoll<StampedFrame> {
  /** Poll through the AlicatIO that `io` returns. */
  constructor(io: () => AlicatIO, pollMs = 100) {
    super(() => io().poll().then(stamp), pollMs);
  }

  /** Take a frame from a command reply (or a poll) as the newest state and tell the listeners. */
  accept(frame: AlicatFrame): StampedFrame {
    return this.publish({ frame, timestamp: Date.now() / 1000 });
  }
}

function stamp(frame: AlicatFrame): StampedFrame {
  return { frame, timestamp: Date.now() / 1000 };
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
export class AlicatSignalBackend<T> extends TransportBackend<T> {
  readonly #io: () => AlicatIO;
  readonly #source: FrameSource;
  readonly #spec: AlicatSignalSpec<T>;
  #listener: ReadingListener<T> | undefined;
  #unlisten: (() => void) | undefined;

  /** Read and write through `io` (resolved late) and the unit's shared frame source. */
  constructor(io: () => AlicatIO, source: FrameSource, spec: AlicatSignalSpec<T>) {
    const m = spec.meta;
    super({ open: (timeoutMs) => io().open({ timeoutMs }), initial: spec.initial, meta: typeof m === 'function' ? m : () => m });
    this.#io = io;
    this.#source = source;
    this.#spec = spec;
  }

  /** Return e.g. `alicat+tcp://127.0.0.1:5000/A/massFlow`. */
  source(_name: string): string {
    const io = this.#io();
    return transportSource('alicat', io.address, `${io.unit}/${this.#spec.field}`);
  }

  /** Poll the unit (or run the query) and return the value. */
  getReading(): Promise<Reading<T>> {
    return this.#spec.pick ? this.#source.poll().then(this.#fromFrame) : this.#readOther();
  }

  /** Take this signal's reading from a polled frame. */
  readonly #fromFrame = (s: StampedFrame): Reading<T> => {
    const reading: Reading<T> = { value: this.#spec.pick!(s.frame), timestamp: s.timestamp };
    this.last = reading;
    return reading;
  };

  async #readOther(): Promise<Reading<T>> {
    const { query } = this.#spec;
    let reading: Reading<T>;
    if (query) {
      reading = { value: await query(), timestamp: Date.now() / 1000 };
    } else {
      reading = this.fallback();
    }
    this.last = reading;
    return reading;
  }

  /** Check the value (type, limits, choices) before anything is sent, then write it. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    const w = this.#spec.write;
    if (!w) throw new UnsupportedError({ device: this.name || `alicat ${this.#spec.field}`, verb: 'put' });
    if (value !== undefined) {
      const meta = this.meta();
      checkValue(this.name || this.#spec.field, value, meta, meta.dtype);
    }
    const frame = await w(value);
    if (value !== undefined) this.setpoint = value;
    if (frame) this.#source.accept(frame);
    else if (!this.#spec.pick && value !== undefined) {
      this.last = { value, timestamp: Date.now() / 1000 };
      this.#listener?.(this.last);
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
      this.#unlisten = followPoll(this.#source, (s) => pick(s.frame), (r) => {
        this.last = r;
        listener(r);
      });
      return;
    }
    if (this.last) listener(this.last);
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
