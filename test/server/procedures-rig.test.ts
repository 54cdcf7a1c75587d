/**
 * Procedures on a rig of wire simulators (opened in each procedure's process from the rig file):
 * a built-in plan and an Observation Block run as procedures with their documents on the bus, a
 * stop with abort e-stops the rig.
 */
import t from 'tap';
import { isFinal, isState, RIG, startHarness, type Harness } from './procedures-helpers.js';

t.setTimeout(300_000);

async function ready(h: Harness, uri: string, init?: unknown): Promise<number> {
  const r = await h.call('POST', '/api/v1.0/procedures', { script_uri: uri, ...(init ? { script_args: { init } } : {}) });
  if (r.status !== 201) throw new Error(`create ${uri}: ${r.status} ${JSON.stringify(r.body)}`);
  const id = r.body.procedure.id as number;
  const e = await h.waitEvent((x) => isState(id, 'READY')(x) || isFinal(id)(x), `${uri} ready`);
  if (e.data['new_state'] !== 'READY') throw new Error(`${uri} ${String(e.data['new_state'])}: ${JSON.stringify((await h.call('GET', `/api/v1.0/procedures/${id}`)).body)}`);
  return id;
}

t.test('a built-in plan and an Observation Block run as procedures on the rig', async (t) => {
  const h = await startHarness(t, { rigFile: RIG });
  const plan = await ready(h, 'plan://count', { kwargs: { detectors: ['mfc'] } });
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${plan}`, { state: 'RUNNING', script_args: { run: { kwargs: { num: 3 } } } })).status, 200);
  const end = await h.waitEvent(isFinal(plan), 'plan end');
  t.equal(end.data['new_state'], 'COMPLETE', JSON.stringify((await h.call('GET', `/api/v1.0/procedures/${plan}`)).body.procedure.history));
  t.same(h.docs.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
  const ev = h.docs[2]![1] as { data: Record<string, unknown> };
  t.ok(Object.keys(ev.data).some((k) => k.startsWith('mfc')), 'events carry the MFC simulator\'s readings');

  const docsBefore = h.docs.length;
  const ob = await ready(h, 'file://flow.yaml');
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
  const id = await ready(h, 'file://wait-stop.ts');
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'RUNNING' })).status, 200);
  await h.waitEvent((e) => e.topic === 'user.script.announce' && e.data['msg'] === 'waiting for stop', 'running');
  const r = await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'STOPPED', abort: true });
  t.equal(r.status, 200);
  t.match(r.body.abort_message, /aborted \(rig e-stopped: .*"ok":true/, 'the child e-stopped its rig and said so');
  t.equal(r.body.procedure.state, 'STOPPED');
});
