/**
 * Observation Blocks: a parsed JSON/YAML object listing templates with parameter values (and
 * `parallel`, `sequence`, `loop` entries to compose them), validated completely before anything
 * runs. An error names the entry, the template, the parameter and the rule.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { loop, parallel, sequence, type ErrorPolicy, type NodeOptions, type SeqNode, type SequenceNode, type Template } from './nodes.js';

/** Templates by name. */
export type TemplateLibrary = ReadonlyMap<string, Template> | Readonly<Record<string, Template>>;

/** A parsed Observation Block. */
export interface ObservationBlock {
  readonly name: string;
  /** The OB as one sequence node (id `ob`). */
  readonly root: SequenceNode;
}

const ENTRY_KEYS = new Set(['template', 'params', 'id', 'skip', 'pauseBefore', 'onError', 'timeoutMs', 'parallel', 'sequence', 'loop']);

function lookup(lib: TemplateLibrary, name: string): Template | undefined {
  return lib instanceof Map ? lib.get(name) : (lib as Record<string, Template>)[name];
}

function names(lib: TemplateLibrary): string[] {
  return lib instanceof Map ? [...lib.keys()] : Object.keys(lib);
}

function policy(v: unknown, where: string): ErrorPolicy | undefined {
  if (v === undefined || v === 'abort' || v === 'continue') return v;
  if (typeof v === 'string') {
    const m = /^retry:?\s*(\d+)$/.exec(v);
    if (m) return { retry: Number(m[1]) };
  }
  if (typeof v === 'object' && v !== null && Number.isInteger((v as { retry?: unknown }).retry) && (v as { retry: number }).retry >= 0) return { retry: (v as { retry: number }).retry };
  throw new InvalidInputError({ what: `${where} onError`, value: v, reason: "rule policy: must be abort, continue, 'retry N' or { retry: N }" });
}

function flags(e: Record<string, unknown>, where: string): NodeOptions {
  for (const k of ['skip', 'pauseBefore'] as const) {
    if (e[k] !== undefined && typeof e[k] !== 'boolean') throw new InvalidInputError({ what: `${where} ${k}`, value: e[k], reason: 'rule type: expected true or false' });
  }
  if (e['timeoutMs'] !== undefined && !(typeof e['timeoutMs'] === 'number' && e['timeoutMs'] > 0)) throw new InvalidInputError({ what: `${where} timeoutMs`, value: e['timeoutMs'], reason: 'rule min: must be a positive number' });
  const o: NodeOptions = {};
  if (e['skip'] !== undefined) o.skip = e['skip'] as boolean;
  if (e['pauseBefore'] !== undefined) o.pauseBefore = e['pauseBefore'] as boolean;
  const p = policy(e['onError'], where);
  if (p !== undefined) o.onError = p;
  if (e['timeoutMs'] !== undefined) o.timeoutMs = e['timeoutMs'] as number;
  return o;
}

function entries(list: unknown, where: string, prefix: string, lib: TemplateLibrary): SeqNode[] {
  if (!Array.isArray(list)) throw new InvalidInputError({ what: where, value: list, reason: 'rule type: expected a list of entries' });
  return list.map((e, i) => entry(e, `${where}[${i}]`, `${prefix}${i + 1}`, lib));
}

function entry(e: unknown, where: string, autoId: string, lib: TemplateLibrary): SeqNode {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new InvalidInputError({ what: where, value: e, reason: 'rule type: expected an entry object (template, parallel, sequence or loop)' });
  const o = e as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!ENTRY_KEYS.has(k)) throw new InvalidInputError({ what: `${where} key '${k}'`, value: o[k], reason: `rule known: not an entry key (known: ${[...ENTRY_KEYS].join(', ')})` });
  const kinds = ['template', 'parallel', 'sequence', 'loop'].filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) throw new InvalidInputError({ what: where, value: kinds, reason: 'rule kind: needs exactly one of template, parallel, sequence, loop' });
  if (o['id'] !== undefined && (typeof o['id'] !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(o['id']))) throw new InvalidInputError({ what: `${where} id`, value: o['id'], reason: 'rule id: letters, digits, _ . - starting with a letter or _' });
  const opts = flags(o, where);
  const kind = kinds[0]!;
  if (kind === 'template') {
    const name = o['template'];
    const tpl = typeof name === 'string' ? lookup(lib, name) : undefined;
    if (!tpl) throw new InvalidInputError({ what: `${where} template`, value: name, reason: `rule known: no such template (known: ${names(lib).join(', ')})` });
    const id = (o['id'] as string | undefined) ?? `${autoId}_${tpl.name}`;
    try {
      return tpl.instantiate(id, o['params'] ?? {}, opts);
    } catch (err) {
      if (err instanceof InvalidInputError) throw new InvalidInputError({ what: `${where}: ${err.what}`, value: err.value, reason: err.message.slice(err.what.length + 2).replace(/ \(got .*\)$/s, ''), cause: err });
      throw err;
    }
  }
  if (o['params'] !== undefined) throw new InvalidInputError({ what: `${where} params`, value: o['params'], reason: 'rule params: only template entries take params' });
  const id = (o['id'] as string | undefined) ?? `${autoId}_${kind}`;
  if (kind === 'parallel') return parallel(id, entries(o['parallel'], `${where}.parallel`, `${id}.`, lib), opts);
  if (kind === 'sequence') return sequence(id, entries(o['sequence'], `${where}.sequence`, `${id}.`, lib), opts);
  const l = o['loop'] as Record<string, unknown>;
  if (typeof l !== 'object' || l === null) throw new InvalidInputError({ what: `${where}.loop`, value: l, reason: 'rule type: expected { times, body }' });
  const times = l['times'];
  if (!Number.isInteger(times) || (times as number) < 0) throw new InvalidInputError({ what: `${where}.loop times`, value: times, reason: 'rule type: expected an integer >= 0' });
  return loop(id, entries(l['body'], `${where}.loop.body`, `${id}.`, lib), { times: times as number }, opts);
}

/**
 * Parse and validate an Observation Block object (`{ name, templates: [entries] }`) against
 * `library`; throws InvalidInputError naming the entry, template, parameter and rule.
 */
export function parseObservationBlock(ob: unknown, library: TemplateLibrary): ObservationBlock {
  if (typeof ob !== 'object' || ob === null || Array.isArray(ob)) throw new InvalidInputError({ what: 'observation block', value: ob, reason: 'rule type: expected an object with name and templates' });
  const o = ob as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['name', 'templates', 'description'].includes(k)) throw new InvalidInputError({ what: `observation block key '${k}'`, value: o[k], reason: 'rule known: expected name, description, templates' });
  const name = o['name'] ?? 'ob';
  if (typeof name !== 'string' || name === '') throw new InvalidInputError({ what: 'observation block name', value: name, reason: 'rule type: expected a non-empty string' });
  const list = entries(o['templates'], 'templates', 't', library);
  return { name, root: sequence('ob', list) };
}
