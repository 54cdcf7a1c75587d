/**
 * An in-process USBTMC instrument at the transfer level: it implements the BulkDevice contract
 * and answers like a small SCPI instrument. It parses and builds USBTMC headers with its own
 * byte-level code (not the codec under test), so a bug shared by both sides cannot pass unseen.
 *
 * Faults a test can switch on make it misbehave the way real firmware does: a wrong bTag, a bad
 * bTagInverse, a transfer shorter than its TransferSize, excess bytes, replies split over several
 * transfers, no EOM, a swallowed request (the host read times out), a never-settling call, and
 * CHECK_CLEAR_STATUS answering PENDING for a while (or forever).
 */
import { CanceledError, DeviceError, DisconnectedError, TimeoutError } from '../../../src/core/errors.js';
import type { BulkDevice } from '../../../src/protocols/usb/bulk-device.js';
import type { ControlSetup } from '../../../src/protocols/usb/control.js';

export interface FakeFaults {
  /** Answer the next N replies with bTag + 1. */
  wrongTag?: number;
  /** Answer the next N replies with a bad bTagInverse. */
  badInverse?: number;
  /** Next N replies: header claims 10 more bytes than the transfer carries. */
  shortTransfer?: number;
  /** Next N replies: 8 garbage bytes after the alignment padding. */
  excessBytes?: number;
  /** Send at most this many message bytes per transfer (EOM only on the last). */
  splitBytes?: number;
  /** Never set EOM. */
  noEom?: boolean;
  /** Ignore the next N REQUEST_DEV_DEP_MSG_IN (the host read then times out). */
  swallowRequests?: number;
  /** Answer CHECK_CLEAR_STATUS with PENDING this many times first (Infinity: forever). */
  clearPending?: number;
  /** Answer CHECK_CLEAR_STATUS PENDING with bmClear.D0 = 1 (host must read Bulk-IN). */
  clearFifoFlag?: boolean;
  /** Next N bulkIn calls never settle (ignore their timeout). */
  hangBulkIn?: number;
  /** Answer INITIATE_ABORT_BULK_IN with this status instead of the normal one. */
  abortInStatus?: number;
  /** Send an SRQ notification before the next status-byte notification. */
  srqBeforeStb?: number;
}

interface Waiter {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  /** Largest read this waiter accepts, in bytes. */
  max: number;
}

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

export class FakeInstrument implements BulkDevice {
  readonly address = 'fake://usbtmc-scpi';
  readonly interfaceNumber = 0;
  readonly interfaceProtocol = 1;
  readonly bulkOutEndpoint = 0x02;
  readonly bulkInEndpoint = 0x86;
  readonly interruptInEndpoint: number | undefined;
  readonly maxPacketSize: number;
  faults: FakeFaults = {};
  /** Commands received (complete messages, as text). */
  readonly commands: string[] = [];
  /** Control requests received, as `bRequest:wValue`. */
  readonly controls: string[] = [];
  /** Violations of the USBTMC rules by the host, seen by this device. */
  readonly hostErrors: string[] = [];
  /** bTags the host used in Bulk-OUT headers, in order. */
  readonly tagsSeen: number[] = [];
  triggers = 0;
  closed = false;
  outHalted = false;
  statusByte = 0;
  private input: number[] = [];
  private output: Uint8Array = new Uint8Array(0);
  private pending: { tag: number; max: number } | undefined;
  private inQueue: Uint8Array[] = [];
  private intQueue: Uint8Array[] = [];
  private waiters: Waiter[] = [];
  private intWaiters: Waiter[] = [];
  private clearChecks = 0;
  private readonly responder: (command: string) => string | Uint8Array | undefined;

  constructor(options: { maxPacketSize?: number; interruptIn?: boolean; responder?: (command: string) => string | Uint8Array | undefined } = {}) {
    this.maxPacketSize = options.maxPacketSize ?? 64;
    this.interruptInEndpoint = options.interruptIn ? 0x87 : undefined;
    this.responder = options.responder ?? defaultResponder();
  }

  // ---------------------------------------------------------------- BulkDevice

  async bulkOut(bytes: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.checkOpen(timeoutMs, signal);
    if (this.outHalted) throw new DeviceError({ device: this.address, vendorMessage: 'Bulk-OUT: endpoint stalled', vendorCode: 'STALL', kind: 'STALL' });
    if (bytes.length < 12) return void this.hostErrors.push(`Bulk-OUT shorter than a header: ${bytes.length}`);
    const msgId = bytes[0]!;
    const tag = bytes[1]!;
    if (tag === 0) this.hostErrors.push('bTag 0');
    if (((~tag) & 0xff) !== bytes[2]) this.hostErrors.push(`bad bTagInverse for tag ${tag}`);
    if (bytes[3] !== 0) this.hostErrors.push('reserved byte 3 not 0');
    if (bytes.length % 4 !== 0) this.hostErrors.push(`Bulk-OUT length ${bytes.length} not a multiple of 4`);
    const last = this.tagsSeen.at(-1);
    if (last !== undefined && last === tag) this.hostErrors.push(`bTag ${tag} repeated`);
    this.tagsSeen.push(tag);
    const size = u32(bytes, 4);
    if (msgId === 1) {
      if (size === 0) this.hostErrors.push('DEV_DEP_MSG_OUT with TransferSize 0');
      if (bytes.length !== Math.ceil((12 + size) / 4) * 4) this.hostErrors.push(`DEV_DEP_MSG_OUT length ${bytes.length} for TransferSize ${size}`);
      this.input.push(...bytes.subarray(12, 12 + size));
      if ((bytes[8]! & 1) !== 0) this.execute();
    } else if (msgId === 2) {
      if ((this.faults.swallowRequests ?? 0) > 0) {
        this.faults.swallowRequests!--;
        return;
      }
      this.pending = { tag, max: size };
      this.answer();
    } else if (msgId === 128) {
      this.triggers++;
    } else {
      this.hostErrors.push(`unexpected MsgID ${msgId}`);
    }
  }

  bulkIn(maxLength: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.take(this.inQueue, this.waiters, maxLength, timeoutMs, signal, 'Bulk-IN');
  }

  interruptIn(maxLength: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.take(this.intQueue, this.intWaiters, maxLength, timeoutMs, signal, 'Interrupt-IN');
  }

  async controlIn(setup: ControlSetup, timeoutMs: number): Promise<Uint8Array> {
    this.checkOpen(timeoutMs);
    this.controls.push(`${setup.bRequest}:${setup.wValue}`);
    const expectType = [1, 2, 3, 4].includes(setup.bRequest) ? 0xa2 : 0xa1;
    if (setup.bmRequestType !== expectType) this.hostErrors.push(`bmRequestType 0x${setup.bmRequestType.toString(16)} for request ${setup.bRequest}`);
    switch (setup.bRequest) {
      case 1: // INITIATE_ABORT_BULK_OUT
        this.input = [];
        this.outHalted = true;
        return Uint8Array.of(0x01, setup.wValue & 0xff);
      case 2: // CHECK_ABORT_BULK_OUT_STATUS
        return Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0);
      case 3: {
        // INITIATE_ABORT_BULK_IN
        const status = this.faults.abortInStatus ?? (this.pending?.tag === setup.wValue || this.inQueue.length > 0 ? 0x01 : 0x80);
        if (status === 0x01) {
          this.pending = undefined;
          this.output = new Uint8Array(0);
        }
        return Uint8Array.of(status, setup.wValue & 0xff);
      }
      case 4: // CHECK_ABORT_BULK_IN_STATUS
        return this.inQueue.length > 0 ? Uint8Array.of(0x02, 0x01, 0, 0, 0, 0, 0, 0) : Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0);
      case 5: // INITIATE_CLEAR
        this.input = [];
        this.output = new Uint8Array(0);
        this.pending = undefined;
        this.outHalted = true;
        this.clearChecks = 0;
        if (this.faults.clearFifoFlag) this.inQueue.push(new Uint8Array(20));
        else this.inQueue = [];
        return Uint8Array.of(0x01);
      case 6: {
        // CHECK_CLEAR_STATUS
        this.clearChecks++;
        if (this.clearChecks <= (this.faults.clearPending ?? 0)) return Uint8Array.of(0x02, this.inQueue.length > 0 ? 1 : 0);
        if (this.inQueue.length > 0) return Uint8Array.of(0x02, 1);
        return Uint8Array.of(0x01, 0);
      }
      case 7: // GET_CAPABILITIES: USBTMC 1.00, TermChar; USB488 1.00, 488.2 + REN + TRIGGER, SCPI SR1 RL1 DT1
        return Uint8Array.of(0x01, 0, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x07, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0);
      case 128: {
        // READ_STATUS_BYTE
        const stb = this.statusByte | (this.output.length > 0 ? 0x10 : 0);
        if (this.interruptInEndpoint === undefined) return Uint8Array.of(0x01, setup.wValue, stb);
        if ((this.faults.srqBeforeStb ?? 0) > 0) {
          this.faults.srqBeforeStb!--;
          this.pushInt(Uint8Array.of(0x81, stb | 0x40));
        }
        this.pushInt(Uint8Array.of(0x80 | setup.wValue, stb));
        return Uint8Array.of(0x01, setup.wValue, 0);
      }
      default:
        throw new DeviceError({ device: this.address, vendorMessage: `control request ${setup.bRequest}: endpoint stalled`, vendorCode: 'STALL', kind: 'STALL' });
    }
  }

  async controlOut(): Promise<void> {
    throw new DeviceError({ device: this.address, vendorMessage: 'no host-to-device class requests', vendorCode: 'STALL', kind: 'STALL' });
  }

  async clearHalt(endpoint: number): Promise<void> {
    if (endpoint === this.bulkOutEndpoint) this.outHalted = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters, ...this.intWaiters]) this.settle(w, new DisconnectedError({ device: this.address, detail: 'closed' }));
    this.waiters = [];
    this.intWaiters = [];
  }

  // ---------------------------------------------------------------- instrument

  private execute(): void {
    const command = Buffer.from(this.input).toString('latin1').replace(/\r?\n$/, '');
    this.input = [];
    this.commands.push(command);
    const reply = this.responder(command);
    if (reply === undefined) return;
    const bytes = typeof reply === 'string' ? Buffer.from(reply, 'latin1') : reply;
    const joined = new Uint8Array(this.output.length + bytes.length);
    joined.set(this.output);
    joined.set(bytes, this.output.length);
    this.output = joined;
    this.answer();
  }

  /** Turn pending output into one Bulk-IN transfer for the pending request. */
  private answer(): void {
    const req = this.pending;
    if (!req || this.output.length === 0) return;
    this.pending = undefined;
    const n = Math.min(req.max, this.faults.splitBytes ?? Infinity, this.output.length);
    const data = this.output.subarray(0, n);
    this.output = this.output.subarray(n);
    const eom = this.output.length === 0 && !this.faults.noEom;
    let tag = req.tag;
    if (this.use('wrongTag')) tag = (tag % 255) + 1;
    let inverse = ~tag & 0xff;
    if (this.use('badInverse')) inverse ^= 0x01;
    const claimed = this.use('shortTransfer') ? n + 10 : n;
    const padded = Math.ceil((12 + n) / 4) * 4;
    const transfer = new Uint8Array(padded + (this.use('excessBytes') ? 8 : 0));
    transfer.set([2, tag, inverse, 0, claimed & 0xff, (claimed >> 8) & 0xff, (claimed >> 16) & 0xff, claimed >>> 24, eom ? 1 : 0, 0, 0, 0]);
    transfer.set(data, 12);
    this.inQueue.push(transfer);
    this.pump(this.inQueue, this.waiters);
  }

  private use(fault: 'wrongTag' | 'badInverse' | 'shortTransfer' | 'excessBytes'): boolean {
    const left = this.faults[fault] ?? 0;
    if (left <= 0) return false;
    this.faults[fault] = left - 1;
    return true;
  }

  private pushInt(packet: Uint8Array): void {
    this.intQueue.push(packet);
    this.pump(this.intQueue, this.intWaiters);
  }

  private checkOpen(_timeoutMs: number, signal?: AbortSignal): void {
    if (this.closed) throw new DisconnectedError({ device: this.address, detail: 'closed' });
    if (signal?.aborted) throw new CanceledError('aborted before the transfer');
  }

  private take(queue: Uint8Array[], waiters: Waiter[], maxLength: number, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<Uint8Array> {
    try {
      this.checkOpen(timeoutMs, signal);
    } catch (err) {
      return Promise.reject(err);
    }
    if (what === 'Bulk-IN' && maxLength % this.maxPacketSize !== 0) this.hostErrors.push(`Bulk-IN read of ${maxLength} is not a multiple of ${this.maxPacketSize}`);
    if (what === 'Bulk-IN' && (this.faults.hangBulkIn ?? 0) > 0) {
      this.faults.hangBulkIn!--;
      return new Promise(() => {});
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const w: Waiter = {
        resolve: (b) => resolve(b),
        reject,
        signal,
        timer: setTimeout(() => this.settle(w, new TimeoutError({ operation: `${this.address}: ${what}`, afterMs: timeoutMs }), waiters), timeoutMs),
        onAbort: () => this.settle(w, new CanceledError(`${this.address}: ${what}: canceled`), waiters),
        max: maxLength,
      };
      signal?.addEventListener('abort', w.onAbort, { once: true });
      waiters.push(w);
      this.pump(queue, waiters);
    });
  }

  private pump(queue: Uint8Array[], waiters: Waiter[]): void {
    while (queue.length > 0 && waiters.length > 0) {
      const w = waiters.shift()!;
      const head = queue[0]!;
      const n = Math.min(head.length, w.max);
      if (n === head.length) queue.shift();
      else queue[0] = head.subarray(n);
      this.settle(w, head.slice(0, n));
    }
  }

  private settle(w: Waiter, result: Uint8Array | Error, list?: Waiter[]): void {
    clearTimeout(w.timer);
    w.signal?.removeEventListener('abort', w.onAbort);
    if (list) {
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
    }
    if (result instanceof Error) w.reject(result);
    else w.resolve(result);
  }
}

/** A tiny SCPI instrument: identification, a settable voltage, an error queue, binary data. */
export function defaultResponder(): (command: string) => string | Uint8Array | undefined {
  let volts = 0;
  return (command) => {
    const c = command.trim().toUpperCase();
    if (c === '*IDN?') return 'LABRIG,FAKE-USBTMC,0001,1.0\n';
    if (c.startsWith('VOLT ')) {
      volts = Number(c.slice(5));
      return undefined;
    }
    if (c === 'VOLT?') return `${volts.toFixed(3)}\n`;
    if (c.startsWith('DATA? ')) {
      const n = Number(c.slice(6));
      const body = new Uint8Array(n).map((_, i) => i & 0xff);
      const head = Buffer.from(`#${String(n).length}${n}`, 'latin1');
      const out = new Uint8Array(head.length + n + 1);
      out.set(head);
      out.set(body, head.length);
      out[out.length - 1] = 0x0a;
      return out;
    }
    if (c === 'SYST:ERR?') return '0,"No error"\n';
    return undefined;
  };
}
