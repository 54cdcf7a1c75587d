/**
 * A Tango attribute as a labrig signal: {@link TangoAttributeBackend} implements the core
 * SignalBackend over a {@link TangoBackend} and the device's {@link TangoSubscriptionManager}.
 *
 * Values as signals hold them: scalars as numbers, strings and booleans (DevState as its name,
 * DevEnum as its label); spectra as typed arrays (string and boolean spectra as plain arrays);
 * images as an array of rows, each a typed array (so documents carry nested lists matching the
 * data key's `[rows, columns]` shape).
 * @module
 */
import { DeviceError } from '../../core/errors.js';
import type { DataKey, Dtype, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import type { ValueMetadata } from '../../core/signal/datakey.js';
import type { TangoArray, TangoAttributeInfo, TangoBackend, TangoReading, TangoValue } from './backend.js';
import { INTEGER_RANGE, numpyDtype } from './protocol.js';
import type { TangoSubscriptionManager } from './subscriptions.js';

/** Tango's device states, the choices of a DevState signal. */
export const TANGO_STATES = ['ON', 'OFF', 'CLOSE', 'OPEN', 'INSERT', 'EXTRACT', 'MOVING', 'STANDBY', 'FAULT', 'INIT', 'RUNNING', 'ALARM', 'DISABLE', 'UNKNOWN'];

const ALARM_SEVERITY: Record<string, number> = { ATTR_VALID: 0, ATTR_CHANGING: 0, ATTR_WARNING: 1, ATTR_ALARM: 2, ATTR_INVALID: 3 };

/** Event-model dtype of an attribute. */
export function dtypeOfAttribute(info: TangoAttributeInfo): Dtype {
  if (info.format !== 'SCALAR') return 'array';
  if (info.dataType === 'DevBoolean') return 'boolean';
  if (info.dataType === 'DevString' || info.dataType === 'DevState' || info.dataType === 'DevEnum' || info.dataType === 'DevEncoded') return 'string';
  if (info.dataType === 'DevFloat' || info.dataType === 'DevDouble') return 'number';
  return 'integer';
}

/** Decimal places of a printf display format (`%6.2f` → 2), if it says. */
export function precisionOf(format: string): number | undefined {
  const m = /%[-+ #0]*\d*\.(\d+)[eEfFgG]/.exec(format);
  return m ? Number(m[1]) : undefined;
}

/** Turn a Tango value into the signal's value (see the module notes). */
export function toSignalValue(info: TangoAttributeInfo, value: TangoValue): unknown {
  if (typeof value !== 'object') {
    if (info.dataType === 'DevEnum' && typeof value === 'number') return info.enumLabels?.[value] ?? String(value);
    return value;
  }
  if (value.shape.length === 2) {
    const [rows, cols] = value.shape as [number, number];
    const d = value.data;
    const out: unknown[] = [];
    for (let r = 0; r < rows; r++) out.push(d.slice(r * cols, (r + 1) * cols));
    return out;
  }
  return value.data;
}

/** Turn a signal's value into what the backend writes (images: rows → flat data with a shape). */
export function fromSignalValue(info: TangoAttributeInfo, value: unknown): TangoValue | number[] | string[] | boolean[] {
  if (info.dataType === 'DevEnum' && typeof value === 'string') {
    const i = info.enumLabels?.indexOf(value) ?? -1;
    return i >= 0 ? i : value;
  }
  if (info.format === 'IMAGE' && Array.isArray(value) && value.every((r) => Array.isArray(r) || ArrayBuffer.isView(r))) {
    const rows = value as Array<ArrayLike<unknown>>;
    const cols = rows[0]?.length ?? 0;
    const data: unknown[] = [];
    for (const r of rows) for (let i = 0; i < r.length; i++) data.push(r[i]);
    return { data: data as unknown as TangoArray['data'], shape: [rows.length, cols] };
  }
  if (info.format === 'SPECTRUM' && ArrayBuffer.isView(value)) return { data: value as TangoArray['data'], shape: [(value as unknown as ArrayLike<unknown>).length] };
  return value as TangoValue;
}

/** Options of one attribute backend. */
export interface TangoAttributeBackendOptions {
  /** Limit of each read/write, ms (default the backend's). */
  timeoutMs?: number;
}

/**
 * Hold one Tango attribute (see the module notes). Its data key comes from the attribute
 * configuration: dtype, numpy dtype, shape, units, precision (from the display format), control
 * limits (`min_value`/`max_value`), alarm and warning limits, DevState/DevEnum choices, and how
 * updates arrive (`tango_updates`: `change_events` or `polling`, with `tango_poll_ms`).
 */
export class TangoAttributeBackend<T> implements SignalBackend<T> {
  /** Every backend call has its own time limit. */
  readonly selfTimed = true;
  /** The attribute's description from the server. */
  readonly info: TangoAttributeInfo;
  readonly #backend: TangoBackend;
  readonly #manager: TangoSubscriptionManager;
  readonly #sourceBase: string;
  readonly #o: TangoAttributeBackendOptions;
  #name: string;
  #setpoint: T | undefined;
  #unsubscribe: Promise<(() => Promise<void>) | undefined> | undefined;
  #generation = 0;

  /** Bind attribute `info` of the device at `sourceBase` (e.g. `tango://127.0.0.1:1234/sys/tg_test/1`). */
  constructor(backend: TangoBackend, manager: TangoSubscriptionManager, info: TangoAttributeInfo, sourceBase: string, options: TangoAttributeBackendOptions = {}) {
    this.#backend = backend;
    this.#manager = manager;
    this.info = info;
    this.#sourceBase = sourceBase.replace(/\/$/, '');
    this.#o = options;
    this.#name = info.name;
  }

  /** Use `name` in errors. */
  setName(name: string): void {
    if (name) this.#name = name;
  }

  /** `tango://host:port/domain/family/member/attribute`. */
  source(_name: string): string {
    return `${this.#sourceBase}/${this.info.name}`;
  }

  /** The device was described at connect; nothing more to open. */
  async connect(_timeoutMs: number): Promise<void> {}

  /** Stop delivering readings. */
  disconnect(): void {
    this.setCallback(undefined);
  }

  #call(): { timeoutMs?: number } {
    return this.#o.timeoutMs === undefined ? {} : { timeoutMs: this.#o.timeoutMs };
  }

  /** Turn a Tango reading into a labrig reading; an attribute without value is a DeviceError. */
  toReading(r: TangoReading): Reading<T> {
    if (r.value === undefined) {
      throw new DeviceError({ device: this.#name, vendorCode: r.quality, vendorMessage: `${this.info.name} has no value (quality ${r.quality})` });
    }
    const out: Reading<T> = { value: toSignalValue(this.info, r.value) as T, timestamp: r.timestamp };
    const sev = ALARM_SEVERITY[r.quality] ?? 0;
    if (sev > 0 || r.quality === 'ATTR_CHANGING') {
      out.alarm_severity = sev;
      out.message = r.quality;
    }
    return out;
  }

  /** Read the attribute from the server. */
  async getReading(): Promise<Reading<T>> {
    const [r] = await this.#backend.readAttributes([this.info.name], this.#call());
    return this.toReading(r!);
  }

  /** Read the value. */
  async getValue(): Promise<T> {
    return (await this.getReading()).value;
  }

  /** The last value written through this signal, else the server's write part, else the value. */
  async getSetpoint(): Promise<T> {
    if (this.#setpoint !== undefined) return this.#setpoint;
    const [r] = await this.#backend.readAttributes([this.info.name], this.#call());
    if (r!.writeValue !== undefined) return toSignalValue(this.info, r!.writeValue) as T;
    return this.toReading(r!).value;
  }

  /** Describe the attribute (see the class notes); arrays take their current shape from a read. */
  async getDatakey(source: string): Promise<DataKey> {
    const i = this.info;
    const key: DataKey & { tango_updates?: string; tango_poll_ms?: number; tango_type?: string } = { source, dtype: dtypeOfAttribute(i), shape: [] };
    if (i.format !== 'SCALAR') {
      let shape: Array<number | null> = i.format === 'SPECTRUM' ? [null] : [null, null];
      try {
        const [r] = await this.#backend.readAttributes([i.name], this.#call());
        if (r?.value !== undefined && typeof r.value === 'object') shape = r.value.shape;
      } catch {
        // keep the unknown lengths
      }
      key.shape = shape;
    }
    const np = numpyDtype(i.dataType);
    if (np !== undefined) key.dtype_numpy = np;
    if (i.unit) key.units = i.unit;
    const p = precisionOf(i.displayFormat);
    if (p !== undefined) key.precision = p;
    const limits: NonNullable<DataKey['limits']> = {};
    if (i.minValue !== undefined || i.maxValue !== undefined) limits.control = { low: i.minValue ?? null, high: i.maxValue ?? null };
    if (i.minAlarm !== undefined || i.maxAlarm !== undefined) limits.alarm = { low: i.minAlarm ?? null, high: i.maxAlarm ?? null };
    if (i.minWarning !== undefined || i.maxWarning !== undefined) limits.warning = { low: i.minWarning ?? null, high: i.maxWarning ?? null };
    if (Object.keys(limits).length > 0) key.limits = limits;
    const choices = this.#choices();
    if (choices) key.choices = choices;
    key.tango_type = `${i.dataType} ${i.format}`;
    try {
      const mode = await this.#manager.probe(i.name);
      key.tango_updates = mode.kind === 'events' ? 'change_events' : 'polling';
      if (mode.kind === 'polling') key.tango_poll_ms = mode.periodMs;
    } catch {
      // unknown: the server did not say
    }
    return key;
  }

  #choices(): string[] | undefined {
    if (this.info.dataType === 'DevState') return [...TANGO_STATES];
    if (this.info.dataType === 'DevEnum' && this.info.enumLabels) return [...this.info.enumLabels];
    return undefined;
  }

  #limits(): { low: number; high: number } | undefined {
    const i = this.info;
    const range = i.format === 'SCALAR' ? INTEGER_RANGE[i.dataType] : undefined;
    if (i.minValue === undefined && i.maxValue === undefined && !range) return undefined;
    const low = Math.max(i.minValue ?? -Infinity, range?.[0] ?? -Infinity);
    const high = Math.min(i.maxValue ?? Infinity, range?.[1] ?? Infinity);
    return { low, high };
  }

  /**
   * The rules the Signal checks before every write: dtype, the attribute's `min_value`/
   * `max_value` and the integer type's range (LimitsError, nothing written), enum/state choices.
   */
  constraints(): ValueMetadata {
    const rules: ValueMetadata = { dtype: dtypeOfAttribute(this.info) };
    const lim = this.info.format === 'SCALAR' ? this.#limits() : undefined;
    if (lim) rules.limits = lim;
    if (this.info.unit) rules.units = this.info.unit;
    const choices = this.#choices();
    if (choices) rules.choices = choices;
    return rules;
  }

  /** Write the checked value; resolves when the server accepted it. */
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    await this.#backend.writeAttribute(this.info.name, fromSignalValue(this.info, value), this.#call());
    this.#setpoint = value;
  }

  /** Start (listener) or stop (undefined) delivering readings through the subscription manager. */
  setCallback(listener: ReadingListener<T> | undefined): void {
    const generation = ++this.#generation;
    const old = this.#unsubscribe;
    this.#unsubscribe = undefined;
    if (old) void old.then((u) => u?.()).catch(() => undefined);
    if (!listener) return;
    this.#unsubscribe = this.#manager
      .add(this.info.name, (ev) => {
        if (generation !== this.#generation || !ev.reading) return;
        let reading: Reading<T>;
        try {
          reading = this.toReading(ev.reading);
        } catch {
          return; // a reading without value: nothing to deliver
        }
        listener(reading);
      })
      .catch(() => undefined);
  }
}
