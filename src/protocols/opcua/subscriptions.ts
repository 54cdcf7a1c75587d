/**
 * One OPC UA subscription per client, one monitored item per node, each item's notifications
 * fanned out to every listener of that node.
 * @module
 */
import { AttributeIds, ClientSubscription, TimestampsToReturn, type ClientMonitoredItem, type ClientSession, type DataValue } from 'node-opcua';
import type { NodeValue, WaitOptions } from '../contracts.js';
import { nodeValueOf } from './datatypes.js';
import { statusError } from './status.js';

/** Run `fn` on the session, bounded by the client's timeout, loss and cancellation rules. */
export type SessionRunner = <T>(operation: string, options: WaitOptions | undefined, fn: (session: ClientSession) => Promise<T>) => Promise<T>;

/** A listener of one node's values. */
export type NodeListener = (value: NodeValue<unknown>) => void;

interface Entry {
  readonly key: string;
  readonly listeners: Set<NodeListener>;
  item: ClientMonitoredItem | undefined;
  ready: Promise<ClientMonitoredItem>;
  last: NodeValue<unknown> | undefined;
}

/** Settings of a {@link SubscriptionHub}. */
export interface HubSettings {
  /** Publishing interval of the subscription, in ms. */
  publishingIntervalMs: number;
  /** Default sampling interval of a monitored item, in ms. */
  samplingIntervalMs: number;
  /** Name used in errors. */
  device: string;
}

/**
 * Keep the client's subscription and its monitored items. A second listener of a node shares
 * the node's monitored item and gets the last value at once; the item is deleted when its last
 * listener leaves. node-opcua re-creates the subscription and its items after a reconnection,
 * so listeners keep receiving values without doing anything.
 */
export class SubscriptionHub {
  readonly #run: SessionRunner;
  readonly #settings: HubSettings;
  readonly #entries = new Map<string, Entry>();
  readonly #orphans = new Set<ClientMonitoredItem>();
  #subscription: Promise<ClientSubscription> | undefined;

  /** Use `run` for every server call. */
  constructor(run: SessionRunner, settings: HubSettings) {
    this.#run = run;
    this.#settings = settings;
  }

  /** Number of nodes currently monitored. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Add `listener` to node `key` (a normalised NodeId string); resolves once the monitored item
   * exists. Rejects (and forgets the listener) with the runner's errors or the server's
   * DeviceError for an unknown node.
   */
  async add(key: string, listener: NodeListener, options: WaitOptions & { samplingIntervalMs?: number } = {}): Promise<{ unsubscribe(): Promise<void> }> {
    let entry = this.#entries.get(key);
    const fresh = entry === undefined;
    if (!entry) {
      entry = { key, listeners: new Set(), item: undefined, ready: Promise.resolve(undefined as never), last: undefined };
      const e = entry;
      e.ready = this.#run(`subscribe ${key}`, options, (session) => this.#monitor(session, e, options.samplingIntervalMs));
      // A failure is reported to every caller waiting on it; this handler only keeps it from
      // counting as unhandled.
      e.ready.catch(() => undefined);
      this.#entries.set(key, e);
    }
    const e = entry;
    e.listeners.add(listener);
    try {
      await (fresh ? e.ready : this.#run(`subscribe ${key}`, options, () => e.ready));
    } catch (err) {
      this.#drop(e, listener);
      throw err;
    }
    if (!fresh && e.last !== undefined && e.listeners.has(listener)) listener(e.last);
    let done = false;
    return {
      unsubscribe: async () => {
        if (done) return;
        done = true;
        await this.#drop(e, listener);
      },
    };
  }

  /** Stop every monitored item and the subscription (bounded by `timeoutMs`; errors ignored). */
  async close(timeoutMs: number, connected: boolean): Promise<void> {
    for (const e of this.#entries.values()) e.listeners.clear();
    this.#entries.clear();
    this.#orphans.clear();
    const sub = this.#subscription;
    this.#subscription = undefined;
    if (!sub || !connected) return;
    await this.#run('terminate subscription', { timeoutMs }, async () => {
      const s = await sub;
      await s.terminate();
    }).catch(() => undefined);
  }

  async #drop(e: Entry, listener: NodeListener): Promise<void> {
    e.listeners.delete(listener);
    if (e.listeners.size > 0 || this.#entries.get(e.key) !== e) return;
    this.#entries.delete(e.key);
    const item = e.item;
    if (!item) return;
    e.item = undefined;
    await this.#run(`unsubscribe ${e.key}`, undefined, () => item.terminate()).catch(() => {
      // The link is down: node-opcua would re-create the item after reconnecting, so delete it then.
      this.#orphans.add(item);
    });
  }

  /** Delete items whose listeners left while the link was down (call once the session is back). */
  async flushOrphans(): Promise<void> {
    const items = [...this.#orphans];
    this.#orphans.clear();
    for (const item of items) await this.#run('unsubscribe', undefined, () => item.terminate()).catch(() => undefined);
  }

  async #monitor(session: ClientSession, e: Entry, samplingIntervalMs: number | undefined): Promise<ClientMonitoredItem> {
    const sub = await this.#ensureSubscription(session);
    const item = await sub.monitor(
      { nodeId: e.key, attributeId: AttributeIds.Value },
      { samplingInterval: samplingIntervalMs ?? this.#settings.samplingIntervalMs, discardOldest: true, queueSize: 10 },
      TimestampsToReturn.Both,
    );
    if (item.statusCode.isBad()) {
      // e.g. BadNodeIdUnknown: node-opcua terminates such an item but still resolves monitor().
      throw statusError(this.#settings.device, `subscribe ${e.key}`, item.statusCode);
    }
    if (this.#entries.get(e.key) !== e || e.listeners.size === 0) {
      // Everyone left (or the hub closed) while the item was being created.
      item.terminate().catch(() => undefined);
      return item;
    }
    e.item = item;
    item.on('changed', (dv: DataValue) => {
      const v = nodeValueOf(dv);
      e.last = v;
      for (const l of [...e.listeners]) {
        try {
          l(v);
        } catch {
          // A listener must not throw; one that does cannot stop the others from being served.
        }
      }
    });
    return item;
  }

  #ensureSubscription(session: ClientSession): Promise<ClientSubscription> {
    if (this.#subscription) return this.#subscription;
    const p = new Promise<ClientSubscription>((resolve, reject) => {
      const sub = ClientSubscription.create(session, {
        requestedPublishingInterval: this.#settings.publishingIntervalMs,
        requestedLifetimeCount: 600,
        requestedMaxKeepAliveCount: 20,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      });
      const onError = (err: Error): void => {
        sub.off('started', onStarted);
        reject(err);
      };
      const onStarted = (): void => {
        sub.off('internal_error', onError);
        resolve(sub);
      };
      sub.once('started', onStarted);
      sub.once('internal_error', onError);
    });
    this.#subscription = p;
    p.catch(() => {
      if (this.#subscription === p) this.#subscription = undefined;
    });
    return p;
  }
}
