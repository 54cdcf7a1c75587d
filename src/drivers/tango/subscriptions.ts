/**
 * One change-event subscription per attribute, however many listeners (SKA OET's
 * SubscriptionManager): the first listener of an attribute subscribes through the backend, later
 * ones share it, the last one leaving unsubscribes. Where the server cannot push events for an
 * attribute (Tango answers `API_AttributePollingNotStarted` or `API_EventPropertiesNotSet`), the
 * manager polls it instead at `pollMs` and delivers a reading whenever the value or quality
 * changed; {@link TangoSubscriptionManager.mode} says which one an attribute uses. When the event
 * channel reports an error (the server died: `API_EventTimeout`, or the backend process died),
 * the manager drops the subscription and subscribes again every `resubscribeMs` while listeners
 * remain, so events resume after a server restart.
 * @module
 */
import { isDisconnected } from '../../core/errors.js';
import type { TangoBackend, TangoEvent, TangoReading, TangoValue } from './backend.js';
import { TangoError } from './errors.js';

/** How an attribute's updates arrive: pushed change events, or polling at `pollMs`. */
export type TangoUpdateMode = { kind: 'events' } | { kind: 'polling'; periodMs: number };

/** Options of the manager. */
export interface SubscriptionManagerOptions {
  /** Polling period where events are unavailable, ms (default 500). */
  pollMs?: number;
  /** Delay between resubscription attempts after an event-channel error, ms (default 1000). */
  resubscribeMs?: number;
  /** Limit of each subscribe/read call, ms (default the backend's). */
  timeoutMs?: number;
}

/** Reasons meaning "this attribute cannot push events" (fall back to polling). */
export const NO_EVENT_REASONS: readonly string[] = ['API_AttributePollingNotStarted', 'API_EventPropertiesNotSet', 'API_NotificationServiceFailed'];

type Listener = (event: TangoEvent) => void;

interface Entry {
  attr: string;
  listeners: Set<Listener>;
  mode?: TangoUpdateMode;
  unsubscribe?: () => Promise<void>;
  poll?: NodeJS.Timeout;
  retry?: NodeJS.Timeout;
  resubscribing?: boolean;
  last?: TangoReading;
  generation: number;
  starting?: Promise<void>;
}

function sameValue(a: TangoValue | undefined, b: TangoValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a.shape.join() !== b.shape.join() || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** The subscription manager of one backend (see the module notes). */
export class TangoSubscriptionManager {
  readonly #backend: TangoBackend;
  readonly #o: Required<Omit<SubscriptionManagerOptions, 'timeoutMs'>> & { timeoutMs?: number };
  readonly #entries = new Map<string, Entry>();
  readonly #modes = new Map<string, TangoUpdateMode>();
  #closed = false;
  /** Backend subscriptions made so far (for tests and diagnostics). */
  subscribeCalls = 0;

  /** Manage subscriptions of `backend`. */
  constructor(backend: TangoBackend, options: SubscriptionManagerOptions = {}) {
    this.#backend = backend;
    this.#o = { pollMs: options.pollMs ?? 500, resubscribeMs: options.resubscribeMs ?? 1000, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) };
  }

  /** The polling period used where events are unavailable, ms. */
  get pollMs(): number {
    return this.#o.pollMs;
  }

  /** How `attr` gets its updates, once known (after a subscribe or {@link probe}). */
  mode(attr: string): TangoUpdateMode | undefined {
    return this.#modes.get(attr.toLowerCase());
  }

  /** Number of listeners of `attr`. */
  listenerCount(attr: string): number {
    return this.#entries.get(attr.toLowerCase())?.listeners.size ?? 0;
  }

  /** Learn whether `attr` can push events (subscribe and drop at once, unless already subscribed). */
  async probe(attr: string): Promise<TangoUpdateMode> {
    const known = this.mode(attr);
    if (known) return known;
    try {
      const unsub = await this.#backend.subscribe(attr, () => undefined, this.#call());
      this.subscribeCalls++;
      await unsub();
      return this.#setMode(attr, { kind: 'events' });
    } catch (e) {
      if (e instanceof TangoError && NO_EVENT_REASONS.some((r) => e.hasReason(r))) return this.#setMode(attr, { kind: 'polling', periodMs: this.#o.pollMs });
      throw e;
    }
  }

  /**
   * Add a listener of `attr`; resolves once updates flow (events subscribed or polling started)
   * to the function that removes it. The last removal unsubscribes (or stops polling).
   */
  async add(attr: string, listener: Listener): Promise<() => Promise<void>> {
    const key = attr.toLowerCase();
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { attr, listeners: new Set(), generation: 0 };
      this.#entries.set(key, entry);
    }
    entry.listeners.add(listener);
    if (entry.listeners.size === 1 && !entry.unsubscribe && !entry.poll && !entry.starting) {
      entry.starting = this.#start(entry, entry.generation).finally(() => {
        entry.starting = undefined;
      });
    } else if (entry.last) {
      listener({ reading: entry.last });
    }
    try {
      await entry.starting;
    } catch (e) {
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0) this.#entries.delete(key);
      throw e;
    }
    let removed = false;
    const e = entry;
    return async () => {
      if (removed) return;
      removed = true;
      e.listeners.delete(listener);
      if (e.listeners.size === 0) await this.#stop(e);
    };
  }

  #call(): { timeoutMs?: number } {
    return this.#o.timeoutMs === undefined ? {} : { timeoutMs: this.#o.timeoutMs };
  }

  #setMode(attr: string, mode: TangoUpdateMode): TangoUpdateMode {
    this.#modes.set(attr.toLowerCase(), mode);
    return mode;
  }

  #deliver(entry: Entry, ev: TangoEvent): void {
    if (ev.reading) entry.last = ev.reading;
    for (const l of [...entry.listeners]) l(ev);
  }

  async #start(entry: Entry, generation: number): Promise<void> {
    const mode = this.mode(entry.attr);
    if (mode?.kind !== 'polling') {
      try {
        const unsub = await this.#backend.subscribe(entry.attr, (ev) => this.#onEvent(entry, generation, ev), this.#call());
        this.subscribeCalls++;
        if (generation !== entry.generation || entry.listeners.size === 0) {
          await unsub().catch(() => undefined);
          return;
        }
        entry.unsubscribe = unsub;
        this.#setMode(entry.attr, { kind: 'events' });
        return;
      } catch (e) {
        if (!(e instanceof TangoError && NO_EVENT_REASONS.some((r) => e.hasReason(r)))) throw e;
        this.#setMode(entry.attr, { kind: 'polling', periodMs: this.#o.pollMs });
      }
    }
    await this.#pollOnce(entry, generation);
    this.#schedulePoll(entry, generation);
  }

  #schedulePoll(entry: Entry, generation: number): void {
    if (generation !== entry.generation || entry.listeners.size === 0 || this.#closed) return;
    entry.poll = setTimeout(() => {
      entry.poll = undefined;
      void this.#pollOnce(entry, generation)
        .catch((error: unknown) => {
          if (generation === entry.generation) this.#deliver(entry, { error: error instanceof Error ? error : new Error(String(error)) });
        })
        .finally(() => this.#schedulePoll(entry, generation));
    }, this.#o.pollMs);
  }

  async #pollOnce(entry: Entry, generation: number): Promise<void> {
    const [r] = await this.#backend.readAttributes([entry.attr], this.#call());
    if (!r || generation !== entry.generation) return;
    const prev = entry.last;
    if (prev && prev.quality === r.quality && sameValue(prev.value, r.value)) return;
    this.#deliver(entry, { reading: r });
  }

  #onEvent(entry: Entry, generation: number, ev: TangoEvent): void {
    if (generation !== entry.generation) return;
    this.#deliver(entry, ev);
    if (ev.error && (isDisconnected(ev.error) || ev.error instanceof TangoError)) this.#resubscribe(entry);
  }

  /** Drop the broken subscription and subscribe again every resubscribeMs while listeners remain. */
  #resubscribe(entry: Entry): void {
    if (entry.resubscribing || this.#closed) return;
    entry.resubscribing = true;
    const generation = ++entry.generation;
    const old = entry.unsubscribe;
    entry.unsubscribe = undefined;
    const attempt = (): void => {
      entry.retry = undefined;
      if (generation !== entry.generation || entry.listeners.size === 0 || this.#closed) return;
      void (async () => {
        try {
          await this.#start(entry, generation);
          if (generation === entry.generation) entry.resubscribing = false;
        } catch {
          if (generation === entry.generation && entry.listeners.size > 0 && !this.#closed) entry.retry = setTimeout(attempt, this.#o.resubscribeMs);
        }
      })();
    };
    void (old ? old().catch(() => undefined) : Promise.resolve()).then(() => {
      entry.retry = setTimeout(attempt, this.#o.resubscribeMs);
    });
  }

  async #stop(entry: Entry): Promise<void> {
    entry.generation++;
    if (entry.poll) clearTimeout(entry.poll);
    if (entry.retry) clearTimeout(entry.retry);
    entry.poll = undefined;
    entry.retry = undefined;
    entry.resubscribing = false;
    entry.last = undefined;
    const unsub = entry.unsubscribe;
    entry.unsubscribe = undefined;
    this.#entries.delete(entry.attr.toLowerCase());
    if (unsub) await unsub().catch(() => undefined);
  }

  /** Stop every subscription and poll. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#entries.values()].map((e) => this.#stop(e)));
  }
}
