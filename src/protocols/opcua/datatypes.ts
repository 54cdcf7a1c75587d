/**
 * OPC UA built-in data types ↔ JavaScript values: checking and wrapping a value into a Variant
 * before a write, unwrapping a Variant after a read, and the event-model dtype of a node.
 * @module
 */
import { DataType, Variant, VariantArrayType, type DataValue, type NodeId } from 'node-opcua';
import { InvalidInputError } from '../../core/errors.js';
import type { Dtype } from '../../core/protocols.js';
import type { NodeValue } from '../contracts.js';

/** Names of the OPC UA built-in data types labrig reads and writes. */
export type OpcuaDataTypeName =
  | 'Boolean' | 'SByte' | 'Byte' | 'Int16' | 'UInt16' | 'Int32' | 'UInt32' | 'Int64' | 'UInt64'
  | 'Float' | 'Double' | 'String' | 'DateTime' | 'ByteString' | 'LocalizedText' | 'NodeId';

const INTEGER_RANGES: Partial<Record<DataType, [number, number]>> = {
  [DataType.SByte]: [-128, 127],
  [DataType.Byte]: [0, 255],
  [DataType.Int16]: [-32768, 32767],
  [DataType.UInt16]: [0, 65535],
  [DataType.Int32]: [-2147483648, 2147483647],
  [DataType.UInt32]: [0, 4294967295],
  [DataType.Int64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [DataType.UInt64]: [0, Number.MAX_SAFE_INTEGER],
};

const NUMPY: Partial<Record<DataType, string>> = {
  [DataType.Boolean]: '|b1',
  [DataType.SByte]: '|i1',
  [DataType.Byte]: '|u1',
  [DataType.Int16]: '<i2',
  [DataType.UInt16]: '<u2',
  [DataType.Int32]: '<i4',
  [DataType.UInt32]: '<u4',
  [DataType.Int64]: '<i8',
  [DataType.UInt64]: '<u8',
  [DataType.Float]: '<f4',
  [DataType.Double]: '<f8',
};

// node-opcua wants numeric arrays as typed arrays (a plain array is coerced item by item).
const TYPED_ARRAYS: Partial<Record<DataType, { from(values: number[]): ArrayLike<number> }>> = {
  [DataType.SByte]: Int8Array,
  [DataType.Byte]: Uint8Array,
  [DataType.Int16]: Int16Array,
  [DataType.UInt16]: Uint16Array,
  [DataType.Int32]: Int32Array,
  [DataType.UInt32]: Uint32Array,
  [DataType.Float]: Float32Array,
  [DataType.Double]: Float64Array,
};

// Standard (namespace 0) subtypes of built-in types that servers commonly use for variables.
const SUBTYPES: Record<number, DataType> = {
  288: DataType.UInt32, // IntegerId
  289: DataType.UInt32, // Counter
  290: DataType.Double, // Duration
  294: DataType.DateTime, // UtcTime
  295: DataType.String, // LocaleId
  29: DataType.Int32, // Enumeration
  30: DataType.ByteString, // Image
};

/** Return the DataType enum value of a name such as `Double` (InvalidInputError if unknown). */
export function dataTypeByName(name: string): DataType {
  const dt = (DataType as unknown as Record<string, DataType | undefined>)[name];
  if (typeof dt !== 'number' || dt === DataType.Null) {
    throw new InvalidInputError({ what: 'OPC UA data type', value: name, reason: 'expected a built-in type name such as Double, Int32 or String' });
  }
  return dt;
}

/** Return the name of a DataType enum value, e.g. `Double`. */
export function dataTypeName(dt: DataType): string {
  return DataType[dt] ?? `DataType(${dt})`;
}

/**
 * Map a node's DataType attribute (the NodeId of a data type) to a built-in DataType, or
 * undefined for a type labrig cannot tell from its id alone (structures, server-specific enums).
 */
export function builtInOf(dataTypeId: NodeId): DataType | undefined {
  if (dataTypeId.namespace !== 0 || typeof dataTypeId.value !== 'number') return undefined;
  const id = dataTypeId.value;
  if (id >= 1 && id <= 25) return id as DataType;
  return SUBTYPES[id];
}

/** Return the event-model dtype of a built-in type (`array` whenever the node holds an array). */
export function dtypeOf(dt: DataType, isArray: boolean): Dtype {
  if (isArray) return 'array';
  if (dt === DataType.Boolean) return 'boolean';
  if (dt === DataType.Float || dt === DataType.Double) return 'number';
  if (INTEGER_RANGES[dt]) return 'integer';
  return 'string';
}

/** Return the numpy dtype string of a built-in type (`<f8` for Double), if it has one. */
export function numpyOf(dt: DataType): string | undefined {
  return NUMPY[dt];
}

function checkScalar(what: string, dt: DataType, value: unknown): unknown {
  const range = INTEGER_RANGES[dt];
  if (range) {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new InvalidInputError({ what, value, reason: `expected an integer for ${dataTypeName(dt)}` });
    if (value < range[0] || value > range[1]) {
      throw new InvalidInputError({ what, value, reason: `${dataTypeName(dt)} holds ${range[0]}..${range[1]}` });
    }
    if (dt === DataType.Int64 || dt === DataType.UInt64) return toWords(value);
    return value;
  }
  switch (dt) {
    case DataType.Float:
    case DataType.Double:
      if (typeof value !== 'number') throw new InvalidInputError({ what, value, reason: `expected a number for ${dataTypeName(dt)}` });
      return value;
    case DataType.Boolean:
      if (typeof value !== 'boolean') throw new InvalidInputError({ what, value, reason: 'expected a boolean' });
      return value;
    case DataType.String:
    case DataType.NodeId:
    case DataType.LocalizedText:
      if (typeof value !== 'string') throw new InvalidInputError({ what, value, reason: `expected a string for ${dataTypeName(dt)}` });
      return dt === DataType.LocalizedText ? { text: value } : value;
    case DataType.DateTime:
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
      throw new InvalidInputError({ what, value, reason: 'expected a valid Date for DateTime' });
    case DataType.ByteString:
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      throw new InvalidInputError({ what, value, reason: 'expected a Uint8Array for ByteString' });
    default:
      throw new InvalidInputError({ what, value, reason: `writing ${dataTypeName(dt)} values is not supported` });
  }
}

/**
 * Check `value` against a built-in type and wrap it in a Variant (an array when `isArray`).
 * Throws InvalidInputError naming `what` for a wrong type or an integer out of range, before
 * anything is sent.
 */
export function toVariant(what: string, dt: DataType, value: unknown, isArray: boolean): Variant {
  if (isArray) {
    const items = Array.isArray(value) ? value : ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<unknown>) : undefined;
    if (items === undefined) throw new InvalidInputError({ what, value, reason: `expected an array of ${dataTypeName(dt)}` });
    const checked = items.map((item, i) => checkScalar(`${what}[${i}]`, dt, item));
    const typed = TYPED_ARRAYS[dt];
    return new Variant({ dataType: dt, arrayType: VariantArrayType.Array, value: typed ? typed.from(checked as number[]) : checked });
  }
  if (Array.isArray(value)) throw new InvalidInputError({ what, value, reason: `expected one ${dataTypeName(dt)}, not an array` });
  return new Variant({ dataType: dt, arrayType: VariantArrayType.Scalar, value: checkScalar(what, dt, value) });
}

// node-opcua carries 64-bit integers as [high, low] unsigned 32-bit words (two's complement).
function toWords(v: number): [number, number] {
  const big = BigInt.asUintN(64, BigInt(v));
  return [Number(big >> 32n), Number(big & 0xffffffffn)];
}

function fromWords(v: unknown, signed: boolean): unknown {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'number') return v;
  const big = (BigInt(v[0]) << 32n) | BigInt(v[1]);
  return Number(signed ? BigInt.asIntN(64, big) : big);
}

function scalarFrom(dt: DataType, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  switch (dt) {
    case DataType.Int64:
      return fromWords(v, true);
    case DataType.UInt64:
      return fromWords(v, false);
    case DataType.LocalizedText:
      return (v as { text?: string | null }).text ?? '';
    case DataType.QualifiedName:
      return (v as { name?: string | null }).name ?? '';
    case DataType.NodeId:
    case DataType.ExpandedNodeId:
    case DataType.StatusCode:
      return String(v);
    case DataType.ByteString:
      return v instanceof Uint8Array ? new Uint8Array(v) : v;
    default:
      return v;
  }
}

/**
 * Unwrap a Variant into plain JavaScript: numbers, booleans, strings, Dates, plain arrays (never
 * typed arrays, so values serialise to JSON), 64-bit integers as numbers (exact within ±2^53),
 * LocalizedText/QualifiedName/NodeId as strings. A matrix comes back flat.
 */
export function fromVariant(variant: Variant): unknown {
  const dt = variant.dataType;
  if (variant.arrayType === VariantArrayType.Scalar) return scalarFrom(dt, variant.value);
  const v = variant.value as ArrayLike<unknown> | null;
  if (v === null || v === undefined) return [];
  return Array.from(v, (item) => scalarFrom(dt, item));
}

/**
 * Turn a DataValue into a {@link NodeValue}: the unwrapped value, the source timestamp in
 * seconds since the epoch (the server timestamp, then the local clock, when the source gave
 * none) and the status name.
 */
export function nodeValueOf<T = unknown>(dv: DataValue): NodeValue<T> {
  const when = dv.sourceTimestamp ?? dv.serverTimestamp;
  const timestamp = when ? when.getTime() / 1000 : Date.now() / 1000;
  const value = (dv.value ? fromVariant(dv.value) : null) as T;
  return { value, timestamp, status: dv.statusCode.name };
}
