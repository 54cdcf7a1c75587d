/**
 * Run operations one at a time, first in first out, each with a deadline counted from its call
 * and an optional AbortSignal; a queue-wide signal (set on close) cancels everything.
 * @module
 */
import { CanceledError, DisconnectedError, TimeoutError } from '../../core/errors.js';
import { OpContext, describeReason } from './message-io.js';

/** Serialise operations (see the module notes). */
export class OpQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** `closing` aborts every queued and running operation; its reason is what they reject with. */
  constructor(private readonly closing: AbortSignal) {}

  /**
   * Queue `body`. The returned promise settles with the body's result, or rejects with
   * TimeoutError `timeoutMs` after this call, or CanceledError when `signal` aborts (a
   * DisconnectedError reason of `closing` is passed through). A body that has not started by
   * then never starts; one that is running finishes in the background (its own transfers are
   * bounded by the same deadline) before the next one starts.
   */
  run<T>(name: string, timeoutMs: number, signal: AbortSignal | undefined, body: (ctx: OpContext) => Promise<T>): Promise<T> {
    const start = performance.now();
    const combined = signal ? AbortSignal.any([signal, this.closing]) : this.closing;
    let gaveUp = false;
    const exec = this.tail.then(() => (gaveUp ? (undefined as T) : body(new OpContext(name, timeoutMs, start, combined))));
    this.tail = exec.then(noop, noop);
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        combined.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        gaveUp = true;
        finish();
        const reason: unknown = combined.reason;
        reject(reason instanceof DisconnectedError ? reason : new CanceledError(`${name}: ${describeReason(reason)}`));
      };
      const timer = setTimeout(() => {
        gaveUp = true;
        finish();
        reject(new TimeoutError({ operation: name, afterMs: timeoutMs }));
      }, timeoutMs);
      if (combined.aborted) {
        onAbort();
        return;
      }
      combined.addEventListener('abort', onAbort, { once: true });
      exec.then(
        (v) => {
          finish();
          resolve(v);
        },
        (e: unknown) => {
          finish();
          reject(e);
        },
      );
    });
  }

  /** Wait until every queued operation (and what runs after it) has finished. */
  async settled(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }
}

function noop(): void {}
