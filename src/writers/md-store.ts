/**
 * A RunEngine metadata store kept in a JSON file, so `scan_id` and other persistent metadata
 * survive restarts (bluesky's HistoryDict, as a plain JSON document). Writes are atomic: the
 * whole store is written to a temporary file that then replaces the old one.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidInputError } from '../core/errors.js';
import type { MdStore } from '../core/engine/md-store.js';

/** Keep RunEngine metadata in a JSON file (values must be JSON-serialisable). */
export class FileMdStore implements MdStore {
  /** Path of the JSON file. */
  readonly path: string;
  readonly #map = new Map<string, unknown>();

  /** Open (or create on first write) the store at `path`; a corrupt file is an InvalidInputError. */
  constructor(path: string) {
    this.path = path;
    if (!existsSync(path)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new InvalidInputError({ what: 'metadata file', value: path, reason: `is not valid JSON (${(e as Error).message})` });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new InvalidInputError({ what: 'metadata file', value: path, reason: 'must hold a JSON object' });
    }
    for (const [k, v] of Object.entries(parsed)) this.#map.set(k, v);
  }

  /** Return the value stored under `key`, or undefined. */
  get(key: string): unknown {
    return this.#map.get(key);
  }

  /** Store `value` under `key` and write the file. */
  set(key: string, value: unknown): void {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      text = undefined;
    }
    if (text === undefined) throw new InvalidInputError({ what: `metadata '${key}'`, value, reason: 'must be JSON-serialisable' });
    this.#map.set(key, JSON.parse(text));
    this.#save();
  }

  /** Remove `key` (and write the file); return whether it was present. */
  delete(key: string): boolean {
    const had = this.#map.delete(key);
    if (had) this.#save();
    return had;
  }

  /** Return every key. */
  keys(): string[] {
    return [...this.#map.keys()];
  }

  /** Remove every key and write the file. */
  clear(): void {
    this.#map.clear();
    this.#save();
  }

  #save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(Object.fromEntries(this.#map), null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}
