/**
 * Check a run's metadata against event-model's run_start schema before the document is emitted,
 * as bluesky refuses such metadata with a ValueError: the typed fields (sample, scan_id, group,
 * owner, project, data_session, data_groups, projections, hints, time, uid) and the rule that
 * other keys, at any depth, contain no '.' or '/'.
 * @module
 */
import { InvalidInputError } from '../errors.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const FIELDS: Record<string, { ok: (v: unknown) => boolean; expected: string }> = {
  sample: { ok: (v) => typeof v === 'string' || isObj(v), expected: 'a string or an object' },
  scan_id: { ok: (v) => Number.isInteger(v), expected: 'an integer' },
  group: { ok: (v) => typeof v === 'string', expected: 'a string' },
  owner: { ok: (v) => typeof v === 'string', expected: 'a string' },
  project: { ok: (v) => typeof v === 'string', expected: 'a string' },
  data_session: { ok: (v) => typeof v === 'string', expected: 'a string' },
  data_groups: { ok: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), expected: 'an array of strings' },
  projections: { ok: (v) => Array.isArray(v), expected: 'an array' },
  hints: { ok: (v) => isObj(v), expected: 'an object' },
  time: { ok: (v) => typeof v === 'number' && Number.isFinite(v), expected: 'a finite number' },
  uid: { ok: (v) => typeof v === 'string', expected: 'a string' },
};

const BAD_KEY = /[./]/;

function checkKeys(path: string, v: unknown, depth: number): void {
  if (!isObj(v) || depth > 32) return;
  for (const k of Object.keys(v)) {
    if (k === '' || BAD_KEY.test(k)) {
      throw new InvalidInputError({ what: `metadata key '${path}${k}'`, value: k, reason: "must be non-empty and contain no '.' or '/' (event-model run_start)" });
    }
    checkKeys(`${path}${k}.`, v[k], depth + 1);
  }
}

/** Throw InvalidInputError naming the first metadata field that would make run_start invalid. */
export function checkRunStartMetadata(md: Record<string, unknown>): void {
  for (const k of Object.keys(md)) {
    const f = FIELDS[k];
    const v = md[k];
    if (f !== undefined) {
      if (!f.ok(v)) throw new InvalidInputError({ what: `metadata '${k}'`, value: v, reason: `must be ${f.expected} (event-model run_start)` });
      continue;
    }
    if (k === '' || BAD_KEY.test(k)) {
      throw new InvalidInputError({ what: `metadata key '${k}'`, value: k, reason: "must be non-empty and contain no '.' or '/' (event-model run_start)" });
    }
    checkKeys(`${k}.`, v, 0);
  }
}

/**
 * Deep-copy plain metadata (objects, arrays, dates), so a run_start never shares the caller's
 * nested objects (bluesky deep-copies too). Other values (class instances, functions) are kept
 * as they are; cycles are refused.
 */
export function deepCopy(v: unknown, what: string, seen: object[] = []): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Date) return new Date(v.getTime());
  if (seen.includes(v)) throw new InvalidInputError({ what, value: '[cycle]', reason: 'must not contain a reference cycle' });
  if (Array.isArray(v)) {
    seen.push(v);
    const out = v.map((x) => deepCopy(x, what, seen));
    seen.pop();
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return v;
  seen.push(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = deepCopy((v as Record<string, unknown>)[k], what, seen);
  seen.pop();
  return out;
}
