/**
 * Parameter schemas: one declaration per parameter (name, type, range, units, doc) that checks a
 * URI's query parameters and an options object (a rig file entry, `openX(uri, options)`) with the
 * same code, so the same wrong value gets the same error text wherever it was written.
 *
 * ```ts
 * const PARAMS = {
 *   baud: { type: 'integer', min: 50, max: 4_000_000, units: 'bit/s', default: 9600, doc: 'line speed', aliases: ['baudRate'] },
 *   unit: { type: 'string', pattern: /^[A-Za-z]$/, expected: 'a letter A-Z', upperCase: true, doc: 'unit id on the line' },
 * } satisfies ParamSchema;
 * checkParams(PARAMS, { baud: 'abc' }, { source: 'uri', owner: 'serial://' });
 * // InvalidInputError: parameter 'baud': must be an integer in 50..4000000 (bit/s) (got "abc")
 * ```
 *
 * Values are read the same way from both sources: a URI gives text, options may give text or the
 * typed value (`19200` or `"19200"`); numbers are parsed strictly (no `0x10`, no `12abc`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../core/errors.js';
import { findDuplicateKey } from './json-keys.js';

/** Where a value came from: a URI's query, or an options object (rig entry, open options). */
export type ParamSource = 'uri' | 'options';

/** What every parameter declares. */
interface ParamCommon<T> {
  /** One line for people: what it does (units go in `units`). */
  readonly doc: string;
  /** Other accepted names (e.g. `baudRate` for `baud`); errors use the main name. */
  readonly aliases?: readonly string[];
  /** Accept it only in a URI or only in options; default both. */
  readonly only?: ParamSource;
  /** The default the driver applies when the parameter is absent (for docs and help text). */
  readonly default?: T;
  /**
   * Further rule after the type and range checks: return the value (possibly normalised) or throw
   * an InvalidInputError whose `what` is the `what` given (so every source names it the same way).
   */
  readonly check?: (value: T, what: string) => T;
}

/**
 * Longest duration a parameter in `ms` may take when it declares no `max`: Node's timer limit
 * (2^31 - 1 ms, about 24.8 days). A longer `setTimeout` does not wait longer: it fires after 1 ms,
 * so an absurd timeout would become an instant one.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A number (`number`) or a whole number (`integer`), optionally bounded. */
export interface NumberParam extends ParamCommon<number> {
  readonly type: 'number' | 'integer';
  /** Lowest allowed value (inclusive). */
  readonly min?: number;
  /** Highest allowed value (inclusive); a parameter in `ms` without one is bounded by {@link MAX_TIMER_MS}. */
  readonly max?: number;
  /** Values must be greater than this (exclusive lower bound, e.g. 0 for "> 0"). */
  readonly above?: number;
  /** Units of the value, shown in errors and docs (e.g. `ms`, `bit/s`). */
  readonly units?: string;
}

/** A flag: `true`/`false`, `1`/`0`, `on`/`off`, `yes`/`no`; a bare `?flag` in a URI is true. */
export interface BooleanParam extends ParamCommon<boolean> {
  readonly type: 'boolean';
}

/** Text, optionally one of `choices` or matching `pattern`. */
export interface StringParam extends ParamCommon<string> {
  readonly type: 'string';
  /** Allowed values (compared after `lowerCase`/`upperCase`). */
  readonly choices?: readonly string[];
  /** Pattern the (normalised) text must match. */
  readonly pattern?: RegExp;
  /** What `pattern` means, for the error (e.g. `a letter A-Z`). */
  readonly expected?: string;
  /** Compare and return the text in lower case. */
  readonly lowerCase?: boolean;
  /** Compare and return the text in upper case. */
  readonly upperCase?: boolean;
}

/** A list: comma-separated in a URI, an array (or the same text) in options. */
export interface ListParam extends ParamCommon<unknown[]> {
  readonly type: 'list';
  /** Each item's rule. */
  readonly items: NumberParam | StringParam;
  /** Refuse an item listed twice. Default true. */
  readonly unique?: boolean;
}

/** A physical quantity: a number in `units`, or text with units (`'1 ml'`) that `check` converts. */
export interface QuantityParam extends ParamCommon<number | string> {
  readonly type: 'quantity';
  /** Units of a bare number (e.g. `ul`). */
  readonly units: string;
}

/**
 * Structured options (a Galil `axes` map, a Modbus register map). Options only, unless `check`
 * accepts text (e.g. a file path given in a URI as `?map=map.json`).
 */
export interface ObjectParam extends ParamCommon<unknown> {
  readonly type: 'object';
  /** Shape of the value for docs, e.g. `{ name: { axis, countsPerUnit, limits, ... } }`. */
  readonly shape?: string;
  /** Accept text from a URI (then `check` receives the string). Default false. */
  readonly text?: boolean;
}

/** One parameter's declaration. */
export type ParamSpec = NumberParam | BooleanParam | StringParam | ListParam | QuantityParam | ObjectParam;

/** Parameters by name. */
export type ParamSchema = Readonly<Record<string, ParamSpec>>;

/**
 * The checked options a schema of numbers, booleans, strings and lists yields (every one
 * optional), so a family's options type is derived from its schema instead of listing the names again.
 */
export type ParamValues<S extends ParamSchema> = {
  -readonly [K in keyof S]?: S[K] extends { type: 'number' | 'integer' } ? number
    : S[K] extends { type: 'boolean' } ? boolean
      : S[K] extends { type: 'string'; choices: readonly (infer C)[] } ? C
        : S[K] extends { type: 'string' } ? string
          : S[K] extends { type: 'list' } ? unknown[]
            : unknown;
};

/** Options of {@link checkParams}. */
export interface CheckParamsOptions {
  /** Where the values came from (URI-only / options-only parameters are refused elsewhere). */
  source: ParamSource;
  /** Who the parameters are for, in the unknown-parameter error (`alicat+serial://`, `sim:galil`). */
  owner: string;
  /** Leave names not in the schema alone instead of refusing them (they are not returned). */
  allowUnknown?: boolean;
}

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE = ['true', '1', 'on', 'yes', ''];
const FALSE = ['false', '0', 'off', 'no'];

/** Return the reason part of an InvalidInputError's message (between `what: ` and ` (got ...)`), to re-label it. */
export function reasonOf(e: InvalidInputError): string {
  const head = `${e.what}: `;
  const body = e.message.startsWith(head) ? e.message.slice(head.length) : e.message;
  const cut = body.lastIndexOf(' (got ');
  return cut >= 0 ? body.slice(0, cut) : body;
}

/** Return the `what` of a parameter's errors: `parameter 'baud'`. */
export function paramWhat(name: string): string {
  return `parameter '${name}'`;
}

function fmt(n: number): string {
  return String(n);
}

/** The highest value of a number rule: its `max`, or {@link MAX_TIMER_MS} for a duration in ms. */
function maxOf(spec: NumberParam): number | undefined {
  return spec.max ?? (spec.units === 'ms' ? MAX_TIMER_MS : undefined);
}

/** Describe a number rule: `an integer in 1..100`, `a number > 0`, with units. */
function numberRule(spec: NumberParam): string {
  const max = maxOf(spec);
  if (max !== spec.max) spec = { ...spec, max };
  const kind = spec.type === 'integer' ? 'an integer' : 'a number';
  const u = spec.units ? ` (${spec.units})` : '';
  const low = spec.above !== undefined ? undefined : spec.min;
  if (low !== undefined && spec.max !== undefined) return `${kind} in ${fmt(low)}..${fmt(spec.max)}${u}`;
  const parts: string[] = [];
  if (spec.above !== undefined) parts.push(`> ${fmt(spec.above)}`);
  if (low !== undefined) parts.push(`>= ${fmt(low)}`);
  if (spec.max !== undefined) parts.push(`<= ${fmt(spec.max)}`);
  return `${kind}${parts.length ? ` ${parts.join(' and ')}` : ''}${u}`;
}

function checkNumber(spec: NumberParam, raw: unknown, what: string): number {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && NUMBER_RE.test(raw)) n = Number(raw);
  else throw new InvalidInputError({ what, value: raw, reason: `must be ${numberRule(spec)}` });
  const bad =
    !Number.isFinite(n) ||
    (spec.type === 'integer' && !Number.isInteger(n)) ||
    (spec.min !== undefined && n < spec.min) ||
    (maxOf(spec) !== undefined && n > maxOf(spec)!) ||
    (spec.above !== undefined && !(n > spec.above));
  if (bad) throw new InvalidInputError({ what, value: raw, reason: `must be ${numberRule(spec)}` });
  return n;
}

function checkBoolean(raw: unknown, what: string): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const t = raw.toLowerCase();
    if (TRUE.includes(t)) return true;
    if (FALSE.includes(t)) return false;
  }
  throw new InvalidInputError({ what, value: raw, reason: 'must be true or false' });
}

function checkString(spec: StringParam, raw: unknown, what: string): string {
  if (typeof raw !== 'string') {
    throw new InvalidInputError({ what, value: raw, reason: spec.choices ? `must be one of ${spec.choices.join(', ')}` : `must be ${spec.expected ?? 'text'}` });
  }
  const s = spec.lowerCase ? raw.toLowerCase() : spec.upperCase ? raw.toUpperCase() : raw;
  if (spec.choices && !spec.choices.includes(s)) throw new InvalidInputError({ what, value: raw, reason: `must be one of ${spec.choices.join(', ')}` });
  if (spec.pattern && !spec.pattern.test(s)) throw new InvalidInputError({ what, value: raw, reason: `must be ${spec.expected ?? `text matching ${String(spec.pattern)}`}` });
  return s;
}

function checkList(spec: ListParam, raw: unknown, what: string): unknown[] {
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'string') items = raw.split(',').map((s) => s.trim());
  else if (typeof raw === 'number') items = [raw];
  else throw new InvalidInputError({ what, value: raw, reason: `must list ${describeItems(spec)} separated by commas` });
  const out: unknown[] = [];
  for (const item of items) {
    let v: unknown;
    try {
      v = checkValue(spec.items, item, what);
    } catch (e) {
      if (e instanceof InvalidInputError) throw new InvalidInputError({ what, value: raw, reason: `must list ${describeItems(spec)} separated by commas` });
      throw e;
    }
    if ((spec.unique ?? true) && out.includes(v)) throw new InvalidInputError({ what, value: raw, reason: `lists ${String(v)} twice` });
    out.push(v);
  }
  if (out.length === 0) throw new InvalidInputError({ what, value: raw, reason: `must list ${describeItems(spec)} separated by commas` });
  return out;
}

function describeItems(spec: ListParam): string {
  const i = spec.items;
  if (i.type === 'string') return i.choices ? `values from ${i.choices.join(', ')}` : (i.expected ?? 'values');
  return numberRule(i).replace(/^an? /, '').replace(/^(integer|number)/, '$1s');
}

/** Check one value against its declaration (type, range, choices, then `check`); `what` names it in errors. */
export function checkValue(spec: ParamSpec, raw: unknown, what: string): unknown {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const n = checkNumber(spec, raw, what);
      return spec.check ? spec.check(n, what) : n;
    }
    case 'boolean': {
      const b = checkBoolean(raw, what);
      return spec.check ? spec.check(b, what) : b;
    }
    case 'string': {
      const s = checkString(spec, raw, what);
      return spec.check ? spec.check(s, what) : s;
    }
    case 'list': {
      const l = checkList(spec, raw, what);
      return spec.check ? spec.check(l, what) : l;
    }
    case 'quantity': {
      let q: number | string;
      if (typeof raw === 'number') q = checkNumber({ type: 'number', units: spec.units, doc: spec.doc }, raw, what);
      else if (typeof raw === 'string' && NUMBER_RE.test(raw)) q = Number(raw);
      else if (typeof raw === 'string' && raw.trim() !== '') q = raw;
      else throw new InvalidInputError({ what, value: raw, reason: `must be a number of ${spec.units} or a quantity with units (e.g. '1 ${spec.units}')` });
      return spec.check ? spec.check(q, what) : q;
    }
    case 'object':
      return spec.check ? spec.check(raw, what) : raw;
  }
}

/** Find the declared name of `key` (its own or an alias), or undefined. */
export function canonicalName(schema: ParamSchema, key: string): string | undefined {
  if (Object.hasOwn(schema, key)) return key;
  for (const [name, spec] of Object.entries(schema)) if (spec.aliases?.includes(key)) return name;
  return undefined;
}

/**
 * List the declared names (for the unknown-parameter error). The list does not depend on where the
 * value was written, so the same unknown name gets the same text from a URI and from options;
 * a name given in the wrong place gets its own error.
 */
export function knownNames(schema: ParamSchema): string[] {
  return Object.keys(schema);
}

/**
 * Check `input` against `schema`: every name must be declared (or an alias) and allowed from this
 * source, every value valid. Returns the checked values by declared name (absent ones left out).
 * Throws an InvalidInputError naming the parameter (`parameter 'baud'`) on the first problem.
 */
export function checkParams(schema: ParamSchema, input: Readonly<Record<string, unknown>>, options: CheckParamsOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const givenAs: Record<string, string> = {};
  const known = knownNames(schema);
  for (const [key, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    const name = canonicalName(schema, key);
    const spec = name === undefined ? undefined : schema[name];
    if (name === undefined || spec === undefined) {
      if (options.allowUnknown) continue;
      throw new InvalidInputError({ what: paramWhat(key), value: raw, reason: `unknown for ${options.owner} (known: ${known.join(', ') || 'none'})` });
    }
    const what = paramWhat(name);
    if (spec.only !== undefined && spec.only !== options.source) {
      throw new InvalidInputError({ what, value: raw, reason: spec.only === 'uri' ? 'is given in the address, not as an option' : 'cannot be given in an address; give it as an option' });
    }
    if (options.source === 'uri' && spec.type === 'object' && !spec.text) {
      throw new InvalidInputError({ what, value: raw, reason: 'cannot be given in an address; give it as an option' });
    }
    if (givenAs[name] !== undefined) throw new InvalidInputError({ what, value: raw, reason: `given twice (as ${givenAs[name]} and ${key})` });
    givenAs[name] = key;
    out[name] = checkValue(spec, raw, what);
  }
  return out;
}

/** Describe a parameter's type and range in a few words: `integer 50..4000000 bit/s`. */
export function describeType(spec: ParamSpec): string {
  switch (spec.type) {
    case 'number':
    case 'integer':
      return numberRule(spec).replace(/^an? /, '').replace(/ \((.*)\)$/, ' $1');
    case 'boolean':
      return 'true|false';
    case 'string':
      return spec.choices ? spec.choices.join('|') : (spec.expected ?? 'text');
    case 'list':
      return `list of ${describeItems(spec)}`;
    case 'quantity':
      return `quantity (${spec.units})`;
    case 'object':
      return spec.shape ?? 'object';
  }
}

/** Format a schema as help lines: `  name  type  doc (default ...)`. */
export function formatSchema(schema: ParamSchema, indent = '  '): string[] {
  const rows = Object.entries(schema).map(([name, spec]) => {
    const where = spec.only === 'uri' ? ' [address only]' : spec.only === 'options' || (spec.type === 'object' && !spec.text) ? ' [options only]' : '';
    const def = spec.default === undefined ? '' : ` (default ${typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default)})`;
    return [name, describeType(spec), `${spec.doc}${def}${where}`] as const;
  });
  const w0 = Math.max(0, ...rows.map((r) => r[0].length));
  const w1 = Math.max(0, ...rows.map((r) => r[1].length));
  return rows.map(([n, t, d]) => `${indent}${n.padEnd(w0)}  ${t.padEnd(w1)}  ${d}`);
}

/** Read the JSON file a parameter names (a register map, a node list); an InvalidInputError naming `what` when it cannot be read or parsed. */
export function readJsonParam(path: string, what: string, kind: string): unknown {
  let text: string;
  let value: unknown;
  try {
    text = readFileSync(path, 'utf8');
    value = JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidInputError({ what, value: path, reason: `cannot be read as a JSON ${kind} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})` });
  }
  const dup = findDuplicateKey(text);
  if (dup) {
    throw new InvalidInputError({ what, value: path, reason: `cannot be read as a JSON ${kind}: key '${dup.key}' appears twice ${dup.path === '' ? 'at the top level' : `in ${dup.path}`} (line ${dup.line}, column ${dup.column}; first at line ${dup.firstLine}, column ${dup.firstColumn})` });
  }
  return value;
}
