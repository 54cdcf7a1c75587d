/**
 * USBTMC bulk message codec: pure encode/decode of the 12-byte Bulk-OUT and Bulk-IN headers,
 * alignment padding, bTag sequences and the reassembly of one Bulk-IN transfer from the reads
 * that carry it. No I/O.
 *
 * References (USB Test and Measurement Class 1.0, 2003-04-14, "USBTMC"; USBTMC-USB488 1.0,
 * "USB488"):
 * - USBTMC §3.2.1, Table 1: Bulk-OUT header — MsgID, bTag, bTagInverse, reserved, then 8
 *   message-specific bytes. Table 2: MsgID values.
 * - USBTMC §3.2.1.1, Table 3: DEV_DEP_MSG_OUT — TransferSize (u32 little-endian, > 0), bmTransferAttributes D0 = EOM.
 * - USBTMC §3.2.1.2, Table 4: REQUEST_DEV_DEP_MSG_IN — TransferSize = most bytes the device may
 *   send, bmTransferAttributes D1 = TermCharEnabled, byte 9 = TermChar.
 * - USBTMC §3.3.1, DEV_DEP_MSG_IN: the same header on Bulk-IN, D0 = EOM, D1 = the transfer ended
 *   on TermChar. A transfer is followed by 0–3 alignment bytes so its total length is a multiple of 4.
 * - USB488 §3.2: TRIGGER (MsgID 128), the IEEE 488.1 GET over USB.
 *
 * Malformed bytes raise InvalidInputError naming the field; nothing else is thrown (fuzzed).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** Size of every Bulk-OUT and Bulk-IN header, in bytes (USBTMC Table 1). */
export const HEADER_BYTES = 12;

/** Largest TransferSize the 32-bit field can carry, in bytes. */
export const MAX_TRANSFER_SIZE = 0xffff_ffff;

/** MsgID values (USBTMC Table 2, USB488 Table 2). */
export const MsgId = {
  /** Host → device: a device-dependent command message. */
  DEV_DEP_MSG_OUT: 1,
  /** Host → device: ask for a device-dependent response; device → host: the response. */
  REQUEST_DEV_DEP_MSG_IN: 2,
  /** Device → host: a device-dependent response (same value as the request). */
  DEV_DEP_MSG_IN: 2,
  VENDOR_SPECIFIC_OUT: 126,
  REQUEST_VENDOR_SPECIFIC_IN: 127,
  VENDOR_SPECIFIC_IN: 127,
  /** USB488: trigger (GET). */
  TRIGGER: 128,
} as const;

/** A decoded Bulk-IN (DEV_DEP_MSG_IN) header. */
export interface BulkInHeader {
  msgId: number;
  /** Transfer identifier, 1..255; equals the bTag of the request it answers. */
  tag: number;
  /** Message bytes in this transfer (header and alignment excluded). */
  transferSize: number;
  /** The last byte of this transfer is the last byte of the message. */
  eom: boolean;
  /** The transfer ended because its last byte is the requested TermChar. */
  termCharUsed: boolean;
}

/** Cycle bTag values through a range, never 0 (USBTMC Table 1: 1 ≤ bTag ≤ 255). */
export class TagSequence {
  private last: number;
  constructor(
    private readonly low = 1,
    private readonly high = 255,
  ) {
    if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 255 || low > high) {
      throw new InvalidInputError({ what: 'TagSequence range', value: [low, high], reason: 'must be integers with 1 <= low <= high <= 255' });
    }
    this.last = high;
  }
  /** Return the next tag: one more than the last, wrapping from `high` back to `low`. */
  next(): number {
    this.last = this.last >= this.high ? this.low : this.last + 1;
    return this.last;
  }
  /** The tag handed out last (`high` before the first call). */
  get current(): number {
    return this.last;
  }
}

/** Round `n` up to a multiple of 4 (USBTMC alignment). */
export function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function checkTag(tag: number): void {
  if (!Number.isInteger(tag) || tag < 1 || tag > 255) throw new InvalidInputError({ what: 'USBTMC bTag', value: tag, reason: 'must be an integer in 1..255' });
}

function checkSize(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_TRANSFER_SIZE) throw new InvalidInputError({ what, value: n, reason: `must be an integer in 1..${MAX_TRANSFER_SIZE}` });
}

function writeHeader(out: Uint8Array, msgId: number, tag: number, transferSize: number, attributes: number, byte9 = 0): void {
  out[0] = msgId;
  out[1] = tag;
  out[2] = ~tag & 0xff;
  out[3] = 0;
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(4, transferSize, true);
  out[8] = attributes;
  out[9] = byte9;
  out[10] = 0;
  out[11] = 0;
}

/**
 * Encode one DEV_DEP_MSG_OUT transfer: header, `data`, zero padding to a multiple of 4.
 * `eom` marks the last transfer of a message (USBTMC §3.2.1.1).
 */
export function encodeDevDepMsgOut(tag: number, data: Uint8Array, eom = true): Uint8Array {
  checkTag(tag);
  checkSize('USBTMC DEV_DEP_MSG_OUT TransferSize', data.length);
  const out = new Uint8Array(align4(HEADER_BYTES + data.length));
  writeHeader(out, MsgId.DEV_DEP_MSG_OUT, tag, data.length, eom ? 0x01 : 0x00);
  out.set(data, HEADER_BYTES);
  return out;
}

/**
 * Encode a REQUEST_DEV_DEP_MSG_IN header asking for at most `maxBytes` bytes; with `termChar`
 * (0..255) the device may end the transfer on that byte (USBTMC §3.2.1.2).
 */
export function encodeRequestDevDepMsgIn(tag: number, maxBytes: number, termChar?: number): Uint8Array {
  checkTag(tag);
  checkSize('USBTMC REQUEST_DEV_DEP_MSG_IN TransferSize', maxBytes);
  if (termChar !== undefined && (!Number.isInteger(termChar) || termChar < 0 || termChar > 255)) {
    throw new InvalidInputError({ what: 'USBTMC TermChar', value: termChar, reason: 'must be a byte value 0..255' });
  }
  const out = new Uint8Array(HEADER_BYTES);
  writeHeader(out, MsgId.REQUEST_DEV_DEP_MSG_IN, tag, maxBytes, termChar === undefined ? 0 : 0x02, termChar ?? 0);
  return out;
}

/** Encode a USB488 TRIGGER message (USB488 §3.2): header only, message-specific bytes zero. */
export function encodeTrigger(tag: number): Uint8Array {
  checkTag(tag);
  const out = new Uint8Array(HEADER_BYTES);
  writeHeader(out, MsgId.TRIGGER, tag, 0, 0);
  return out;
}

/** Show up to 16 bytes as hex, for error messages. */
export function hexPreview(bytes: Uint8Array, max = 16): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(bytes.length, max); i++) parts.push(bytes[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ') + (bytes.length > max ? ` ... (${bytes.length} bytes)` : '');
}

/** What a decoder checks a Bulk-IN header against. */
export interface BulkInExpectation {
  /** bTag of the request being answered; a different tag is an error. */
  tag?: number;
  /** TransferSize asked for; a larger TransferSize is an error. */
  maxTransferSize?: number;
  /** MsgID expected (default DEV_DEP_MSG_IN). */
  msgId?: number;
}

/**
 * Decode the 12-byte header at the start of a Bulk-IN transfer (USBTMC §3.3.1) and check it
 * against the request it answers. Throws InvalidInputError for a short buffer, a wrong MsgID,
 * a bTagInverse that is not the complement of bTag, a bTag of 0 or not the expected one, or a
 * TransferSize above what was asked for.
 */
export function decodeBulkInHeader(bytes: Uint8Array, expect: BulkInExpectation = {}): BulkInHeader {
  const what = 'USBTMC Bulk-IN header';
  if (bytes.length < HEADER_BYTES) throw new InvalidInputError({ what, value: hexPreview(bytes), reason: `needs ${HEADER_BYTES} bytes, got ${bytes.length}` });
  const msgId = bytes[0]!;
  const tag = bytes[1]!;
  const inverse = bytes[2]!;
  const wantMsg = expect.msgId ?? MsgId.DEV_DEP_MSG_IN;
  if (msgId !== wantMsg) throw new InvalidInputError({ what, value: hexPreview(bytes), reason: `MsgID ${msgId} is not the expected ${wantMsg}` });
  if ((~tag & 0xff) !== inverse) throw new InvalidInputError({ what, value: hexPreview(bytes), reason: `bTagInverse 0x${inverse.toString(16)} is not the complement of bTag ${tag}` });
  if (tag === 0) throw new InvalidInputError({ what, value: hexPreview(bytes), reason: 'bTag 0 is not allowed' });
  if (expect.tag !== undefined && tag !== expect.tag) throw new InvalidInputError({ what, value: hexPreview(bytes), reason: `bTag ${tag} does not answer the request with bTag ${expect.tag}` });
  const transferSize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (expect.maxTransferSize !== undefined && transferSize > expect.maxTransferSize) {
    throw new InvalidInputError({ what, value: hexPreview(bytes), reason: `TransferSize ${transferSize} exceeds the ${expect.maxTransferSize} bytes requested` });
  }
  const attributes = bytes[8]!;
  return { msgId, tag, transferSize, eom: (attributes & 0x01) !== 0, termCharUsed: (attributes & 0x02) !== 0 };
}

/**
 * Reassemble one Bulk-IN transfer from the reads that carry it: the first read starts with the
 * header, later reads continue the data. A USB transfer ends with a short packet, so a read
 * shorter than asked (`ended`) that leaves the transfer incomplete is a protocol error.
 */
export class BulkInAssembler {
  private readonly chunks: Uint8Array[] = [];
  private received = 0;
  private parsed: BulkInHeader | undefined;
  private finished = false;

  constructor(private readonly expect: BulkInExpectation & { tag: number; maxTransferSize: number }) {}

  /** The header, once 12 bytes have arrived. */
  get header(): BulkInHeader | undefined {
    return this.parsed;
  }

  /** Bytes received so far, header and alignment included. */
  get receivedBytes(): number {
    return this.received;
  }

  /** True once the whole transfer arrived. */
  get complete(): boolean {
    return this.finished;
  }

  /**
   * Add one read. `ended` is true when the read returned fewer bytes than asked (short packet).
   * Returns true once the transfer is complete; throws InvalidInputError for a bad header, a
   * transfer that ended early, or more than 3 bytes beyond TransferSize and its alignment.
   */
  push(chunk: Uint8Array, ended: boolean): boolean {
    if (this.finished) throw new InvalidInputError({ what: 'USBTMC Bulk-IN transfer', value: hexPreview(chunk), reason: 'data after the transfer was complete' });
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.received += chunk.length;
    }
    if (this.parsed === undefined && this.received >= HEADER_BYTES) {
      this.parsed = decodeBulkInHeader(this.prefix(HEADER_BYTES), this.expect);
    }
    const header = this.parsed;
    if (header !== undefined) {
      const have = this.received - HEADER_BYTES;
      if (have >= header.transferSize) {
        const extra = have - header.transferSize;
        if (extra > 3) {
          throw new InvalidInputError({ what: 'USBTMC Bulk-IN transfer', value: `${this.received} bytes`, reason: `${extra} bytes beyond TransferSize ${header.transferSize} (at most 3 alignment bytes allowed)` });
        }
        this.finished = true;
        return true;
      }
    }
    // A zero-length read before any byte is a stray ZLP: ignore it and keep waiting.
    if (ended && this.received > 0) {
      const detail = header === undefined
        ? `the transfer ended after ${this.received} bytes, inside the ${HEADER_BYTES}-byte header`
        : `the transfer ended after ${this.received - HEADER_BYTES} of ${header.transferSize} data bytes`;
      throw new InvalidInputError({ what: 'USBTMC Bulk-IN transfer', value: hexPreview(this.prefix(Math.min(this.received, 16))), reason: detail });
    }
    return false;
  }

  /** The message bytes of the completed transfer (header and alignment removed). */
  data(): Uint8Array {
    const header = this.parsed;
    if (!this.finished || header === undefined) throw new InvalidInputError({ what: 'USBTMC Bulk-IN transfer', value: this.received, reason: 'is not complete yet' });
    return this.prefix(HEADER_BYTES + header.transferSize).subarray(HEADER_BYTES);
  }

  private prefix(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      if (at >= n) break;
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
    }
    return out;
  }
}
