/**
 * The server's OET-style event stream: every request, procedure lifecycle change and script
 * message is published once with a topic (`request.procedure.create`,
 * `procedure.lifecycle.statechange`, `user.script.announce`, ...) and delivered in publish order
 * to subscribers, among them the SSE endpoint `GET /api/v1.0/stream`.
 * @module
 */

/** One event: its topic, a sequence number (the SSE id) and its fields (`msg_src`, `request_id`, ...). */
export interface StreamEvent {
  readonly id: number;
  readonly topic: string;
  readonly time: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Publishes topic events to subscribers, keeping the newest `keep` for late readers. */
export class EventStream {
  #subs: ReadonlyArray<(e: StreamEvent) => void> = [];
  #recent: StreamEvent[] = [];
  #next = 1;
  readonly #keep: number;

  /** Keep the newest `keep` events (default 500) for {@link since}. */
  constructor(keep = 500) {
    this.#keep = keep;
  }

  /** Publish `data` under `topic`; returns the event. A subscriber that throws is reported and skipped. */
  publish(topic: string, data: Record<string, unknown>): StreamEvent {
    const e: StreamEvent = { id: this.#next++, topic, time: Date.now() / 1000, data };
    this.#recent.push(e);
    if (this.#recent.length > this.#keep) this.#recent.shift();
    for (const fn of this.#subs) {
      try {
        fn(e);
      } catch (err) {
        console.error(`labrig serve: an event subscriber threw on '${topic}':`, err);
      }
    }
    return e;
  }

  /** Receive every event published from now on; returns the unsubscribe function. */
  subscribe(fn: (e: StreamEvent) => void): () => void {
    this.#subs = [...this.#subs, fn];
    return () => void (this.#subs = this.#subs.filter((s) => s !== fn));
  }

  /** Kept events with an id above `id` (for an SSE client reconnecting with Last-Event-ID). */
  since(id: number): StreamEvent[] {
    return this.#recent.filter((e) => e.id > id);
  }
}

/** Format an event as one SSE message: `data:` the JSON (topic included, as OET's stream has it) and `id:`. */
export function sseMessage(e: StreamEvent): string {
  return `data:${JSON.stringify({ topic: e.topic, ...e.data })}\nid:${e.id}\n\n`;
}
