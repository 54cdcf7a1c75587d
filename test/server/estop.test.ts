/**
 * The rig-wide e-stop over HTTP: every device of the rig (a Galil stage moving, an Alicat MFC
 * flowing, a Legato pump) is stopped and confirms it, with the time measured; the running action
 * ends `estopped` and its run `abort`; sets and actions are refused until the e-stop is cleared.
 */
import t from 'tap';
import { api, listen, served, until } from './helpers.js';

t.setTimeout(120_000);

t.test('POST /api/estop stops every device and reports each confirmation and time', async (t) => {
  const { server } = await served(t);
  const status = await listen(t, server, '/ws/status');
  const docs = await listen(t, server, '/ws/documents');
  const move = await api(server, 'POST', '/api/actions/axis.move', { params: { device: 'stage', axis: 'A', position: 45 } });
  t.equal(move.status, 200);
  const flow = await api(server, 'POST', '/api/devices/mfc/set', { value: 40 });
  t.equal(flow.status, 202);
  await until(async () => (await api(server, 'GET', '/api/devices/stage/read?path=A')).body.readings['stage-A'].value > 0.5, 15_000, 'stage moving');
  const t0 = performance.now();
  const res = await api(server, 'POST', '/api/estop?switch=true');
  const roundTripMs = performance.now() - t0;
  t.equal(res.status, 200);
  t.equal(res.body.estop, true);
  t.equal(res.body.ok, true, JSON.stringify(res.body.results));
  t.same(Object.keys(res.body.results).sort(), ['mfc', 'pump', 'stage']);
  for (const r of Object.values(res.body.results) as Array<{ ok: boolean; elapsedMs: number; detail: string }>) {
    t.ok(r.ok, `${JSON.stringify(r)}`);
    t.ok(r.elapsedMs >= 0 && r.elapsedMs <= res.body.elapsedMs + 1, 'per-device time within the total');
  }
  t.match(res.body.results.stage.detail, /stopped/);
  t.comment(`e-stop over HTTP: all devices confirmed in ${res.body.elapsedMs.toFixed(1)} ms (request round trip ${roundTripMs.toFixed(1)} ms): ${Object.values(res.body.results).map((r: any) => `${r.device} ${r.elapsedMs.toFixed(1)} ms`).join(', ')}`);
  t.ok(res.body.actions.includes(move.body.id));
  const ended = await until(async () => {
    const r = await api(server, 'GET', `/api/actions/${move.body.id}`);
    return r.body.state === 'active' ? undefined : r.body;
  }, 15_000, 'action ended');
  t.equal(ended.state, 'estopped');
  const stop = await docs.waitFor((m) => m.name === 'stop', 15_000, 'run stop');
  t.equal(stop.doc.exit_status, 'abort');
  await status.waitFor((m) => m.type === 'estop' && m.estop === true, 15_000, 'estop on the status stream');
  const p1 = (await api(server, 'GET', '/api/devices/stage/read?path=A')).body.readings['stage-A'].value;
  await new Promise((r) => setTimeout(r, 200));
  const p2 = (await api(server, 'GET', '/api/devices/stage/read?path=A')).body.readings['stage-A'].value;
  t.equal(p2, p1, 'the stage no longer moves');
  t.ok(p2 < 45 - 0.5, `stopped short of the target (${p2})`);

  const late = await listen(t, server, '/ws/status');
  const first = await late.waitFor(() => true, 15_000, 'snapshot');
  t.same(first, { type: 'estop', estop: true }, 'a client connecting during the e-stop is told at once');
  const refusedSet = await api(server, 'POST', '/api/devices/stage/set', { path: 'A', value: 1 });
  t.equal(refusedSet.status, 409);
  t.equal(refusedSet.body.error.type, 'INVALID_STATE');
  const refusedAction = await api(server, 'POST', '/api/actions/axis.move', { params: { device: 'stage', axis: 'A', position: 1 } });
  t.equal(refusedAction.status, 409);
  const clear = await api(server, 'POST', '/api/estop?switch=false');
  t.same(clear.body, { estop: false });
  await status.waitFor((m) => m.type === 'estop' && m.estop === false, 15_000, 'clear on the status stream');
  const again = await api(server, 'POST', '/api/devices/stage/set', { path: 'A', value: 1 });
  t.equal(again.status, 202, 'sets accepted again');
});
