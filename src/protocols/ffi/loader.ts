/**
 * Find and load a vendor's shared library with koffi: per-OS file names, explicit paths, an
 * environment override and search directories, tried in a fixed order. When nothing loads, one
 * NotFoundError lists every path tried and why it failed.
 *
 * Order tried:
 * 1. `paths` (full paths given by the caller),
 * 2. the environment variable `envVar` (default `LABRIG_LIB_PATH`): a file, or directories
 *    separated by the platform's path delimiter, each joined with every file name,
 * 3. `searchPaths` directories, each joined with every file name,
 * 4. the bare file names, so the system loader searches its own path (LD_LIBRARY_PATH,
 *    ldconfig cache, PATH on Windows, DYLD paths on macOS).
 * @module
 */
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import type * as Koffi from 'koffi';
import { DisconnectedError, InvalidInputError } from '../../core/errors.js';
import type { FfiLoadOptions } from '../contracts.js';
import { NotFoundError } from '../discovery/not-found.js';
import { NativeLibrary } from './library.js';
import type { StatusPolicy } from './status.js';

/** Default environment variable that can point at a library file or its directories. */
export const LIB_PATH_ENV = 'LABRIG_LIB_PATH';

/** Options of {@link loadLibrary}: the contract's FfiLoadOptions plus overrides. */
export interface LoadLibraryOptions extends FfiLoadOptions {
  /** Full paths tried first, in order. */
  paths?: readonly string[];
  /** Environment variable with a file or directories to try; `false` to ignore the environment. */
  envVar?: string | false;
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Platform whose file names apply (default `process.platform`). */
  platform?: NodeJS.Platform;
  /** Status handling beyond the `errors` table (vendor text function, warnings, classification). */
  status?: Omit<StatusPolicy, 'device' | 'table'>;
  /** Bind symbols lazily (POSIX RTLD_LAZY). Default false: unresolved symbols fail at load. */
  lazy?: boolean;
}

/** One candidate: the path handed to the system loader and where it came from. */
export interface LibraryCandidate {
  path: string;
  source: 'paths' | 'env' | 'searchPaths' | 'system';
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** List the paths to try, in order, without touching the libraries (pure except for stat of env entries). */
export function libraryCandidates(options: LoadLibraryOptions): LibraryCandidate[] {
  const platform = options.platform ?? process.platform;
  const names = options.fileNames[platform] ?? [];
  const pathJoin = platform === 'win32' ? win32.join : posix.join;
  const delimiter = platform === 'win32' ? win32.delimiter : posix.delimiter;
  const out: LibraryCandidate[] = [];
  const seen = new Set<string>();
  const add = (path: string, source: LibraryCandidate['source']): void => {
    if (path && !seen.has(path)) {
      seen.add(path);
      out.push({ path, source });
    }
  };
  for (const p of options.paths ?? []) add(p, 'paths');
  const envVar = options.envVar === undefined ? LIB_PATH_ENV : options.envVar;
  const envValue = envVar ? (options.env ?? process.env)[envVar] : undefined;
  if (envValue) {
    for (const entry of envValue.split(delimiter).filter(Boolean)) {
      if (isFile(entry)) add(entry, 'env');
      else for (const n of names) add(pathJoin(entry, n), 'env');
    }
  }
  for (const dir of options.searchPaths ?? []) for (const n of names) add(pathJoin(dir, n), 'searchPaths');
  for (const n of names) add(n, 'system');
  return out;
}

let koffiModule: typeof Koffi | undefined;

/** Load koffi itself; a koffi that cannot load (no prebuilt binary) is a DisconnectedError. */
export function loadKoffi(what = 'koffi'): typeof Koffi {
  if (koffiModule) return koffiModule;
  try {
    koffiModule = createRequire(import.meta.url)('koffi') as typeof Koffi;
    return koffiModule;
  } catch (err) {
    throw new DisconnectedError({ device: what, detail: `the koffi FFI module could not be loaded: ${(err as Error).message}`, cause: err });
  }
}

/**
 * Load the first library that loads among the candidates and wrap it as a NativeLibrary.
 * Throws InvalidInputError when no file name is declared for the platform and no path is given,
 * NotFoundError (a DisconnectedError) listing every path tried with the loader's reason when
 * none loads.
 */
export function loadLibrary(options: LoadLibraryOptions): NativeLibrary {
  if (!options || typeof options.name !== 'string' || options.name === '') throw new InvalidInputError({ what: 'loadLibrary options.name', value: options?.name, reason: 'must be a non-empty string' });
  const candidates = libraryCandidates(options);
  const platform = options.platform ?? process.platform;
  if (candidates.length === 0) {
    throw new InvalidInputError({ what: `${options.name}: library file names`, value: platform, reason: 'no file name declared for this platform and no path given' });
  }
  const koffi = loadKoffi(options.name);
  const tried: string[] = [];
  for (const c of candidates) {
    try {
      const lib = koffi.load(c.path, { lazy: options.lazy ?? false });
      return new NativeLibrary(koffi, lib, c.path, { device: options.name, ...(options.errors ? { table: options.errors } : {}), ...options.status });
    } catch (err) {
      tried.push(`${c.path} [${c.source}]: ${(err as Error).message.replace(/^Failed to load shared library: /, '')}`);
    }
  }
  throw new NotFoundError({ what: `${options.name} library`, tried, detail: `could not load the ${platform} library` });
}
