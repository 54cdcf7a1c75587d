/**
 * What the Modbus TCP and RTU clients share: the {@link RegisterBus} verbs (each encoded and checked
 * before anything is sent), per-request time limits and cancellation, and opening the byte stream
 * lazily and again after it was lost, with backoff. Subclasses only put frames on the wire.
 *
 * Reconnection: a request made while the stream is closed opens it; if that fails the client
 * retries after a backoff (doubling from `backoffMs` to `maxBackoffMs`) for as long as requests
 * are waiting. Each waiting request rejects with TimeoutError once its own `timeoutMs` (counted
 * from the call) expires, the message naming the last connect failure.
 *
 * Lost link: writes on the wire reject with DisconnectedError (they may or may not have been
 * executed, and are never repeated). Reads on the wire are sent once more after reconnecting,
 * within their time limit, since repeating a read is harmless; a read lost twice rejects.
 * @module
 */
import { CanceledError, DisconnectedError, InvalidInputError, TimeoutError } from '../../core/errors.js';
import type { ByteStream, RegisterBus, RegisterOptions, Unsubscribe, WaitOptions } from '../contracts.js';
import { decodeResponse, encodeRequest, isException, matchResponse } from './codec.js';
import type { ModbusRequest, RequestResult } from './codec.js';
import { exceptionError } from './errors.js';

/** Options shared by the TCP and RTU clients. */
export interface ModbusClientOptions {
  /** The link. The client opens it when needed and closes it on close(). */
  stream: ByteStream;
  /** Default unit (slave) id 0..255; default 1. */
  unit?: number;
  /** Default time limit per request in ms, queueing and reconnecting included; default 1000. */
  timeoutMs?: number;
  /** Time limit of one attempt to open the stream in ms; default 3000. */
  openTimeoutMs?: number;
  /** First wait before re-opening after a failed attempt, in ms; default 100. */
  backoffMs?: number;
  /** Longest wait between attempts, in ms; default 5000. */
  maxBackoffMs?: number;
}

/** One request between the call and its settlement. */
export interface Job {
  unit: number;
  pdu: Buffer;
  what: string;
  timeoutMs: number;
  /** MBAP transaction id while on the wire (TCP), else 0. */
  tid: number;
  /** Sent again once already after a lost link. */
  retried: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve: (pdu: Buffer | undefined) => void;
  reject: (err: Error) => void;
}

/** Check a unit id and return it. */
export function checkUnit(unit: number): number {
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw new InvalidInputError({ what: 'modbus unit id', value: unit, reason: 'must be an integer 0..255' });
  return unit;
}

/** Check a duration and return it. */
export function checkMs(what: string, ms: number): number {
  if (!(ms > 0) || !Number.isFinite(ms)) throw new InvalidInputError({ what, value: ms, reason: 'must be a positive number of ms' });
  return ms;
}

const WRITE_FCS = new Set([5, 6, 15, 16]);

/**
 * Read and write Modbus tables on one link. Addresses are 0-based protocol addresses (the vendor's
 * register 40001 is holding register 0). Calls reject with InvalidInputError before sending if
 * their arguments are out of range; with DeviceError (vendorCode = Modbus exception code) on an
 * exception reply; ModbusFrameError on a reply that does not fit the request; TimeoutError;
 * CanceledError (abort signal, or close() while pending); DisconnectedError (link lost while on
 * the wire, or a call after close()).
 */
export abstract class ModbusClientBase implements RegisterBus {
  /** Default unit id. */
  readonly unit: number;
  /** Default per-request time limit in ms. */
  readonly timeoutMs: number;
  protected readonly stream: ByteStream;
  /** Jobs not yet on the wire, first in first out. */
  protected readonly queue: Job[] = [];
  protected closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly openTimeoutMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private backoff = 0;
  private opening = false;
  private lastOpenError: Error | undefined;
  private readonly subs: Unsubscribe[];

  constructor(options: ModbusClientOptions) {
    this.stream = options.stream;
    this.unit = checkUnit(options.unit ?? 1);
    this.timeoutMs = checkMs('modbus timeoutMs', options.timeoutMs ?? 1000);
    this.openTimeoutMs = checkMs('modbus openTimeoutMs', options.openTimeoutMs ?? 3000);
    this.backoffMs = checkMs('modbus backoffMs', options.backoffMs ?? 100);
    this.maxBackoffMs = checkMs('modbus maxBackoffMs', options.maxBackoffMs ?? 5000);
    this.subs = [
      this.stream.onData((chunk) => this.onChunk(chunk)),
      this.stream.onClose((reason) => this.onLinkClosed(reason ?? new DisconnectedError({ device: this.stream.address, detail: 'stream closed' }))),
    ];
  }

  /** Address of the bus, e.g. `modbus+tcp://127.0.0.1:502?unit=1`. */
  abstract get address(): string;

  /** Put a queued job's frame on the wire when the subclass's rules allow. */
  protected abstract pump(): void;
  /** Handle bytes from the link. */
  protected abstract onChunk(chunk: Uint8Array): void;
  /** Remove and return the jobs on the wire (the link went away); stop their wire timers. */
  protected abstract takeInFlight(): Job[];
  /** Take a job off the wire (timeout, abort) if it is there. */
  protected abstract forgetInFlight(job: Job): void;

  /** Open the link now (otherwise the first request does); rejects like ByteStream.open. */
  async open(options: WaitOptions = {}): Promise<void> {
    if (this.closed) throw new DisconnectedError({ device: this.address, detail: 'client closed' });
    if (this.stream.isOpen) return;
    await this.stream.open({ timeoutMs: options.timeoutMs ?? this.openTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
    this.backoff = 0;
    this.pump();
  }

  /** Reject pending calls with CanceledError and close the stream. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new CanceledError(`${this.address}: client closed`);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const j of this.queue.splice(0)) this.settle(j, undefined, err);
    this.failInFlight(err, false);
    for (const u of this.subs) u();
    await this.stream.close();
  }

  /** Send a request and resolve with its checked result (bits, registers, or undefined for writes). */
  async request(req: ModbusRequest, options: RegisterOptions = {}): Promise<RequestResult> {
    const pdu = encodeRequest(req);
    const unit = checkUnit(options.unit ?? this.unit);
    const timeoutMs = checkMs('modbus timeoutMs', options.timeoutMs ?? this.timeoutMs);
    if (unit === 0 && !WRITE_FCS.has(req.fc)) throw new InvalidInputError({ what: 'modbus unit id', value: 0, reason: 'unit 0 is a broadcast and allows writes only' });
    const resPdu = await this.transact(unit, pdu, timeoutMs, `function ${req.fc} to unit ${unit}`, options.signal);
    if (resPdu === undefined) return undefined;
    const res = decodeResponse(resPdu);
    if (isException(res)) throw exceptionError(`${this.address.replace(/\?.*$/, '')}/${unit}`, res.fc, res.exception);
    return matchResponse(req, res);
  }

  /** Read `count` holding registers (function 3). */
  async readHolding(address: number, count: number, options?: RegisterOptions): Promise<Uint16Array> {
    return (await this.request({ fc: 3, address, count }, options)) as Uint16Array;
  }

  /** Read `count` input registers (function 4). */
  async readInput(address: number, count: number, options?: RegisterOptions): Promise<Uint16Array> {
    return (await this.request({ fc: 4, address, count }, options)) as Uint16Array;
  }

  /** Read `count` coils (function 1). */
  async readCoils(address: number, count: number, options?: RegisterOptions): Promise<boolean[]> {
    return (await this.request({ fc: 1, address, count }, options)) as boolean[];
  }

  /** Read `count` discrete inputs (function 2). */
  async readDiscrete(address: number, count: number, options?: RegisterOptions): Promise<boolean[]> {
    return (await this.request({ fc: 2, address, count }, options)) as boolean[];
  }

  /** Write one holding register, 0..65535 (function 6). */
  async writeSingle(address: number, value: number, options?: RegisterOptions): Promise<void> {
    await this.request({ fc: 6, address, value }, options);
  }

  /** Write consecutive holding registers, each 0..65535 (function 16). */
  async writeMultiple(address: number, values: ArrayLike<number>, options?: RegisterOptions): Promise<void> {
    await this.request({ fc: 16, address, values }, options);
  }

  /** Write one coil (function 5). */
  async writeCoil(address: number, value: boolean, options?: RegisterOptions): Promise<void> {
    await this.request({ fc: 5, address, value }, options);
  }

  /** Write consecutive coils (function 15). */
  async writeCoils(address: number, values: ArrayLike<boolean>, options?: RegisterOptions): Promise<void> {
    await this.request({ fc: 15, address, values }, options);
  }

  /** Write `values` at `writeAddress`, then read `readCount` registers at `readAddress`, in one transaction (function 23). */
  async readWrite(readAddress: number, readCount: number, writeAddress: number, values: ArrayLike<number>, options?: RegisterOptions): Promise<Uint16Array> {
    return (await this.request({ fc: 23, readAddress, readCount, writeAddress, values }, options)) as Uint16Array;
  }

  /** Queue one PDU for `unit`; resolves with the response PDU, or undefined for a broadcast. */
  protected transact(unit: number, pdu: Buffer, timeoutMs: number, what: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    if (this.closed) return Promise.reject(new DisconnectedError({ device: this.address, detail: 'client closed' }));
    if (signal?.aborted) return Promise.reject(new CanceledError(`${this.address} ${what}: ${String(signal.reason)}`));
    return new Promise((resolve, reject) => {
      const job: Job = { unit, pdu, what, timeoutMs, tid: 0, retried: false, timer: undefined, signal, onAbort: undefined, resolve, reject };
      job.timer = setTimeout(() => {
        job.timer = undefined;
        this.forget(job);
        const why = !this.stream.isOpen && this.lastOpenError ? ` (not connected: ${this.lastOpenError.message})` : this.timeoutDetail();
        this.settle(job, undefined, new TimeoutError({ operation: `${this.address} ${what}`, afterMs: timeoutMs, detail: why }));
        this.pump();
      }, timeoutMs);
      if (signal) {
        job.onAbort = () => {
          this.forget(job);
          this.settle(job, undefined, new CanceledError(`${this.address} ${what}: ${String(signal.reason)}`));
          this.pump();
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      if (this.stream.isOpen) this.pump();
      else this.reopen();
    });
  }

  /** Extra text for a timeout message (e.g. the last framing problem seen). */
  protected timeoutDetail(): string {
    return '';
  }

  /**
   * Settle the jobs on the wire with `err`. With `retryReads`, reads (functions 1-4, harmless to
   * repeat) that were not retried yet go back to the front of the queue to be sent again once
   * the link is back, within their own time limit; writes are never repeated (a coil may start
   * something), so they reject.
   */
  protected failInFlight(err: Error, retryReads: boolean): void {
    const again: Job[] = [];
    for (const j of this.takeInFlight()) {
      j.tid = 0;
      const fc = j.pdu[0] as number;
      if (retryReads && !j.retried && fc >= 1 && fc <= 4 && j.timer) {
        j.retried = true;
        again.push(j);
      } else this.settle(j, undefined, err);
    }
    if (again.length) this.queue.unshift(...again);
  }

  private forget(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
    else this.forgetInFlight(job);
    // Nobody waits any more: stop retrying the connection (no timer outlives its requests).
    if (this.queue.length === 0 && this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  /** Settle a job once: clear its timer and abort listener, then resolve or reject. */
  protected settle(job: Job, pdu: Buffer | undefined, err?: Error): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
    if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
    job.onAbort = undefined;
    if (err) job.reject(err);
    else job.resolve(pdu);
  }

  private onLinkClosed(reason: Error): void {
    this.failInFlight(reason instanceof DisconnectedError ? reason : new DisconnectedError({ device: this.address, detail: reason.message, cause: reason }), true);
    if (!this.closed) this.reopen();
  }

  /** Open the stream again while jobs are waiting, with backoff between failed attempts. */
  private reopen(): void {
    if (this.opening || this.closed || this.stream.isOpen || this.retryTimer || this.queue.length === 0) return;
    this.opening = true;
    Promise.resolve()
      .then(() => this.stream.open({ timeoutMs: this.openTimeoutMs }))
      .then(
        () => {
          this.opening = false;
          this.backoff = 0;
          this.lastOpenError = undefined;
          if (this.closed) void this.stream.close();
          else this.pump();
        },
        (err: unknown) => {
          this.opening = false;
          this.lastOpenError = err instanceof Error ? err : new DisconnectedError({ device: this.stream.address, detail: String(err) });
          this.backoff = this.backoff ? Math.min(this.backoff * 2, this.maxBackoffMs) : this.backoffMs;
          if (this.closed) return;
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.reopen();
          }, this.backoff);
        },
      );
  }
}
