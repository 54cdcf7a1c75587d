/**
 * Modbus application data units: MBAP framing for Modbus TCP and RTU framing (CRC-16) for serial
 * lines, with stream readers that split arriving bytes into frames. Pure: no I/O, no timers.
 *
 * MBAP header: transaction id (2), protocol id (2, always 0), length (2, unit + PDU bytes), unit
 * (1), then the PDU. RTU frame: unit (1), PDU, CRC-16/MODBUS (2, low byte first).
 * @module
 */
import { ModbusFrameError } from './errors.js';
import { Limits } from './codec.js';

// ---------------------------------------------------------------- MBAP (TCP)

/** Length of the MBAP header including the unit id. */
export const MBAP_HEADER = 7;

/** Wrap a PDU in an MBAP header. */
export function encodeMbap(transactionId: number, unit: number, pdu: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(MBAP_HEADER + pdu.length);
  b[0] = (transactionId >>> 8) & 0xff;
  b[1] = transactionId & 0xff;
  b[2] = 0;
  b[3] = 0;
  b[4] = ((pdu.length + 1) >>> 8) & 0xff;
  b[5] = (pdu.length + 1) & 0xff;
  b[6] = unit & 0xff;
  b.set(pdu, MBAP_HEADER);
  return b;
}

/** Called with each complete MBAP frame; `pdu` is a view valid only during the call. */
export type MbapFrameHandler = (transactionId: number, unit: number, pdu: Buffer) => void;

/**
 * Split a TCP byte stream into MBAP frames. `push` calls `onFrame` for every complete frame and
 * keeps a partial one for the next chunk. A header with a protocol id other than 0 or a length
 * outside 2..254 throws ModbusFrameError: the stream has lost its framing and should be closed.
 */
export class MbapReader {
  private rest: Buffer | undefined;

  /** Feed bytes; call `onFrame` for each complete frame, in order. */
  push(chunk: Buffer, onFrame: MbapFrameHandler): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let at = 0;
    while (buf.length - at >= MBAP_HEADER) {
      const protocol = ((buf[at + 2] as number) << 8) | (buf[at + 3] as number);
      const len = ((buf[at + 4] as number) << 8) | (buf[at + 5] as number);
      if (protocol !== 0) throw new ModbusFrameError({ reason: `MBAP protocol id ${protocol} is not 0`, bytes: buf.subarray(at, at + MBAP_HEADER) });
      if (len < 2 || len > Limits.maxPdu + 1) {
        throw new ModbusFrameError({ reason: `MBAP length ${len} outside 2..${Limits.maxPdu + 1}`, bytes: buf.subarray(at, at + MBAP_HEADER) });
      }
      const end = at + 6 + len;
      if (end > buf.length) break;
      const tid = ((buf[at] as number) << 8) | (buf[at + 1] as number);
      onFrame(tid, buf[at + 6] as number, buf.subarray(at + MBAP_HEADER, end));
      at = end;
    }
    if (at < buf.length) this.rest = Buffer.from(buf.subarray(at));
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.rest?.length ?? 0;
  }

  /** Drop any partial frame. */
  clear(): void {
    this.rest = undefined;
  }
}

// ---------------------------------------------------------------- RTU (serial)

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** Compute CRC-16/MODBUS (reflected polynomial 0xA001, initial 0xFFFF) of `buf[start..end)`. */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ (buf[i] as number)) & 0xff] as number);
  return crc;
}

/** Wrap a PDU in an RTU frame: unit, PDU, CRC (low byte first). */
export function encodeRtu(unit: number, pdu: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(pdu.length + 3);
  b[0] = unit & 0xff;
  b.set(pdu, 1);
  const crc = crc16(b, 0, pdu.length + 1);
  b[pdu.length + 1] = crc & 0xff;
  b[pdu.length + 2] = crc >>> 8;
  return b;
}

/** Result of length inference: total frame length, 0 (need more bytes) or -1 (cannot tell). */
export type FrameLength = number;

/** Infer the total length of the RTU request frame starting at `at` (unit, PDU, CRC). */
export function rtuRequestLength(buf: Uint8Array, at = 0): FrameLength {
  const avail = buf.length - at;
  if (avail < 2) return 0;
  switch (buf[at + 1]) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 8:
      return 8;
    case 7: case 11: case 12: case 17:
      return 4;
    case 15: case 16:
      return avail < 7 ? 0 : 9 + (buf[at + 6] as number);
    case 23:
      return avail < 11 ? 0 : 13 + (buf[at + 10] as number);
    default:
      return -1;
  }
}

/** Infer the total length of the RTU response frame starting at `at` (unit, PDU, CRC). */
export function rtuResponseLength(buf: Uint8Array, at = 0): FrameLength {
  const avail = buf.length - at;
  if (avail < 2) return 0;
  const fc = buf[at + 1] as number;
  if (fc & 0x80) return 5;
  switch (fc) {
    case 1: case 2: case 3: case 4: case 12: case 17: case 23:
      return avail < 3 ? 0 : 5 + (buf[at + 2] as number);
    case 5: case 6: case 8: case 11: case 15: case 16:
      return 8;
    case 7:
      return 5;
    default:
      return -1;
  }
}

/** Called with each RTU frame whose CRC checks; `pdu` is a view valid only during the call. */
export type RtuFrameHandler = (unit: number, pdu: Buffer) => void;

/** Options of an {@link RtuReader}. */
export interface RtuReaderOptions {
  /** Which direction the frames travel: decides how lengths are inferred. */
  kind: 'request' | 'response';
  /**
   * Silence in ms after which held bytes are stale (the RTU t3.5 inter-frame gap, measured when the
   * next chunk arrives, so no timer runs). Default 20.
   */
  staleMs?: number;
  /** Clock in ms; default performance.now. */
  now?: () => number;
}

/**
 * Split an RTU byte stream into frames by length inference and CRC. Bad CRCs or unknown function
 * codes are reported to `onError` as ModbusFrameError and the reader resynchronises by skipping a
 * byte; bytes held across a silence longer than `staleMs` are dropped (an RTU frame never pauses).
 */
export class RtuReader {
  private rest: Buffer | undefined;
  private last = 0;
  private readonly kind: 'request' | 'response';
  private readonly staleMs: number;
  private readonly now: () => number;
  private readonly lengthOf: (buf: Uint8Array, at: number) => FrameLength;
  private resyncing = false;
  private expected: { unit: number; fc: number } | undefined;

  constructor(options: RtuReaderOptions) {
    this.kind = options.kind;
    this.lengthOf = options.kind === 'request' ? rtuRequestLength : rtuResponseLength;
    this.staleMs = options.staleMs ?? 20;
    this.now = options.now ?? (() => performance.now());
  }

  /** Feed bytes; call `onFrame` for each good frame and `onError` for each rejected one. */
  push(chunk: Buffer, onFrame: RtuFrameHandler, onError: (err: ModbusFrameError) => void): void {
    const t = this.now();
    let buf = chunk;
    if (this.rest) {
      if (t - this.last > this.staleMs) {
        onError(new ModbusFrameError({ reason: 'incomplete frame dropped after silence', bytes: this.rest }));
        this.resyncing = false;
      } else buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    this.last = t;
    let at = 0;
    while (buf.length - at >= 4) {
      const want = this.expected;
      if (want && (buf[at] !== want.unit || ((buf[at + 1] as number) & 0x7f) !== want.fc)) {
        onError(new ModbusFrameError({ reason: `skipped a byte: expected a reply from unit ${want.unit} to function ${want.fc}`, bytes: buf.subarray(at, at + 8) }));
        this.resyncing = true;
        at++;
        continue;
      }
      const len = this.lengthOf(buf, at);
      if (len === 0) break;
      if (len < 0 || len > Limits.maxPdu + 3) {
        const why = len < 0 ? `cannot delimit RTU ${this.kind} with function code ${buf[at + 1]}` : `RTU frame length ${len} exceeds 256`;
        onError(new ModbusFrameError({ reason: why, bytes: buf.subarray(at, at + 8), exceptionCode: len < 0 ? 1 : undefined }));
        this.resyncing = true;
        at++;
        continue;
      }
      if (buf.length - at < len) {
        // After garbage, a candidate that claims more bytes than we have may itself be garbage:
        // if a complete frame with a good CRC starts later, jump to it instead of waiting.
        const next = this.resyncing ? this.findFrame(buf, at + 1) : -1;
        if (next < 0) break;
        onError(new ModbusFrameError({ reason: `skipped ${next - at} bytes of garbage`, bytes: buf.subarray(at, next) }));
        at = next;
        continue;
      }
      const end = at + len;
      if (!this.crcOk(buf, at, end)) {
        onError(new ModbusFrameError({ reason: 'RTU CRC mismatch', bytes: buf.subarray(at, end) }));
        this.resyncing = true;
        at++;
        continue;
      }
      this.resyncing = false;
      onFrame(buf[at] as number, buf.subarray(at + 1, end - 2));
      at = end;
    }
    if (at < buf.length) this.rest = Buffer.from(buf.subarray(at));
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.rest?.length ?? 0;
  }

  /** Drop any partial frame. */
  clear(): void {
    this.rest = undefined;
    this.resyncing = false;
  }

  /**
   * Accept only frames from `unit` answering function `fc` (normal or exception); bytes that
   * cannot start such a frame are skipped as garbage. Undefined accepts any frame.
   */
  expect(reply: { unit: number; fc: number } | undefined): void {
    this.expected = reply;
  }

  private crcOk(buf: Uint8Array, start: number, end: number): boolean {
    const crc = crc16(buf, start, end - 2);
    return (buf[end - 2] as number) === (crc & 0xff) && (buf[end - 1] as number) === crc >>> 8;
  }

  /** First offset at or after `from` where a complete frame with a good CRC lies, or -1. */
  private findFrame(buf: Uint8Array, from: number): number {
    for (let j = from; buf.length - j >= 4; j++) {
      const len = this.lengthOf(buf, j);
      const want = this.expected;
      if (want && (buf[j] !== want.unit || ((buf[j + 1] as number) & 0x7f) !== want.fc)) continue;
      if (len >= 4 && len <= Limits.maxPdu + 3 && j + len <= buf.length && this.crcOk(buf, j, j + len)) return j;
    }
    return -1;
  }
}
