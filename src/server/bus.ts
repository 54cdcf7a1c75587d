/**
 * The server's document bus: every event-model document of every run started through
 * `labrig serve` (device sets, actions with runs, procedures) is published here once, and the
 * network faces (the `/ws/documents` websocket, the 0MQ publisher) subscribe to it.
 * @module
 */
import type { AnyDocument, DocumentName } from '../core/documents/types.js';

/** Receives `(name, doc)` for every document published on a {@link DocumentBus}. */
export type BusSubscriber = (name: DocumentName, doc: AnyDocument) => void;

/** Options of a {@link DocumentBus}. */
export interface DocumentBusOptions {
  /** Receives an exception thrown by a subscriber; default prints it with `console.error`. */
  onSubscriberError?: (err: unknown, name: DocumentName) => void;
}

/**
 * Deliver documents to subscribers in publish order. A subscriber that throws is reported and
 * does not stop the others or the publisher: a broken network client never fails a run.
 */
export class DocumentBus {
  /** Replaced, never mutated, so publish iterates a stable snapshot. */
  #subscribers: readonly BusSubscriber[] = [];
  readonly #onError: (err: unknown, name: DocumentName) => void;
  #published = 0;

  constructor(options: DocumentBusOptions = {}) {
    this.#onError = options.onSubscriberError ?? ((err, name) => {
      console.error(`labrig serve: a document subscriber threw on '${name}':`, err);
    });
  }

  /** Hand `doc` to every current subscriber, synchronously, in subscription order. */
  publish(name: DocumentName, doc: AnyDocument): void {
    this.#published++;
    for (const fn of this.#subscribers) {
      try {
        fn(name, doc);
      } catch (err) {
        this.#onError(err, name);
      }
    }
  }

  /** Receive every document published from now on; return a function that unsubscribes. */
  subscribe(fn: BusSubscriber): () => void {
    this.#subscribers = [...this.#subscribers, fn];
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#subscribers = this.#subscribers.filter((s) => s !== fn);
    };
  }

  /** Number of current subscribers. */
  get subscriberCount(): number {
    return this.#subscribers.length;
  }

  /** Number of documents published since the bus was made. */
  get publishedCount(): number {
    return this.#published;
  }
}
