/**
 * Modbus registers as signals: a {@link SignalBackend} for one register-map entry on a
 * {@link RegisterBus}, and `registerMapSignals` to turn a whole map into SignalR / SignalRW.
 * @module
 */
import { UnsupportedError } from '../../core/errors.js';
import type { DataKey, Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import type { ValueMetadata } from '../../core/signal/datakey.js';
import { SignalR, SignalRW } from '../../core/signal/index.js';
import type { RegisterBus } from '../contracts.js';
import { decodeEntry, encodeEntry, parseRegisterMap, resolveEntry, wordCount } from './register-map.js';
import type { RegisterEntry, RegisterMap, ResolvedEntry } from './register-map.js';

/** Options of a {@link ModbusRegisterBackend}. */
export interface ModbusBackendOptions {
  /** Unit id; default the bus's unit. */
  unit?: number;
  /** Period of reads while subscribed, in ms; default 1000. */
  pollMs?: number;
  /** Time limit of each read and write in ms; default the bus's. */
  timeoutMs?: number;
}

const TABLE_TAG: Record<ResolvedEntry['table'], string> = { holding: 'hr', input: 'ir', coil: 'co', discrete: 'di' };
const NUMPY: Record<string, string> = { int16: '<i2', uint16: '<u2', int32: '<i4', uint32: '<u4', float32: '<f4', bool: '|b1' };

/**
 * Hold one register-map entry on a bus. Reads go to the device every time (no cache); a
 * subscription polls every `pollMs` and delivers the first reading and then each change. Its
 * `constraints()` (dtype, the entry's limits) are checked once by the owning Signal before `put`
 * (InvalidInputError / LimitsError); `put` encodes the value (InvalidInputError when it does not
 * fit the storage type, nothing sent) and writes with function 5 (coil), 6 (one register) or 16 (two registers); it resolves when
 * the device acknowledged the write (`wait` changes nothing: Modbus has no completion signal).
 */
export class ModbusRegisterBackend<T extends number | boolean = number | boolean> implements SignalBackend<T> {
  /** Every register request has its own timeout in the Modbus client. */
  readonly selfTimed = true;
  /** The entry with its defaults filled in. */
  readonly entry: ResolvedEntry;
  private readonly bus: RegisterBus;
  private readonly options: ModbusBackendOptions;
  private readonly pollMs: number;
  private name: string;
  private setpoint: T | undefined;
  private listener: ReadingListener<T> | undefined;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private last: T | undefined;

  /** Bind `entry` of a register map to `bus`. */
  constructor(bus: RegisterBus, entry: RegisterEntry, options: ModbusBackendOptions = {}) {
    this.bus = bus;
    this.entry = resolveEntry(entry);
    this.options = options;
    this.pollMs = options.pollMs ?? 1000;
    this.name = this.entry.name;
  }

  /** Use `name` in errors (called by the owning Signal). */
  setName(name: string): void {
    if (name) this.name = name;
  }

  /** Return e.g. `modbus+tcp://127.0.0.1:502/1/hr/10` (bus, unit, table, address). */
  source(_name: string): string {
    const base = this.bus.address.replace(/\?.*$/, '');
    const unit = this.options.unit ?? Number(/[?&]unit=(\d+)/.exec(this.bus.address)?.[1] ?? 1);
    return `${base}/${unit}/${TABLE_TAG[this.entry.table]}/${this.entry.address}`;
  }

  /** Read the value once to prove the device answers. */
  async connect(timeoutMs: number): Promise<void> {
    await this.readRaw(timeoutMs);
  }

  /** Stop polling. */
  disconnect(): void {
    this.setCallback(undefined);
  }

  /** Read the value from the device with the time of the read (seconds since the epoch). */
  async getReading(): Promise<Reading<T>> {
    const value = await this.readRaw();
    return { value, timestamp: Date.now() / 1000 };
  }

  /** Read the value from the device. */
  getValue(): Promise<T> {
    return this.readRaw();
  }

  /** Return the last value written through this backend, or the device's value if none. */
  async getSetpoint(): Promise<T> {
    return this.setpoint ?? this.readRaw();
  }

  /** Describe the value: dtype from the storage type and scaling, units, precision, limits. */
  async getDatakey(source: string): Promise<DataKey> {
    const e = this.entry;
    const scaled = e.scale !== 1 || e.offset !== 0;
    const key: DataKey = { source, dtype: this.#dtype(), shape: [] };
    key.dtype_numpy = scaled ? '<f8' : (NUMPY[e.type] as string);
    if (e.units !== undefined) key.units = e.units;
    if (e.precision !== undefined) key.precision = e.precision;
    if (e.limits) key.limits = { control: { low: e.limits.low, high: e.limits.high } };
    return key;
  }

  /** The rules the Signal checks before `put`: the dtype of the data key, the entry's limits and units. */
  constraints(): ValueMetadata {
    const e = this.entry;
    const rules: ValueMetadata = { dtype: this.#dtype() };
    if (e.limits) rules.limits = { low: e.limits.low, high: e.limits.high };
    if (e.units !== undefined) rules.units = e.units;
    return rules;
  }

  /** Encode and write a value the Signal checked; resolves once the device acknowledged it. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    const e = this.entry;
    if (!e.writable) throw new UnsupportedError({ device: this.name, verb: 'put' });
    const raw = encodeEntry({ ...e, name: this.name }, value);
    const opts = this.callOptions();
    if (typeof raw === 'boolean') await this.bus.writeCoil(e.address, raw, opts);
    else if (raw.length === 1) await this.bus.writeSingle(e.address, raw[0] as number, opts);
    else await this.bus.writeMultiple(e.address, raw, opts);
    this.setpoint = value as T;
  }

  /** Start (poll every pollMs, deliver changes) or stop (undefined) delivering readings. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.listener = listener;
    this.last = undefined;
    if (listener) this.poll(listener, true);
  }

  private poll(listener: ReadingListener<T>, first: boolean): void {
    this.readRaw().then(
      (value) => {
        if (this.listener !== listener) return;
        if (first || value !== this.last) listener({ value, timestamp: Date.now() / 1000 });
        this.last = value;
        this.schedule(listener);
      },
      () => {
        // A failed poll is skipped; the next one may succeed (e.g. after a reconnect).
        if (this.listener === listener) this.schedule(listener, first);
      },
    );
  }

  private schedule(listener: ReadingListener<T>, first = false): void {
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      if (this.listener === listener) this.poll(listener, first);
    }, this.pollMs);
  }

  #dtype(): Dtype {
    const e = this.entry;
    if (e.type === 'bool') return 'boolean';
    return e.type !== 'float32' && e.scale === 1 && e.offset === 0 ? 'integer' : 'number';
  }

  private callOptions(timeoutMs?: number): { unit?: number; timeoutMs?: number } {
    const o: { unit?: number; timeoutMs?: number } = {};
    if (this.options.unit !== undefined) o.unit = this.options.unit;
    const t = timeoutMs ?? this.options.timeoutMs;
    if (t !== undefined) o.timeoutMs = t;
    return o;
  }

  private async readRaw(timeoutMs?: number): Promise<T> {
    const e = this.entry;
    const opts = this.callOptions(timeoutMs);
    const n = wordCount(e.type);
    let raw: ArrayLike<number> | ArrayLike<boolean>;
    switch (e.table) {
      case 'holding':
        raw = await this.bus.readHolding(e.address, n, opts);
        break;
      case 'input':
        raw = await this.bus.readInput(e.address, n, opts);
        break;
      case 'coil':
        raw = await this.bus.readCoils(e.address, 1, opts);
        break;
      case 'discrete':
        raw = await this.bus.readDiscrete(e.address, 1, opts);
        break;
    }
    return decodeEntry(e, raw) as T;
  }
}

/** A map's signals by entry name: SignalRW for writable entries, SignalR for the others. */
export type RegisterSignals = Record<string, SignalR<number | boolean> | SignalRW<number | boolean>>;

/** Build one signal per entry of `map` on `bus` (entries are checked first: InvalidInputError). */
export function registerMapSignals(bus: RegisterBus, map: RegisterMap, options: ModbusBackendOptions = {}): RegisterSignals {
  const out: RegisterSignals = {};
  for (const e of parseRegisterMap(map)) {
    const backend = new ModbusRegisterBackend<number | boolean>(bus, e, options);
    const sigOpts = { name: e.name, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) };
    out[e.name] = e.writable ? new SignalRW(backend, sigOpts) : new SignalR(backend, sigOpts);
  }
  return out;
}
