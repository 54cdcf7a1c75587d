import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { composeRun, DocumentDispatcher } from '../../src/core/documents/index.js';
import type { AnyDocument, DocumentName } from '../../src/core/documents/index.js';
import { JsonlWriter, jsonlWriter, readJsonl } from '../../src/writers/index.js';
import { InvalidInputError, LabrigError } from '../../src/core/errors.js';
import { invalidDocuments } from '../helpers/schemas.js';

// Child processes load tsx: on a loaded machine that alone takes many seconds.
t.setTimeout(180_000);

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-jsonl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Compose a small run with events, a resource/datum and a stream resource/datum. */
function composeDocs(meta: Record<string, unknown> = {}, n = 3): Array<[DocumentName, AnyDocument]> {
  const run = composeRun({ plan_name: 'count', ...meta });
  const out: Array<[DocumentName, AnyDocument]> = [['start', run.start]];
  const d = run.composeDescriptor({
    name: 'primary',
    dataKeys: {
      x: { source: 's', dtype: 'number', shape: [] },
      img: { source: 'cam', dtype: 'array', shape: [2], external: 'FILESTORE:' },
    },
  });
  out.push(['descriptor', d.descriptor]);
  const r = run.composeResource({ spec: 'LABRIG_RAW', root: '/', resourcePath: 'tmp/f.raw', resourceKwargs: {} });
  out.push(['resource', r.resource]);
  for (let i = 0; i < n; i++) {
    const datum = r.composeDatum({ datumKwargs: { index: i } });
    out.push(['datum', datum]);
    out.push(['event', d.composeEvent({ data: { x: i, img: datum.datum_id }, timestamps: { x: 1, img: 1 } })]);
  }
  out.push(['event_page', d.composeEventPage({ data: { x: [10, 11], img: ['a', 'b'] }, timestamps: { x: [1, 1], img: [1, 1] } })]);
  const b = run.composeDescriptor({ name: 'stream', dataKeys: { y: { source: 'cam', dtype: 'array', shape: [2], external: 'STREAM:' } } });
  out.push(['descriptor', b.descriptor]);
  const sr = run.composeStreamResource({ dataKey: 'y', mimetype: 'application/x-hdf5', uri: 'file://localhost/tmp/y.h5', parameters: {} });
  out.push(['stream_resource', sr.streamResource]);
  out.push(['stream_datum', sr.composeStreamDatum({ descriptor: b.descriptor.uid, indices: { start: 0, stop: 2 } })]);
  out.push(['datum_page', r.composeDatumPage({ datumKwargs: { index: [7, 8] } })]);
  out.push(['stop', run.composeStop()]);
  return out;
}

t.test('writes one file per run named from the start uid, readable back', async (t) => {
  const dir = tempDir(t);
  const w = new JsonlWriter({ directory: dir });
  const docs = composeDocs();
  for (const [name, doc] of docs) w.callback(name, doc);
  const uid = (docs[0]![1] as { uid: string }).uid;
  t.same(w.writtenFiles, [join(dir, `${uid}.jsonl`)]);
  t.same(w.openFiles, []);
  const back = readJsonl(join(dir, `${uid}.jsonl`));
  t.same(back, JSON.parse(JSON.stringify(docs)), 'same documents in the same order');
  t.same(invalidDocuments(back), [], 'documents read back validate');
  const lines = readFileSync(join(dir, `${uid}.jsonl`), 'utf8').split('\n');
  t.equal(lines.at(-1), '', 'file ends with a newline');
  t.match(lines[0], /^\["start",\{/, 'each line is a [name, doc] array');
  t.equal(lines.length - 1, docs.length);
  t.same(w.close(), [join(dir, `${uid}.jsonl`)]);
});

t.test('interleaved runs go to their own files, in order', async (t) => {
  const dir = tempDir(t);
  const w = jsonlWriter({ directory: join(dir, 'nested', 'deeper') });
  const a = composeDocs({ scan_id: 1 }, 2);
  const b = composeDocs({ scan_id: 2 }, 4);
  const disp = new DocumentDispatcher();
  disp.subscribe(w.callback);
  const max = Math.max(a.length, b.length);
  for (let i = 0; i < max; i++) {
    if (a[i]) disp.process(...a[i]!);
    if (b[i]) disp.process(...b[i]!);
  }
  t.equal(w.writtenFiles.length, 2);
  const [fa, fb] = w.writtenFiles;
  const byUid = (docs: Array<[DocumentName, AnyDocument]>) => (docs[0]![1] as { uid: string }).uid;
  t.ok(fa!.endsWith(`${byUid(a)}.jsonl`));
  t.ok(fb!.endsWith(`${byUid(b)}.jsonl`));
  t.same(readJsonl(fa!), JSON.parse(JSON.stringify(a)));
  t.same(readJsonl(fb!), JSON.parse(JSON.stringify(b)));
  t.equal(w.skipped, 0);
});

t.test('file name template takes start fields; a function works too; folders are refused', async (t) => {
  const dir = tempDir(t);
  const w = new JsonlWriter({ directory: dir, fileName: 'scan{scan_id}-{plan_name}' });
  for (const [name, doc] of composeDocs({ scan_id: 42 }, 1)) w.callback(name, doc);
  t.same(readdirSync(dir), ['scan42-count.jsonl']);
  const f = new JsonlWriter({ directory: dir, fileName: (s) => `fn-${String(s.scan_id)}` });
  for (const [name, doc] of composeDocs({ scan_id: 5 }, 1)) f.callback(name, doc);
  t.ok(readdirSync(dir).includes('fn-5.jsonl'));
  const bad = new JsonlWriter({ directory: dir, fileName: '../{uid}' });
  t.throws(() => bad.callback(...composeDocs()[0]!), InvalidInputError);
  const clash = new JsonlWriter({ directory: dir, fileName: 'same' });
  clash.callback(...composeDocs()[0]!);
  t.throws(() => clash.callback(...composeDocs()[0]!), InvalidInputError, 'two open runs cannot share a file');
  clash.close();
});

/** Wait until `check` returns true, polling every 10 ms; fail after `ms` (generous: the machine may be loaded). */
async function waitFor(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

function namesIn(path: string): string[] {
  return readJsonl(path).map(([n]) => n);
}

t.test('start, descriptor and stop are written through; other documents are held until a bound is reached', async (t) => {
  const dir = tempDir(t);
  const docs = composeDocs({}, 5);
  const uid = (docs[0]![1] as { uid: string }).uid;
  const path = join(dir, `${uid}.jsonl`);
  // No timer within the test's life, a count bound of 4 documents, a large character bound.
  const w = new JsonlWriter({ directory: dir, bufferChars: 1 << 20, flushIntervalMs: 60_000, flushDocuments: 4 });
  t.teardown(() => w.close());
  w.callback(...docs[0]!);
  t.same(namesIn(path), ['start'], 'start is on disk at once');
  w.callback(...docs[1]!);
  t.same(namesIn(path), ['start', 'descriptor'], 'descriptor is on disk at once');
  w.callback(...docs[2]!); // resource
  w.callback(...docs[3]!); // datum
  w.callback(...docs[4]!); // event
  t.same(namesIn(path), ['start', 'descriptor'], 'three ordinary documents are held');
  w.callback(...docs[5]!); // datum: the fourth held document
  t.same(namesIn(path), ['start', 'descriptor', 'resource', 'datum', 'event', 'datum'], 'the count bound writes them out, in order');
  for (const [name, doc] of docs.slice(6, -1)) w.callback(name, doc);
  t.ok(namesIn(path).length < docs.length - 1, 'some documents held again');
  w.callback(...docs.at(-1)!);
  t.same(readJsonl(path), JSON.parse(JSON.stringify(docs)), 'stop writes everything, in order');
  t.same(w.openFiles, []);

  rmSync(path);
  const chars = new JsonlWriter({ directory: dir, bufferChars: 1, flushIntervalMs: 60_000 });
  for (const [name, doc] of docs.slice(0, 5)) chars.callback(name, doc);
  t.same(namesIn(path), docs.slice(0, 5).map(([n]) => n), 'a character bound of 1 writes each line at once');
  t.same(chars.close(), [path], 'close flushes and closes open runs');
  t.equal(readJsonl(path).length, 5);
  t.throws(() => chars.callback(...docs[5]!), LabrigError, 'a closed writer refuses documents');
  t.same(chars.close(), [path], 'close is idempotent');
});

t.test('the timer writes held documents within the flush interval, and flush() writes them at once', async (t) => {
  const dir = tempDir(t);
  const docs = composeDocs({}, 3);
  const uid = (docs[0]![1] as { uid: string }).uid;
  const path = join(dir, `${uid}.jsonl`);
  const w = new JsonlWriter({ directory: dir, flushIntervalMs: 20 });
  t.teardown(() => w.close());
  for (const [name, doc] of docs.slice(0, 5)) w.callback(name, doc);
  t.ok(await waitFor(() => namesIn(path).length === 5), 'held documents reach the file without any further document');

  const manual = new JsonlWriter({ directory: join(dir, 'manual'), flushIntervalMs: 60_000 });
  t.teardown(() => manual.close());
  for (const [name, doc] of docs.slice(0, 5)) manual.callback(name, doc);
  const mpath = join(dir, 'manual', `${uid}.jsonl`);
  t.equal(namesIn(mpath).length, 2, 'held before flush');
  await manual.flush();
  t.equal(namesIn(mpath).length, 5, 'flush() writes every held document');
  t.same(manual.close(), [mpath]);
});

t.test('the flush timer is unref\'d and cleared by close and by the last stop', async (t) => {
  const dir = tempDir(t);
  // Watch the timers the writer makes (the only timers made while the spies are in place).
  const made: NodeJS.Timeout[] = [];
  const cleared = new Set<unknown>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    const h = realSet(fn, ms);
    made.push(h);
    return h;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((h: NodeJS.Timeout) => {
    cleared.add(h);
    realClear(h);
  }) as typeof clearTimeout;
  t.teardown(() => {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  });
  const docs = composeDocs({}, 2);
  const w = new JsonlWriter({ directory: dir, flushIntervalMs: 60_000 });
  for (const [name, doc] of docs.slice(0, 5)) w.callback(name, doc);
  t.equal(made.length, 1, 'one timer while documents are held');
  t.equal(made[0]!.hasRef(), false, 'it does not keep the process alive');
  w.close();
  t.ok(cleared.has(made[0]), 'close clears it');
  const again = new JsonlWriter({ directory: dir, fileName: 'again', flushIntervalMs: 60_000 });
  for (const [name, doc] of docs) again.callback(name, doc);
  t.equal(made.length, 2);
  t.ok(cleared.has(made[1]), 'the stop of the last open run clears it');
  t.same(again.openFiles, []);
  globalThis.setTimeout = realSet;
  globalThis.clearTimeout = realClear;

  // A child process that holds documents and never closes its writer still exits at once, and its
  // exit hook writes what was held.
  const script = join(dir, 'hold.ts');
  writeFileSync(script, [
    `import { JsonlWriter } from ${JSON.stringify(join(process.cwd(), 'src/writers/jsonl.ts'))};`,
    `const docs = JSON.parse(process.argv[2]);`,
    `const w = new JsonlWriter({ directory: process.argv[3], fileName: 'held', flushIntervalMs: 60_000 });`,
    `for (const [n, d] of docs) w.callback(n, d);`,
  ].join('\n'));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, JSON.stringify(docs.slice(0, 5)), dir], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.ok(Date.now() - t0 < 50_000, 'the minute-long flush timer did not keep the process alive');
  t.same(namesIn(join(dir, 'held.jsonl')), docs.slice(0, 5).map(([n]) => n), 'the exit hook wrote the held documents');
});

t.test('readJsonl drops only a torn last line (no newline after it), unless strict', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'torn.jsonl');
  writeFileSync(p, '["start",{"uid":"u","time":1}]\n["stop",{"uid":"s","run_st');
  t.same(readJsonl(p), [['start', { uid: 'u', time: 1 }]], 'the cut-short write is dropped');
  t.throws(() => readJsonl(p, { strict: true }), { what: `${p} line 2` } as unknown as Error, 'strict refuses it');
  writeFileSync(p, '["start",{"uid":"u","time":1}]\n["stop",{"uid":"s","run_st\n');
  t.throws(() => readJsonl(p), { what: `${p} line 2` } as unknown as Error, 'a malformed line WITH its newline is an error');
  writeFileSync(p, '["start",{"uid":"u","ti\n["start",{"uid":"u","time":1}]');
  t.throws(() => readJsonl(p), { what: `${p} line 1` } as unknown as Error, 'a malformed line before the last is an error');
  writeFileSync(p, '["start",{"uid":"u","time":1}]');
  t.same(readJsonl(p), [['start', { uid: 'u', time: 1 }]], 'a whole last line without newline is kept');
});

t.test('documents of runs it never saw start are skipped and counted', async (t) => {
  const dir = tempDir(t);
  const w = new JsonlWriter({ directory: dir });
  const docs = composeDocs();
  for (const [name, doc] of docs.slice(1)) w.callback(name, doc);
  t.equal(w.skipped, docs.length - 1);
  t.same(readdirSync(dir), []);
  t.same(w.close(), []);
});

t.test('typed errors for an unwritable folder', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const w = new JsonlWriter({ directory: join(file, 'sub') });
  const err = t.throws(() => w.callback(...composeDocs()[0]!)) as LabrigError;
  t.type(err, LabrigError);
  t.equal(err.code, 'WRITE_FAILED');
  t.match(err.message, /a-file/);
  const noCreate = new JsonlWriter({ directory: join(dir, 'missing'), createDirectory: false });
  const err2 = t.throws(() => noCreate.callback(...composeDocs()[0]!)) as LabrigError;
  t.equal(err2.code, 'WRITE_FAILED');
  t.match(err2.message, /ENOENT/);
  t.throws(() => new JsonlWriter({ directory: '' }), InvalidInputError);
});

t.test('readJsonl reports malformed lines and missing files', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'bad.jsonl');
  writeFileSync(p, '["start", {"uid": "u", "time": 1}]\n\nnot json\n');
  t.throws(() => readJsonl(p), { what: `${p} line 3` } as unknown as Error);
  writeFileSync(p, '["start", {"uid": "u", "time": 1}]\r\n["bogus", {}]\n');
  t.throws(() => readJsonl(p), { what: `${p} line 2` } as unknown as Error);
  writeFileSync(p, '["start", {"uid": "u", "time": 1}]\r\n');
  t.same(readJsonl(p), [['start', { uid: 'u', time: 1 }]], 'reads python-style spacing and CRLF');
  t.throws(() => readJsonl(join(dir, 'nope.jsonl')), LabrigError);
});

t.test('typed arrays and bigints serialise as JSON numbers', async (t) => {
  const dir = tempDir(t);
  const w = new JsonlWriter({ directory: dir });
  const run = composeRun();
  w.callback('start', run.start);
  const d = run.composeDescriptor({ name: 'primary', dataKeys: { a: { source: 's', dtype: 'array', shape: [3] }, n: { source: 's', dtype: 'integer', shape: [] } } });
  w.callback('descriptor', d.descriptor);
  w.callback('event', d.composeEvent({ data: { a: new Float64Array([1.5, 2, 3]), n: 12n }, timestamps: { a: 1, n: 1 } }));
  w.callback('stop', run.composeStop());
  const back = readJsonl(w.writtenFiles[0]!);
  t.same((back[2]![1] as { data: unknown }).data, { a: [1.5, 2, 3], n: 12 });
  t.same(invalidDocuments(back), []);
});
