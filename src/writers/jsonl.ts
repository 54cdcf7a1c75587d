/**
 * Write runs as JSON lines, one `[name, doc]` array per line and one file per run, in the layout
 * bluesky's suitcase-jsonl writes and reads; and read such files back.
 * @module
 */
import { closeSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InvalidInputError, LabrigError } from '../core/errors.js';
import type { AnyDocument, DocumentName, RunStart } from '../core/documents/types.js';

/** Options of a {@link JsonlWriter}. */
export interface JsonlWriterOptions {
  /** Folder that receives the files; created (with parents) if missing unless `createDirectory` is false. */
  directory: string;
  /**
   * File name without the `.jsonl` extension: a template whose `{field}` placeholders take the
   * start document's top-level fields (default `{uid}`), or a function of the start document.
   */
  fileName?: string | ((start: RunStart) => string);
  /** Create `directory` when it is missing (default true). */
  createDirectory?: boolean;
  /** Characters held per run before they are written out (default 65536), whatever the time and count bounds. */
  bufferChars?: number;
  /**
   * Longest time, in ms, a document waits in memory before it is written to the file (default
   * 100): a process killed with SIGKILL loses at most about this much of its run. 0 writes every
   * document at once.
   */
  flushIntervalMs?: number;
  /** Documents held per run before they are written out (default 256). */
  flushDocuments?: number;
  /** Ask the disk to persist each file (fsync) when its run stops and on `flush`/`close` (default true). */
  fsync?: boolean;
}

/** Default of {@link JsonlWriterOptions.flushIntervalMs}, ms. */
export const JSONL_FLUSH_INTERVAL_MS = 100;
/** Default of {@link JsonlWriterOptions.flushDocuments}. */
export const JSONL_FLUSH_DOCUMENTS = 256;

interface OpenRun {
  uid: string;
  path: string;
  fd: number;
  chunks: string[];
  chars: number;
}

/** Writers with open runs, flushed synchronously when the process exits normally (`process.exit`, end of work). */
const live = new Set<JsonlWriter>();
let exitHooked = false;

function flushLiveOnExit(): void {
  for (const w of live) w.flushSync();
}

/** Track whether `w` holds open runs (one process-wide 'exit' listener serves every writer). */
function setLive(w: JsonlWriter, open: boolean): void {
  if (open) {
    live.add(w);
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', flushLiveOnExit);
    }
  } else {
    live.delete(w);
    if (live.size === 0 && exitHooked) {
      exitHooked = false;
      process.off('exit', flushLiveOnExit);
    }
  }
}

/** Documents written through at once: they change what a reader can make of the rest. */
const WRITE_THROUGH: ReadonlySet<string> = new Set(['start', 'descriptor', 'stop']);

const documentNames: ReadonlySet<string> = new Set([
  'start', 'descriptor', 'event', 'event_page', 'stop', 'resource', 'datum', 'datum_page', 'stream_resource', 'stream_datum',
]);

function ioError(what: string, path: string, err: unknown): LabrigError {
  const code = (err as { code?: string }).code;
  const text = err instanceof Error ? err.message : String(err);
  return new LabrigError({ code: 'WRITE_FAILED', message: `jsonl writer: cannot ${what} ${path}${code ? ` (${code})` : ''}: ${text}`, cause: err });
}

/** Serialise typed arrays as plain arrays and bigints as numbers (or strings when unsafe). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/**
 * Write each run's documents to `<directory>/<fileName>.jsonl`: opens on `start`, appends in
 * order, flushes, fsyncs and closes on `stop`; runs may interleave. Documents of runs it never
 * saw start are skipped and counted in {@link JsonlWriter.skipped}.
 *
 * Durability: `start`, `descriptor` and `stop` are written to the kernel at once (plain `write`
 * calls, no stream buffer); other documents wait in memory at most `flushIntervalMs` (100 ms, an
 * unref'd timer that never keeps the process alive) or `flushDocuments` (256) documents or
 * `bufferChars` characters, whichever comes first. A process killed with SIGKILL therefore loses
 * at most the documents of the last ~100 ms; the file it leaves holds whole lines (see
 * {@link readJsonl} for a write the kill cut short). `close()` writes and fsyncs everything
 * synchronously, so a signal handler may call it (or `await flush()`) and lose nothing.
 *
 * I/O failures throw a LabrigError with code `WRITE_FAILED` (the original error as `cause`) from
 * the document call that hit them; a failure of a timed write is thrown by the next call.
 */
export class JsonlWriter {
  /** Absolute folder the files go to. */
  readonly directory: string;
  readonly #fileName: (start: RunStart) => string;
  readonly #createDirectory: boolean;
  readonly #bufferChars: number;
  readonly #flushIntervalMs: number;
  readonly #flushDocuments: number;
  readonly #fsync: boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** A failure of a timed write, thrown by the next call. */
  #failure: unknown;
  readonly #runs = new Map<string, OpenRun>();
  /** Maps descriptor, resource and stream_resource uids to their run's uid. */
  readonly #owner = new Map<string, string>();
  readonly #written: string[] = [];
  #skipped = 0;
  #closed = false;

  constructor(options: JsonlWriterOptions) {
    if (typeof options?.directory !== 'string' || options.directory === '') {
      throw new InvalidInputError({ what: 'JsonlWriter directory', value: options?.directory, reason: 'must be a non-empty path' });
    }
    this.directory = resolve(options.directory);
    const fileName = options.fileName ?? '{uid}';
    this.#fileName = typeof fileName === 'function'
      ? fileName
      : (start) => fileName.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, key: string) => String(start[key] ?? ''));
    this.#createDirectory = options.createDirectory ?? true;
    this.#bufferChars = options.bufferChars ?? 65536;
    if (!(this.#bufferChars >= 0)) throw new InvalidInputError({ what: 'JsonlWriter bufferChars', value: options.bufferChars, reason: 'must be >= 0' });
    this.#flushIntervalMs = options.flushIntervalMs ?? JSONL_FLUSH_INTERVAL_MS;
    if (!(this.#flushIntervalMs >= 0 && this.#flushIntervalMs <= 60_000)) {
      throw new InvalidInputError({ what: 'JsonlWriter flushIntervalMs', value: options.flushIntervalMs, reason: 'must be a number of ms in 0..60000' });
    }
    this.#flushDocuments = options.flushDocuments ?? JSONL_FLUSH_DOCUMENTS;
    if (!(Number.isInteger(this.#flushDocuments) && this.#flushDocuments >= 1)) {
      throw new InvalidInputError({ what: 'JsonlWriter flushDocuments', value: options.flushDocuments, reason: 'must be a whole number >= 1' });
    }
    this.#fsync = options.fsync ?? true;
  }

  /** The document callback: pass it to a run engine's or dispatcher's subscribe. */
  readonly callback = (name: DocumentName, doc: AnyDocument): void => {
    this.write(name, doc);
  };

  /** Paths of the files finished (stopped or closed) so far, in order. */
  get writtenFiles(): readonly string[] {
    return this.#written;
  }

  /** Paths of the files of runs still open. */
  get openFiles(): string[] {
    return [...this.#runs.values()].map((r) => r.path);
  }

  /** Number of documents skipped because their run's start was never seen. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Route one document to its run's file. */
  write(name: DocumentName, doc: AnyDocument): void {
    if (this.#closed) throw new LabrigError({ code: 'WRITE_FAILED', message: `jsonl writer for ${this.directory} is closed` });
    this.#throwFailure();
    if (name === 'start') {
      this.#open(doc as RunStart);
      return;
    }
    const runUid = this.#runOf(name, doc as unknown as Record<string, unknown>);
    const run = runUid === undefined ? undefined : this.#runs.get(runUid);
    if (!run) {
      this.#skipped++;
      return;
    }
    const d = doc as unknown as Record<string, unknown>;
    if (name === 'descriptor' || name === 'resource' || name === 'stream_resource') this.#owner.set(d['uid'] as string, run.uid);
    this.#append(run, name, doc);
    if (name === 'stop') this.#finish(run);
  }

  /**
   * Write every held document of every open run to its file and ask the disk to persist them
   * (fsync, unless `fsync: false`); resolves once done. Runs stay open.
   */
  async flush(): Promise<void> {
    this.#throwFailure();
    this.#flushAll();
    if (!this.#fsync) return;
    const runs = [...this.#runs.values()];
    await Promise.all(runs.map((run) => new Promise<void>((resolve, reject) => {
      fsync(run.fd, (err) => {
        // A run that stopped meanwhile was fsynced and closed by its stop.
        if (err && this.#runs.get(run.uid) === run) reject(ioError('fsync', run.path, err));
        else resolve();
      });
    })));
  }

  /** Write every held document to the kernel now (no fsync); failures are kept for the next call. For exit paths. */
  flushSync(): void {
    try {
      this.#flushAll();
    } catch (err) {
      this.#failure ??= err;
    }
  }

  /**
   * Write, fsync and close every open file, synchronously (safe in a signal handler); return the
   * paths of every file written. Stops the flush timer. Idempotent.
   */
  close(): string[] {
    if (!this.#closed) {
      this.#closed = true;
      this.#clearTimer();
      let first: unknown = this.#failure;
      this.#failure = undefined;
      for (const run of [...this.#runs.values()]) {
        try {
          this.#finish(run);
        } catch (err) {
          first ??= err;
        }
      }
      if (first !== undefined) throw first;
    }
    return [...this.#written];
  }

  #runOf(name: DocumentName, d: Record<string, unknown>): string | undefined {
    switch (name) {
      case 'stop':
        return d['run_start'] as string;
      case 'descriptor':
      case 'resource':
      case 'stream_resource':
        return (d['run_start'] as string | undefined) || this.#onlyRun();
      case 'event':
      case 'event_page':
        return this.#owner.get(d['descriptor'] as string);
      case 'datum':
      case 'datum_page':
        return this.#owner.get(d['resource'] as string);
      case 'stream_datum':
        return this.#owner.get(d['stream_resource'] as string) ?? this.#owner.get(d['descriptor'] as string);
      default:
        throw new InvalidInputError({ what: 'document name', value: name, reason: `must be one of ${[...documentNames].join(', ')}` });
    }
  }

  /** The one open run, for resources that do not name theirs; undefined if zero or several. */
  #onlyRun(): string | undefined {
    return this.#runs.size === 1 ? this.#runs.keys().next().value : undefined;
  }

  #open(start: RunStart): void {
    const stem = this.#fileName(start);
    if (typeof stem !== 'string' || stem === '' || stem !== basename(stem) || stem === '.' || stem === '..') {
      throw new InvalidInputError({ what: 'JsonlWriter fileName', value: stem, reason: 'must give a plain file name (no folders) from the start document' });
    }
    const path = join(this.directory, `${stem}.jsonl`);
    if (this.#runs.has(start.uid)) throw new InvalidInputError({ what: 'start uid', value: start.uid, reason: 'is already open in this writer' });
    for (const r of this.#runs.values()) {
      if (r.path === path) throw new InvalidInputError({ what: 'JsonlWriter fileName', value: path, reason: `is already used by open run ${r.uid}` });
    }
    if (this.#createDirectory) {
      try {
        mkdirSync(this.directory, { recursive: true });
      } catch (err) {
        throw ioError('create folder', this.directory, err);
      }
    }
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (err) {
      throw ioError('open', path, err);
    }
    const run: OpenRun = { uid: start.uid, path, fd, chunks: [], chars: 0 };
    this.#runs.set(start.uid, run);
    setLive(this, true);
    this.#append(run, 'start', start);
  }

  #append(run: OpenRun, name: DocumentName, doc: AnyDocument): void {
    const line = `${JSON.stringify([name, doc], jsonReplacer)}\n`;
    run.chunks.push(line);
    run.chars += line.length;
    if (WRITE_THROUGH.has(name) || run.chars >= this.#bufferChars || run.chunks.length >= this.#flushDocuments || this.#flushIntervalMs === 0) this.#flush(run);
    else this.#armTimer();
  }

  /** Start the flush timer unless it runs; unref'd, so a pending flush never keeps the process alive. */
  #armTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      try {
        this.#flushAll();
      } catch (err) {
        this.#failure ??= err;
      }
    }, this.#flushIntervalMs);
    this.#timer.unref?.();
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Write out every open run's held documents; the first failure is thrown after trying all. */
  #flushAll(): void {
    this.#clearTimer();
    let first: unknown;
    for (const run of this.#runs.values()) {
      try {
        this.#flush(run);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  #throwFailure(): void {
    if (this.#failure === undefined) return;
    const f = this.#failure;
    this.#failure = undefined;
    throw f;
  }

  #flush(run: OpenRun): void {
    if (run.chunks.length === 0) return;
    const text = run.chunks.join('');
    run.chunks = [];
    run.chars = 0;
    try {
      // One write call per flush; loop only if the kernel took part of it.
      const bytes = Buffer.from(text, 'utf8');
      let done = 0;
      while (done < bytes.length) done += writeSync(run.fd, bytes, done, bytes.length - done);
    } catch (err) {
      throw ioError('write', run.path, err);
    }
  }

  #finish(run: OpenRun): void {
    this.#runs.delete(run.uid);
    for (const [uid, owner] of this.#owner) if (owner === run.uid) this.#owner.delete(uid);
    let failure: unknown;
    try {
      this.#flush(run);
      if (this.#fsync) fsyncSync(run.fd);
    } catch (err) {
      failure = err instanceof LabrigError ? err : ioError('fsync', run.path, err);
    }
    if (this.#runs.size === 0) {
      this.#clearTimer();
      setLive(this, false);
    }
    try {
      closeSync(run.fd);
    } catch (err) {
      failure ??= ioError('close', run.path, err);
    }
    this.#written.push(run.path);
    if (failure !== undefined) throw failure;
  }
}

/** Create a JSON-lines writer; pass its `callback` to subscribe. */
export function jsonlWriter(options: JsonlWriterOptions): JsonlWriter {
  return new JsonlWriter(options);
}

/** Options of {@link readJsonl}. */
export interface ReadJsonlOptions {
  /**
   * Refuse a malformed last line that has no newline after it instead of dropping it (default
   * false). The writer ends every write with a newline, so such a line can only be a write cut
   * short by a kill (SIGKILL, power loss).
   */
  strict?: boolean;
}

/**
 * Read a JSON-lines run file back as `[name, doc]` pairs (InvalidInputError naming a malformed line).
 *
 * Rule for a torn tail: a LAST line with no newline after it that does not parse is dropped (the
 * documents before it are returned), unless `strict`; a malformed line anywhere else, or a
 * malformed last line that does end with a newline, is always an error.
 */
export function readJsonl(path: string, options: ReadJsonlOptions = {}): Array<[DocumentName, AnyDocument]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LabrigError({ code: 'READ_FAILED', message: `readJsonl: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, cause: err });
  }
  const out: Array<[DocumentName, AnyDocument]> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const tornTail = i === lines.length - 1 && !options.strict;
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch (err) {
      if (tornTail) break;
      throw new InvalidInputError({ what: `${path} line ${i + 1}`, value: line, reason: `is not JSON: ${(err as Error).message}` });
    }
    if (!Array.isArray(item) || item.length !== 2 || !documentNames.has(item[0] as string) || typeof item[1] !== 'object' || item[1] === null) {
      throw new InvalidInputError({ what: `${path} line ${i + 1}`, value: line, reason: 'must be a [name, document] pair with an event-model document name' });
    }
    out.push([item[0] as DocumentName, item[1] as AnyDocument]);
  }
  return out;
}
