/**
 * What every `labrig` subcommand shares for its command line: the usage error (exit 2, one line
 * naming the problem and the fix, no stack trace), `--help`/`-h`, the check of an output folder
 * before anything is started, and printing an error as one line with control bytes escaped.
 * @module
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { escapeControl, toError } from '../core/errors.js';

/** A command-line mistake: the command prints its message (one line) and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Whether `args` ask for help (`--help` or `-h` anywhere before a `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Render an error as one line: `Name: message`, line breaks folded, control bytes escaped. */
export function oneLine(e: unknown): string {
  const err = toError(e);
  return escapeControl(`${err.name}: ${err.message.replace(/\s*\n\s*/g, '; ')}`);
}

/**
 * Check that `path` can be the output folder of a run, before any device or simulator starts:
 * an existing writable folder, or a missing one whose nearest existing parent is a writable
 * folder (it is created when the first run starts). Returns the absolute path; throws a
 * UsageError naming `flag` and the path otherwise.
 */
export function checkOutDir(path: string, flag = '--out'): string {
  const abs = resolve(path);
  const stat = statOrNone(abs);
  if (stat && !stat.isDirectory()) throw new UsageError(`${flag} ${path}: exists and is not a folder; give a folder (it is created if missing)`);
  let dir = abs;
  if (!stat) {
    // The nearest existing ancestor must be a folder we may create entries in.
    for (;;) {
      const up = dirname(dir);
      const s = statOrNone(up);
      dir = up;
      if (s) {
        if (!s.isDirectory()) throw new UsageError(`${flag} ${path}: ${up} is not a folder; give a folder path`);
        break;
      }
      if (up === dirname(up)) break;
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: ${dir} is not writable; give a folder you may write to`);
  }
  return abs;
}

/** stat `p`, or undefined when it (or a parent, ENOTDIR) does not exist. */
function statOrNone(p: string): ReturnType<typeof statSync> {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Check a whole number option `>= min`; return it, or throw a UsageError naming the flag. */
export function wholeNumber(flag: string, text: string, min = 1): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${flag} must be a whole number >= ${min} (got ${JSON.stringify(text)})`);
  return Number(text);
}

/** Turn a node:util parseArgs error into a UsageError with the fix (`see labrig <cmd> --help`). */
export function parseArgsError(e: unknown, command: string): UsageError {
  const msg = toError(e).message.replace(/\s*\n\s*/g, ' ').replace(/\. To specify a positional argument.*$/, '');
  return new UsageError(`${msg}; see labrig ${command} --help`);
}
