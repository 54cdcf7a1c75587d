/**
 * Typed parameters of executor actions and sequencer templates: one schema per action or
 * template, checked in one place before anything runs. An error names where (the action or
 * template), the parameter and the rule it broke.
 * @module
 */
import { InvalidInputError } from '../errors.js';

/** The value kinds a parameter can take. */
export type ParamType = 'number' | 'integer' | 'string' | 'boolean' | 'array' | 'object';

/** One parameter: its type and the rules its value must meet. */
export interface ParamSpec {
  readonly type: ParamType;
  /** Must be given (default false when `default` is set, true otherwise). */
  readonly required?: boolean;
  readonly default?: unknown;
  /** Inclusive bounds for numbers (and integers). */
  readonly min?: number;
  readonly max?: number;
  /** The allowed values. */
  readonly choices?: readonly unknown[];
  /** Units of a number, shown in help. */
  readonly units?: string;
  /** One line shown in help. */
  readonly doc?: string;
}

/** Parameters by name. */
export type ParamSchema = Readonly<Record<string, ParamSpec>>;

type ValueOf<S extends ParamSpec> = S['type'] extends 'number' | 'integer' ? number
  : S['type'] extends 'string' ? string
    : S['type'] extends 'boolean' ? boolean
      : S['type'] extends 'array' ? unknown[]
        : Record<string, unknown>;

/** The TypeScript type of the values a schema accepts. */
export type ParamsOf<S extends ParamSchema> = { [K in keyof S]: ValueOf<S[K]> };

const TYPES = new Set<ParamType>(['number', 'integer', 'string', 'boolean', 'array', 'object']);

/** Check a schema itself (types known, defaults valid); throw InvalidInputError naming `where`. */
export function checkSchema(schema: ParamSchema, where: string): void {
  if (typeof schema !== 'object' || schema === null) throw new InvalidInputError({ what: `${where} parameters`, value: schema, reason: 'must be an object of parameter specs' });
  for (const [key, spec] of Object.entries(schema)) {
    if (!TYPES.has(spec?.type)) throw new InvalidInputError({ what: `${where} parameter '${key}' type`, value: spec?.type, reason: `must be one of ${[...TYPES].join(', ')}` });
    if (spec.default !== undefined) checkValue(spec, spec.default, `${where} parameter '${key}' default`);
  }
}

function typeOk(type: ParamType, v: unknown): boolean {
  switch (type) {
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    case 'array': return Array.isArray(v);
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

function checkValue(spec: ParamSpec, v: unknown, what: string): void {
  if (!typeOk(spec.type, v)) throw new InvalidInputError({ what, value: v, reason: `rule type: expected ${spec.type === 'integer' ? 'an integer' : `a ${spec.type === 'number' ? 'finite number' : spec.type}`}` });
  if (spec.min !== undefined && (v as number) < spec.min) throw new InvalidInputError({ what, value: v, reason: `rule min: must be >= ${spec.min}${spec.units ? ` ${spec.units}` : ''}` });
  if (spec.max !== undefined && (v as number) > spec.max) throw new InvalidInputError({ what, value: v, reason: `rule max: must be <= ${spec.max}${spec.units ? ` ${spec.units}` : ''}` });
  if (spec.choices && !spec.choices.includes(v)) throw new InvalidInputError({ what, value: v, reason: `rule choices: must be one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}` });
}

/**
 * Validate `values` against `schema`: unknown names, missing required ones, type, min, max and
 * choices; return the values with defaults filled in. `where` names the action or template.
 */
export function validateParams(schema: ParamSchema, values: unknown, where: string): Record<string, unknown> {
  if (values === undefined || values === null) values = {};
  if (typeof values !== 'object' || Array.isArray(values)) throw new InvalidInputError({ what: `${where} parameters`, value: values, reason: 'must be an object of name: value' });
  const given = values as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(key in schema)) throw new InvalidInputError({ what: `${where} parameter '${key}'`, value: given[key], reason: `rule known: not a parameter (known: ${Object.keys(schema).join(', ') || 'none'})` });
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const v = given[key] ?? spec.default;
    if (v === undefined) {
      if (spec.required === false) continue;
      throw new InvalidInputError({ what: `${where} parameter '${key}'`, value: undefined, reason: 'rule required: missing' });
    }
    checkValue(spec, v, `${where} parameter '${key}'`);
    out[key] = v;
  }
  return out;
}

/** Turn `key=value` strings (command line) into values of the schema's types, before validation. */
export function parseParamArgs(schema: ParamSchema, args: readonly string[], where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new InvalidInputError({ what: `${where} argument`, value: arg, reason: 'expected key=value' });
    const key = arg.slice(0, eq);
    const text = arg.slice(eq + 1);
    const type = schema[key]?.type;
    if (type === 'number' || type === 'integer') out[key] = text.trim() === '' ? text : Number(text);
    else if (type === 'boolean') out[key] = text === 'true' ? true : text === 'false' ? false : text;
    else if (type === 'array' || type === 'object') {
      try {
        out[key] = JSON.parse(text);
      } catch {
        throw new InvalidInputError({ what: `${where} parameter '${key}'`, value: text, reason: `rule type: expected JSON ${type}` });
      }
    } else out[key] = text;
  }
  return out;
}
