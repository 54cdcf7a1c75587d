/**
 * Describe and check signal values: dtype inference, data keys, and input validation shared by
 * the soft and mock backends.
 * @module
 */
import { InvalidInputError, LimitsError } from '../errors.js';
import type { DataKey, Dtype } from '../protocols.js';

/** Metadata of a signal's value: what its data key says about it. */
export interface ValueMetadata {
  /** JSON-schema type; inferred from the initial value when omitted. */
  dtype?: Dtype;
  /** Shape (empty for scalars); inferred from an array's length when omitted. */
  shape?: Array<number | null>;
  /** Numpy dtype string such as `<f8`; derived from dtype when omitted. */
  dtypeNumpy?: string;
  /** Engineering units, e.g. `mm`, `mL/min`. */
  units?: string;
  /** Number of decimal places to display. */
  precision?: number;
  /** Control limits: a put outside [low, high] is rejected with LimitsError. */
  limits?: { low: number; high: number };
  /** Allowed values of an enumerated (string) signal. */
  choices?: string[];
}

/** Infer the event-model dtype of a value (`number` for every JS number unless told `integer`). */
export function inferDtype(value: unknown): Dtype {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return 'array';
  return 'string';
}

/** Infer the shape of a value: `[length]` for arrays, `[]` for scalars. */
export function inferShape(value: unknown): Array<number | null> {
  if (Array.isArray(value)) return [value.length];
  if (ArrayBuffer.isView(value) && 'length' in value) return [(value as { length: number }).length];
  return [];
}

/** Return a neutral value of a dtype: 0, '', false or an empty array. */
export function defaultValueFor(dtype: Dtype): unknown {
  switch (dtype) {
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'array':
      return [];
    default:
      return 0;
  }
}

const NUMPY: Partial<Record<Dtype, string>> = { number: '<f8', integer: '<i8', boolean: '|b1' };

/** Build a data key from a source, a sample value and metadata, leaving out unknown fields. */
export function buildDatakey(source: string, sample: unknown, meta: ValueMetadata): DataKey {
  const dtype = meta.dtype ?? inferDtype(sample);
  const key: DataKey = { source, dtype, shape: meta.shape ?? inferShape(sample) };
  const numpy = meta.dtypeNumpy ?? NUMPY[dtype] ?? numpyOfTypedArray(sample);
  if (numpy !== undefined) key.dtype_numpy = numpy;
  if (meta.units !== undefined) key.units = meta.units;
  if (meta.precision !== undefined) key.precision = meta.precision;
  if (meta.limits) key.limits = { control: { low: meta.limits.low, high: meta.limits.high } };
  if (meta.choices) key.choices = [...meta.choices];
  return key;
}

/** Read metadata back from a data key (to let a mock inherit what a real backend declares). */
export function metadataOf(key: DataKey): ValueMetadata {
  const meta: ValueMetadata = { dtype: key.dtype, shape: [...key.shape] };
  if (key.dtype_numpy !== undefined) meta.dtypeNumpy = key.dtype_numpy;
  if (key.units != null) meta.units = key.units;
  if (key.precision != null) meta.precision = key.precision;
  const c = key.limits?.control;
  if (c && typeof c.low === 'number' && typeof c.high === 'number') meta.limits = { low: c.low, high: c.high };
  if (key.choices) meta.choices = [...key.choices];
  return meta;
}

/** Tell whether a dtype can be trusted from a sample value (a primitive or an array, not null or an object). */
export function hasInferableDtype(value: unknown): boolean {
  const t = typeof value;
  return t === 'number' || t === 'boolean' || t === 'string' || t === 'bigint' || Array.isArray(value) || ArrayBuffer.isView(value);
}

/**
 * Check a value against dtype (skipped when `dtype` is undefined), choices and limits; throw
 * InvalidInputError (wrong type, NaN, unknown choice) or LimitsError (outside the limits) naming `name`.
 */
export function checkValue(name: string, value: unknown, meta: ValueMetadata, dtype: Dtype | undefined): void {
  const what = name || 'signal';
  switch (dtype) {
    case 'number':
    case 'integer':
      if (typeof value !== 'number') throw new InvalidInputError({ what, value, reason: `expected a ${dtype}` });
      if (Number.isNaN(value)) throw new InvalidInputError({ what, value, reason: 'expected a number, not NaN' });
      if (dtype === 'integer' && Number.isFinite(value) && !Number.isInteger(value)) {
        throw new InvalidInputError({ what, value, reason: 'expected an integer' });
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean') throw new InvalidInputError({ what, value, reason: 'expected a boolean' });
      break;
    case 'string':
      if (typeof value !== 'string') throw new InvalidInputError({ what, value, reason: 'expected a string' });
      break;
    case 'array':
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw new InvalidInputError({ what, value, reason: 'expected an array' });
      break;
  }
  if (typeof value === 'number' && meta.limits && (value < meta.limits.low || value > meta.limits.high)) {
    throw new LimitsError({ device: what, value, low: meta.limits.low, high: meta.limits.high, units: meta.units });
  }
  if (typeof value === 'string' && meta.choices && !meta.choices.includes(value)) {
    throw new InvalidInputError({ what, value, reason: `expected one of ${meta.choices.join(', ')}` });
  }
}

function numpyOfTypedArray(sample: unknown): string | undefined {
  if (sample instanceof Float64Array) return '<f8';
  if (sample instanceof Float32Array) return '<f4';
  if (sample instanceof Int32Array) return '<i4';
  if (sample instanceof Int16Array) return '<i2';
  if (sample instanceof Uint16Array) return '<u2';
  if (sample instanceof Uint8Array) return '|u1';
  return undefined;
}
