/**
 * A ByteStream that plays a transcript from a vendor manual: `[sent, reply]` pairs. Each write
 * must be exactly the next `sent` (writes may arrive in pieces); then `reply` is delivered.
 * `assertDone()` fails on any unexpected, missing or mismatched message. Used to test drivers
 * against the manual independently of labrig's simulators (STYLE.md rule 10).
 */
import type { ByteStream, Unsubscribe } from '../../src/protocols/contracts.js';
import { DisconnectedError } from '../../src/core/errors.js';

/** One exchange: what the driver must send, and what the device answers (null: no answer). */
export type Exchange = readonly [sent: string | Uint8Array, reply: string | Uint8Array | null];

const enc = new TextEncoder();
const bytes = (x: string | Uint8Array): Uint8Array => (typeof x === 'string' ? enc.encode(x) : x);
const show = (b: Uint8Array): string => JSON.stringify(Buffer.from(b).toString('latin1'));

/** Replay a transcript as a byte stream. */
export class TranscriptStream implements ByteStream {
  readonly address = 'transcript://manual';
  #open = false;
  #data = new Set<(c: Uint8Array) => void>();
  #close = new Set<(r: Error | undefined) => void>();
  #pending: Uint8Array = new Uint8Array(0);
  #index = 0;
  readonly #exchanges: Array<readonly [Uint8Array, Uint8Array | null]>;
  /** Problems found so far (unexpected bytes, mismatches). */
  readonly problems: string[] = [];
  /** Deliver replies in chunks of this many bytes (to exercise reassembly). 0 = whole. */
  chunkSize = 0;

  constructor(exchanges: Exchange[]) {
    this.#exchanges = exchanges.map(([s, r]) => [bytes(s), r === null ? null : bytes(r)] as const);
  }

  get isOpen(): boolean {
    return this.#open;
  }

  async open(): Promise<void> {
    this.#open = true;
  }

  write(chunk: Uint8Array): void {
    if (!this.#open) throw new DisconnectedError({ device: this.address, detail: 'not open' });
    const joined = new Uint8Array(this.#pending.length + chunk.length);
    joined.set(this.#pending);
    joined.set(chunk, this.#pending.length);
    this.#pending = joined;
    while (this.#pending.length > 0) {
      const next = this.#exchanges[this.#index];
      if (!next) {
        this.problems.push(`unexpected write after the transcript ended: ${show(this.#pending)}`);
        this.#pending = new Uint8Array(0);
        return;
      }
      const [sent, reply] = next;
      const n = Math.min(sent.length, this.#pending.length);
      for (let i = 0; i < n; i++) {
        if (sent[i] !== this.#pending[i]) {
          this.problems.push(`exchange ${this.#index}: expected ${show(sent)}, got ${show(this.#pending)}`);
          this.#pending = new Uint8Array(0);
          this.#index++;
          return;
        }
      }
      if (this.#pending.length < sent.length) return; // wait for the rest of the command
      this.#pending = this.#pending.slice(sent.length);
      this.#index++;
      if (reply) this.#deliver(reply);
    }
  }

  #deliver(reply: Uint8Array): void {
    const step = this.chunkSize > 0 ? this.chunkSize : reply.length;
    queueMicrotask(() => {
      for (let i = 0; i < reply.length; i += step) {
        const piece = reply.slice(i, i + step);
        for (const l of this.#data) l(piece);
      }
    });
  }

  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    this.#data.add(listener);
    return () => this.#data.delete(listener);
  }

  onClose(listener: (reason: Error | undefined) => void): Unsubscribe {
    this.#close.add(listener);
    return () => this.#close.delete(listener);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    for (const l of this.#close) l(undefined);
  }

  /** Exchanges not yet sent by the driver. */
  get remaining(): number {
    return this.#exchanges.length - this.#index;
  }

  /** Throw if anything was unexpected, mismatched or left unsent. */
  assertDone(): void {
    const problems = [...this.problems];
    if (this.#pending.length) problems.push(`partial command never completed: ${show(this.#pending)}`);
    if (this.remaining > 0) {
      const missing = this.#exchanges.slice(this.#index).map(([s]) => show(s));
      problems.push(`${this.remaining} exchange(s) never sent: ${missing.join(', ')}`);
    }
    if (problems.length) throw new Error(`transcript mismatch:\n  ${problems.join('\n  ')}`);
  }
}
