import t from 'tap';
import { composeRun, newUid } from '../../../src/core/documents/index.js';
import type { DataKeys } from '../../../src/core/protocols.js';
import { InvalidInputError, InvalidStateError } from '../../../src/core/errors.js';
import { assertValidDocument, invalidDocuments, schemaErrors } from '../../helpers/schemas.js';

/** Return what `fn` throws (undefined if it returns). */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const dataKeys: DataKeys = {
  motor: { source: 'soft://motor.readback', dtype: 'number', shape: [], units: 'mm', precision: 3 },
  det: { source: 'soft://det', dtype: 'integer', shape: [] },
};

function scalarRun() {
  const run = composeRun({ plan_name: 'scan', scan_id: 7, detectors: ['det'], motors: ['motor'], plan_args: { num: 3 } });
  const primary = run.composeDescriptor({
    name: 'primary', dataKeys,
    objectKeys: { motor: ['motor'], det: ['det'] },
    hints: { motor: { fields: ['motor'] } },
    configuration: { det: { data: { det_gain: 2 }, timestamps: { det_gain: 1.5e9 }, data_keys: { det_gain: { source: 'soft://det.gain', dtype: 'number', shape: [] } } } },
  });
  return { run, primary };
}

t.test('newUid returns distinct uuid strings', async (t) => {
  const a = newUid();
  const b = newUid();
  t.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.not(a, b);
});

t.test('start, descriptor, events and stop validate and link to each other', async (t) => {
  const { run, primary } = scalarRun();
  const docs: Array<[string, unknown]> = [['start', run.start], ['descriptor', primary.descriptor]];
  for (let i = 0; i < 3; i++) {
    const e = primary.composeEvent({ data: { motor: i * 0.5, det: 10 + i }, timestamps: { motor: 1e9 + i, det: 1e9 + i } });
    t.equal(e.seq_num, i + 1, 'seq_num counts from 1');
    t.equal(e.descriptor, primary.descriptor.uid);
    t.same(e.filled, {}, 'filled is {} when no key is external (as event-model writes it)');
    docs.push(['event', e]);
  }
  const stop = run.composeStop();
  docs.push(['stop', stop]);
  t.same(invalidDocuments(docs), []);
  t.equal(primary.descriptor.run_start, run.start.uid);
  t.equal(stop.run_start, run.start.uid);
  t.equal(stop.exit_status, 'success');
  t.same(stop.num_events, { primary: 3 });
  t.equal(run.start['plan_name'], 'scan');
  t.equal(run.start.scan_id, 7);
  t.ok(Math.abs(run.start.time - Date.now() / 1000) < 60, 'time is in seconds since the epoch');
});

t.test('uid and time options set the start document', async (t) => {
  const run = composeRun({}, { uid: 'run-1', time: 1234.5 });
  t.equal(run.start.uid, 'run-1');
  t.equal(run.start.time, 1234.5);
  assertValidDocument('start', run.start);
  t.throws(() => composeRun({}, { time: Number.NaN }), InvalidInputError);
});

t.test('run_stop validates with each exit status, reason and num_events per stream', async (t) => {
  for (const exitStatus of ['success', 'abort', 'fail'] as const) {
    const run = composeRun();
    const a = run.composeDescriptor({ name: 'primary', dataKeys });
    const b = run.composeDescriptor({ name: 'baseline', dataKeys });
    a.composeEvent({ data: { motor: 1, det: 2 }, timestamps: { motor: 1, det: 1 } });
    a.composeEvent({ data: { motor: 1, det: 2 }, timestamps: { motor: 1, det: 1 } });
    b.composeEventPage({ data: { motor: [1, 2, 3], det: [4, 5, 6] }, timestamps: { motor: [1, 1, 1], det: [1, 1, 1] } });
    run.composeDescriptor({ name: 'empty', dataKeys });
    const stop = run.composeStop({ exitStatus, reason: exitStatus === 'success' ? undefined : `ended with ${exitStatus}`, time: 99 });
    assertValidDocument('stop', stop);
    t.equal(stop.exit_status, exitStatus);
    t.equal(stop.time, 99);
    t.same(stop.num_events, { primary: 2, baseline: 3, empty: 0 });
    t.equal(stop.reason, exitStatus === 'success' ? '' : `ended with ${exitStatus}`);
  }
});

t.test('second composeStop is an InvalidStateError; composing after stop too', async (t) => {
  const { run, primary } = scalarRun();
  run.composeStop();
  t.equal(run.stopped, true);
  t.throws(() => run.composeStop(), InvalidStateError);
  t.throws(() => primary.composeEvent({ data: { motor: 1, det: 1 }, timestamps: { motor: 1, det: 1 } }), InvalidStateError);
  t.throws(() => run.composeDescriptor({ name: 'other', dataKeys }), InvalidStateError);
});

t.test('composeStop rejects an unknown exit status', async (t) => {
  const run = composeRun();
  t.throws(() => run.composeStop({ exitStatus: 'crashed' as 'fail' }), InvalidInputError);
  t.equal(run.stopped, false, 'a rejected stop does not close the run');
  assertValidDocument('stop', run.composeStop({ exitStatus: 'fail' }));
});

t.test("metadata keys with '.' or '/' are rejected, at any depth of objects", async (t) => {
  t.throws(() => composeRun({ 'a.b': 1 }), InvalidInputError);
  t.throws(() => composeRun({ 'a/b': 1 }), InvalidInputError);
  t.match(caught(() => composeRun({ sample: { 'x.y': 1 } })), { what: 'metadata.sample key' });
  // The schema does reject these, so the check is not stricter than necessary at top level.
  t.ok(schemaErrors('start', { uid: 'u', time: 1, 'a.b': 1 }), 'schema rejects dotted keys too');
  t.ok(schemaErrors('start', { uid: 'u', time: 1, extra: { 'a/b': 1 } }), 'schema rejects nested slash keys too');
  const ok = composeRun({ sample: { name: 'Cu', composition: { Cu: 1 } }, list: [{ 'not.checked.in.arrays': 1 }] });
  assertValidDocument('start', ok.start);
});

t.test('a second descriptor for a stream (new configuration) continues its seq_nums', async (t) => {
  const { run, primary } = scalarRun();
  primary.composeEvent({ data: { motor: 1, det: 1 }, timestamps: { motor: 1, det: 1 } });
  primary.composeEvent({ data: { motor: 2, det: 2 }, timestamps: { motor: 1, det: 1 } });
  const again = run.composeDescriptor({ name: 'primary', dataKeys, configuration: { det: { data: { gain: 2 }, timestamps: { gain: 1 }, data_keys: { gain: { source: 's', dtype: 'number', shape: [] } } } } });
  t.not(again.descriptor.uid, primary.descriptor.uid);
  const e = again.composeEvent({ data: { motor: 3, det: 3 }, timestamps: { motor: 1, det: 1 } });
  t.equal(e.seq_num, 3);
  assertValidDocument('descriptor', again.descriptor);
  t.same(run.composeStop().num_events, { primary: 3 });
  t.throws(() => composeRun().composeDescriptor({ name: '', dataKeys }), InvalidInputError);
});

t.test('bad data keys are refused when composing the descriptor', async (t) => {
  const run = composeRun();
  t.throws(() => run.composeDescriptor({ name: 'a', dataKeys: { x: { source: 's', dtype: 'float', shape: [] } } as unknown as DataKeys }), InvalidInputError);
  t.throws(() => run.composeDescriptor({ name: 'b', dataKeys: { x: { source: 's', dtype: 'number' } } as unknown as DataKeys }), InvalidInputError);
  t.throws(() => run.composeDescriptor({ name: 'c', dataKeys: { x: { dtype: 'number', shape: [] } } as unknown as DataKeys }), InvalidInputError);
  t.throws(() => run.composeDescriptor({ name: 'd', dataKeys: { x: { source: 's', dtype: 'array', shape: [2], external: 'file' } } }), InvalidInputError);
});

t.test('mismatched data or timestamps keys are rejected, naming the key', async (t) => {
  const { primary } = scalarRun();
  t.match(caught(() => primary.composeEvent({ data: { motor: 1 }, timestamps: { motor: 1, det: 1 } })), { what: 'primary: data', value: 'det' });
  t.match(caught(() => primary.composeEvent({ data: { motor: 1, det: 1, extra: 3 }, timestamps: { motor: 1, det: 1 } })), { what: 'primary: data', value: 'extra' });
  t.match(caught(() => primary.composeEvent({ data: { motor: 1, other: 1 }, timestamps: { motor: 1, det: 1 } })), { value: 'det' });
  t.match(caught(() => primary.composeEvent({ data: { motor: 1, det: 1 }, timestamps: { motor: 1 } })), { what: 'primary: timestamps', value: 'det' });
  const err = t.throws(() => primary.composeEvent({ data: { motor: 1, det: 1, extra: 3 }, timestamps: { motor: 1, det: 1 } })) as Error;
  t.match(err.message, /extra/);
  t.throws(() => primary.composeEvent({ data: null as unknown as Record<string, unknown>, timestamps: { motor: 1, det: 1 } }), InvalidInputError);
  const none = composeRun().composeDescriptor({ name: 'none', dataKeys: {} });
  t.throws(() => none.composeEvent({ data: null as unknown as Record<string, unknown>, timestamps: {} }), InvalidInputError, 'null data refused even with no keys');
  t.equal(primary.nextSeqNum, 1, 'a rejected event uses no seq_num');
  t.throws(() => primary.composeEventPage({ data: { motor: [1] }, timestamps: { motor: [1], det: [1] } }), InvalidInputError);
  t.throws(() => primary.composeEventPage({ data: { motor: [1, 2], det: [1] }, timestamps: { motor: [1, 2], det: [1, 2] } }), InvalidInputError);
  t.throws(() => primary.composeEventPage({ data: { motor: [1], det: [1] }, timestamps: { motor: [1], det: [1] }, time: [1, 2] }), InvalidInputError);
});

t.test('nextSeqNum can be read, rolled back and given explicitly', async (t) => {
  const { run, primary } = scalarRun();
  const ev = () => primary.composeEvent({ data: { motor: 0, det: 0 }, timestamps: { motor: 0, det: 0 } });
  ev(); ev(); ev();
  t.equal(primary.nextSeqNum, 4);
  primary.nextSeqNum = 2; // rewind to a checkpoint
  t.equal(ev().seq_num, 2);
  t.equal(ev().seq_num, 3);
  t.equal(primary.composeEvent({ data: { motor: 0, det: 0 }, timestamps: { motor: 0, det: 0 }, seqNum: 10 }).seq_num, 10);
  t.equal(primary.nextSeqNum, 11, 'an explicit seqNum moves the counter on');
  t.throws(() => { primary.nextSeqNum = -1; }, InvalidInputError);
  t.throws(() => { primary.nextSeqNum = 1.5; }, InvalidInputError);
  t.same(run.composeStop().num_events, { primary: 10 });
});

t.test('event options: uid, time, filled', async (t) => {
  const { primary } = scalarRun();
  const e = primary.composeEvent({ data: { motor: 0, det: 0 }, timestamps: { motor: 0, det: 0 }, uid: 'my-uid', time: 5, filled: { det: true } });
  t.equal(e.uid, 'my-uid');
  t.equal(e.time, 5);
  t.same(e.filled, { det: true });
  assertValidDocument('event', e);
});

t.test('event page validates, continues seq_nums and fills external keys with false', async (t) => {
  const run = composeRun();
  const d = run.composeDescriptor({
    name: 'primary',
    dataKeys: {
      x: { source: 's', dtype: 'number', shape: [] },
      img: { source: 'cam', dtype: 'array', shape: [2, 2], external: 'FILESTORE:' },
    },
  });
  const e = d.composeEvent({ data: { x: 1, img: 'r/0' }, timestamps: { x: 1, img: 1 } });
  t.same(e.filled, { img: false });
  const page = d.composeEventPage({ data: { x: [2, 3], img: ['r/1', 'r/2'] }, timestamps: { x: [1, 2], img: [1, 2] }, time: [10, 11] });
  t.same(page.seq_num, [2, 3]);
  t.same(page.time, [10, 11]);
  t.same(page.filled, { img: [false, false] });
  t.equal(page.uid.length, 2);
  t.not(page.uid[0], page.uid[1]);
  t.equal(d.nextSeqNum, 4);
  const given = d.composeEventPage({ data: { x: [4], img: ['r/3'] }, timestamps: { x: [1], img: [1] }, seqNum: [20] });
  t.same(given.seq_num, [20]);
  t.equal(d.nextSeqNum, 21);
  const empty = d.composeEventPage({ data: { x: [], img: [] }, timestamps: { x: [], img: [] } });
  t.equal(d.nextSeqNum, 21, 'an empty page leaves the counter alone');
  t.same(invalidDocuments([['event', e], ['event_page', page], ['event_page', given], ['event_page', empty], ['descriptor', d.descriptor]]), []);
});

t.test('resource, datum and datum_page validate and link', async (t) => {
  const run = composeRun();
  const r = run.composeResource({ spec: 'LABRIG_RAW', root: '/data', resourcePath: 'a/b.raw', resourceKwargs: { shape: [4, 5] } });
  t.equal(r.resource.run_start, run.start.uid);
  t.equal(r.resource.path_semantics, 'posix');
  const d0 = r.composeDatum({ datumKwargs: { index: 0 } });
  const d1 = r.composeDatum({ datumKwargs: { index: 1 } });
  t.equal(d0.datum_id, `${r.resource.uid}/0`);
  t.equal(d1.datum_id, `${r.resource.uid}/1`);
  t.equal(d0.resource, r.resource.uid);
  const page = r.composeDatumPage({ datumKwargs: { index: [2, 3, 4] } });
  t.same(page.datum_id, [2, 3, 4].map((i) => `${r.resource.uid}/${i}`));
  const w = run.composeResource({ spec: 'X', root: 'C:\\data', resourcePath: 'f.raw', resourceKwargs: {}, pathSemantics: 'windows' });
  t.equal(w.resource.path_semantics, 'windows');
  t.same(invalidDocuments([['resource', r.resource], ['resource', w.resource], ['datum', d0], ['datum', d1], ['datum_page', page]]), []);
  t.throws(() => r.composeDatumPage({ datumKwargs: { a: [1], b: [1, 2] } }), InvalidInputError);
  t.throws(() => run.composeResource({ spec: '', root: '', resourcePath: 'x', resourceKwargs: {} }), InvalidInputError);
  t.throws(() => run.composeResource({ spec: 'X', root: '', resourcePath: 'x', resourceKwargs: {}, pathSemantics: 'dos' as 'posix' }), InvalidInputError);
});

t.test('stream_resource and stream_datum validate and continue the descriptor seq_nums', async (t) => {
  const run = composeRun();
  const d = run.composeDescriptor({
    name: 'primary',
    dataKeys: {
      x: { source: 's', dtype: 'number', shape: [] },
      img: { source: 'cam', dtype: 'array', shape: [4, 5], external: 'STREAM:' },
    },
  });
  const ev = d.composeEvent({ data: { x: 1, img: null }, timestamps: { x: 1, img: 1 } });
  t.same(ev.filled, {}, 'stream keys do not need filled');
  d.nextSeqNum = 1;
  const without = d.composeEvent({ data: { x: 1 }, timestamps: { x: 1 } });
  t.same(without.data, { x: 1 }, 'STREAM: keys may be left out of events');
  assertValidDocument('event', without);
  t.match(caught(() => d.composeEvent({ data: { img: null }, timestamps: { img: 1 } })), { value: 'x' }, 'other keys are still required');
  t.match(caught(() => d.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1 } })), { value: 'y' });
  const sr = run.composeStreamResource({ dataKey: 'img', mimetype: 'application/x-hdf5', uri: 'file://localhost/data/a.h5', parameters: { dataset: '/img' } });
  t.equal(sr.streamResource.run_start, run.start.uid);
  const s0 = sr.composeStreamDatum({ descriptor: d.descriptor.uid, indices: { start: 0, stop: 3 } });
  t.same(s0.seq_nums, { start: 2, stop: 5 }, 'continues after the event');
  t.same(s0.indices, { start: 0, stop: 3 });
  t.equal(s0.uid, `${sr.streamResource.uid}/0`);
  t.equal(d.nextSeqNum, 5);
  const s1 = sr.composeStreamDatum({ descriptor: d.descriptor.uid, indices: { start: 3, stop: 4 } });
  t.same(s1.seq_nums, { start: 5, stop: 6 });
  const s2 = sr.composeStreamDatum({ descriptor: d.descriptor.uid, indices: { start: 4, stop: 6 }, seqNums: { start: 6, stop: 8 } });
  t.same(s2.seq_nums, { start: 6, stop: 8 });
  t.equal(d.nextSeqNum, 8);
  t.same(invalidDocuments([['stream_resource', sr.streamResource], ['stream_datum', s0], ['stream_datum', s1], ['stream_datum', s2]]), []);
  t.throws(() => sr.composeStreamDatum({ descriptor: 'nope', indices: { start: 0, stop: 1 } }), InvalidInputError);
  t.throws(() => sr.composeStreamDatum({ descriptor: d.descriptor.uid, indices: { start: 3, stop: 1 } }), InvalidInputError);
  t.throws(() => run.composeStreamResource({ dataKey: '', mimetype: 'x', uri: 'y', parameters: {} }), InvalidInputError);
  t.same(run.composeStop().num_events, { primary: 7 });
});

t.test('negative: the validator rejects documents with a missing or wrong field', async (t) => {
  const { run, primary } = scalarRun();
  const e = primary.composeEvent({ data: { motor: 0, det: 0 }, timestamps: { motor: 0, det: 0 } });
  const r = run.composeResource({ spec: 'X', root: '', resourcePath: 'x', resourceKwargs: {} });
  const datum = r.composeDatum({ datumKwargs: {} });
  const stop = run.composeStop();
  const drop = (doc: object, key: string): unknown => {
    const copy: Record<string, unknown> = { ...doc };
    delete copy[key];
    return copy;
  };
  const bad: Array<[string, unknown]> = [
    ['start', drop(run.start, 'uid')],
    ['descriptor', drop(primary.descriptor, 'data_keys')],
    ['event', drop(e, 'seq_num')],
    ['event', { ...e, seq_num: 1.5 }],
    ['event', { ...e, unexpected: 1 }],
    ['stop', drop(stop, 'exit_status')],
    ['stop', { ...stop, exit_status: 'crashed' }],
    ['resource', drop(r.resource, 'spec')],
    ['datum', drop(datum, 'resource')],
  ];
  const failures = invalidDocuments(bad);
  t.equal(failures.length, bad.length, `every broken document fails: ${failures.join('; ')}`);
  t.throws(() => assertValidDocument('event', drop(e, 'uid')));
});
