/** Small helpers shared by the Galil tests. */
import type { ByteStream, Unsubscribe, WaitOptions } from '../../../src/protocols/contracts.js';
import { TimeoutError } from '../../../src/core/errors.js';

/** Resolve once `cond()` is true, checking every 5 ms; reject with TimeoutError after `ms`. */
export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new TimeoutError({ operation: 'until', afterMs: ms });
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Wrap a ByteStream and count the bytes written through it. */
export class CountingStream implements ByteStream {
  written = 0;
  readonly #inner: ByteStream;
  constructor(inner: ByteStream) {
    this.#inner = inner;
  }
  get address(): string {
    return this.#inner.address;
  }
  get isOpen(): boolean {
    return this.#inner.isOpen;
  }
  open(options?: WaitOptions): Promise<void> {
    return this.#inner.open(options);
  }
  write(bytes: Uint8Array): void {
    this.written += bytes.length;
    this.#inner.write(bytes);
  }
  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    return this.#inner.onData(listener);
  }
  onClose(listener: (reason: Error | undefined) => void): Unsubscribe {
    return this.#inner.onClose(listener);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
