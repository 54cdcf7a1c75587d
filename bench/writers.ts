/**
 * Writers benchmark: documents per second through the JSON-lines writer, against the writer as
 * it was before issue 15 (kept here as the baseline: a 64K-character buffer written only when
 * full or at stop, no timer, no fsync) and an in-memory serialiser (the floor: JSON.stringify of
 * each line, no I/O). Each loop iteration writes one whole run (start, descriptor, `events`
 * events, stop) to a temp folder; loops are interleaved so each sees the same machine load.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeRun } from '../src/core/documents/index.js';
import type { AnyDocument, DocumentName } from '../src/core/documents/index.js';
import { JsonlWriter } from '../src/writers/jsonl.js';
import { baselineRows, header, interleavedRates, withCleanup } from './util.js';

/** The writer before issue 15, reduced to what it did per document (one run at a time). */
class BufferedWriterBefore {
  #fd = -1;
  #chunks: string[] = [];
  #chars = 0;
  constructor(private readonly dir: string) {}
  callback = (name: DocumentName, doc: AnyDocument): void => {
    if (name === 'start') this.#fd = openSync(join(this.dir, `${(doc as { uid: string }).uid}.jsonl`), 'w');
    const line = `${JSON.stringify([name, doc])}\n`;
    this.#chunks.push(line);
    this.#chars += line.length;
    if (this.#chars >= 65536) this.#flush();
    if (name === 'stop') {
      this.#flush();
      closeSync(this.#fd);
    }
  };
  #flush(): void {
    if (this.#chunks.length === 0) return;
    writeSync(this.#fd, this.#chunks.join(''));
    this.#chunks = [];
    this.#chars = 0;
  }
}

/** A run's documents, composed once and replayed (fresh uids would only add composing cost). */
function composeDocs(events: number): Array<[DocumentName, AnyDocument]> {
  const run = composeRun({ plan_name: 'count', detectors: ['det'] });
  const d = run.composeDescriptor({ name: 'primary', dataKeys: { det: { source: 'sim', dtype: 'number', shape: [] }, x: { source: 'sim', dtype: 'number', shape: [] } } });
  const out: Array<[DocumentName, AnyDocument]> = [['start', run.start], ['descriptor', d.descriptor]];
  for (let i = 0; i < events; i++) out.push(['event', d.composeEvent({ data: { det: Math.sin(i) * 1000, x: i * 0.01 }, timestamps: { det: 1.7e9 + i, x: 1.7e9 + i } })]);
  out.push(['stop', run.composeStop()]);
  return out;
}

/** Measure the writers; returns documents per second by key. */
export async function benchWriters(options: { ms?: number } = {}): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const events of [25, 1000]) {
    header(`writers: JSON lines, runs of ${events} events (documents/s)`);
    await withCleanup(async (defer) => {
      const dir = mkdtempSync(join(tmpdir(), 'labrig-bench-writers-'));
      defer(async () => rmSync(dir, { recursive: true, force: true }));
      const docs = composeDocs(events);
      const perRun = docs.length;
      let sink = 0;
      const writeRuns = (make: (sub: string) => (name: DocumentName, doc: AnyDocument) => void, sub: string) => async (n: number) => {
        const cb = make(sub);
        for (let r = 0; r < n; r++) for (const [name, doc] of docs) cb(name, doc);
      };
      const loops: Array<[string, string, (n: number) => Promise<void>]> = [
        ['floor: JSON.stringify, no I/O', 'floor', async (n) => {
          for (let r = 0; r < n; r++) for (const [name, doc] of docs) sink += JSON.stringify([name, doc]).length;
        }],
        ['before: 64K buffer, no timer', 'before', writeRuns(() => new BufferedWriterBefore(dir).callback, 'before')],
        ['after: 100 ms/256 docs, fsync at stop', 'after', writeRuns(() => new JsonlWriter({ directory: dir, fileName: 'after' }).callback, 'after')],
        ['after, fsync: false', 'afterNoFsync', writeRuns(() => new JsonlWriter({ directory: dir, fileName: 'nofsync', fsync: false }).callback, 'nofsync')],
      ];
      const slice = events >= 1000 ? 1 : 10;
      const rates = await interleavedRates(loops.map(([, , loop]) => loop), { ms: options.ms ?? 3000, warmup: slice * 2, slice });
      const docRates = rates.map((r) => r * perRun);
      const out = baselineRows(loops.map(([name]) => name), loops.map(([, key]) => `${key}${events}`), docRates, 'floor');
      const before = out[`before${events}`]!;
      const after = out[`after${events}`]!;
      console.log(`  after / before: ${(after / before).toFixed(3)}   after (fsync: false) / before: ${(out[`afterNoFsync${events}`]! / before).toFixed(3)}`);
      if (sink < 0) console.log(sink);
      Object.assign(result, out);
    });
  }
  return result;
}
