/**
 * `/ws/live`: subscribe by URL or by message, unsubscribe, typed errors for bad names and bad
 * messages with the socket left open; the signal's subscription to the device ends when the
 * last client goes; closing the server stops the actions it started.
 */
import t from 'tap';
import { liveSignalOf, nodeOf, readNode } from '../../src/server/device-ops.js';
import { api, listen, served, until } from './helpers.js';

t.setTimeout(90_000);

t.test('subscribe, unsubscribe, errors, release', async (t) => {
  const { rig, server } = await served(t);
  const live = await listen(t, server, '/ws/live');
  live.ws.send(JSON.stringify({ subscribe: ['ghost', 'stage:Z.nope', 'stage:A.velocity', 'mfc'] }));
  const ghost = await live.waitFor((m) => m.type === 'error' && /ghost/.test(m.error.message), 15_000, 'unknown device error');
  t.equal(ghost.error.type, 'NOT_FOUND');
  const bad = await live.waitFor((m) => m.type === 'error' && /Z\.nope/.test(m.error.message), 15_000, 'unknown path error');
  t.equal(bad.error.type, 'INVALID_INPUT');
  const vel = await live.waitFor((m) => m.type === 'live' && m.signal === 'stage:A.velocity', 15_000, 'velocity');
  t.equal(vel.value, 20);
  t.match(await live.waitFor((m) => m.type === 'live' && m.signal === 'mfc', 15_000, 'mfc readback'), { device: 'mfc', path: '', key: 'mfc' });
  live.ws.send('not json');
  await live.waitFor((m) => m.type === 'error' && /not JSON/.test(m.error.message), 15_000, 'bad message error');
  live.ws.send(JSON.stringify({ hello: 1 }));
  await live.waitFor((m) => m.type === 'error' && /expected \{"subscribe"/.test(m.error.message), 15_000, 'unknown message error');
  t.equal(live.ws.readyState, 1, 'still open after errors');

  const velocity = liveSignalOf(await nodeOf(rig.member('stage'), 'A.velocity'));
  t.ok(velocity.subscribed, 'the signal is subscribed while a client streams it');
  live.ws.send(JSON.stringify({ unsubscribe: ['stage:A.velocity'] }));
  await until(() => !velocity.subscribed, 15_000, 'unsubscribed');
  const before = live.messages.filter((m) => m.signal === 'stage:A.velocity').length;
  t.equal((await api(server, 'POST', '/api/devices/stage/set', { path: 'A.velocity', value: 12 })).status, 202);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(live.messages.filter((m) => m.signal === 'stage:A.velocity').length, before, 'no values after unsubscribe');

  const mfc = liveSignalOf(await nodeOf(rig.member('mfc'), ''));
  t.ok(mfc.subscribed);
  live.close();
  await until(() => !mfc.subscribed, 15_000, 'released when the client closed');
});

t.test('closing the server stops the actions it started', async (t) => {
  const { server } = await served(t);
  const a = await api(server, 'POST', '/api/actions/axis.move', { params: { device: 'stage', axis: 'A', position: 45 } });
  t.equal(a.status, 200);
  await until(async () => (await api(server, 'GET', '/api/devices/stage/read?path=A')).body.readings['stage-A'].value > 0.5, 15_000, 'moving');
  await server.close();
  const rec = server.executor.history.find((r) => r.id === a.body.id);
  t.equal(rec?.state, 'aborted', 'the action was stopped, not left running');
  t.equal(server.executor.active.length, 0);
});

t.test('closing the server stops a set still moving', async (t) => {
  const { rig, server } = await served(t);
  const res = await api(server, 'POST', '/api/devices/stage/set', { path: 'B', value: -45 });
  t.equal(res.status, 202);
  await until(async () => (await api(server, 'GET', '/api/devices/stage/read?path=B')).body.readings['stage-B'].value < -0.5, 15_000, 'moving');
  await server.close();
  const axis = await nodeOf(rig.member('stage'), 'B');
  // It decelerates after the stop, then stays put well short of the target.
  const read = async (): Promise<number> => (await readNode(axis))['stage-B']!.value as number;
  const { p2 } = (await until(async () => {
    const a = await read();
    await new Promise((r) => setTimeout(r, 250));
    return a === (await read()) ? { p2: a } : undefined;
  }, 10_000, 'axis at rest after close'))!;
  t.ok(p2 > -45 + 0.5, `stopped short of the target (${p2})`);
});
