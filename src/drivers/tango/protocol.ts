/**
 * The sidecar's line protocol (see `sidecar.py` for the wire format), pure encode/decode with no
 * I/O: JSON replies → {@link TangoReading}s, typed arrays, command results and {@link TangoError}s;
 * values → what the sidecar writes. Also the Tango type tables the bridge needs (which typed array
 * holds which type, which types are integers).
 * @module
 */
import type {
  TangoArgType,
  TangoArray,
  TangoCommandValue,
  TangoDataType,
  TangoEvent,
  TangoQuality,
  TangoReading,
  TangoTypedArray,
  TangoValue,
} from './backend.js';
import { TangoError, type TangoErrorLevel } from './errors.js';

/** A reading as the sidecar sends it. */
export interface WireReading {
  n: string;
  v: unknown;
  t: number;
  q: string;
  ty: string;
  f: string;
  sh: number[];
  /** The write part (set point) of a writable attribute. */
  w?: unknown;
  /** Shape of the write part of an array attribute. */
  wsh?: number[];
}

/** An error as the sidecar sends it. */
export type WireError =
  | { kind: 'DevFailed'; levels: Array<{ reason: string; desc: string; origin: string; severity: string }> }
  | { kind: 'Python' | 'Protocol'; type?: string; message: string };

type TypedCtor = { from(src: ArrayLike<number> | Iterable<number>): TangoTypedArray };
type BigCtor = { from(src: Iterable<bigint>): TangoTypedArray };

const NUMERIC: Readonly<Partial<Record<string, TypedCtor>>> = {
  DevUChar: Uint8Array,
  DevShort: Int16Array,
  DevUShort: Uint16Array,
  DevLong: Int32Array,
  DevULong: Uint32Array,
  DevFloat: Float32Array,
  DevDouble: Float64Array,
  DevEnum: Int16Array,
};
const BIG: Readonly<Partial<Record<string, BigCtor>>> = { DevLong64: BigInt64Array, DevULong64: BigUint64Array };

/** Element type of a `DevVar...Array` command type (undefined for other types). */
export const VAR_ELEMENT: Readonly<Partial<Record<TangoArgType, TangoDataType>>> = {
  DevVarCharArray: 'DevUChar',
  DevVarShortArray: 'DevShort',
  DevVarUShortArray: 'DevUShort',
  DevVarLongArray: 'DevLong',
  DevVarULongArray: 'DevULong',
  DevVarLong64Array: 'DevLong64',
  DevVarULong64Array: 'DevULong64',
  DevVarFloatArray: 'DevFloat',
  DevVarDoubleArray: 'DevDouble',
  DevVarStringArray: 'DevString',
  DevVarBooleanArray: 'DevBoolean',
};

/** Integer ranges of Tango's integer types (64-bit ones as far as a JS number is exact). */
export const INTEGER_RANGE: Readonly<Partial<Record<TangoDataType, readonly [number, number]>>> = {
  DevUChar: [0, 255],
  DevShort: [-32768, 32767],
  DevUShort: [0, 65535],
  DevLong: [-2147483648, 2147483647],
  DevULong: [0, 4294967295],
  DevLong64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  DevULong64: [0, Number.MAX_SAFE_INTEGER],
  DevEnum: [0, 32767],
};

/** Numpy dtype string of a Tango type (`<f8` for DevDouble), undefined for strings/states. */
export function numpyDtype(type: TangoDataType): string | undefined {
  const table: Partial<Record<TangoDataType, string>> = {
    DevBoolean: '|b1',
    DevUChar: '|u1',
    DevShort: '<i2',
    DevUShort: '<u2',
    DevLong: '<i4',
    DevULong: '<u4',
    DevLong64: '<i8',
    DevULong64: '<u8',
    DevFloat: '<f4',
    DevDouble: '<f8',
    DevEnum: '<i2',
  };
  return table[type];
}

function num(x: unknown): number {
  return typeof x === 'number' ? x : Number(x);
}

/** Decode an array of elements of Tango type `ty` (strings for 64-bit and non-finite values). */
export function decodeElements(ty: string, v: unknown[]): TangoArray['data'] {
  const big = BIG[ty];
  if (big) return big.from(v.map((x) => BigInt(x as string | number)));
  const ctor = NUMERIC[ty];
  if (ctor) return ctor.from(v.every((x) => typeof x === 'number') ? (v as number[]) : v.map(num));
  if (ty === 'DevBoolean') return v.map(Boolean);
  return v.map(String);
}

/** Decode a wire reading. */
export function decodeReading(r: WireReading): TangoReading {
  const quality = r.q as TangoQuality;
  let value: TangoValue | undefined;
  if (r.v === null || r.v === undefined) value = undefined;
  else if (r.f === 'SCALAR') value = typeof r.v === 'string' && (r.ty === 'DevDouble' || r.ty === 'DevFloat') ? Number(r.v) : (r.v as TangoValue);
  else value = { data: decodeElements(r.ty, r.v as unknown[]), shape: r.sh };
  const out: TangoReading = { name: r.n, value, timestamp: r.t, quality };
  if (r.w !== undefined && r.w !== null) {
    out.writeValue =
      r.f === 'SCALAR'
        ? typeof r.w === 'string' && (r.ty === 'DevDouble' || r.ty === 'DevFloat') ? Number(r.w) : (r.w as TangoValue)
        : { data: decodeElements(r.ty, r.w as unknown[]), shape: r.wsh ?? [] };
  }
  return out;
}

/** Decode a command result of type `outType`. */
export function decodeCommandResult(outType: TangoArgType, v: unknown): TangoCommandValue {
  if (outType === 'DevVoid' || v === null || v === undefined) return undefined;
  if (outType === 'DevVarLongStringArray' || outType === 'DevVarDoubleStringArray') {
    const o = v as { numbers: unknown[]; strings: string[] };
    return { numbers: o.numbers.map(num), strings: o.strings };
  }
  const elem = VAR_ELEMENT[outType];
  if (elem === 'DevString') return (v as unknown[]).map(String);
  if (elem === 'DevBoolean') return (v as unknown[]).map(Boolean);
  if (elem) {
    const data = decodeElements(elem, v as unknown[]);
    return { data, shape: [data.length] };
  }
  if ((outType === 'DevDouble' || outType === 'DevFloat') && typeof v === 'string') return Number(v);
  return v as TangoCommandValue;
}

/** JSON-safe form of a value to write or pass to a command (bigints and non-finite numbers as strings). */
export function encodeValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, (x) => encodeValue(x));
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('data' in o) return { data: encodeValue(o['data']), shape: o['shape'] ?? [(o['data'] as ArrayLike<unknown>).length] };
    if ('numbers' in o) return { numbers: encodeValue(o['numbers']), strings: o['strings'] };
  }
  return value;
}

/** A call in flight, as both backends keep it until its reply or its timer. */
export interface PendingCall {
  resolve(v: unknown): void;
  reject(e: Error): void;
  /** The operation, for errors (`read double_scalar`). */
  what: string;
  timer: NodeJS.Timeout;
  /** The value or argument the call sends, shown by an InvalidInputError it gets. */
  input?: unknown;
}

/** One labrig-side subscription of a backend: the attribute and its callback. */
export interface AttributeListener {
  attr: string;
  cb: (e: TangoEvent) => void;
}

/** The levels of a DevFailed as a backend reports them. */
export interface DevFailedLevels {
  levels: Array<{ reason: string; desc: string; origin: string; severity: string }>;
}

/** A TangoError from a reported DevFailed (unknown severities become ERR). */
export function devFailedError(device: string, operation: string, e: DevFailedLevels): TangoError {
  const levels: TangoErrorLevel[] = e.levels.map((l) => ({
    reason: l.reason,
    desc: l.desc,
    origin: l.origin,
    severity: l.severity === 'WARN' || l.severity === 'PANIC' ? l.severity : 'ERR',
  }));
  return new TangoError({ device, operation, levels });
}

/** Turn a wire error into a TangoError (DevFailed) or a plain DeviceError-shaped TangoError. */
export function decodeError(device: string, operation: string, e: WireError): TangoError {
  if (e.kind === 'DevFailed') return devFailedError(device, operation, e);
  const reason = e.kind === 'Python' ? `PyTango_${e.type ?? 'Error'}` : 'SIDECAR_PROTOCOL';
  return new TangoError({ device, operation, levels: [{ reason, desc: e.message, origin: 'labrig sidecar', severity: 'ERR' }] });
}
