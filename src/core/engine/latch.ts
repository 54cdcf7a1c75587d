/**
 * SRLatch: a set-reset latch that plans await to synchronise with outside events (redsun).
 * @module
 */
import { TimeoutError } from '../errors.js';

/** A set/reset latch: `waitForSet` resolves once the latch is set, `waitForReset` once reset. */
export class SRLatch {
  #set = false;
  #onSet: Array<() => void> = [];
  #onReset: Array<() => void> = [];

  /** Set the latch and wake everyone waiting for it to be set. */
  set(): void {
    if (this.#set) return;
    this.#set = true;
    const w = this.#onSet;
    this.#onSet = [];
    for (const f of w) f();
  }

  /** Reset the latch and wake everyone waiting for it to be reset. */
  reset(): void {
    if (!this.#set) return;
    this.#set = false;
    const w = this.#onReset;
    this.#onReset = [];
    for (const f of w) f();
  }

  /** Tell whether the latch is set. */
  isSet(): boolean {
    return this.#set;
  }

  /** Resolve when the latch is set (at once if it is); reject with TimeoutError after `timeoutMs`. */
  waitForSet(timeoutMs?: number, signal?: AbortSignal): Promise<void> {
    return this.#wait(true, timeoutMs, signal);
  }

  /** Resolve when the latch is reset (at once if it is); reject with TimeoutError after `timeoutMs`. */
  waitForReset(timeoutMs?: number, signal?: AbortSignal): Promise<void> {
    return this.#wait(false, timeoutMs, signal);
  }

  #wait(wantSet: boolean, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    if (this.#set === wantSet) return Promise.resolve();
    const list = wantSet ? this.#onSet : this.#onReset;
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const drop = (): void => {
        const i = list.indexOf(done);
        if (i >= 0) list.splice(i, 1);
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        drop();
        reject(signal?.reason);
      };
      list.push(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          drop();
          signal?.removeEventListener('abort', onAbort);
          reject(new TimeoutError({ operation: `latch wait for ${wantSet ? 'set' : 'reset'}`, afterMs: timeoutMs }));
        }, timeoutMs);
      }
      if (signal) {
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }
}
