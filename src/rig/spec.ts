/**
 * Rig files: JSON or YAML naming the devices of a setup by URI, with per-device options.
 *
 * ```yaml
 * devices:
 *   stage:
 *     uri: galil+tcp://10.0.0.5:23
 *     axes: { A: { countsPerUnit: 1000, units: mm, limits: [-10, 10] } }
 *   mfc1: alicat+serial:///dev/ttyUSB0?unit=A      # short entry: a URI only
 *   pump: { uri: "sim:legato" }                     # simulator started in-process
 * ```
 *
 * The top level may also be the device map itself (`{ "stage": "galil+tcp://..." }`). Everything
 * is checked before anything is opened, by the families' own descriptors: names, URIs, `sim:`
 * parameters and each family's options (the same schema as the URI's query parameters, so a
 * wrong value gets the same text as from `openX()`, prefixed by where it is); an
 * InvalidInputError names the device and the bad parameter.
 * @module
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InvalidInputError } from '../core/errors.js';
import { checkFamilyOptions, resolveTarget, type AnyFamily, type FamilyTarget } from '../drivers/family.js';
import { familyByName, familyForUri } from '../drivers/registry.js';
import { checkParams, reasonOf } from '../protocols/params.js';
import type { AnySimulator } from '../sim/family.js';
import { registeredSimulators, simulatorByName } from '../sim/registry.js';
import { registerBuiltinFamilies } from './families.js';
import { findDuplicateKey } from '../protocols/json-keys.js';
import type { DeviceOptions } from './types.js';

/** One checked device entry of a rig. */
export interface RigEntry {
  /** Rig name of the device; also its device name (data key prefix). */
  readonly name: string;
  /** URI as written (a driver URI or `sim:<family>?...`). */
  readonly uri: string;
  /** The family's descriptor. */
  readonly family: AnyFamily;
  /** The checked options (the family's parameters; for a driver URI, its query parameters too). */
  readonly options: DeviceOptions;
  /** The checked address of a driver URI; undefined for a `sim:` entry (known once the simulator runs). */
  readonly target: FamilyTarget | undefined;
  /** Checked parameters of a `sim:` URI (the simulator is started when the rig loads); undefined for a driver URI. */
  readonly sim: Readonly<Record<string, unknown>> | undefined;
  /** The simulator of a `sim:` entry. */
  readonly simulator: AnySimulator | undefined;
}

/** A checked rig: its entries in file order. */
export interface RigSpec {
  /** Rig name (`name` field of the long form), if any. */
  readonly name: string | undefined;
  readonly entries: readonly RigEntry[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LONG_FORM_KEYS = ['devices', 'name', 'description'];

/** Run `fn`; an InvalidInputError it throws is re-thrown with `prefix` before its `what` (`rig r.yaml device 'mfc': parameter 'baud'`). */
export function labelled<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidInputError && prefix) throw new InvalidInputError({ what: `${prefix} ${e.what}`, value: e.value, reason: reasonOf(e) });
    throw e;
  }
}

/** The `sim:` names a rig accepts, for the unknown-scheme error. */
function simNames(): string {
  const names = registeredSimulators().map((s) => s.name);
  return names.length > 0 ? `sim:<${names.join('|')}>` : '';
}

/** Split `sim:<family>[?a=b&...]` into family and parameters; undefined when `uri` is not a `sim:` URI. */
export function parseSimUri(uri: string): { family: string; params: Record<string, string> } | undefined {
  if (!/^sim:/i.test(uri)) return undefined;
  const m = /^sim:(?:\/\/)?([A-Za-z][A-Za-z0-9_-]*)(?:\?([^#]*))?$/i.exec(uri.trim());
  if (!m) throw new InvalidInputError({ what: 'sim URI', value: uri, reason: 'expected sim:<family>[?key=value&...], e.g. sim:galil or sim:alicat?units=A,B' });
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(m[2] ?? '')) params[k] = v;
  return { family: m[1]!.toLowerCase(), params };
}

/**
 * Check one device entry (`value` is a URI or `{ uri, ...options }`) with its family's descriptor.
 * `where` names the source in errors (`rig r.yaml` → `rig r.yaml device 'stage': parameter ...`);
 * an empty `where` adds nothing, so a single URI's errors read exactly as `openX(uri)`'s.
 */
export function checkEntry(name: string, value: unknown, where = 'rig'): RigEntry {
  const label = where ? `${where} device '${name}'` : `device '${name}'`;
  const prefix = where ? `${label}:` : '';
  if (!NAME_RE.test(name)) throw new InvalidInputError({ what: where ? `${where} device name` : 'device name', value: name, reason: 'must be an identifier (letters, digits, _; not starting with a digit)' });
  let uri: unknown;
  let raw: Record<string, unknown>;
  if (typeof value === 'string') {
    uri = value;
    raw = {};
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    ({ uri, ...raw } = value as Record<string, unknown>);
  } else {
    throw new InvalidInputError({ what: label, value, reason: 'must be a URI string or an object with a uri field' });
  }
  if (typeof uri !== 'string' || uri.trim() === '') throw new InvalidInputError({ what: `${label} uri`, value: uri, reason: 'must be a non-empty string' });
  const u = uri;
  return labelled(prefix, () => {
    const sim = parseSimUri(u);
    if (sim) {
      const simulator = simulatorByName(sim.family, 'sim family');
      const family = familyByName(simulator.family, 'sim family');
      const options = checkFamilyOptions(family, raw) as DeviceOptions;
      const params = checkParams(simulator.params, sim.params, { source: 'uri', owner: `sim:${simulator.name}` });
      simulator.check?.(params, options);
      return { name, uri: u, family, options, target: undefined, sim: params, simulator };
    }
    const family = familyForUri(u, 'uri', simNames());
    const r = resolveTarget(family, u, raw);
    return { name, uri: u, family, options: r.options as DeviceOptions, target: r.target, sim: undefined, simulator: undefined };
  });
}

/** Check a rig object (long form `{ devices: {...} }` or short form `{ name: uri, ... }`). */
export function parseRig(input: unknown, where = 'rig'): RigSpec {
  registerBuiltinFamilies();
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidInputError({ what: where, value: input, reason: 'must be an object of devices' });
  const top = input as Record<string, unknown>;
  let devices: Record<string, unknown>;
  let name: string | undefined;
  if ('devices' in top) {
    for (const k of Object.keys(top)) {
      if (!LONG_FORM_KEYS.includes(k)) throw new InvalidInputError({ what: `${where} field '${k}'`, value: top[k], reason: `unknown top-level field (known: ${LONG_FORM_KEYS.join(', ')})` });
    }
    const d = top['devices'];
    if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new InvalidInputError({ what: `${where} devices`, value: d, reason: 'must be an object of device name → URI or { uri, ...options }' });
    devices = d as Record<string, unknown>;
    if (top['name'] !== undefined && typeof top['name'] !== 'string') throw new InvalidInputError({ what: `${where} name`, value: top['name'], reason: 'must be a string' });
    name = top['name'] as string | undefined;
  } else {
    devices = top;
  }
  const entries = Object.entries(devices).map(([n, v]) => checkEntry(n, v, where));
  if (entries.length === 0) throw new InvalidInputError({ what: `${where} devices`, value: devices, reason: 'names no device' });
  return { name, entries };
}

/** Read a rig file (`.json`, `.yaml`/`.yml`; other names are read as YAML, which includes JSON). */
export function readRigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidInputError({ what: 'rig file', value: path, reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  const json = extname(path).toLowerCase() === '.json';
  let value: unknown;
  try {
    value = json ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (e) {
    throw new InvalidInputError({ what: `rig file ${path}`, value: text.length > 60 ? `${text.slice(0, 57)}...` : text, reason: `is not valid ${json ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}` });
  }
  // JSON.parse keeps the last of two equal keys; refuse them as the YAML parser does.
  const dup = json ? findDuplicateKey(text) : undefined;
  if (dup) {
    const inside = dup.path === '' ? 'at the top level' : `in ${dup.path}`;
    throw new InvalidInputError({ what: `rig file ${path}`, value: dup.key, reason: `is not valid JSON for a rig: key '${dup.key}' appears twice ${inside} (line ${dup.line}, column ${dup.column}; first at line ${dup.firstLine}, column ${dup.firstColumn})` });
  }
  return value;
}

/** Read and check a rig file. */
export function loadRigSpec(path: string): RigSpec {
  return parseRig(readRigFile(path), `rig ${path}`);
}
