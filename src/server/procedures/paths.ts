/**
 * Resolve a procedure's `script_uri` to something the server may run: a file name inside the
 * allow-listed scripts folder (checked after resolving symlinks), or a built-in plan name.
 * Nothing from a request becomes code, a path outside the folder or a shell command.
 * @module
 */
import { realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import type { LoadSpec } from './types.js';

/** File extensions of script modules. */
export const SCRIPT_EXTENSIONS: readonly string[] = ['.ts', '.js', '.mjs'];
/** File extensions of Observation Blocks. */
export const OB_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** A script URI refused because it points outside the scripts folder (HTTP 403). */
export class PathEscapeError extends InvalidInputError {}

/**
 * Resolve `uri` (`file://NAME`, `NAME`, or `plan://NAME`) against the scripts folder. Throws
 * PathEscapeError for anything that would leave the folder (absolute paths, `..`, symlinks out),
 * InvalidInputError for an unknown plan, a missing file or an extension that is not runnable.
 */
export function resolveScript(scriptsDir: string, uri: string, plans: readonly string[]): LoadSpec {
  const bad = (reason: string): InvalidInputError => new InvalidInputError({ what: 'script_uri', value: uri, reason });
  if (typeof uri !== 'string' || uri === '') throw bad('expected file://NAME or plan://NAME');
  if (uri.includes('\0')) throw new PathEscapeError({ what: 'script_uri', value: uri, reason: 'contains a NUL byte' });
  if (uri.startsWith('plan://')) {
    const name = uri.slice('plan://'.length);
    if (!plans.includes(name)) throw bad(`unknown plan '${name}' (have ${plans.join(', ')})`);
    return { kind: 'plan', plan: name };
  }
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  if (m && m[1]!.toLowerCase() !== 'file') throw bad(`scheme '${m[1]}' is not served (file:// or plan:// only)`);
  const name = m ? uri.slice(m[0].length) : uri;
  if (name === '' || isAbsolute(name) || /^[a-z]:[\\/]/i.test(name)) {
    throw new PathEscapeError({ what: 'script_uri', value: uri, reason: 'must name a file inside the scripts folder (relative, no absolute path)' });
  }
  let root: string;
  try {
    root = realpathSync(scriptsDir);
  } catch {
    throw bad(`the scripts folder ${scriptsDir} does not exist`);
  }
  const inside = (p: string): boolean => {
    const rel = relative(root, p);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  const lexical = resolve(root, name);
  if (!inside(lexical)) throw new PathEscapeError({ what: 'script_uri', value: uri, reason: 'resolves outside the scripts folder' });
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    throw bad('no such file in the scripts folder');
  }
  if (!inside(real) || !real.startsWith(root + sep)) throw new PathEscapeError({ what: 'script_uri', value: uri, reason: 'links outside the scripts folder' });
  if (!statSync(real).isFile()) throw bad('is not a file');
  const ext = extname(real).toLowerCase();
  if (SCRIPT_EXTENSIONS.includes(ext)) return { kind: 'script', path: real };
  if (OB_EXTENSIONS.includes(ext)) return { kind: 'ob', path: real };
  throw bad(`extension '${ext}' is not runnable (scripts ${SCRIPT_EXTENSIONS.join(' ')}, observation blocks ${OB_EXTENSIONS.join(' ')})`);
}
