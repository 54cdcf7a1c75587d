/**
 * Persistent run metadata (bluesky's `RE.md`): an interface any store can implement, and the
 * in-memory default. A file-backed store lives in `src/writers/md-store.ts` (it does I/O).
 * @module
 */

/** Key/value store of metadata merged into every run_start document. */
export interface MdStore {
  /** Return the value stored under `key`, or undefined. */
  get(key: string): unknown;
  /** Store `value` under `key`. */
  set(key: string, value: unknown): void;
  /** Remove `key`; return whether it was present. */
  delete(key: string): boolean;
  /** Return every key. */
  keys(): string[];
  /** Remove every key. */
  clear(): void;
}

/** Keep metadata in memory (lost when the process ends). */
export class MemoryMdStore implements MdStore {
  readonly #map = new Map<string, unknown>();

  constructor(initial?: Record<string, unknown>) {
    if (initial) for (const [k, v] of Object.entries(initial)) this.#map.set(k, v);
  }

  /** Return the value stored under `key`, or undefined. */
  get(key: string): unknown {
    return this.#map.get(key);
  }
  /** Store `value` under `key`. */
  set(key: string, value: unknown): void {
    this.#map.set(key, value);
  }
  /** Remove `key`; return whether it was present. */
  delete(key: string): boolean {
    return this.#map.delete(key);
  }
  /** Return every key. */
  keys(): string[] {
    return [...this.#map.keys()];
  }
  /** Remove every key. */
  clear(): void {
    this.#map.clear();
  }
}

/** Copy a store into a plain object. */
export function mdToObject(store: MdStore): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of store.keys()) out[k] = store.get(k);
  return out;
}
