/**
 * Fan documents out to subscribers, as bluesky's RunEngine `subscribe`/`unsubscribe` do.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { AnyDocument, DocumentName } from './types.js';

/** A subscriber: receives `(name, doc)` for every document it subscribed to. */
export type DocumentSubscriber = (name: DocumentName, doc: AnyDocument) => void;

/** Options of a {@link DocumentDispatcher}. */
export interface DocumentDispatcherOptions {
  /**
   * When false (the default, as in bluesky), an exception thrown by a subscriber is rethrown to
   * the caller of {@link DocumentDispatcher.process} once every subscriber has seen the document
   * (the first exception, if several threw). When true, exceptions are passed to `onCallbackError`
   * and never reach the caller.
   */
  ignoreCallbackExceptions?: boolean;
  /** Receives subscriber exceptions when they are ignored; default `console.error`. */
  onCallbackError?: (err: unknown, name: DocumentName, doc: AnyDocument) => void;
  /**
   * Receives the rejection of an asynchronous subscriber (one that returned a promise) when
   * exceptions are not ignored; default `onCallbackError`. A rejection never goes unhandled.
   */
  onAsyncCallbackError?: (err: unknown, name: DocumentName, doc: AnyDocument) => void;
}

interface Entry {
  token: number;
  callback: DocumentSubscriber;
  /** Document name, or undefined for all documents. */
  name: DocumentName | undefined;
}

/** Deliver documents to subscribers by name; subscribe returns an integer token for unsubscribe. */
export class DocumentDispatcher {
  /** Whether subscriber exceptions are kept from the caller of {@link process}. */
  readonly ignoreCallbackExceptions: boolean;
  readonly #onError: (err: unknown, name: DocumentName, doc: AnyDocument) => void;
  readonly #onAsyncError: (err: unknown, name: DocumentName, doc: AnyDocument) => void;
  /** Replaced (never mutated) on change, so process() iterates a stable snapshot without copying. */
  #entries: readonly Entry[] = [];
  #nextToken = 0;

  constructor(options: DocumentDispatcherOptions = {}) {
    this.ignoreCallbackExceptions = options.ignoreCallbackExceptions ?? false;
    this.#onError = options.onCallbackError ?? ((err, name) => {
      console.error(`labrig: a document subscriber threw on '${name}':`, err);
    });
    this.#onAsyncError = options.onAsyncCallbackError ?? this.#onError;
  }

  /** Subscribe to every document, or only to documents named `name`; return a token. */
  subscribe(callback: DocumentSubscriber, name?: DocumentName | 'all'): number {
    if (typeof callback !== 'function') throw new InvalidInputError({ what: 'subscribe callback', value: callback, reason: 'must be a function' });
    const token = this.#nextToken++;
    this.#entries = [...this.#entries, { token, callback, name: name === 'all' ? undefined : name }];
    return token;
  }

  /** Remove the subscription with this token; return whether there was one. */
  unsubscribe(token: number): boolean {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.token !== token);
    return this.#entries.length !== before;
  }

  /** Remove every subscription. */
  unsubscribeAll(): void {
    this.#entries = [];
  }

  /** Number of current subscriptions. */
  get size(): number {
    return this.#entries.length;
  }

  /** Send one document to its subscribers, in subscription order. */
  process(name: DocumentName, doc: AnyDocument): void {
    const entries = this.#entries;
    let first: { err: unknown } | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.name !== undefined && e.name !== name) continue;
      try {
        const r = e.callback(name, doc) as unknown;
        if (r !== undefined && r !== null && typeof (r as PromiseLike<unknown>).then === 'function') this.#watch(r as PromiseLike<unknown>, name, doc);
      } catch (err) {
        if (this.ignoreCallbackExceptions) this.#onError(err, name, doc);
        else first ??= { err };
      }
    }
    if (first) throw first.err;
  }

  #watch(p: PromiseLike<unknown>, name: DocumentName, doc: AnyDocument): void {
    p.then(undefined, (err: unknown) => {
      if (this.ignoreCallbackExceptions) this.#onError(err, name, doc);
      else this.#onAsyncError(err, name, doc);
    });
  }
}
