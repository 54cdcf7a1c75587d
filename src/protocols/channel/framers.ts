/**
 * Reply framers: small pure objects that find where a reply ends in a byte buffer (no I/O).
 * They search only the bytes that arrived since the last scan (plus a delimiter's length of
 * overlap) with native `Buffer.indexOf`, so a reply costs one memchr per chunk.
 * @module
 */
import { InvalidInputError, LabrigError } from '../../core/errors.js';
import type { FrameMatch, Framer, FramingSpec } from '../contracts.js';

/** Default largest frame, in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 65536;

const CR = 0x0d;
const LF = 0x0a;

/** View any Uint8Array as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toBytes(what: string, value: string | Uint8Array): Buffer {
  const b = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
  if (b.length === 0) throw new InvalidInputError({ what, value, reason: 'must not be empty' });
  return b;
}

function checkMax(what: string, maxBytes: number | undefined): number {
  const m = maxBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isInteger(m) || m < 1) throw new InvalidInputError({ what: `${what}.maxBytes`, value: maxBytes, reason: 'must be a positive integer' });
  return m;
}

function overflow(description: string, len: number, maxBytes: number): InvalidInputError {
  return new InvalidInputError({ what: 'reply', value: `${len} bytes`, reason: `no complete frame (${description}) within ${maxBytes} bytes` });
}

function trimCrLf(buf: Uint8Array, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && (buf[s] === CR || buf[s] === LF)) s++;
  while (e > s && (buf[e - 1] === CR || buf[e - 1] === LF)) e--;
  return [s, e];
}

function show(b: Buffer): string {
  return JSON.stringify(b.toString('latin1'));
}

/** Options of a terminator framer (see `FramingSpec` mode `terminator`). */
export interface TerminatorOptions {
  terminators: ReadonlyArray<string | Uint8Array>;
  errorTerminators?: ReadonlyArray<string | Uint8Array>;
  trim?: boolean;
  maxBytes?: number;
}

/** Frame replies that end with one of several terminators (earliest start, then longest). */
export class TerminatorFramer implements Framer {
  readonly description: string;
  private readonly terms: Buffer[];
  private readonly names: string[];
  private readonly errors: boolean[];
  /** For each terminator, the rest of a longer terminator it starts (e.g. LF after CR). */
  private readonly tails: Array<Buffer | undefined>;
  private readonly maxTerm: number;
  private readonly trim: boolean;
  private readonly maxBytes: number;
  private single: number;
  private tail: Buffer | undefined;

  constructor(options: TerminatorOptions) {
    const all = [...(options.terminators ?? [])].map((t) => ({ t: toBytes('terminator', t), err: false }));
    for (const t of options.errorTerminators ?? []) all.push({ t: toBytes('errorTerminator', t), err: true });
    if (all.length === 0) throw new InvalidInputError({ what: 'terminators', value: options.terminators, reason: 'give at least one terminator' });
    all.sort((a, b) => b.t.length - a.t.length);
    this.terms = all.map((a) => a.t);
    this.errors = all.map((a) => a.err);
    this.names = this.terms.map((t) => t.toString('latin1'));
    this.tails = this.terms.map((t) => {
      const longer = this.terms.find((o) => o.length > t.length && o.subarray(0, t.length).equals(t));
      return longer?.subarray(t.length);
    });
    this.maxTerm = this.terms[0]!.length;
    this.single = this.terms.length === 1 && this.maxTerm === 1 ? this.terms[0]![0]! : -1;
    this.trim = options.trim ?? false;
    this.maxBytes = checkMax('terminator', options.maxBytes);
    this.description = `terminator ${this.terms.map(show).join(' | ')}`;
  }

  /** Find the first frame in `buf[0, len)`. */
  scan(buf: Uint8Array, len: number, from: number): FrameMatch | undefined {
    const b = asBuffer(buf);
    let start = 0;
    if (this.tail !== undefined) {
      const t = this.tail;
      let k = 0;
      while (k < t.length && k < len && b[k] === t[k]) k++;
      if (k === t.length) start = k;
      else if (k === len) return undefined; // could still be the tail; wait
      else this.tail = undefined;
    }
    const s = Math.max(start, from - this.maxTerm + 1);
    let bestEnd = -1;
    let best = -1;
    let bestAt = -1;
    if (this.single >= 0) {
      const i = b.indexOf(this.single, s);
      if (i >= 0 && i < len) {
        bestEnd = i + 1;
        best = 0;
        bestAt = i;
      }
    } else {
      for (let k = 0; k < this.terms.length; k++) {
        const term = this.terms[k]!;
        const i = b.indexOf(term, s);
        if (i < 0 || i + term.length > len) continue;
        if (bestAt < 0 || i < bestAt) {
          bestEnd = i + term.length;
          best = k;
          bestAt = i;
        }
      }
    }
    if (best < 0) {
      if (len - start > this.maxBytes) throw overflow(this.description, len, this.maxBytes);
      return undefined;
    }
    if (bestAt - start > this.maxBytes) throw overflow(this.description, len, this.maxBytes);
    this.tail = bestEnd === len ? this.tails[best] : undefined;
    let [ps, pe] = [start, bestAt];
    if (this.trim) [ps, pe] = trimCrLf(b, ps, pe);
    return { consumed: bestEnd, payloadStart: ps, payloadEnd: pe, end: this.names[best]!, isError: this.errors[best]! };
  }

  /** Forget a pending terminator tail. */
  reset(): void {
    this.tail = undefined;
  }
}

/** Options of a prompt framer (see `FramingSpec` mode `prompt`). */
export interface PromptOptions {
  prompts: ReadonlyArray<string>;
  errorPrompts?: ReadonlyArray<string>;
  addressChars?: string;
  maxAddressLength?: number;
  maxBytes?: number;
}

/** Frame replies that end with a prompt at the start of a line, maybe after an address. */
export class PromptFramer implements Framer {
  readonly description: string;
  private readonly prompts: Buffer[];
  private readonly names: string[];
  private readonly errors: boolean[];
  private readonly addr: Uint8Array;
  private readonly maxAddr: number;
  private readonly maxPrompt: number;
  private readonly maxBytes: number;

  constructor(options: PromptOptions) {
    const all = [...(options.prompts ?? [])].map((p) => ({ p: toBytes('prompt', p), err: false }));
    for (const p of options.errorPrompts ?? []) all.push({ p: toBytes('errorPrompt', p), err: true });
    if (all.length === 0) throw new InvalidInputError({ what: 'prompts', value: options.prompts, reason: 'give at least one prompt' });
    all.sort((a, b) => b.p.length - a.p.length);
    this.prompts = all.map((a) => a.p);
    this.errors = all.map((a) => a.err);
    this.names = this.prompts.map((p) => p.toString('latin1'));
    const chars = options.addressChars ?? '0123456789';
    this.addr = new Uint8Array(256);
    for (const c of Buffer.from(chars, 'latin1')) this.addr[c] = 1;
    this.maxAddr = options.maxAddressLength ?? 2;
    if (!Number.isInteger(this.maxAddr) || this.maxAddr < 0) {
      throw new InvalidInputError({ what: 'maxAddressLength', value: options.maxAddressLength, reason: 'must be a non-negative integer' });
    }
    this.maxPrompt = this.prompts[0]!.length;
    this.maxBytes = checkMax('prompt', options.maxBytes);
    this.description = `prompt ${this.prompts.map(show).join(' | ')}`;
  }

  /** Return where the line holding a prompt at `i` starts, or -1 when `i` is not at a line start. */
  private lineStart(b: Buffer, i: number): number {
    let j = i;
    let k = 0;
    while (j > 0 && k < this.maxAddr && this.addr[b[j - 1]!] === 1) {
      j--;
      k++;
    }
    if (j === 0 || b[j - 1] === CR || b[j - 1] === LF) return j;
    return -1;
  }

  /** Find the first frame in `buf[0, len)`. */
  scan(buf: Uint8Array, len: number, from: number): FrameMatch | undefined {
    const b = asBuffer(buf);
    const s = Math.max(0, from - this.maxPrompt + 1);
    let bestEnd = -1;
    let best = -1;
    let bestLine = -1;
    let bestAt = -1;
    for (let k = 0; k < this.prompts.length; k++) {
      const p = this.prompts[k]!;
      let i = b.indexOf(p, s);
      while (i >= 0 && i + p.length <= len) {
        const line = this.lineStart(b, i);
        if (line >= 0) {
          if (bestEnd < 0 || i + p.length < bestEnd) {
            bestEnd = i + p.length;
            best = k;
            bestLine = line;
            bestAt = i;
          }
          break;
        }
        i = b.indexOf(p, i + 1);
      }
    }
    if (best < 0) {
      if (len > this.maxBytes) throw overflow(this.description, len, this.maxBytes);
      return undefined;
    }
    if (bestLine > this.maxBytes) throw overflow(this.description, len, this.maxBytes);
    const [ps, pe] = trimCrLf(b, 0, bestLine);
    const m: FrameMatch = { consumed: bestEnd, payloadStart: ps, payloadEnd: pe, end: this.names[best]!, isError: this.errors[best]! };
    if (bestAt > bestLine) m.address = b.toString('latin1', bestLine, bestAt);
    return m;
  }

  /** Nothing is carried between frames. */
  reset(): void {}
}

/** Options of a length framer (see `FramingSpec` mode `length`). */
export interface LengthOptions {
  length: number | ((buf: Uint8Array, len: number) => number | undefined);
  maxBytes?: number;
}

/** Frame binary replies of a fixed length or a length computed from their header. */
export class LengthFramer implements Framer {
  readonly description: string;
  private readonly length: LengthOptions['length'];
  private readonly maxBytes: number;

  constructor(options: LengthOptions) {
    this.maxBytes = checkMax('length', options.maxBytes);
    this.length = options.length;
    if (typeof this.length === 'number') this.checkLength(this.length);
    else if (typeof this.length !== 'function') throw new InvalidInputError({ what: 'length', value: options.length, reason: 'give a number or a function' });
    this.description = typeof this.length === 'number' ? `length ${this.length}` : 'length from header';
  }

  private checkLength(n: unknown): number {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > this.maxBytes) {
      throw new InvalidInputError({ what: 'frame length', value: n, reason: `must be an integer in 1..${this.maxBytes}` });
    }
    return n;
  }

  /** Find the first frame in `buf[0, len)`. */
  scan(buf: Uint8Array, len: number): FrameMatch | undefined {
    let n: number | undefined;
    if (typeof this.length === 'number') n = this.length;
    else {
      try {
        n = this.length(buf, len);
      } catch (err) {
        if (err instanceof LabrigError) throw err;
        throw new InvalidInputError({ what: 'frame header', value: `${len} bytes`, reason: `length function failed: ${(err as Error)?.message ?? String(err)}` });
      }
      if (n === undefined) {
        if (len > this.maxBytes) throw overflow(this.description, len, this.maxBytes);
        return undefined;
      }
      this.checkLength(n);
    }
    if (len < n) return undefined;
    return { consumed: n, payloadStart: 0, payloadEnd: n, end: '', isError: false };
  }

  /** Nothing is carried between frames. */
  reset(): void {}
}

/** Build a framer for Galil DMC replies: `:` accepts, `?` rejects, CR/LF trimmed. */
export function galilFramer(maxBytes?: number): Framer {
  return new TerminatorFramer({ terminators: [':'], errorTerminators: ['?'], trim: true, maxBytes });
}

/** Tell whether a value is a Framer object rather than a spec. */
export function isFramer(x: unknown): x is Framer {
  return typeof x === 'object' && x !== null && typeof (x as Framer).scan === 'function' && typeof (x as Framer).reset === 'function';
}

/** Build a framer from a spec (a Framer is returned as is). */
export function createFramer(spec: FramingSpec | Framer): Framer {
  if (isFramer(spec)) return spec;
  switch (spec?.mode) {
    case 'terminator':
      return new TerminatorFramer(spec);
    case 'prompt':
      return new PromptFramer(spec);
    case 'galil':
      return galilFramer(spec.maxBytes);
    case 'length':
      return new LengthFramer(spec);
    default:
      throw new InvalidInputError({ what: 'framing.mode', value: (spec as { mode?: unknown } | undefined)?.mode, reason: "must be 'terminator', 'prompt', 'galil' or 'length'" });
  }
}
