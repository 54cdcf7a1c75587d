/**
 * The MFC in runs of the RunEngine over the wire simulator: a run whose MFC fails mid-run ends
 * with run_stop `fail` and keeps every earlier event; a healthy scan of setpoints succeeds.
 */
import t, { type Test } from 'tap';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import { count, scan } from '../../../src/core/plans/index.js';
import { openAlicat } from '../../../src/drivers/alicat/index.js';
import { FaultInjector } from '../../../src/sim/faults.js';
import { invalidDocuments } from '../../helpers/schemas.js';
import { simFor } from './helpers.js';

async function setup(t: Test) {
  const faults = new FaultInjector();
  const sim = await simFor(t, { faults, defaults: { timeConstantMs: 20 } });
  const mfc = await openAlicat(sim.uri, { kind: 'controller', name: 'mfc1', fullScale: 100, timeoutMs: 1500, pollMs: 10 }); // 1.5 s: a loaded machine must not look like a silent MFC (the faults below last longer)
  t.teardown(() => mfc.close());
  const re = new RunEngine();
  const docs: Array<[string, any]> = [];
  re.subscribe((name, doc) => {
    docs.push([name, doc]);
  });
  return { faults, sim, mfc, re, docs };
}

t.test('a scan of setpoints over the simulator succeeds and its documents are valid', async (t) => {
  const { mfc, re, docs } = await setup(t);
  const r = await re.run(scan([mfc], mfc, 10, 30, 3));
  t.equal(r.exitStatus, 'success');
  const events = docs.filter(([n]) => n === 'event').map(([, d]) => d);
  t.equal(events.length, 3);
  const readbacks = events.map((e) => e.data.mfc1 as number);
  for (const [i, target] of [10, 20, 30].entries()) t.ok(Math.abs(readbacks[i]! - target) <= 0.5, `event ${i + 1}: readback ${readbacks[i]} near ${target}`);
  t.same(invalidDocuments(docs), []);
});

t.test('the MFC going silent mid-run: run_stop fail with a reason, earlier events kept', async (t) => {
  const { faults, mfc, re, docs } = await setup(t);
  let events = 0;
  re.subscribe(() => {
    events++;
    if (events === 2) faults.next('silent', 5000);
  }, 'event');
  const r = await re.run(count([mfc], 6, 0.02));
  t.equal(r.exitStatus, 'fail');
  t.match(r.reason, /timed out/);
  const evs = docs.filter(([n]) => n === 'event').map(([, d]) => d);
  t.same(evs.map((e) => e.seq_num), [1, 2], 'the two events before the fault are kept');
  const stop = docs.filter(([n]) => n === 'stop').map(([, d]) => d);
  t.equal(stop.length, 1);
  t.equal(stop[0].exit_status, 'fail');
  t.same(stop[0].num_events, { primary: 2 });
  t.same(invalidDocuments(docs), []);
});

t.test('the line dropping during a setpoint scan: run_stop fail, earlier events kept', async (t) => {
  const { faults, mfc, re, docs } = await setup(t);
  let events = 0;
  re.subscribe(() => {
    events++;
    if (events === 1) faults.next('restart', 2000);
  }, 'event');
  const r = await re.run(scan([mfc], mfc, 10, 40, 4));
  t.equal(r.exitStatus, 'fail');
  const evs = docs.filter(([n]) => n === 'event');
  t.equal(evs.length, 1, 'the event before the drop is kept');
  t.equal(docs.filter(([n]) => n === 'stop').map(([, d]) => d)[0].exit_status, 'fail');
  t.same(invalidDocuments(docs), []);
});
