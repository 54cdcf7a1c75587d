/**
 * Modbus TCP client: MBAP framing over a byte stream (normally a TCP socket), requests pipelined
 * by transaction id with a bounded number on the wire.
 *
 * Behaviour: a request waits in a FIFO until fewer than `maxInFlight` are on the wire, then is
 * sent; it resolves when the reply with its transaction id arrives. A late reply to a request that
 * timed out or was canceled is dropped (its transaction id is no longer known). A broken MBAP
 * header from the server rejects the requests on the wire with ModbusFrameError and closes the
 * link (framing is lost). Timeouts, cancellation, lost links and reconnection: see
 * {@link ModbusClientBase}.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { ModbusClientBase } from './client-base.js';
import type { Job, ModbusClientOptions } from './client-base.js';
import { ModbusFrameError } from './errors.js';
import { MbapReader, encodeMbap } from './framing.js';

/** Options of a {@link ModbusTcpClient}. */
export interface ModbusTcpClientOptions extends ModbusClientOptions {
  /** Most requests on the wire at once (1 = strictly one at a time); default 16. */
  maxInFlight?: number;
}

/** Talk Modbus TCP to one server (a device or a gateway) over a byte stream. */
export class ModbusTcpClient extends ModbusClientBase {
  /** Most requests on the wire at once. */
  readonly maxInFlight: number;
  private readonly inFlight = new Map<number, Job>();
  private readonly reader = new MbapReader();
  private nextTid = 1;
  private pumpScheduled = false;

  constructor(options: ModbusTcpClientOptions) {
    super(options);
    this.maxInFlight = options.maxInFlight ?? 16;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1 || this.maxInFlight > 1024) {
      throw new InvalidInputError({ what: 'modbus maxInFlight', value: this.maxInFlight, reason: 'must be an integer 1..1024' });
    }
  }

  /** Address of the bus: the stream's address with `modbus+` in front and the unit, e.g. `modbus+tcp://127.0.0.1:502?unit=1`. */
  get address(): string {
    const a = this.stream.address;
    return `${a.startsWith('modbus+') ? a.replace(/\?.*$/, '') : `modbus+${a}`}?unit=${this.unit}`;
  }

  /** Number of requests on the wire now. */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Send queued requests: at once when nothing is on the wire (lowest latency for one-at-a-time
   * use), else on the next tick, so requests made together share one write.
   */
  protected pump(): void {
    if (this.inFlight.size === 0 && !this.pumpScheduled) return this.flush();
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    process.nextTick(this.flush);
  }

  private readonly flush = (): void => {
    this.pumpScheduled = false;
    if (!this.stream.isOpen || this.queue.length === 0 || this.inFlight.size >= this.maxInFlight) return;
    const out: Buffer[] = [];
    while (this.queue.length && this.inFlight.size < this.maxInFlight) {
      const job = this.queue.shift() as Job;
      let tid = this.nextTid;
      while (this.inFlight.has(tid)) tid = (tid % 0xffff) + 1;
      this.nextTid = (tid % 0xffff) + 1;
      job.tid = tid;
      this.inFlight.set(tid, job);
      out.push(encodeMbap(tid, job.unit, job.pdu));
    }
    try {
      this.stream.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
    } catch (err) {
      this.failInFlight(err as Error, false);
    }
  };

  protected onChunk(chunk: Uint8Array): void {
    try {
      this.reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), (tid, unit, pdu) => this.onFrame(tid, unit, pdu));
    } catch (err) {
      // The server broke MBAP framing: nothing after this point can be trusted.
      this.failInFlight(err as ModbusFrameError, false);
      void this.stream.close();
    }
    if (this.queue.length) this.pump();
  }

  protected takeInFlight(): Job[] {
    this.reader.clear();
    const jobs = [...this.inFlight.values()];
    this.inFlight.clear();
    return jobs;
  }

  protected forgetInFlight(job: Job): void {
    if (job.tid && this.inFlight.get(job.tid) === job) this.inFlight.delete(job.tid);
  }

  private onFrame(tid: number, unit: number, pdu: Buffer): void {
    const job = this.inFlight.get(tid);
    if (!job) return;
    this.inFlight.delete(tid);
    if (job.unit !== unit) this.settle(job, undefined, new ModbusFrameError({ reason: `reply from unit ${unit} to a request for unit ${job.unit}`, bytes: pdu }));
    else this.settle(job, Buffer.from(pdu));
  }
}
