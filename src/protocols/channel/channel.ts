/**
 * A request channel over any ByteStream: FIFO with priorities, one command on the wire, framed
 * replies, per-request timeouts, resynchronisation and reconnect with backoff.
 * Behaviour is specified by `RequestChannel` in `../contracts.ts`.
 * @module
 */
import { CanceledError, DeviceError, DisconnectedError, InvalidInputError, TimeoutError, toError } from '../../core/errors.js';
import type {
  ByteStream,
  ChannelState,
  Framer,
  FramingSpec,
  Reply,
  RequestChannel,
  RequestOptions,
  StateDetail,
  Unsubscribe,
  WaitOptions,
} from '../contracts.js';
import { asBuffer, createFramer } from './framers.js';
import type { Addressing } from './reply.js';
import { ReplyReader } from './reader.js';
import { AddressView } from './view.js';
import type { ReconnectOptions } from './backoff.js';
import { Link } from './link.js';

/** Options of a request channel. */
export interface ChannelOptions {
  /** Name used in error messages. Default: the stream's address. */
  name?: string;
  /** Default reply framing. Default: lines ended by CR LF, CR or LF. */
  framing?: FramingSpec | Framer;
  /** Bytes appended to every command, e.g. '\r'. Default none. */
  suffix?: string | Uint8Array;
  /** Default time allowed per request (queue wait included), in milliseconds. Default 1000. */
  timeoutMs?: number;
  /** Silence required on the line before the next command after a failed request, in ms. Default 30. */
  quietMs?: number;
  /** Longest wait for that silence when bytes keep coming, in ms. Default 1000. */
  maxQuietMs?: number;
  /** Reconnect after a lost link (default on), or `false`. */
  reconnect?: ReconnectOptions | false;
  /** Multi-drop addressing used by `forAddress`. */
  addressing?: Addressing;
  /** Default reply filter (see `RequestOptions.match`). */
  match?: (reply: Reply, command: Uint8Array) => boolean;
}

/** Counters that show what a channel still holds (for tests and diagnostics). */
export interface ChannelInspection {
  /** Requests waiting in the queue. */
  queued: number;
  /** True while a command waits for its reply. */
  active: boolean;
  /** Timers keeping the process alive: the deadline sweep (while requests are pending), the quiet wait, the reconnect wait. */
  timers: number;
  /** Bytes buffered towards the current reply. */
  buffered: number;
}

/** @internal One queued or active request. */
export interface Pending {
  bytes: Buffer;
  expectsReply: boolean;
  framer: Framer;
  match: ((reply: Reply, command: Uint8Array) => boolean) | undefined;
  address: string | undefined;
  view: AddressView | undefined;
  high: boolean;
  timeoutMs: number;
  /** performance.now() time at which the request times out. */
  deadline: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve: (value: never) => void;
  reject: (err: Error) => void;
  done: boolean;
}

const DEFAULT_FRAMING: FramingSpec = { mode: 'terminator', terminators: ['\r\n', '\r', '\n'] };

function describe(bytes: Uint8Array): string {
  const s = asBuffer(bytes).toString('latin1', 0, Math.min(bytes.length, 40));
  return JSON.stringify(bytes.length > 40 ? `${s}...` : s);
}

function positive(what: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InvalidInputError({ what, value: v, reason: allowZero ? 'must be a finite number >= 0' : 'must be a finite number > 0' });
  }
  return v;
}

/** Serve requests over one ByteStream (see `RequestChannel`). */
export class StreamRequestChannel implements RequestChannel {
  readonly address: string;
  readonly name: string;
  private readonly stream: ByteStream;
  private readonly framer: Framer;
  private readonly framers = new WeakMap<object, Framer>();
  private readonly suffix: Buffer;
  private readonly timeoutMs: number;
  private readonly quietMs: number;
  private readonly maxQuietMs: number;
  private readonly addressing: Addressing | undefined;
  private readonly matchDefault: ChannelOptions['match'];
  private readonly link: Link;
  private readonly unsubData: Unsubscribe;
  private queue: Pending[] = [];
  private highCount = 0;
  private active: Pending | undefined;
  private readonly reader = new ReplyReader();
  private needsQuiet = false;
  private errorAt = 0;
  private lastStaleAt = 0;
  private quietTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAt = 0;

  constructor(stream: ByteStream, options: ChannelOptions = {}) {
    this.stream = stream;
    this.address = stream.address;
    this.name = options.name ?? stream.address;
    this.framer = createFramer(options.framing ?? DEFAULT_FRAMING);
    const sfx = options.suffix ?? '';
    this.suffix = typeof sfx === 'string' ? Buffer.from(sfx, 'latin1') : Buffer.from(sfx);
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 1000);
    this.quietMs = positive('quietMs', options.quietMs, 30, true);
    this.maxQuietMs = positive('maxQuietMs', options.maxQuietMs, 1000, true);
    this.addressing = options.addressing;
    this.matchDefault = options.match;
    this.link = new Link(stream, this.name, options.reconnect, {
      connected: () => this.pump(),
      lost: (err) => {
        this.clearTimer('quiet');
        this.needsQuiet = false;
        this.framer.reset();
        this.failAll(err);
      },
      gaveUp: (err) => {
        this.unsubData();
        this.failAll(err);
        this.clearTimer('sweep');
      },
    });
    this.unsubData = stream.onData(this.onData);
  }

  /** Current connection state. */
  get state(): ChannelState {
    return this.link.state;
  }

  /** Listen to state changes. */
  onState(listener: (state: ChannelState, detail: StateDetail) => void): Unsubscribe {
    return this.link.onState(listener);
  }

  /** Count what the channel still holds. */
  inspect(): ChannelInspection {
    const timers = (this.quietTimer ? 1 : 0) + (this.link.waiting ? 1 : 0) + (this.sweepTimer?.hasRef() ? 1 : 0);
    return { queued: this.queue.length, active: this.active !== undefined, timers, buffered: this.reader.buffered };
  }

  /** Open the stream; resolves at once when connected; cuts a reconnect wait short. */
  open(options: WaitOptions = {}): Promise<void> {
    return this.link.open(options);
  }

  /** Send a command and resolve with its reply. */
  request(command: Uint8Array | string, options?: RequestOptions): Promise<Reply> {
    return this.enqueue(command, options, true, undefined, undefined) as Promise<Reply>;
  }

  /** Send a command that gets no reply; resolves once written. */
  send(command: Uint8Array | string, options?: Omit<RequestOptions, 'expect' | 'match'>): Promise<void> {
    return this.enqueue(command, options, false, undefined, undefined) as Promise<void>;
  }

  /** Address one device on a multi-drop line (needs `addressing`). */
  forAddress(address: string): RequestChannel {
    if (!this.addressing) throw new InvalidInputError({ what: 'forAddress', value: address, reason: 'this channel has no addressing option' });
    if (typeof address !== 'string' || address.length === 0) throw new InvalidInputError({ what: 'address', value: address, reason: 'must be a non-empty string' });
    return new AddressView(this, address);
  }

  /** Stop, reject queued requests with CanceledError and release the stream. */
  close(): Promise<void> {
    if (!this.link.closed) {
      this.clearTimer('quiet');
      this.unsubData();
      this.failAll(new CanceledError(`${this.name}: channel closed`));
      this.clearTimer('sweep');
    }
    return this.link.close();
  }

  /** @internal Queue one command (used by address views too). */
  enqueue(command: Uint8Array | string, options: RequestOptions | undefined, expectsReply: boolean, address: string | undefined, view: AddressView | undefined): Promise<unknown> {
    const o = options ?? {};
    let bytes: Buffer;
    let framer: Framer;
    let timeoutMs: number;
    try {
      if (this.link.closed) throw new DisconnectedError({ device: this.name, detail: 'channel is closed' });
      if (this.link.state === 'disconnected') throw new DisconnectedError({ device: this.name, detail: 'not connected (call open() first)' });
      bytes = this.encode(command, address);
      timeoutMs = o.timeoutMs === undefined ? this.timeoutMs : positive('timeoutMs', o.timeoutMs, 0);
      framer = o.expect === undefined ? this.framer : this.framerFor(o.expect);
      if (o.signal?.aborted) throw this.canceled(bytes, o.signal);
    } catch (err) {
      return Promise.reject(toError(err));
    }
    return new Promise((resolve, reject) => {
      const high = o.priority === 'high';
      const p: Pending = {
        bytes, expectsReply, framer, address, view, high, timeoutMs,
        match: o.match ?? this.matchDefault,
        deadline: performance.now() + timeoutMs, signal: o.signal, onAbort: undefined,
        resolve: resolve as (v: never) => void, reject, done: false,
      };
      this.armSweep(p.deadline);
      if (p.signal) {
        p.onAbort = () => this.abort(p);
        p.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      if (high) {
        this.queue.splice(this.highCount, 0, p);
        this.highCount++;
        if (o.interrupt && this.active) {
          const a = this.active;
          this.active = undefined;
          this.dropInput();
          this.needsQuiet = false;
          this.clearTimer('quiet');
          this.settle(a, new CanceledError(`${this.name}: ${describe(a.bytes)} interrupted by ${describe(bytes)}`));
        }
      } else {
        this.queue.push(p);
      }
      this.pump();
    });
  }

  /** @internal Cancel every request of a closed view. */
  cancelView(view: AddressView): void {
    const err = new CanceledError(`${this.name}: address ${view.address} closed`);
    for (const p of [...this.queue]) if (p.view === view) this.remove(p, err);
    if (this.active?.view === view) this.failActive(err);
  }

  private framerFor(spec: FramingSpec | Framer): Framer {
    let f = this.framers.get(spec);
    if (!f) {
      f = createFramer(spec);
      this.framers.set(spec, f);
    }
    return f;
  }

  private encode(command: Uint8Array | string, address: string | undefined): Buffer {
    let body: Uint8Array;
    if (typeof command === 'string') body = Buffer.from(command, 'latin1');
    else if (command instanceof Uint8Array) body = command;
    else throw new InvalidInputError({ what: 'command', value: command, reason: 'must be a string or a Uint8Array' });
    if (address !== undefined && this.addressing) body = this.addressing.encode(address, body);
    if (this.suffix.length === 0) return asBuffer(body);
    const out = Buffer.allocUnsafe(body.length + this.suffix.length);
    out.set(body, 0);
    this.suffix.copy(out, body.length);
    return out;
  }

  private canceled(bytes: Uint8Array, signal: AbortSignal): CanceledError {
    const r: unknown = signal.reason;
    const why = r instanceof Error ? r.message : r === undefined ? 'aborted' : String(r);
    return new CanceledError(`${this.name}: ${describe(bytes)} canceled: ${why}`);
  }

  /**
   * Make sure the deadline sweep fires by `deadline`. One timer serves every request: it is
   * re-armed only when it fires or a shorter deadline arrives, and unref'd while nothing is
   * pending, because a timer per request costs more than the rest of a request together.
   */
  private armSweep(deadline: number): void {
    const t = this.sweepTimer;
    if (t !== undefined && this.sweepAt <= deadline) {
      if (!t.hasRef()) t.ref();
      return;
    }
    if (t !== undefined) clearTimeout(t);
    this.sweepAt = deadline;
    this.sweepTimer = setTimeout(this.sweep, Math.max(1, Math.ceil(deadline - performance.now())));
  }

  /** Time out every request past its deadline, then re-arm for the next deadline (if any). */
  private readonly sweep = (): void => {
    this.sweepTimer = undefined;
    const now = performance.now() + 0.5; // timers run on a millisecond clock
    const a = this.active;
    if (a !== undefined && a.deadline <= now) {
      this.failActive(new TimeoutError({ operation: `${this.name}: reply to ${describe(a.bytes)}`, afterMs: a.timeoutMs }));
    }
    for (const p of [...this.queue]) {
      if (p.deadline <= now && !p.done) this.remove(p, new TimeoutError({ operation: `${this.name}: reply to ${describe(p.bytes)}`, afterMs: p.timeoutMs, detail: ' (still queued)' }));
    }
    let next = this.active?.deadline ?? Infinity;
    for (const p of this.queue) if (p.deadline < next) next = p.deadline;
    if (next !== Infinity && this.sweepTimer === undefined) this.armSweep(next);
  };

  /** Let the sweep timer stop keeping the process alive once nothing is pending. */
  private idleSweep(): void {
    if (this.active === undefined && this.queue.length === 0 && this.sweepTimer?.hasRef()) this.sweepTimer.unref();
  }

  private abort(p: Pending): void {
    if (p.done || !p.signal) return;
    const err = this.canceled(p.bytes, p.signal);
    if (p === this.active) this.failActive(err);
    else this.remove(p, err);
  }

  /** Fail the request on the wire and resynchronise before the next one. */
  private failActive(err: Error): void {
    const p = this.active;
    if (!p) return;
    this.active = undefined;
    this.dropInput();
    this.framer.reset();
    p.framer.reset();
    this.needsQuiet = true;
    this.errorAt = performance.now();
    this.settle(p, err);
    this.pump();
  }

  private remove(p: Pending, err: Error): void {
    const i = this.queue.indexOf(p);
    if (i >= 0) {
      this.queue.splice(i, 1);
      if (i < this.highCount) this.highCount--;
    }
    this.settle(p, err);
  }

  private settle(p: Pending, err: Error | undefined, value?: unknown): void {
    if (p.done) return;
    p.done = true;
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    if (err) p.reject(err);
    else p.resolve(value as never);
    this.idleSweep();
  }

  private failAll(err: Error): void {
    const a = this.active;
    this.active = undefined;
    this.dropInput();
    const q = this.queue;
    this.queue = [];
    this.highCount = 0;
    if (a) this.settle(a, err);
    for (const p of q) this.settle(p, err);
  }

  private dropInput(): void {
    this.reader.clear();
  }

  /** Write the next queued commands while the line is free. */
  private pump(): void {
    while (this.active === undefined && this.queue.length > 0 && this.link.state === 'connected' && this.quietTimer === undefined) {
      if (this.needsQuiet) {
        const now = performance.now();
        const wait = Math.max(this.errorAt, this.lastStaleAt) + this.quietMs - now;
        if (wait > 0 && now - this.errorAt < this.maxQuietMs) {
          this.quietTimer = setTimeout(this.onQuiet, Math.min(wait, this.errorAt + this.maxQuietMs - now));
          return;
        }
        this.needsQuiet = false;
      }
      const p = this.queue.shift()!;
      if (this.highCount > 0) this.highCount--;
      this.dropInput();
      if (p.expectsReply) this.active = p;
      try {
        this.stream.write(p.bytes);
      } catch (err) {
        if (this.active === p) this.active = undefined;
        this.settle(p, toError(err));
        continue;
      }
      if (!p.expectsReply) this.settle(p, undefined);
    }
  }

  private readonly onQuiet = (): void => {
    this.quietTimer = undefined;
    this.pump();
  };

  private readonly onData = (chunk: Uint8Array): void => {
    const p = this.active;
    if (p === undefined) {
      if (this.needsQuiet) this.lastStaleAt = performance.now();
      return;
    }
    try {
      this.reader.feed(chunk, p.framer, (reply, m) => {
        if (this.active !== p) return 'stop'; // a match function failed it meanwhile
        if (!this.accepts(p, reply)) return this.active === p ? 'skip' : 'stop';
        this.active = undefined;
        if (m.isError) {
          this.settle(p, new DeviceError({ device: this.name, vendorMessage: `${describe(p.bytes)} rejected (reply ${JSON.stringify(reply.text + m.end)})`, kind: 'rejected' }));
        } else {
          this.settle(p, undefined, reply);
        }
        return 'take';
      });
    } catch (err) {
      this.failActive(toError(err));
      return;
    }
    if (this.active === undefined) this.pump();
  };

  private accepts(p: Pending, reply: Reply): boolean {
    try {
      if (p.address !== undefined && this.addressing) {
        const from = this.addressing.replyAddress(reply);
        if (from !== undefined && from !== p.address) return false;
      }
      return p.match === undefined || p.match(reply, p.bytes);
    } catch (err) {
      this.failActive(toError(err));
      return false;
    }
  }

  private clearTimer(which: 'quiet' | 'sweep'): void {
    const t = which === 'quiet' ? this.quietTimer : this.sweepTimer;
    if (t) clearTimeout(t);
    if (which === 'quiet') this.quietTimer = undefined;
    else this.sweepTimer = undefined;
  }
}

/** Create a request channel over a byte stream. */
export function createRequestChannel(stream: ByteStream, options?: ChannelOptions): StreamRequestChannel {
  return new StreamRequestChannel(stream, options);
}
