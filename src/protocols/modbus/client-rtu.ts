/**
 * Modbus RTU client over any byte stream (a serial port, a pty, a TCP serial gateway).
 *
 * Behaviour: one request on the line at a time, in FIFO order. Before each request the client
 * waits for the inter-frame silence (3.5 character times at the line's baud rate, 1.75 ms above
 * 19200 baud) since the last byte sent or received, drops any stray bytes, then writes the frame.
 * A request resolves on the first frame with a good CRC from the addressed unit; frames with a bad
 * CRC are skipped, and if no good one arrives the TimeoutError names the first framing problem. A
 * broadcast (unit 0, writes only) gets no reply: it resolves `turnaroundMs` after sending.
 * Timeouts (counted from the call), cancellation and reconnection: see {@link ModbusClientBase}.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { ModbusClientBase } from './client-base.js';
import type { Job, ModbusClientOptions } from './client-base.js';
import type { ModbusFrameError } from './errors.js';
import { RtuReader, encodeRtu } from './framing.js';

/** Options of a {@link ModbusRtuClient}. */
export interface ModbusRtuClientOptions extends ModbusClientOptions {
  /** Line speed in baud, for the inter-frame gap; default 9600. */
  baud?: number;
  /** Override the inter-frame silence in ms. */
  interFrameMs?: number;
  /** Wait after a broadcast before the next request, in ms; default 100. */
  turnaroundMs?: number;
}

/** Talk Modbus RTU to one or more units on a serial line. */
export class ModbusRtuClient extends ModbusClientBase {
  /** Inter-frame silence in ms. */
  readonly interFrameMs: number;
  private readonly turnaroundMs: number;
  private readonly reader: RtuReader;
  private busy: Job | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private broadcastTimer: ReturnType<typeof setTimeout> | undefined;
  private lastActivity = -Infinity;
  private firstFrameError: ModbusFrameError | undefined;

  constructor(options: ModbusRtuClientOptions) {
    super(options);
    const baud = options.baud ?? 9600;
    if (!(baud > 0) || !Number.isFinite(baud)) throw new InvalidInputError({ what: 'modbus rtu baud', value: baud, reason: 'must be a positive number' });
    const charMs = (11 * 1000) / baud;
    this.interFrameMs = options.interFrameMs ?? (baud > 19200 ? 1.75 : 3.5 * charMs);
    this.turnaroundMs = options.turnaroundMs ?? 100;
    this.reader = new RtuReader({ kind: 'response', staleMs: Math.max(20, 5 * charMs) });
  }

  /** Address of the bus: the stream's address with `modbus+` in front and the unit, e.g. `modbus+rtu:///dev/ttyUSB0?unit=1`. */
  get address(): string {
    const a = this.stream.address;
    const base = a.startsWith('modbus+') ? a.replace(/[?&]unit=\d+/, '') : `modbus+${a.replace(/^serial:/, 'rtu:')}`;
    return `${base}${base.includes('?') ? '&' : '?'}unit=${this.unit}`;
  }

  protected pump(): void {
    if (this.busy || this.gapTimer || !this.stream.isOpen || this.queue.length === 0) return;
    const wait = this.lastActivity + this.interFrameMs - performance.now();
    if (wait > 0) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        this.pump();
      }, wait);
      return;
    }
    const job = this.queue.shift() as Job;
    this.busy = job;
    this.reader.clear();
    this.reader.expect({ unit: job.unit, fc: job.pdu[0] as number });
    this.firstFrameError = undefined;
    try {
      this.stream.write(encodeRtu(job.unit, job.pdu));
    } catch (err) {
      this.failInFlight(err as Error, false);
      return;
    }
    this.lastActivity = performance.now();
    if (job.unit === 0) {
      this.broadcastTimer = setTimeout(() => {
        this.broadcastTimer = undefined;
        this.done(job, undefined);
      }, this.turnaroundMs);
    }
  }

  protected override timeoutDetail(): string {
    return this.firstFrameError ? ` (framing problem: ${this.firstFrameError.reason})` : '';
  }

  protected onChunk(chunk: Uint8Array): void {
    this.lastActivity = performance.now();
    const job = this.busy;
    if (!job || job.unit === 0) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.reader.push(
      buf,
      (unit, pdu) => {
        if (this.busy === job && unit === job.unit) this.done(job, Buffer.from(pdu));
      },
      (err) => {
        this.firstFrameError ??= err;
      },
    );
  }

  protected takeInFlight(): Job[] {
    const job = this.busy;
    this.clearTimers();
    this.busy = undefined;
    this.reader.clear();
    return job ? [job] : [];
  }

  protected forgetInFlight(job: Job): void {
    if (this.busy !== job) return;
    this.clearTimers();
    this.busy = undefined;
    // A late reply must not be taken for the next request's: wait a full gap after it.
    this.lastActivity = performance.now();
  }

  private done(job: Job, pdu: Buffer | undefined): void {
    this.busy = undefined;
    this.settle(job, pdu);
    this.pump();
  }

  private clearTimers(): void {
    if (this.broadcastTimer) clearTimeout(this.broadcastTimer);
    this.broadcastTimer = undefined;
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }
}
