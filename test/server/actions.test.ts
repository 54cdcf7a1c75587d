/**
 * HELAO-style actions over real loopback sockets: an action moves the Galil axis while a
 * websocket receives its live position; its run's documents arrive on /ws/documents and the bus,
 * its data rows on /ws/data, its state changes on /ws/status; stop one, stop matching; bad
 * requests are refused before the action starts.
 */
import t from 'tap';
import { api, listen, served, until } from './helpers.js';

t.setTimeout(120_000);

t.test('axis.move while /ws/live streams the position', async (t) => {
  const { server } = await served(t);
  const live = await listen(t, server, '/ws/live?signals=stage:A');
  const docs = await listen(t, server, '/ws/documents');
  const data = await listen(t, server, '/ws/data');
  const status = await listen(t, server, '/ws/status');
  const onBus: string[] = [];
  const off = server.bus.subscribe((name) => onBus.push(name));
  t.teardown(off);
  await live.waitFor((m) => m.type === 'live', 15_000, 'first live value');
  const res = await api(server, 'POST', '/api/actions/axis.move', { params: { device: 'stage', axis: 'A', position: 8 } });
  t.equal(res.status, 200);
  t.match(res.body, { id: /^axis\.move-\d+$/, name: 'axis.move', params: { device: 'stage', axis: 'A', position: 8 } });
  t.ok(['queued', 'active'].includes(res.body.state), `returned while it runs (${res.body.state})`);
  const id = res.body.id;
  const end = await status.waitFor((m) => m.type === 'action' && m.record.id === id && !['queued', 'active'].includes(m.record.state), 30_000, 'action end');
  t.equal(end.record.state, 'finished');
  await live.waitFor((m) => m.type === 'live' && Math.abs(m.value - 8) < 0.01, 15_000, 'live position at 8');
  const values = live.messages.filter((m) => m.type === 'live').map((m) => m.value as number);
  const between = values.filter((v) => v > 0.05 && v < 7.95);
  t.ok(between.length >= 2, `positions streamed on the way (${between.length} of ${values.length} between 0 and 8)`);
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]! - 0.01) t.fail(`position went backwards: ${values[i - 1]} → ${values[i]}`);
  t.match(live.messages.find((m) => m.type === 'live'), { signal: 'stage:A', device: 'stage', path: 'A', key: 'stage-A' });
  await docs.waitFor((m) => m.name === 'stop', 15_000, 'run stop document');
  const names: string[] = docs.messages.map((m) => m.name);
  t.same([names[0], names.at(-1)], ['start', 'stop']);
  t.ok(names.includes('descriptor') && names.includes('event'), `descriptor and event (${names.join(',')})`);
  t.same(onBus.filter((n) => n === 'start' || n === 'stop'), ['start', 'stop'], 'the bus carried the same run');
  const stop = docs.messages.find((m) => m.name === 'stop');
  t.equal(stop.doc.exit_status, 'success');
  const row = await data.waitFor((m) => m.type === 'data' && m.action === id, 15_000, 'data row');
  t.ok(Math.abs(row.data['stage-A'] - 8) < 0.01, 'the data row has the final position');
  const rec = await api(server, 'GET', `/api/actions/${id}`);
  t.equal(rec.body.state, 'finished');
  t.type(rec.body.runUid, 'string');
});

t.test('definitions; stop one; stop matching; refusals', async (t) => {
  const { server } = await served(t);
  const defs = await api(server, 'GET', '/api/actions');
  t.equal(defs.status, 200);
  t.ok(defs.body.actions.some((d: { name: string }) => d.name === 'axis.move'));
  t.match(defs.body.actions.find((d: { name: string }) => d.name === 'axis.move').params, { position: { type: 'number' } });

  const a = await api(server, 'POST', '/api/actions/axis.move', { params: { device: 'stage', axis: 'A', position: -45 } });
  t.equal(a.status, 200);
  await until(async () => Math.abs((await api(server, 'GET', '/api/devices/stage/read?path=A')).body.readings['stage-A'].value) > 0.5, 15_000, 'moving');
  const late = await listen(t, server, '/ws/status');
  const snap = await late.waitFor((m) => m.type === 'action', 15_000, 'snapshot of the running action');
  t.match(snap.record, { id: a.body.id, state: 'active' }, 'a new status client sees the running action at once');
  const s = await api(server, 'POST', `/api/actions/${a.body.id}/stop`);
  t.equal(s.status, 200);
  t.equal(s.body.stopped, true);
  const ended = await until(async () => {
    const r = await api(server, 'GET', `/api/actions/${a.body.id}`);
    return ['queued', 'active'].includes(r.body.state) ? undefined : r.body;
  }, 15_000, 'action stopped');
  t.equal(ended.state, 'aborted');
  t.ok(ended.times.manualStop, 'manualStop ran');

  const b = await api(server, 'POST', '/api/actions/axis.move', { params: { device: 'stage', axis: 'B', position: 45 } });
  const m = await api(server, 'POST', '/api/actions/stop?match=axis.move', { params: { axis: 'B' } });
  t.same(m.body.stopped, [b.body.id]);
  await until(async () => (await api(server, 'GET', `/api/actions/${b.body.id}`)).body.state === 'aborted', 15_000, 'B aborted');

  const refused: Array<[string, unknown, number, string]> = [
    ['/api/actions/no.such', {}, 404, 'NOT_FOUND'],
    ['/api/actions/axis.move', { params: { device: 'ghost', axis: 'A', position: 1 } }, 404, 'NOT_FOUND'],
    ['/api/actions/axis.move', { params: { device: 'stage', axis: 'A', position: 500 } }, 422, 'LIMITS'],
    ['/api/actions/axis.move', { params: { device: 'stage', axis: 'A', position: 'x' } }, 400, 'INVALID_INPUT'],
    ['/api/actions/axis.move', { params: { device: 'stage', axis: 'A' } }, 400, 'INVALID_INPUT'],
    ['/api/actions/axis.move', { params: 5 }, 400, 'VALIDATION'],
    ['/api/actions/stop?match=ghost', {}, 404, 'NOT_FOUND'],
  ];
  for (const [path, body, st, type] of refused) {
    const r = await api(server, 'POST', path, body);
    t.equal(r.status, st, `${path} ${JSON.stringify(body)}: ${r.text.slice(0, 160)}`);
    t.equal(r.body.error.type, type);
  }
  t.equal((await api(server, 'GET', '/api/actions/axis.move-999')).status, 404);
  t.equal(server.executor.history.filter((r) => r.state === 'errored' || r.state === 'skipped').length, 0, 'no refused action ran');
});
