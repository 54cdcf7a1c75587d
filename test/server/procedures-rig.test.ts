/**
 * Procedures on a rig of wire simulators (opened in each procedure's process from the rig file):
 * a built-in plan and an Observation Block run as procedures with their documents on the bus, a
 * stop with abort e-stops the rig.
 */
import t from 'tap';
import { isFinal, RIG, startHarness, readyProcedure } from './procedures-helpers.js';

t.setTimeout(300_000);

t.test('a built-in plan and an Observation Block run as procedures on the rig', async (t) => {
  const h = await startHarness(t, { rigFile: RIG });
  const plan = await readyProcedure(h, 'plan://count', { kwargs: { detectors: ['mfc'] } });
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${plan}`, { state: 'RUNNING', script_args: { run: { kwargs: { num: 3 } } } })).status, 200);
  const end = await h.waitEvent(isFinal(plan), 'plan end');
  t.equal(end.data['new_state'], 'COMPLETE', JSON.stringify((await h.call('GET', `/api/v1.0/procedures/${plan}`)).body.procedure.history));
  t.same(h.docs.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
  const ev = h.docs[2]![1] as { data: Record<string, unknown> };
  t.ok(Object.keys(ev.data).some((k) => k.startsWith('mfc')), 'events carry the MFC simulator\'s readings');

  const docsBefore = h.docs.length;
  const ob = await readyProcedure(h, 'file://flow.yaml');
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${ob}`, { state: 'RUNNING' })).status, 200);
  const obEnd = await h.waitEvent(isFinal(ob), 'OB end');
  t.equal(obEnd.data['new_state'], 'COMPLETE', JSON.stringify((await h.call('GET', `/api/v1.0/procedures/${ob}`)).body.procedure.history));
  const nodes = h.events.filter((e) => e.topic === 'user.script.announce' && e.data['procedure_id'] === ob).map((e) => e.data['msg'] as { node: string; state: string });
  t.ok(nodes.some((n) => n.node === 'flow' && n.state === 'finished'), 'node states of the OB on the stream');
  t.ok(nodes.some((n) => n.node === 'look' && n.state === 'finished'));
  t.ok(h.docs.length >= docsBefore, 'documents of the OB (if any) on the bus');
});

t.test('stop with abort e-stops the rig the procedure runs on', async (t) => {
  const h = await startHarness(t, { rigFile: RIG });
  const id = await readyProcedure(h, 'file://wait-stop.ts');
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'RUNNING' })).status, 200);
  await h.waitEvent((e) => e.topic === 'user.script.announce' && e.data['msg'] === 'waiting for stop', 'running');
  const r = await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'STOPPED', abort: true });
  t.equal(r.status, 200);
  t.match(r.body.abort_message, /aborted \(rig e-stopped: .*"ok":true/, 'the child e-stopped its rig and said so');
  t.equal(r.body.procedure.state, 'STOPPED');
});
