/**
 * Every document that leaves the server on /ws/documents is a valid event-model document (the
 * schemas in ../shared/schemas/event-model): the runs of a set, of an action, and of a plan run
 * on the run engine through `plan.run`; each run's documents arrive in order (start first, stop
 * last) on the websocket and on the bus alike.
 */
import t from 'tap';
import { invalidDocuments } from '../helpers/schemas.js';
import { api, listen, served, until } from './helpers.js';

t.setTimeout(120_000);

t.test('documents of sets, actions and plan.run are valid and ordered', async (t) => {
  const { server } = await served(t);
  const docs = await listen(t, server, '/ws/documents');
  const onBus: Array<[string, unknown]> = [];
  t.teardown(server.bus.subscribe((name, doc) => onBus.push([name, doc])));
  const set = await api(server, 'POST', '/api/devices/mfc/set', { value: 10 });
  t.equal(set.status, 202);
  const act = await api(server, 'POST', '/api/actions/signals.read', { params: { device: 'mfc', count: 3, intervalMs: 10 } });
  t.equal(act.status, 200);
  const plan = await api(server, 'POST', '/api/actions/plan.run', { params: { plan: 'count', args: { detectors: ['mfc'], num: 2 } }, asRun: false });
  t.equal(plan.status, 200);
  for (const id of [act.body.id, plan.body.id]) {
    const end = await until(async () => {
      const r = await api(server, 'GET', `/api/actions/${id}`);
      return ['queued', 'active'].includes(r.body.state) ? undefined : r.body;
    }, 30_000, `${id} ended`);
    t.equal(end.state, 'finished', `${id}: ${end.errorMessage ?? ''}`);
  }
  await until(async () => (await api(server, 'GET', `/api/sets/${set.body.id}`)).body.state !== 'running', 30_000, 'set ended');
  await docs.waitFor(() => docs.messages.filter((m) => m.name === 'stop').length >= 3, 15_000, 'three run stops');
  const pairs = docs.messages.map((m) => [m.name, m.doc] as [string, unknown]);
  t.same(invalidDocuments(pairs), [], 'every document valid against the event-model schemas');
  const starts = docs.messages.filter((m) => m.name === 'start').map((m) => m.doc);
  t.same(starts.map((s) => s.plan_name).sort(), ['count', 'set', 'signals.read']);
  for (const s of starts) {
    const uid = s.uid as string;
    const descs = new Set(docs.messages.filter((m) => m.name === 'descriptor' && m.doc.run_start === uid).map((m) => m.doc.uid));
    const mine = docs.messages.filter((m) => m.doc.uid === uid || m.doc.run_start === uid || descs.has(m.doc.descriptor));
    t.equal(mine[0].name, 'start', `${s.plan_name}: start first`);
    t.equal(mine.at(-1).name, 'stop', `${s.plan_name}: stop last`);
    t.equal(mine.at(-1).doc.exit_status, 'success');
    t.ok(mine.some((m) => m.name === 'event' || m.name === 'event_page'), `${s.plan_name}: has events`);
  }
  const countEvents = docs.messages.filter((m) => m.name === 'event' && starts.some((s) => s.plan_name === 'count' && docs.messages.some((d) => d.name === 'descriptor' && d.doc.uid === m.doc.descriptor && d.doc.run_start === s.uid)));
  t.equal(countEvents.length, 2, 'count with num=2 made two events');
  t.same(onBus.map(([n]) => n), docs.messages.map((m) => m.name), 'the websocket carried the bus in order');
});
