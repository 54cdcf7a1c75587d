/**
 * OPC UA nodes as signals: a {@link SignalBackend} over one node of a {@link NodeClient}.
 * @module
 */
import type { DataKey, Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import type { ValueMetadata } from '../../core/signal/datakey.js';
import type { NodeClient, NodeValue, WaitOptions } from '../contracts.js';
import { dataTypeByName, dtypeOf, numpyOf } from './datatypes.js';
import type { NodeInfo } from './operations.js';

/** A NodeClient that may also describe nodes and connect itself (as OpcuaClient does). */
export interface OpcuaNodeSource extends NodeClient {
  /** Describe a node (data type, units, range); without it data keys are inferred from values. */
  readInfo?(nodeId: string, options?: WaitOptions): Promise<NodeInfo>;
  /** Link state; `idle` makes the backend's connect open the client. */
  readonly state?: string;
  /** Open the client (idempotent). */
  connect?(options?: WaitOptions): Promise<void>;
}

/** Options of an {@link OpcuaNodeBackend}; metadata given here overrides the server's. */
export interface OpcuaNodeBackendOptions {
  /** Name used in errors until the owning Signal sets its own. */
  name?: string;
  /** Limit of each read and write, in ms; default the client's. */
  timeoutMs?: number;
  /** Server-side sampling interval while subscribed, in ms; default the client's. */
  samplingIntervalMs?: number;
  /** Engineering units (default: the node's EngineeringUnits). */
  units?: string;
  /** Number of decimals to display. */
  precision?: number;
  /** Control limits (default: the node's EURange); the Signal refuses a put outside them (LimitsError). */
  limits?: { low: number; high: number };
  /** Type of the value as the node map declares it (default: from the node's DataType at connect; none on the mock tier). */
  dtype?: Dtype;
  /** Let the Signal check puts against the limits before writing. Default true. */
  checkLimits?: boolean;
  /** Delay before re-trying a subscription that failed (e.g. while reconnecting), in ms. Default 1000. */
  resubscribeDelayMs?: number;
}

function toReading<T>(v: NodeValue<T>): Reading<T> {
  const value = (v.value instanceof Date ? v.value.toISOString() : v.value) as T;
  const r: Reading<T> = { value, timestamp: v.timestamp };
  if (v.status !== 'Good' && !v.status.startsWith('Good')) {
    r.alarm_severity = v.status.startsWith('Bad') ? 3 : 1;
    r.message = v.status;
  }
  return r;
}

/**
 * Hold one node. `connect` describes the node once (proving it exists) and caches what it
 * learned; reads go to the server each time; `setCallback` watches the node through the
 * client's shared subscription (the current value first, then each change; a Bad value comes
 * with `alarm_severity` 3 and the status name as `message`). Its `constraints()` (the node's
 * dtype, limits from the options or EURange) are checked once by the owning Signal before `put`
 * (LimitsError / InvalidInputError); `put` writes (the client encodes the value for the node's
 * DataType, InvalidInputError if it cannot) and maps a bad status to DeviceError.
 */
export class OpcuaNodeBackend<T> implements SignalBackend<T> {
  /** Every OPC UA call has its own time limit in OpcuaClient. */
  readonly selfTimed = true;
  /** The node this backend holds, e.g. `ns=1;s=Temperature`. */
  readonly nodeId: string;
  readonly #client: OpcuaNodeSource;
  readonly #options: OpcuaNodeBackendOptions;
  #name: string;
  #info: NodeInfo | undefined;
  #setpoint: T | undefined;
  #listener: ReadingListener<T> | undefined;
  #generation = 0;
  #subscription: { unsubscribe(): Promise<void> } | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;

  /** Bind node `nodeId` of `client`. */
  constructor(client: OpcuaNodeSource, nodeId: string, options: OpcuaNodeBackendOptions = {}) {
    this.#client = client;
    this.nodeId = nodeId;
    this.#options = { ...options };
    this.#name = options.name ?? nodeId;
  }

  /** What the server said about the node at connect (undefined before). */
  get info(): NodeInfo | undefined {
    return this.#info;
  }

  /** Use `name` in errors (called by the owning Signal). */
  setName(name: string): void {
    if (name) this.#name = name;
  }

  /** Return e.g. `opc.tcp://127.0.0.1:4840/ns=1;s=Temperature`. */
  source(_name: string): string {
    return `${this.#client.address.replace(/\/$/, '')}/${this.nodeId}`;
  }

  /** Open the client if it is idle, then describe the node (or read it, if the client cannot describe). */
  async connect(timeoutMs: number): Promise<void> {
    const c = this.#client;
    if (c.state === 'idle' && c.connect) await c.connect({ timeoutMs });
    if (c.readInfo) this.#info = await c.readInfo(this.nodeId, { timeoutMs });
    else await c.read(this.nodeId, { timeoutMs });
  }

  /** Stop watching the node. */
  disconnect(): void {
    this.setCallback(undefined);
  }

  /** Read the value with its source timestamp (seconds since the epoch). */
  async getReading(): Promise<Reading<T>> {
    return toReading(await this.#client.read<T>(this.nodeId, this.#wait()));
  }

  /** Read the value. */
  async getValue(): Promise<T> {
    return (await this.getReading()).value;
  }

  /** Return the last value put through this backend, or the node's value if none. */
  async getSetpoint(): Promise<T> {
    return this.#setpoint ?? this.getValue();
  }

  /**
   * Describe the value: dtype and numpy dtype from the node's DataType, shape from ValueRank and
   * ArrayDimensions, units from EngineeringUnits, control limits from EURange (options win).
   */
  async getDatakey(source: string): Promise<DataKey> {
    const info = this.#info ?? (this.#client.readInfo ? await this.#client.readInfo(this.nodeId, this.#wait()) : undefined);
    if (info) this.#info = info;
    const key: DataKey = { source, dtype: 'string', shape: [] };
    if (info?.dataType !== undefined) {
      const dt = dataTypeByName(info.dataType);
      const isArray = info.valueRank >= 0 || info.arrayDimensions.length > 0;
      key.dtype = dtypeOf(dt, isArray);
      if (isArray) key.shape = info.arrayDimensions.length > 0 ? info.arrayDimensions.map((d) => (d > 0 ? d : null)) : [null];
      const numpy = numpyOf(dt);
      if (numpy !== undefined) key.dtype_numpy = numpy;
    } else {
      const v = (await this.getReading()).value as unknown;
      key.dtype = typeof v === 'boolean' ? 'boolean' : typeof v === 'number' ? 'number' : Array.isArray(v) ? 'array' : 'string';
      if (Array.isArray(v)) key.shape = [v.length];
    }
    const units = this.#options.units ?? info?.units;
    if (units !== undefined) key.units = units;
    if (this.#options.precision !== undefined) key.precision = this.#options.precision;
    const limits = this.#limits();
    if (limits) key.limits = { control: { low: limits.low, high: limits.high } };
    return key;
  }

  /**
   * The rules the Signal checks before `put`: the dtype (the `dtype` option, else the node's
   * DataType when known from connect and checkable: booleans, numbers, integers, strings,
   * arrays), the limits (options,
   * else EURange; none with `checkLimits: false`) and units.
   */
  constraints(): ValueMetadata {
    const rules: ValueMetadata = {};
    const dtype = this.#dtype();
    if (dtype !== undefined) rules.dtype = dtype;
    const limits = this.#options.checkLimits === false ? undefined : this.#limits();
    if (limits) rules.limits = { low: limits.low, high: limits.high };
    const units = this.#options.units ?? this.#info?.units;
    if (units !== undefined) rules.units = units;
    return rules;
  }

  /** Write a value the Signal checked; resolves when the server accepted it. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    await this.#client.write(this.nodeId, value, this.#wait());
    this.#setpoint = value;
  }

  /** Start (listener) or stop (undefined) delivering readings from the node's monitored item. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#generation++;
    this.#listener = listener;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    const old = this.#subscription;
    this.#subscription = undefined;
    if (old) void old.unsubscribe().catch(() => undefined);
    if (listener) this.#subscribe(this.#generation);
  }

  #subscribe(generation: number): void {
    const options: WaitOptions & { samplingIntervalMs?: number } = this.#wait();
    if (this.#options.samplingIntervalMs !== undefined) options.samplingIntervalMs = this.#options.samplingIntervalMs;
    this.#client
      .subscribe<T>(this.nodeId, (v) => {
        if (generation === this.#generation) this.#listener?.(toReading(v));
      }, options)
      .then(
        (sub) => {
          if (generation === this.#generation) this.#subscription = sub;
          else void sub.unsubscribe().catch(() => undefined);
        },
        () => {
          // Not possible now (e.g. the link is down): try again while someone still listens.
          if (generation !== this.#generation) return;
          this.#retry = setTimeout(() => {
            this.#retry = undefined;
            if (generation === this.#generation) this.#subscribe(generation);
          }, this.#options.resubscribeDelayMs ?? 1000);
        },
      );
  }

  #dtype(): Dtype | undefined {
    if (this.#options.dtype !== undefined) return this.#options.dtype;
    const info = this.#info;
    if (info?.dataType === undefined) return undefined;
    const dt = dataTypeByName(info.dataType);
    const isArray = info.valueRank >= 0 || info.arrayDimensions.length > 0;
    const dtype = dtypeOf(dt, isArray);
    // dtypeOf calls every other type (DateTime, ByteString, ...) a string; only a String node is one.
    return dtype === 'string' && info.dataType !== 'String' ? undefined : dtype;
  }

  #limits(): { low: number; high: number } | undefined {
    return this.#options.limits ?? this.#info?.range;
  }

  #wait(): WaitOptions {
    return this.#options.timeoutMs === undefined ? {} : { timeoutMs: this.#options.timeoutMs };
  }
}
