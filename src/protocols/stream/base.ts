/**
 * Shared plumbing of byte streams: listener sets and the once-per-open close notification.
 * @module
 */
import { CanceledError, toError } from '../../core/errors.js';
import type { Unsubscribe, WaitOptions } from '../contracts.js';

/** Keep data and close listeners and report a close once per open. */
export abstract class StreamListeners {
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly closeListeners = new Set<(reason: Error | undefined) => void>();
  /** Fast path for the usual single data listener. */
  private single: ((chunk: Uint8Array) => void) | undefined;
  /** True between a resolved open and the close notification. */
  protected live = false;

  /** Listen to incoming bytes. */
  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    this.dataListeners.add(listener);
    this.single = this.dataListeners.size === 1 ? listener : undefined;
    return () => {
      this.dataListeners.delete(listener);
      this.single = this.dataListeners.size === 1 ? [...this.dataListeners][0] : undefined;
    };
  }

  /** Listen to the end of the link. */
  onClose(listener: (reason: Error | undefined) => void): Unsubscribe {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** True between a resolved `open()` and the close notification. */
  get isOpen(): boolean {
    return this.live;
  }

  /** Hand a chunk to every data listener. */
  protected emitData = (chunk: Uint8Array): void => {
    const one = this.single;
    if (one !== undefined) one(chunk);
    else for (const l of this.dataListeners) l(chunk);
  };

  /** Mark the stream open (after a successful open). */
  protected markOpen(): void {
    this.live = true;
  }

  /** Report the end of the link once; later calls are ignored. */
  protected emitClose(reason: Error | undefined): void {
    if (!this.live) return;
    this.live = false;
    for (const l of [...this.closeListeners]) l(reason);
  }
}

/** Run `start` with a timeout and an abort signal; `cleanup` undoes a half-done start on failure. */
export function withDeadline<T>(
  operation: string,
  options: WaitOptions,
  defaultMs: number,
  start: (settle: (err: Error | undefined, value?: T) => void) => void,
  makeTimeout: (ms: number) => Error,
  cleanup: () => void,
): Promise<T> {
  const ms = options.timeoutMs ?? defaultMs;
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(new CanceledError(`${operation}: canceled`));
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => finish(new CanceledError(`${operation}: canceled`));
    const timer = setTimeout(() => finish(makeTimeout(ms)), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    function finish(err: Error | undefined, value?: T): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        cleanup();
        reject(err);
      } else resolve(value as T);
    }
    try {
      start(finish);
    } catch (err) {
      finish(toError(err));
    }
  });
}
