/**
 * Third-party families for the `labrig` command. Before a subcommand runs, the command loads
 *
 * - each module named by `--import MODULE` (repeatable; a path such as `./bath-family.js`, taken
 *   from the current directory, or a package name resolved from the current directory), then
 * - `labrig.config.js`, `labrig.config.mjs` or `labrig.config.json` from the current directory, if
 *   there is one: a `.js`/`.mjs` file is such a module itself; a `.json` file lists modules as
 *   `{ "import": ["./bath-family.js", "labrig-bath"] }`.
 *
 * A plugin module registers its families with the public calls labrig's own families use. It
 * exports `register(api)` (or a default function), which is called with `registerFamily` and
 * `registerSimulator` of the running labrig, so a plugin that resolves another copy of labrig
 * still registers with this one; a module without either is only imported (it registers when
 * loaded). The built-in families are registered first, so a plugin cannot take over their
 * schemes. Every failure is an error naming the module.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError, toError } from '../core/errors.js';
import { registerFamily } from '../drivers/registry.js';
import { registerBuiltinFamilies } from '../rig/families.js';
import { registerSimulator } from '../sim/registry.js';

/** What a plugin's `register` function is given: the registration calls of the running labrig. */
export interface PluginApi {
  /** Register a driver family (see `labrig/drivers`). */
  readonly registerFamily: typeof registerFamily;
  /** Register a simulator (see `labrig/sim`). */
  readonly registerSimulator: typeof registerSimulator;
}

/** The names a configuration file may have, in the order they are looked for. */
export const CONFIG_FILES = ['labrig.config.js', 'labrig.config.mjs', 'labrig.config.json'] as const;

/** Remove every `--import MODULE` / `--import=MODULE` before a `--` from `argv`; return the modules and the rest. */
export function takeImports(argv: readonly string[]): { imports: string[]; rest: string[] } {
  const imports: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--import' || a.startsWith('--import=')) {
      const m = a === '--import' ? argv[++i] : a.slice('--import='.length);
      if (m === undefined || m === '' || (a === '--import' && m.startsWith('-'))) throw new InvalidInputError({ what: '--import', value: m ?? '', reason: 'needs a module: a path (./family.js) or a package name' });
      imports.push(m);
      continue;
    }
    rest.push(a);
  }
  return { imports, rest };
}

/** Resolve a module specifier from `cwd`: a path relative to it, or a package installed there. */
export function resolvePlugin(spec: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !isAbsolute(spec)) return spec; // already a URL (file:, data:)
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const file = resolve(cwd, spec);
    if (!existsSync(file)) throw new InvalidInputError({ what: 'plugin module', value: spec, reason: `no such file: ${file}` });
    return pathToFileURL(file).href;
  }
  try {
    return pathToFileURL(createRequire(join(cwd, 'labrig-plugin-resolver.js')).resolve(spec)).href;
  } catch (e) {
    throw new InvalidInputError({ what: 'plugin module', value: spec, reason: `cannot be resolved from ${cwd}: ${toError(e).message.split('\n')[0]}` });
  }
}

/** Import one plugin module and call its `register` (or default) function with the registration API. */
export async function loadPlugin(spec: string, cwd: string = process.cwd()): Promise<void> {
  const url = resolvePlugin(spec, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidInputError({ what: 'plugin module', value: spec, reason: `failed to load: ${toError(e).message}` });
  }
  const register = typeof mod['register'] === 'function' ? mod['register'] : typeof mod['default'] === 'function' ? mod['default'] : undefined;
  if (!register) return;
  try {
    await (register as (api: PluginApi) => unknown)({ registerFamily, registerSimulator });
  } catch (e) {
    throw new InvalidInputError({ what: 'plugin module', value: spec, reason: `its register() failed: ${toError(e).message}` });
  }
}

/** Return the modules the configuration file in `cwd` names (none without a file). */
export function configImports(cwd: string): string[] {
  const file = CONFIG_FILES.map((f) => join(cwd, f)).find((f) => existsSync(f));
  if (!file) return [];
  if (!file.endsWith('.json')) return [file];
  let cfg: unknown;
  try {
    cfg = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidInputError({ what: file, value: 'labrig.config.json', reason: `is not valid JSON: ${toError(e).message}` });
  }
  const list = (cfg as { import?: unknown } | null)?.import;
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg) || !Array.isArray(list) || !list.every((m) => typeof m === 'string' && m !== '')) {
    throw new InvalidInputError({ what: `${file} "import"`, value: list, reason: 'expected { "import": ["./family.js", "package-name", ...] }' });
  }
  const extra = Object.keys(cfg).filter((k) => k !== 'import');
  if (extra.length > 0) throw new InvalidInputError({ what: file, value: extra, reason: 'unknown keys (only "import" is read)' });
  return (list as string[]).map((m) => (m.startsWith('.') ? resolve(cwd, m) : m));
}

/**
 * Register the built-in families, then load the `--import` modules and the configuration file's
 * (see the module notes). Resolves with the modules loaded, in order.
 */
export async function loadPlugins(imports: readonly string[], cwd: string = process.cwd()): Promise<string[]> {
  registerBuiltinFamilies();
  const all = [...imports, ...configImports(cwd)];
  for (const m of all) await loadPlugin(m, cwd);
  return all;
}

/** {@link loadPlugins} for the command line: print a failure as one line and resolve false. */
export async function loadPluginsCli(imports: readonly string[], cwd: string = process.cwd()): Promise<boolean> {
  try {
    await loadPlugins(imports, cwd);
    return true;
  } catch (e) {
    const err = toError(e);
    console.error(`labrig: ${err.name}: ${err.message.replace(/\s*\n\s*/g, '; ')}`);
    return false;
  }
}
