/**
 * Plans run through the real RunEngine: the documents they produce validate against the
 * event-model schemas and carry the plans' metadata.
 */
import t from 'tap';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import { count, gridScan, relScan, scan, adaptiveScan } from '../../../src/core/plans/index.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { baselineDecorator, relativeSetWrapper } from '../../../src/core/plans/preprocessors/index.js';
import { Action, continuous, eventMapOf } from '../../../src/core/engine/continuous.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import type { Readable } from '../../../src/core/protocols.js';
import { invalidDocuments } from '../../helpers/schemas.js';
import { makeDetector, makeMotor } from './plans-harness.js';

type Doc = Record<string, unknown>;

function record(re: RunEngine): Array<[string, Doc]> {
  const docs: Array<[string, Doc]> = [];
  re.subscribe((name, doc) => {
    docs.push([name, JSON.parse(JSON.stringify(doc)) as Doc]);
  });
  return docs;
}

function eventData(docs: Array<[string, Doc]>, stream = 'primary'): Array<Record<string, unknown>> {
  const descriptors = new Set(docs.filter(([n, d]) => n === 'descriptor' && d['name'] === stream).map(([, d]) => d['uid']));
  const out: Array<Record<string, unknown>> = [];
  for (const [n, d] of docs) {
    if (n === 'event' && descriptors.has(d['descriptor'])) out.push(d['data'] as Record<string, unknown>);
    if (n === 'event_page' && descriptors.has(d['descriptor'])) {
      const data = d['data'] as Record<string, unknown[]>;
      const rows = (d['seq_num'] as number[]).length;
      for (let i = 0; i < rows; i++) out.push(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v[i]])));
    }
  }
  return out;
}

t.test('count through the RunEngine: valid documents, plan metadata, success', async (t) => {
  const re = new RunEngine();
  const docs = record(re);
  const det = makeDetector('det', () => 5);
  const result = await re.run(count([det], 3), { sample: 'A1' });
  t.equal(result.exitStatus, 'success');
  t.same(invalidDocuments(docs), []);
  const start = docs.find(([n]) => n === 'start')?.[1] ?? {};
  t.match(start, { plan_name: 'count', num_points: 3, detectors: ['det'], sample: 'A1', hints: { dimensions: [[['time'], 'primary']] } });
  t.equal(result.planResult, start['uid'], 'count returns the run uid');
  t.same(eventData(docs).map((d) => d['det']), [5, 5, 5]);
  t.same(det.calls, ['stage', 'unstage']);
  const stop = docs.find(([n]) => n === 'stop')?.[1];
  t.match(stop, { exit_status: 'success' });
});

t.test('scan and gridScan through the RunEngine', async (t) => {
  const re = new RunEngine();
  const docs = record(re);
  const x = makeMotor('x');
  const y = makeMotor('y');
  const det = makeDetector('det', () => x.position + 10 * y.position);
  await re.run(scan([det], x, 0, 2, 3));
  await re.run(gridScan([det], y, 0, 1, 2, x, 0, 1, 2, true));
  t.same(invalidDocuments(docs), []);
  const starts = docs.filter(([n]) => n === 'start').map(([, d]) => d);
  t.match(starts[0], { plan_name: 'scan', motors: ['x'], hints: { dimensions: [[['x'], 'primary']] } });
  t.match(starts[1], { plan_name: 'grid_scan', shape: [2, 2], extents: [[0, 1], [0, 1]], snaking: [false, true], hints: { gridding: 'rectilinear' } });
  const data = eventData(docs);
  t.same(data.slice(0, 3).map((d) => d['x']), [0, 1, 2]);
  t.same(data.slice(3).map((d) => [d['y'], d['x'], d['det']]), [[0, 0, 0], [0, 1, 1], [1, 1, 11], [1, 0, 10]]);
});

t.test('a baseline preprocessor on the engine adds a baseline stream read at start and end', async (t) => {
  const temp = makeDetector('temp', () => 21);
  const re = new RunEngine({ preprocessors: [baselineDecorator([temp])] });
  const docs = record(re);
  await re.run(count([makeDetector('det')], 2));
  t.same(invalidDocuments(docs), []);
  t.equal(eventData(docs, 'baseline').length, 2);
  t.equal(eventData(docs, 'primary').length, 2);
});

t.test('relScan with a detector failing mid-run: fail, earlier events kept, motor back', async (t) => {
  const re = new RunEngine({ onError: () => {} });
  const docs = record(re);
  const m = makeMotor('m', 3);
  let n = 0;
  const det = makeDetector('det', () => {
    if (++n === 3) throw new Error('detector unplugged');
    return n;
  });
  const result = await re.run(relScan([det], m, -1, 1, 5));
  t.equal(result.exitStatus, 'fail');
  t.match(result.reason, /detector unplugged/);
  t.same(invalidDocuments(docs), []);
  t.equal(eventData(docs).length, 2);
  t.match(docs.find(([name]) => name === 'stop')?.[1], { exit_status: 'fail', reason: 'detector unplugged' });
  t.equal(m.position, 3, 'the motor went back to where it was');
  t.same(det.calls, ['stage', 'unstage']);
});

t.test('stopping an endless count ends the run with success; abort with abort', async (t) => {
  for (const how of ['stop', 'abort'] as const) {
    const re = new RunEngine();
    const docs = record(re);
    const det = makeDetector('det');
    let events = 0;
    re.subscribe(() => {
      if (++events === 3) setTimeout(() => void (how === 'stop' ? re.stop() : re.abort('enough')), 0);
    }, 'event');
    const result = await re.run(count([det], null, 0.001));
    t.same(invalidDocuments(docs), [], how);
    const stops = docs.filter(([name]) => name === 'stop');
    t.equal(stops.length, 1, `${how}: exactly one run_stop`);
    t.match(stops[0]?.[1], { exit_status: how === 'stop' ? 'success' : 'abort' }, how);
    t.equal(result.exitStatus, how === 'stop' ? 'success' : 'abort');
    t.same(det.calls, ['stage', 'unstage'], `${how}: unstaged`);
  }
});

t.test('adaptiveScan and relative wrappers through the RunEngine', async (t) => {
  const re = new RunEngine();
  const docs = record(re);
  const m = makeMotor('m', 100);
  const det = makeDetector('det', () => Math.tanh(m.position - 105) * 50);
  await re.run(relativeSetWrapper(adaptiveScan([det], {
    targetField: 'det', motor: m, start: 0, stop: 10, minStep: 0.1, maxStep: 2, targetDelta: 4, backstep: true,
  }), [m]));
  t.same(invalidDocuments(docs), []);
  const xs = eventData(docs).map((d) => d['m'] as number);
  t.ok(xs.length > 5);
  t.ok(xs.every((x) => x >= 100 && x <= 110), 'moves are relative to 100');
});

t.test('a continuous plan with actions through the RunEngine', async (t) => {
  const re = new RunEngine();
  const docs = record(re);
  const det = makeDetector('cam');
  const snap = new Action({ name: 'snap' });
  const stop = new Action({ name: 'stop' });
  const live = continuous(function* live(dets: Readable[]): Generator<Msg, number, unknown> {
    let snaps = 0;
    yield* bps.openRun({ plan_name: 'live' });
    for (;;) {
      const [name, latch] = yield* bps.readWhileWaiting(dets, eventMapOf([snap, stop]), { refreshPeriodMs: 1 });
      if (name === 'stop') break;
      yield* bps.triggerAndRead(dets, 'snaps');
      snaps++;
      latch.reset();
    }
    yield* bps.closeRun();
    return snaps;
  });
  let primary = 0;
  re.subscribe((_name, doc) => {
    const d = doc as { descriptor?: string };
    const desc = docs.find(([n, x]) => n === 'descriptor' && x['uid'] === d.descriptor)?.[1];
    if (desc?.['name'] !== 'primary') return;
    primary++;
    if (primary === 2) snap.fire();
    if (primary === 5) stop.fire();
  }, 'event');
  const result = await re.run(live([det]));
  t.equal(result.exitStatus, 'success');
  t.equal(result.planResult, 1);
  t.same(invalidDocuments(docs), []);
  t.equal(eventData(docs, 'snaps').length, 1);
  t.ok(eventData(docs, 'primary').length >= 5);
});

t.test('pausing a scan and resuming it re-takes the point after the last checkpoint', async (t) => {
  const re = new RunEngine();
  const docs = record(re);
  const m = makeMotor('m');
  const det = makeDetector('det', () => m.position);
  let events = 0;
  re.subscribe(() => {
    if (++events === 2) re.requestPause();
  }, 'event');
  const first = await re.run(scan([det], m, 0, 4, 5));
  t.equal(first.exitStatus, 'paused');
  t.equal(re.state, 'paused');
  const rest = await re.resume();
  t.equal(rest.exitStatus, 'success');
  t.same(invalidDocuments(docs), []);
  const xs = eventData(docs).map((d) => d['m']);
  t.same(xs.slice(-3), [2, 3, 4], 'the scan finished its trajectory');
  t.same([...new Set(xs)], [0, 1, 2, 3, 4], 'every point taken');
  t.equal(docs.filter(([n]) => n === 'stop').length, 1);
});
