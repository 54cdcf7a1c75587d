/**
 * The signal vocabulary of transport-backed driver families (decision 0013): one line per signal,
 * the same in every family, in the spirit of ophyd-async's `epics_signal_rw(type, pv)` and
 * pymeasure's `control(get, set, doc)`:
 *
 * ```ts
 * this.setpoint = signalRW(ctx, { path: 'SP', get: (c) => c.query('SP?', parseFloat), set: (c, v) => c.command(`SP ${v}`), dtype: 'number', units: 'degC', limits: { low: -20, high: 150 } });
 * this.temperature = signalR(ctx, { path: 'temperature', pick: (s) => s.temperature, dtype: 'number', units: 'degC' });
 * this.start = signalX(ctx, 'start', (c) => c.command('START'));
 * ```
 *
 * A {@link SignalContext} is what a device's signals share: the family name, the command layer
 * (resolved late), optionally one {@link SharedPoll} whose fields `pick` reads, the read/write
 * limit and the poll period. Every backend built here is one {@link QueriedBackend}; value checks
 * (dtype, limits, choices) are NOT done here but once, by the core Signal before `put`, from the
 * backend's `constraints()`. `ctx.dispose()` (called by the device's `close()`) stops every poll
 * and every subscription the context's signals started.
 * @module
 */
import { UnsupportedError } from '../../core/errors.js';
import type { DataKey, Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import { buildDatakey, defaultValueFor, type ValueMetadata } from '../../core/signal/datakey.js';
import { SignalR } from '../../core/signal/signal.js';
import { SignalRW, SignalW, SignalX } from '../../core/signal/writable.js';
import { SharedPoll, followPoll, pollChanges, transportSource } from './polled.js';

/** What a command layer (`io.ts`) offers the signals: its address and how to open its channel. */
export interface CommandLayer {
  /** The channel's address, e.g. `tcp://127.0.0.1:23` ('' when there is none: mock use). */
  readonly address: string;
  /** Open the channel (no command is sent). */
  open(options: { timeoutMs?: number }): Promise<unknown>;
}

/** Options of a {@link SignalContext}. */
export interface SignalContextOptions<C extends CommandLayer, R extends { timestamp: number }> {
  /** Family name, the scheme prefix of data key sources (`galil`). */
  family: string;
  /** The command layer, resolved at each call (a device may swap it). */
  commands: () => C;
  /** Prefix of every signal's path in its source (a unit or pump address: `A/`). Default ''. */
  prefix?: () => string;
  /** The device's shared poll, read by `pick` signals. */
  poll?: SharedPoll<R>;
  /** Limit of each read and write of a signal, ms (the Signal's timeoutMs). */
  timeoutMs: number;
  /** Period of a subscribed `get` signal's own polling, ms. Default 100. */
  pollMs?: number;
}

/** What one device's signals share (see the module notes). */
export class SignalContext<C extends CommandLayer, R extends { timestamp: number } = { timestamp: number }> {
  /** Family name. */
  readonly family: string;
  /** The command layer (resolved late). */
  readonly commands: () => C;
  /** The shared poll, if any. */
  readonly poll: SharedPoll<R> | undefined;
  /** Limit of each read and write, ms. */
  readonly timeoutMs: number;
  /** Poll period of subscribed `get` signals, ms. */
  readonly pollMs: number;
  readonly #prefix: () => string;
  readonly #backends = new Set<QueriedBackend<unknown, C, R>>();

  /** Build a context from `options`. */
  constructor(options: SignalContextOptions<C, R>) {
    this.family = options.family;
    this.commands = options.commands;
    this.poll = options.poll;
    this.timeoutMs = options.timeoutMs;
    this.pollMs = options.pollMs ?? 100;
    this.#prefix = options.prefix ?? (() => '');
  }

  /** Return the data key source of `path`: `<family>+<address>/<prefix><path>`. */
  source(path: string): string {
    return transportSource(this.family, this.commands().address, `${this.#prefix()}${path}`.replace(/ /g, '%20'));
  }

  /** Keep track of a backend so {@link SignalContext.dispose} can stop it. */
  adopt(backend: QueriedBackend<unknown, C, R>): void {
    this.#backends.add(backend);
  }

  /** Stop the shared poll and every backend's polling and listener (idempotent; reads still work). */
  dispose(): void {
    for (const b of this.#backends) b.setCallback(undefined);
    this.poll?.dispose();
  }
}

/** One signal: where it reads and writes, and its value metadata (flattened: `dtype`, `units`, `limits`, ...). */
export interface SignalSpec<T, C, R> extends ValueMetadata {
  /** Path in the data key source (`TPA`, `massFlow`, `irate`). */
  path: string;
  /** JSON-schema type of the value; checked (with limits and choices) by the Signal before each write. */
  dtype: Dtype;
  /** Read the value with its own request. */
  get?: (commands: C) => Promise<T>;
  /** Read the value as a field of the context's shared poll (instead of `get`). */
  pick?: (result: R) => T;
  /** Write a value (after the Signal checked it). */
  set?: (commands: C, value: T) => Promise<unknown>;
  /** The current metadata, when it changes at run time (units that follow a mode); overrides the flat fields. */
  meta?: () => ValueMetadata;
  /** Value before the first read; default the dtype's neutral value. */
  initial?: T;
  /** Called with every value read or written (a device keeping a copy, e.g. the syringe diameter). */
  seen?: (value: T) => void;
}

/**
 * The one transport-backed SignalBackend: reads with `get` or `pick`, writes with `set`, polls
 * while subscribed (its own `get` every `pollMs`, or the shared poll for `pick`), and describes
 * the value from its metadata. Its `constraints()` are checked by the Signal before `put`.
 */
export class QueriedBackend<T, C extends CommandLayer, R extends { timestamp: number }> implements SignalBackend<T> {
  /** Every call goes through a request channel, whose requests have their own time limits. */
  readonly selfTimed = true;
  readonly #ctx: SignalContext<C, R>;
  readonly #spec: SignalSpec<T, C, R>;
  readonly #initial: T;
  #setpoint: T | undefined;
  #last: Reading<T> | undefined;
  #listener: ReadingListener<T> | undefined;
  #stop: (() => void) | undefined;
  #name = '';

  /** Read and write `spec` through `ctx`. */
  constructor(ctx: SignalContext<C, R>, spec: SignalSpec<T, C, R>) {
    this.#ctx = ctx;
    this.#spec = spec;
    this.#initial = 'initial' in spec ? (spec.initial as T) : (defaultValueFor(spec.dtype) as T);
    ctx.adopt(this as QueriedBackend<unknown, C, R>);
  }

  /** Return `<family>+<address>/<path>`, e.g. `galil+tcp://127.0.0.1:23/TPA`. */
  source(_name: string): string {
    return this.#ctx.source(this.#spec.path);
  }

  /** Learn the owning signal's name, for error messages. */
  setName(name: string): void {
    this.#name = name;
  }

  /** Open the command layer's channel (no command is sent). */
  async connect(timeoutMs: number): Promise<void> {
    await this.#ctx.commands().open({ timeoutMs });
  }

  /** Stop delivering readings. */
  disconnect(): void {
    this.setCallback(undefined);
  }

  /** The value rules the Signal checks before `put`. */
  constraints(): ValueMetadata {
    return this.#meta();
  }

  /** Read the value: a field of the shared poll, its own request, or the last value written. */
  getReading(): Promise<Reading<T>> {
    const { pick, get } = this.#spec;
    const poll = this.#ctx.poll;
    if (pick && poll) return poll.poll().then((r) => this.#remember({ value: pick(r), timestamp: r.timestamp }));
    if (get) return get(this.#ctx.commands()).then((value) => this.#remember({ value, timestamp: Date.now() / 1000 }));
    return Promise.resolve(this.#fallback());
  }

  /** Read the value. */
  async getValue(): Promise<T> {
    return (await this.getReading()).value;
  }

  /** Return the last value written, or read the value when nothing was written yet. */
  async getSetpoint(): Promise<T> {
    return this.#setpoint !== undefined ? this.#setpoint : this.getValue();
  }

  /** Describe the value from the metadata (no command sent). */
  getDatakey(source: string): Promise<DataKey> {
    return Promise.resolve(buildDatakey(source, this.#initial, this.#meta()));
  }

  /** Write `value` with `set` (undefined: a command); a signal without `set` cannot be written. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    const { set, pick, get } = this.#spec;
    if (!set) throw new UnsupportedError({ device: this.#name || `${this.#ctx.family} ${this.#spec.path}`, verb: 'put' });
    await set(this.#ctx.commands(), value as T);
    if (value === undefined) return;
    this.#setpoint = value;
    // A write-only signal reports what it was sent; a read signal reports what it reads back.
    if (!pick && !get) this.#remember({ value, timestamp: Date.now() / 1000 }, true);
    else this.#spec.seen?.(value);
  }

  /** Start (listener) or stop (undefined) delivering readings; only changes are delivered. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#stop?.();
    this.#stop = undefined;
    this.#listener = listener;
    if (!listener) return;
    const { pick, get } = this.#spec;
    const poll = this.#ctx.poll;
    if (pick && poll) {
      this.#stop = followPoll(poll, pick, (r) => {
        this.#last = r;
        listener(r);
      });
      return;
    }
    this.#stop = get
      ? pollChanges(() => this.getReading(), this.#ctx.pollMs, listener)
      : pollChanges(() => this.#fallback(), this.#ctx.pollMs, listener, false);
  }

  #meta(): ValueMetadata {
    const { path: _p, get: _g, pick: _k, set: _s, meta, initial: _i, seen: _n, ...flat } = this.#spec;
    return meta ? { ...flat, ...meta() } : flat;
  }

  #fallback(): Reading<T> {
    return this.#last ?? { value: this.#setpoint ?? this.#initial, timestamp: Date.now() / 1000 };
  }

  #remember(r: Reading<T>, notify = false): Reading<T> {
    const changed = this.#last === undefined || !Object.is(this.#last.value, r.value);
    this.#last = r;
    this.#spec.seen?.(r.value);
    if (notify && changed) this.#listener?.(r);
    return r;
  }
}

/** Create a read-only signal (`get` or `pick`). */
export function signalR<T, C extends CommandLayer, R extends { timestamp: number }>(ctx: SignalContext<C, R>, spec: SignalSpec<T, C, R>): SignalR<T> {
  return new SignalR<T>(new QueriedBackend<T, C, R>(ctx, spec), { timeoutMs: ctx.timeoutMs });
}

/** Create a read-write signal (`get` or `pick`, and `set`). */
export function signalRW<T, C extends CommandLayer, R extends { timestamp: number }>(ctx: SignalContext<C, R>, spec: SignalSpec<T, C, R> & { set: (commands: C, value: T) => Promise<unknown> }): SignalRW<T> {
  return new SignalRW<T>(new QueriedBackend<T, C, R>(ctx, spec), { timeoutMs: ctx.timeoutMs });
}

/** Create a write-only signal (`set`; reads give the last value written). */
export function signalW<T, C extends CommandLayer, R extends { timestamp: number }>(ctx: SignalContext<C, R>, spec: SignalSpec<T, C, R> & { set: (commands: C, value: T) => Promise<unknown> }): SignalW<T> {
  return new SignalW<T>(new QueriedBackend<T, C, R>(ctx, spec), { timeoutMs: ctx.timeoutMs });
}

/** Create a command signal: `trigger()` runs `run` on the command layer. */
export function signalX<C extends CommandLayer, R extends { timestamp: number }>(ctx: SignalContext<C, R>, path: string, run: (commands: C) => Promise<unknown>): SignalX {
  return new SignalX(new QueriedBackend<undefined, C, R>(ctx, { path, dtype: 'string', initial: undefined, set: (c) => run(c) }), { timeoutMs: ctx.timeoutMs });
}
