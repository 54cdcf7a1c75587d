/**
 * Deliver a plan's documents to the engine's subscribers and then to the plan's own (those added
 * by `subscribe` messages), batching events of one stream into event pages when asked.
 * @module
 */
import { packEventPage } from '../documents/compose.js';
import type { DocumentDispatcher } from '../documents/dispatcher.js';
import type { AnyDocument, DocumentName, Event } from '../documents/types.js';

/** Send documents to subscribers; with `pageSize > 1`, pack consecutive events of a stream into event pages. */
export class DocumentEmitter {
  readonly #engine: DocumentDispatcher;
  readonly #plan: DocumentDispatcher;
  readonly #pageSize: number;
  #page: Event[] = [];
  #pageDescriptor = '';

  constructor(engine: DocumentDispatcher, plan: DocumentDispatcher, pageSize: number) {
    this.#engine = engine;
    this.#plan = plan;
    this.#pageSize = pageSize > 1 ? Math.floor(pageSize) : 1;
  }

  /** Whether events are batched into pages. */
  get paging(): boolean {
    return this.#pageSize > 1;
  }

  /** Emit a document now (after any buffered page, so documents keep their order). */
  emit(name: DocumentName, doc: AnyDocument): void {
    if (this.#page.length > 0) this.flush();
    this.#deliver(name, doc);
  }

  /** Emit an event, or buffer it into the current page of its stream. */
  emitEvent(event: Event): void {
    if (this.#pageSize === 1) {
      this.#deliver('event', event);
      return;
    }
    if (this.#page.length > 0 && this.#pageDescriptor !== event.descriptor) this.flush();
    this.#pageDescriptor = event.descriptor;
    this.#page.push(event);
    if (this.#page.length >= this.#pageSize) this.flush();
  }

  /** Emit the buffered events as one event page (nothing if none are buffered). */
  flush(): void {
    const events = this.#page;
    if (events.length === 0) return;
    this.#page = [];
    this.#deliver('event_page', packEventPage(events));
  }

  /** Drop buffered events without emitting them (used only when a run can no longer be closed). */
  discard(): void {
    this.#page = [];
  }

  #deliver(name: DocumentName, doc: AnyDocument): void {
    let first: { err: unknown } | undefined;
    try {
      this.#engine.process(name, doc);
    } catch (err) {
      first = { err };
    }
    if (this.#plan.size > 0) {
      try {
        this.#plan.process(name, doc);
      } catch (err) {
        first ??= { err };
      }
    }
    if (first) throw first.err;
  }
}
