import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SoftAreaDetector } from '../../../src/sim/soft/area-detector.js';
import { loadRawDatum, loadRawStreamDatum, readRawSidecar } from '../../../src/sim/soft/raw-frames.js';
import { composeRun } from '../../../src/core/documents/index.js';
import type { AnyDocument, Datum, DocumentName, Resource, StreamDatum, StreamResource } from '../../../src/core/documents/index.js';
import { isCollectable, isReadable, isStageable, isStoppable, isTriggerable } from '../../../src/core/protocols.js';
import { CanceledError, InvalidInputError, InvalidStateError, LabrigError } from '../../../src/core/errors.js';
import { invalidDocuments } from '../../helpers/schemas.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-areadet-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Read frame `index` straight from the bytes of a file: little-endian float64, row-major. */
function rawFrame(path: string, pixels: number, index: number): number[] {
  const buf = readFileSync(path);
  const out: number[] = [];
  for (let i = 0; i < pixels; i++) out.push(buf.readDoubleLE((index * pixels + i) * 8));
  return out;
}

/** The default pattern, written out independently of the detector: 1000 * frame + pixel. */
const expected = (frame: number, pixels: number): number[] => Array.from({ length: pixels }, (_, i) => 1000 * frame + i);

t.test('it implements the device protocols and imports no device/signal code', async (t) => {
  const det = new SoftAreaDetector({ name: 'cam', directory: tempDir(t) });
  t.ok(isReadable(det) && isTriggerable(det) && isStageable(det) && isCollectable(det) && isStoppable(det));
  const src = readFileSync(fileURLToPath(new URL('../../../src/sim/soft/area-detector.ts', import.meta.url)), 'utf8');
  t.notMatch(src, /from '[^']*core\/(device|signal)/);
});

t.test('datum mode: frames are read back through resource/datum documents that validate', async (t) => {
  const dir = tempDir(t);
  const det = new SoftAreaDetector({ name: 'cam', directory: join(dir, 'frames'), shape: [4, 5] });
  const run = composeRun({ plan_name: 'count', detectors: ['cam'] });
  const docs: Array<[DocumentName, AnyDocument]> = [['start', run.start]];
  t.same(det.describe().cam, { source: 'sim://cam/image', dtype: 'array', shape: [4, 5], dtype_numpy: '<f8', external: 'FILESTORE:' });
  const primary = run.composeDescriptor({ name: 'primary', dataKeys: det.describe() });
  docs.push(['descriptor', primary.descriptor]);
  await det.stage();
  t.equal(det.staged, true);
  for (let i = 0; i < 3; i++) {
    await det.trigger();
    const reading = det.read();
    for (const [name, doc] of det.collectAssetDocs()) docs.push([name, doc as unknown as AnyDocument]);
    docs.push(['event', primary.composeEvent({
      data: { cam: reading.cam!.value }, timestamps: { cam: reading.cam!.timestamp },
    })]);
  }
  t.same(det.collectAssetDocs(), [], 'asset documents are handed out once');
  await det.unstage();
  docs.push(['stop', run.composeStop()]);
  t.same(docs.map(([n]) => n), ['start', 'descriptor', 'resource', 'datum', 'event', 'datum', 'event', 'datum', 'event', 'stop'],
    'resource and each datum come before the event that references them');
  t.same(invalidDocuments(docs), []);

  const resource = docs.find(([n]) => n === 'resource')![1] as Resource;
  t.equal(resource.spec, 'LABRIG_RAW');
  t.same(resource.resource_kwargs['shape'], [4, 5]);
  const datums = new Map(docs.filter(([n]) => n === 'datum').map(([, d]) => [(d as Datum).datum_id, d as Datum]));
  const events = docs.filter(([n]) => n === 'event').map(([, d]) => d as unknown as { data: { cam: string }; filled?: object });
  events.forEach((ev, i) => {
    t.same(ev.filled, { cam: false });
    const datum = datums.get(ev.data.cam)!;
    t.equal(datum.resource, resource.uid);
    const path = join(resource.root, resource.resource_path);
    t.same(rawFrame(path, 20, datum.datum_kwargs['frame'] as number), expected(i, 20), `frame ${i} from the bytes`);
    t.same([...loadRawDatum(resource, datum)], expected(i, 20), `frame ${i} through the handler`);
  });
  const sidecar = readRawSidecar(join(resource.root, resource.resource_path));
  t.same(sidecar, { format: 'LABRIG_RAW', dtype_numpy: '<f8', byte_order: 'little', shape: [4, 5], frames: 3 });
});

t.test('stream mode: stream_resource/stream_datum reference the frames and validate', async (t) => {
  const dir = tempDir(t);
  const det = new SoftAreaDetector({ name: 'cam', directory: dir, shape: [3], mode: 'stream', pattern: (f, p) => f * 10 - p });
  t.equal(det.describe().cam!.external, 'STREAM:');
  t.same(det.describeCollect(), det.describe());
  const run = composeRun();
  const primary = run.composeDescriptor({ name: 'primary', dataKeys: det.describe() });
  await det.stage();
  t.same(det.collectAssetDocs(), [], 'nothing to collect before the first frame');
  for (let i = 0; i < 5; i++) await det.trigger();
  t.same(det.read(), {}, 'stream data do not travel in events');
  t.equal(det.getIndex(), 5);
  const first = det.collectAssetDocs(3);
  const second = det.collectAssetDocs();
  t.same(first.map(([n]) => n), ['stream_resource', 'stream_datum']);
  t.same(second.map(([n]) => n), ['stream_datum']);
  t.same(det.collectAssetDocs(), []);
  t.throws(() => det.collectAssetDocs(9), InvalidInputError);
  const sr = first[0]![1] as StreamResource;
  t.equal(sr.data_key, 'cam');
  const sds = [first[1]![1], second[0]![1]] as StreamDatum[];
  t.same(sds.map((d) => d.indices), [{ start: 0, stop: 3 }, { start: 3, stop: 5 }]);
  // The run engine fills descriptor and seq_nums; do what it would with the composer's counter.
  const filled = sds.map((d) => {
    const n = d.indices.stop - d.indices.start;
    const seq = { start: primary.nextSeqNum, stop: primary.nextSeqNum + n };
    primary.nextSeqNum = seq.stop;
    return { ...d, descriptor: primary.descriptor.uid, seq_nums: seq };
  });
  t.same(invalidDocuments([['stream_resource', sr], ...filled.map((d) => ['stream_datum', d] as const), ['stream_datum', sds[0]!]]), []);
  const path = fileURLToPath(sr.uri);
  const all = filled.flatMap((d) => loadRawStreamDatum(sr, d).map((f) => [...f]));
  t.same(all, [0, 1, 2, 3, 4].map((f) => [0, 1, 2].map((p) => f * 10 - p)), 'frames through the handler');
  t.same(rawFrame(path, 3, 4), [40, 39, 38], 'last frame from the bytes');
  await det.unstage();
  t.same(run.composeStop().num_events, { primary: 5 });
});

t.test('exposure: the trigger finishes after exposureMs; stop and unstage cancel it', async (t) => {
  const det = new SoftAreaDetector({ name: 'cam', directory: tempDir(t), exposureMs: 20 });
  await det.stage();
  const s = det.trigger();
  t.equal(s.done, false, 'pending during the exposure');
  t.equal(det.trigger().exception()?.constructor, InvalidStateError, 'a second trigger while exposing fails');
  await s.wait(5000);
  t.equal(det.getIndex(), 1);
  const s2 = det.trigger();
  det.stop();
  await t.rejects(s2.wait(5000), CanceledError);
  t.equal(det.getIndex(), 1, 'a canceled exposure writes no frame');
  const s3 = det.trigger();
  await det.unstage();
  await t.rejects(s3.wait(5000), CanceledError);
  t.equal(det.staged, false);
  t.equal(readRawSidecar(det.filePath!).frames, 1);
});

t.test('misuse and faults fail with typed errors', async (t) => {
  const dir = tempDir(t);
  const det = new SoftAreaDetector({ name: 'cam', directory: dir });
  t.type(det.trigger().exception(), InvalidStateError, 'trigger before stage');
  t.throws(() => det.read(), InvalidStateError);
  await det.stage();
  t.throws(() => det.read(), InvalidStateError, 'read before any frame');
  t.type(det.stage().exception(), InvalidStateError, 'stage twice');
  det.failNextTrigger(new Error('sensor fault'));
  await t.rejects(det.trigger().wait(5000), { message: 'sensor fault' });
  await det.trigger();
  t.equal(det.getIndex(), 1, 'the failed trigger wrote nothing');
  const firstPath = det.filePath;
  await det.unstage();
  await det.unstage();
  await det.stage();
  t.not(det.filePath, firstPath, 'each stage opens a new file');
  t.same(det.collectAssetDocs().map(([n]) => n), ['resource'], 'a new resource per stage');
  await det.unstage();

  const file = join(dir, 'plain-file');
  writeFileSync(file, 'x');
  const bad = new SoftAreaDetector({ name: 'bad', directory: join(file, 'sub') });
  const err = bad.stage().exception() as LabrigError;
  t.type(err, LabrigError);
  t.equal(err.code, 'WRITE_FAILED');
  t.equal(bad.staged, false);
  t.throws(() => new SoftAreaDetector({ name: 'x', directory: dir, shape: [0, 2] }), InvalidInputError);
  t.throws(() => new SoftAreaDetector({ name: 'x', directory: dir, mode: 'video' as 'stream' }), InvalidInputError);
  t.throws(() => new SoftAreaDetector({ name: '', directory: dir }), InvalidInputError);
});
