import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeRun, DocumentDispatcher } from '../../src/core/documents/index.js';
import type { AnyDocument, DocumentName } from '../../src/core/documents/index.js';
import { JsonlWriter, jsonlWriter, readJsonl } from '../../src/writers/index.js';
import { InvalidInputError, LabrigError } from '../../src/core/errors.js';
import { invalidDocuments } from '../helpers/schemas.js';

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

t.test('writes are buffered until the buffer fills or the run stops', async (t) => {
  const dir = tempDir(t);
  const docs = composeDocs({}, 5);
  const uid = (docs[0]![1] as { uid: string }).uid;
  const path = join(dir, `${uid}.jsonl`);
  const buffered = new JsonlWriter({ directory: dir, bufferChars: 1 << 20 });
  for (const [name, doc] of docs.slice(0, -1)) buffered.callback(name, doc);
  t.equal(readFileSync(path, 'utf8'), '', 'nothing written before stop with a large buffer');
  t.same(buffered.openFiles, [path]);
  buffered.callback(...docs.at(-1)!);
  t.equal(readJsonl(path).length, docs.length, 'all written at stop');

  rmSync(path);
  const unbuffered = new JsonlWriter({ directory: dir, bufferChars: 0 });
  for (const [name, doc] of docs.slice(0, 4)) unbuffered.callback(name, doc);
  t.same(readJsonl(path).map(([n]) => n), docs.slice(0, 4).map(([n]) => n), 'each line written at once, in order');
  t.same(unbuffered.close(), [path], 'close flushes and closes open runs');
  t.equal(readJsonl(path).length, 4);
  t.throws(() => unbuffered.callback(...docs[4]!), LabrigError, 'a closed writer refuses documents');
  t.same(unbuffered.close(), [path], 'close is idempotent');
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
