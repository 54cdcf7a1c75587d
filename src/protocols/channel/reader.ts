/**
 * The input side of a request channel: accumulate chunks and cut frames with a framer, copying
 * nothing in the common case (a whole reply in one chunk is sliced out of that chunk).
 * @module
 */
import type { Framer, FrameMatch } from '../contracts.js';
import { asBuffer } from './framers.js';
import { ReplyFrame } from './reply.js';

const EMPTY = Buffer.alloc(0);

/** Verdict on one frame: take it (stop reading), skip it as stale (keep looking), or stop. */
export type FrameVerdict = 'take' | 'skip' | 'stop';

/** Accumulate bytes and hand complete frames to a judge. */
export class ReplyReader {
  private buf: Buffer = Buffer.allocUnsafe(4096);
  private len = 0;
  private scanned = 0;

  /** Bytes held towards the next frame. */
  get buffered(): number {
    return this.len;
  }

  /** Drop everything held (stale input). */
  clear(): void {
    this.len = 0;
    this.scanned = 0;
  }

  /**
   * Add a chunk and judge each complete frame until one is taken (the rest is then dropped) or
   * the judge says stop. Throws what the framer throws (InvalidInputError); the caller resyncs.
   */
  feed(chunk: Uint8Array, framer: Framer, judge: (reply: ReplyFrame, m: FrameMatch) => FrameVerdict): void {
    let work: Buffer;
    let wlen: number;
    let owned: boolean; // true when `work` is this.buf (reused memory: copy replies out)
    if (this.len === 0) {
      work = asBuffer(chunk);
      wlen = work.length;
      owned = false;
    } else {
      this.append(chunk);
      work = this.buf;
      wlen = this.len;
      owned = true;
    }
    for (;;) {
      const m = framer.scan(work, wlen, owned ? this.scanned : 0);
      if (m === undefined) {
        if (!owned) {
          this.len = 0;
          this.append(work.subarray(0, wlen));
        }
        this.scanned = this.len;
        return;
      }
      const payload = m.payloadEnd > m.payloadStart ? work.subarray(m.payloadStart, m.payloadEnd) : EMPTY;
      const verdict = judge(new ReplyFrame(owned ? Buffer.from(payload) : payload, m.end, m.address), m);
      if (verdict !== 'skip') {
        if (verdict === 'take') this.clear();
        return;
      }
      // A stale frame (another address, a late reply): drop it and keep looking.
      const rest = work.subarray(m.consumed, wlen);
      this.clear();
      work = rest;
      wlen = rest.length;
      owned = false;
      if (wlen === 0) return;
    }
  }

  private append(chunk: Uint8Array): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len = need;
  }
}
