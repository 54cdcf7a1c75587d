/**
 * Input checks shared by the document composers (internal; not re-exported).
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { DataKeys } from '../protocols.js';

const dtypes = new Set(['string', 'number', 'array', 'boolean', 'integer']);
const badKey = /[./]/;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Reject metadata keys containing '.' or '/' (at any depth of nested plain objects), as the run_start schema does. */
export function checkMetadataKeys(metadata: unknown, path = 'metadata'): void {
  if (!isPlainObject(metadata)) {
    if (path === 'metadata') throw new InvalidInputError({ what: 'metadata', value: metadata, reason: 'must be a plain object' });
    return;
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (badKey.test(k)) throw new InvalidInputError({ what: `${path} key`, value: k, reason: "must not contain '.' or '/' (event-model run_start schema)" });
    if (isPlainObject(v)) checkMetadataKeys(v, `${path}.${k}`);
  }
}

/** Check that every data key has a source, a known dtype and a shape. */
export function checkDataKeys(what: string, dataKeys: unknown): asserts dataKeys is DataKeys {
  if (!isPlainObject(dataKeys)) throw new InvalidInputError({ what: `${what} dataKeys`, value: dataKeys, reason: 'must be an object of data keys' });
  for (const [k, dk] of Object.entries(dataKeys)) {
    if (!isPlainObject(dk)) throw new InvalidInputError({ what: `${what} data key '${k}'`, value: dk, reason: 'must be an object' });
    if (typeof dk['source'] !== 'string') throw new InvalidInputError({ what: `${what} data key '${k}'.source`, value: dk['source'], reason: 'must be a string' });
    if (!dtypes.has(dk['dtype'] as string)) {
      throw new InvalidInputError({ what: `${what} data key '${k}'.dtype`, value: dk['dtype'], reason: 'must be string, number, array, boolean or integer' });
    }
    const shape = dk['shape'];
    if (!Array.isArray(shape) || !shape.every((d) => d === null || (Number.isInteger(d) && (d as number) >= 0))) {
      throw new InvalidInputError({ what: `${what} data key '${k}'.shape`, value: shape, reason: 'must be an array of non-negative integers or null' });
    }
    const ext = dk['external'];
    if (ext !== undefined && (typeof ext !== 'string' || !/^[A-Z]+:?/.test(ext))) {
      throw new InvalidInputError({ what: `${what} data key '${k}'.external`, value: ext, reason: "must look like 'FILESTORE:' or 'STREAM:'" });
    }
  }
}

/** Count the own enumerable keys of an object without allocating. */
export function countKeys(o: object): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) n++;
  return n;
}

/**
 * Find the first key missing from or extra in `actual` compared with `expected`; undefined when
 * they match. Keys for which `optional(key)` is true may be absent from `actual`.
 */
export function keyMismatch(
  what: string, expected: object, actual: unknown, optional?: (key: string) => boolean,
): { what: string; key: string | unknown; reason: string } | undefined {
  if (typeof actual !== 'object' || actual === null) return { what, key: actual, reason: 'must be an object keyed like data_keys' };
  for (const k of Object.keys(expected)) {
    if (!Object.hasOwn(actual, k) && !optional?.(k)) return { what, key: k, reason: `is missing data key '${k}'` };
  }
  for (const k of Object.keys(actual)) {
    if (!Object.hasOwn(expected, k)) return { what, key: k, reason: `has key '${k}' that is not in data_keys` };
  }
  return undefined;
}

/** Return the common length of every column of the given column maps; InvalidInputError if they differ. */
export function columnLength(what: string, maps: Array<Record<string, unknown[]>>): number {
  let n: number | undefined;
  for (const m of maps) {
    for (const [k, col] of Object.entries(m)) {
      if (!Array.isArray(col)) throw new InvalidInputError({ what: `${what} column '${k}'`, value: col, reason: 'must be an array' });
      if (n === undefined) n = col.length;
      else if (col.length !== n) throw new InvalidInputError({ what: `${what} column '${k}'`, value: col.length, reason: `must have ${n} entries like the other columns` });
    }
  }
  return n ?? 0;
}

/** Check a `{start, stop}` range of non-negative integers with stop >= start. */
export function checkRange(what: string, r: unknown): { start: number; stop: number } {
  const o = r as { start?: unknown; stop?: unknown } | null;
  if (
    typeof o !== 'object' || o === null
    || !Number.isInteger(o.start) || !Number.isInteger(o.stop)
    || (o.start as number) < 0 || (o.stop as number) < (o.start as number)
  ) {
    throw new InvalidInputError({ what, value: r, reason: 'must be {start, stop} integers with 0 <= start <= stop' });
  }
  return { start: o.start as number, stop: o.stop as number };
}
