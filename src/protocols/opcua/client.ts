/**
 * labrig's OPC UA client: a node-opcua client and session behind the {@link NodeClient}
 * contract, with connection-state events, a time limit on every call, typed errors, and
 * subscriptions shared per node.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OPCUACertificateManager, OPCUAClient, resolveNodeId,
  type ClientSession, type NodeId, type UserIdentityInfo,
} from 'node-opcua';
import { CanceledError, DisconnectedError, InvalidInputError, LabrigError, TimeoutError, DeviceError } from '../../core/errors.js';
import type { BrowseEntry, NodeClient, NodeValue, StateDetail, Unsubscribe, WaitOptions } from '../contracts.js';
import { ensureOpcuaLogsRouted } from './logging.js';
import { checkEndpoint, checkMs, securityModeOf, securityPolicyOf, userIdentityOf, type OpcuaClientOptions } from './options.js';
import { statusNameIn } from './status.js';
import { SubscriptionHub } from './subscriptions.js';
import * as ops from './operations.js';
import type { CallOptions, NodeInfo, WriteOptions } from './operations.js';

/** Where the client's link stands. After `restored` the state is `connected` again. */
export type OpcuaClientState = 'idle' | 'connecting' | 'connected' | 'lost' | 'reconnecting' | 'closed';

/**
 * Events reported to `onState` listeners. `closed` also ends a failed connect attempt (the
 * state is then `idle` again, with the error in the detail).
 */
export type OpcuaStateEvent = 'connecting' | 'connected' | 'lost' | 'reconnecting' | 'restored' | 'closed';

type StateListener = (event: OpcuaStateEvent, detail: StateDetail) => void;

/**
 * An OPC UA client with one session. `connect()` opens channel and session; every call then
 * has a time limit (TimeoutError), honours an AbortSignal (CanceledError) and maps a bad status
 * to a DeviceError whose `vendorCode` is the status name. When the link drops the client says
 * `lost`, rejects calls in flight with DisconnectedError, and node-opcua reconnects by itself
 * (`reconnecting` for each attempt); once the session and its subscription are repaired it says
 * `restored` and listeners receive values again. Calls made while the link is down reject at
 * once with DisconnectedError, or wait within their timeout with `whileReconnecting: 'wait'`.
 */
export class OpcuaClient implements NodeClient {
  /** Endpoint, e.g. `opc.tcp://127.0.0.1:4840`. */
  readonly address: string;
  /** Name used in errors (default: the endpoint). */
  readonly name: string;
  /** Default limit of each call, in ms. */
  readonly timeoutMs: number;
  readonly #options: OpcuaClientOptions;
  readonly #connectTimeoutMs: number;
  readonly #identity: UserIdentityInfo;
  readonly #listeners = new Set<StateListener>();
  readonly #lossWaiters = new Set<(err: Error) => void>();
  readonly #restoreWaiters = new Set<() => void>();
  readonly #hub: SubscriptionHub;
  readonly #types = new Map<string, ops.NodeType>();
  #state: OpcuaClientState = 'idle';
  #client: OPCUAClient | undefined;
  #session: ClientSession | undefined;
  #pkiDir: string | undefined;
  #ownsPki = false;
  #connecting: Promise<void> | undefined;
  #connectAbort: AbortController | undefined;
  #closing: Promise<void> | undefined;
  /** The session while close() terminates the subscription (the state already says closed). */
  #closingSession: ClientSession | undefined;

  /** Prepare a client of `endpoint` (checked: InvalidInputError); nothing is opened yet. */
  constructor(endpoint: string, options: OpcuaClientOptions = {}) {
    this.address = checkEndpoint(endpoint);
    this.name = options.name ?? endpoint;
    this.timeoutMs = checkMs('timeoutMs', options.timeoutMs, 5000);
    this.#connectTimeoutMs = checkMs('connectTimeoutMs', options.connectTimeoutMs, 10_000);
    checkMs('reconnectInitialDelayMs', options.reconnectInitialDelayMs, 0);
    checkMs('reconnectMaxDelayMs', options.reconnectMaxDelayMs, 0);
    securityModeOf(options.securityMode);
    securityPolicyOf(options.securityPolicy);
    this.#identity = userIdentityOf(options.userIdentity);
    if (options.whileReconnecting !== undefined && options.whileReconnecting !== 'reject' && options.whileReconnecting !== 'wait') {
      throw new InvalidInputError({ what: 'whileReconnecting', value: options.whileReconnecting, reason: "expected 'reject' or 'wait'" });
    }
    this.#options = { ...options };
    this.#hub = new SubscriptionHub((op, o, fn) => this.#run(op, o, fn), {
      publishingIntervalMs: checkMs('publishingIntervalMs', options.publishingIntervalMs, 100),
      samplingIntervalMs: checkMs('samplingIntervalMs', options.samplingIntervalMs, 100),
      device: this.name,
    });
  }

  /** Current state of the link. */
  get state(): OpcuaClientState {
    return this.#state;
  }

  /** Listen to state events (connecting, connected, lost, reconnecting, restored, closed). */
  onState(listener: StateListener): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Open the channel and the session. Retries a refused connection until `options.timeoutMs`
   * (default `connectTimeoutMs`; a server may still be starting up), then rejects with
   * TimeoutError naming the last error; also CanceledError (signal, or `close()` meanwhile),
   * DeviceError (the server refused the session, e.g. BadIdentityTokenRejected). A failed
   * connect leaves the client `idle`, to be tried again. Idempotent while connected.
   */
  connect(options: WaitOptions = {}): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new DisconnectedError({ device: this.name, detail: 'client is closed' }));
    if (this.#state !== 'idle') return this.#connecting ?? Promise.resolve();
    const abort = new AbortController();
    this.#connectAbort = abort;
    const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
    this.#connecting = this.#open({ ...options, signal }).catch(async (err: unknown) => {
      await this.#teardown();
      this.#connecting = undefined;
      // After close() the client stays closed; otherwise connect may be tried again.
      if (this.#state !== 'closed') this.#setState('idle', 'closed', { error: err as Error });
      throw err;
    });
    return this.#connecting;
  }

  /** Read a node's value (DeviceError for a Bad status; Uncertain values are returned). */
  read<T = unknown>(nodeId: string, options?: WaitOptions): Promise<NodeValue<T>> {
    const id = this.#nodeId(nodeId);
    return this.#run(`read ${id}`, options, (s) => ops.readValue<T>(s, this.name, id));
  }

  /**
   * Write a node's value. The value is checked against the node's DataType and ValueRank (read
   * once and cached, or given as `options.dataType`) before it is sent: InvalidInputError for a
   * wrong type or an integer out of range; DeviceError for a status other than Good.
   */
  write(nodeId: string, value: unknown, options?: WriteOptions): Promise<void> {
    const id = this.#nodeId(nodeId);
    return this.#run(`write ${id}`, options, async (s) => {
      const type = await this.#typeOf(s, id, options);
      await ops.writeValue(s, this.name, id, type, value);
    });
  }

  /** List a node's hierarchical children (follows continuation points). */
  browse(nodeId: string, options?: WaitOptions): Promise<BrowseEntry[]> {
    const id = this.#nodeId(nodeId);
    return this.#run(`browse ${id}`, options, (s) => ops.browse(s, this.name, id));
  }

  /** Describe a node: names, class, data type, array shape, writability, units and EURange. */
  readInfo(nodeId: string, options?: WaitOptions): Promise<NodeInfo> {
    const id = this.#nodeId(nodeId);
    return this.#run(`describe ${id}`, options, (s) => ops.readInfo(s, this.name, id));
  }

  /**
   * Call method `methodId` of object `objectId` with `args` (converted to the method's declared
   * argument types) and return its output values.
   */
  call(objectId: string, methodId: string, args: unknown[] = [], options?: CallOptions): Promise<unknown[]> {
    const obj = this.#nodeId(objectId);
    const method = this.#nodeId(methodId);
    return this.#run(`call ${method}`, options, (s) => ops.callMethod(s, this.name, obj, method, args));
  }

  /**
   * Watch a node. Resolves once its monitored item exists; the listener then gets the current
   * value and each change (the status name tells a Bad value) until `unsubscribe()`. Listeners
   * of the same node share one monitored item; a later one gets the last value at once.
   */
  subscribe<T = unknown>(
    nodeId: string,
    listener: (value: NodeValue<T>) => void,
    options?: WaitOptions & { samplingIntervalMs?: number },
  ): Promise<{ unsubscribe(): Promise<void> }> {
    const id = this.#nodeId(nodeId);
    return this.#hub.add(id.toString(), listener as (v: NodeValue<unknown>) => void, options);
  }

  /**
   * Close the subscription, the session and the channel (each step bounded by the timeout),
   * stop reconnecting, and remove a temporary PKI folder. Idempotent; calls in flight reject
   * with DisconnectedError.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const wasConnected = this.#state === 'connected';
      this.#setState('closed', 'closed', {});
      this.#failWaiters(new DisconnectedError({ device: this.name, detail: 'client closed' }));
      // A connect still in progress gives up at once (it rejects with CanceledError).
      this.#connectAbort?.abort('client closed');
      await this.#connecting?.catch(() => undefined);
      // Let the hub's last server call run although the state already says closed.
      this.#closingSession = wasConnected ? this.#session : undefined;
      await this.#hub.close(this.timeoutMs, wasConnected);
      this.#closingSession = undefined;
      await this.#teardown();
    })();
    return this.#closing;
  }

  async #open(options: WaitOptions): Promise<void> {
    ensureOpcuaLogsRouted();
    this.#setState('connecting', 'connecting', {});
    const o = this.#options;
    if (o.pkiDir) this.#pkiDir = o.pkiDir;
    else {
      this.#pkiDir = await mkdtemp(join(tmpdir(), 'labrig-opcua-client-'));
      this.#ownsPki = true;
    }
    const client = OPCUAClient.create({
      applicationName: o.applicationName ?? 'labrig',
      endpointMustExist: false,
      securityMode: securityModeOf(o.securityMode),
      securityPolicy: securityPolicyOf(o.securityPolicy),
      requestedSessionTimeout: checkMs('sessionTimeoutMs', o.sessionTimeoutMs, 60_000),
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: this.#pkiDir,
        automaticallyAcceptUnknownCertificate: o.acceptUnknownServerCertificates ?? false,
        disableFileWatchers: true,
      }),
      // maxRetry -1: keep trying (bounded by our own connect timeout) and reconnect after a loss.
      connectionStrategy: {
        maxRetry: -1,
        initialDelay: o.reconnectInitialDelayMs ?? 200,
        maxDelay: o.reconnectMaxDelayMs ?? 2000,
        randomisationFactor: 0,
      },
    });
    this.#client = client;
    let lastError: Error | undefined;
    client.on('backoff', (count: number, delayMs: number) => {
      if (this.#state === 'reconnecting' || this.#state === 'lost') {
        this.#setState('reconnecting', 'reconnecting', { attempt: count + 1, delayMs });
      }
    });
    client.on('connection_failed', (err: Error) => {
      lastError = err;
    });
    client.on('reconnection_attempt_has_failed', (err: Error) => {
      lastError = err;
    });
    const work = (async () => {
      await client.connect(this.address);
      this.#session = await client.createSession(this.#identity);
    })().catch((err: unknown) => {
      if (err instanceof LabrigError) throw err;
      const e = err instanceof Error ? err : new Error(String(err));
      const status = statusNameIn(e.message);
      if (status) throw new DeviceError({ device: this.name, vendorMessage: `connect: ${e.message}`, vendorCode: status, cause: e });
      throw new DisconnectedError({ device: this.name, detail: `connect failed: ${e.message.split('\n')[0]}`, cause: e });
    });
    const limit = checkMs('timeoutMs', options.timeoutMs, this.#connectTimeoutMs);
    await guard(work, `connect ${this.address}`, limit, options.signal, () => lastError, () => {
      void client.disconnect().catch(() => undefined);
    });
    if (this.#state === 'closed') throw new DisconnectedError({ device: this.name, detail: 'client closed while connecting' });
    client.on('connection_lost', () => this.#onLost());
    client.on('start_reconnection', () => {
      if (this.#state !== 'closed') this.#setState('reconnecting', 'reconnecting', { attempt: 1 });
    });
    client.on('connection_reestablished', () => {
      if (this.#state === 'closed') return;
      this.#setState('connected', 'restored', {});
      for (const w of [...this.#restoreWaiters]) w();
      void this.#hub.flushOrphans();
    });
    client.on('close', (err?: Error | null) => {
      if (this.#state === 'closed') return;
      const error = new DisconnectedError({ device: this.name, detail: `connection closed${err ? `: ${err.message}` : ''}` });
      this.#setState('closed', 'closed', { error });
      this.#failWaiters(error);
    });
    this.#setState('connected', 'connected', {});
  }

  #onLost(): void {
    if (this.#state === 'closed') return;
    const error = new DisconnectedError({ device: this.name, detail: 'connection lost' });
    this.#setState('lost', 'lost', { error });
    this.#failWaiters(error);
  }

  #failWaiters(err: Error): void {
    for (const w of [...this.#lossWaiters]) w(err);
    for (const w of [...this.#restoreWaiters]) w();
  }

  async #teardown(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#session = undefined;
    if (client) {
      // disconnect() closes the session and cancels a reconnection in progress.
      await guard(client.disconnect(), `disconnect ${this.address}`, this.timeoutMs, undefined, () => undefined, () => undefined).catch(() => undefined);
    }
    if (this.#ownsPki && this.#pkiDir) {
      await rm(this.#pkiDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 }).catch(() => undefined);
    }
    this.#pkiDir = undefined;
    this.#ownsPki = false;
  }

  #setState(state: OpcuaClientState, event: OpcuaStateEvent, detail: StateDetail): void {
    this.#state = state;
    for (const l of [...this.#listeners]) {
      try {
        l(event, detail);
      } catch {
        // A state listener must not throw; the others are still told.
      }
    }
  }

  #nodeId(nodeId: string): NodeId {
    try {
      return resolveNodeId(nodeId);
    } catch {
      throw new InvalidInputError({ what: `${this.name} nodeId`, value: nodeId, reason: 'expected a NodeId such as ns=1;s=Temperature or i=85' });
    }
  }

  async #typeOf(session: ClientSession, id: NodeId, options: WriteOptions | undefined): Promise<ops.NodeType> {
    if (options?.dataType) return ops.typeFromOptions(options.dataType, options.isArray);
    const key = id.toString();
    let t = this.#types.get(key);
    if (!t) {
      t = await ops.readType(session, this.name, id);
      this.#types.set(key, t);
    }
    return t;
  }

  /** Wait for the link to be usable (or reject), then run `fn` within the time limit. */
  async #run<T>(operation: string, options: WaitOptions | undefined, fn: (session: ClientSession) => Promise<T>): Promise<T> {
    const timeoutMs = checkMs('timeoutMs', options?.timeoutMs, this.timeoutMs);
    const signal = options?.signal;
    const started = performance.now();
    if (signal?.aborted) throw new CanceledError(`${this.name} ${operation}: ${String(signal.reason ?? 'aborted')}`);
    const closing = this.#closingSession;
    if (closing) return this.#guardLoss(operation, timeoutMs, signal, () => fn(closing));
    if (this.#state === 'idle') throw new DisconnectedError({ device: this.name, detail: `not connected (${operation}); call connect() first` });
    if (this.#state === 'closed') throw new DisconnectedError({ device: this.name, detail: `client is closed (${operation})` });
    if (this.#state === 'connecting') {
      await guard(this.#connecting ?? Promise.resolve(), `${this.name} ${operation}`, timeoutMs, signal, () => undefined, () => undefined);
    }
    if (this.#state === 'lost' || this.#state === 'reconnecting') {
      if (this.#options.whileReconnecting !== 'wait') {
        throw new DisconnectedError({ device: this.name, detail: `connection lost, reconnecting (${operation})` });
      }
      const left = Math.max(0, timeoutMs - (performance.now() - started));
      await guard(this.#restored(), `${this.name} ${operation} (waiting for reconnection)`, left, signal, () => undefined, () => undefined, timeoutMs);
      if (this.state !== 'connected') throw new DisconnectedError({ device: this.name, detail: `client is ${this.state} (${operation})` });
    }
    const session = this.#session;
    // `state` (not the narrowed `#state`): it may have changed while we waited above.
    if (!session || this.state !== 'connected') throw new DisconnectedError({ device: this.name, detail: `client is ${this.#state} (${operation})` });
    const left = Math.max(0, timeoutMs - (performance.now() - started));
    return this.#guardLoss(operation, left, signal, () => fn(session), timeoutMs);
  }

  #restored(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#restoreWaiters.delete(done);
        resolve();
      };
      this.#restoreWaiters.add(done);
    });
  }

  /** Run `fn`, rejecting with DisconnectedError when the link is lost meanwhile. */
  #guardLoss<T>(operation: string, timeoutMs: number, signal: AbortSignal | undefined, fn: () => Promise<T>, reportMs = timeoutMs): Promise<T> {
    let onLoss: ((err: Error) => void) | undefined;
    const lost = new Promise<never>((_, reject) => {
      onLoss = reject;
      this.#lossWaiters.add(reject);
    });
    lost.catch(() => undefined);
    const work = Promise.race([fn().catch((err: unknown) => Promise.reject(this.#mapError(operation, err))), lost]);
    return guard(work, `${this.name} ${operation}`, timeoutMs, signal, () => undefined, () => undefined, reportMs).finally(() => {
      if (onLoss) this.#lossWaiters.delete(onLoss);
    });
  }

  /** Turn what node-opcua threw into a labrig error. */
  #mapError(operation: string, err: unknown): Error {
    if (err instanceof LabrigError) return err;
    const e = err instanceof Error ? err : new Error(String(err));
    if (this.#state !== 'connected') return new DisconnectedError({ device: this.name, detail: `${operation}: ${e.message}`, cause: e });
    return new DeviceError({ device: this.name, vendorMessage: `${operation}: ${e.message}`, vendorCode: statusNameIn(e.message), cause: e });
  }
}

/** Open a client of `endpoint` and connect it (see {@link OpcuaClient.connect}). */
export async function connectOpcua(endpoint: string, options: OpcuaClientOptions & WaitOptions = {}): Promise<OpcuaClient> {
  const client = new OpcuaClient(endpoint, options);
  const wait: WaitOptions = {};
  if (options.signal) wait.signal = options.signal;
  await client.connect(wait);
  return client;
}

/**
 * Wait for `work` at most `timeoutMs` (TimeoutError naming `operation` and the last error) and
 * until `signal` aborts (CanceledError); `onGiveUp` releases what the work holds.
 */
function guard<T>(
  work: Promise<T>,
  operation: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  lastError: () => Error | undefined,
  onGiveUp: () => void,
  /** The limit named in the TimeoutError (the caller's, when `timeoutMs` is what is left of it). */
  reportMs = timeoutMs,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      finish(() => {
        onGiveUp();
        reject(new CanceledError(`${operation}: ${String(signal?.reason ?? 'aborted')}`));
      });
    };
    const onTimeout = (): void => {
      finish(() => {
        onGiveUp();
        const last = lastError();
        reject(new TimeoutError({ operation, afterMs: reportMs, detail: last ? ` (last error: ${last.message.split('\n')[0]})` : '' }));
      });
    };
    // No time left is a timeout now, not a race between a 1 ms timer and a fast answer.
    const timer = timeoutMs > 0 ? setTimeout(onTimeout, timeoutMs) : undefined;
    if (timer === undefined) onTimeout();
    else if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
  });
}
