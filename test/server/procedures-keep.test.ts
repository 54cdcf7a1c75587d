/**
 * The procedure service keeps the newest ten procedures (OET's history size), never dropping the
 * one executing; a dropped procedure answers 404.
 */
import t from 'tap';
import { isFinal, isState, startHarness, type Harness } from './procedures-helpers.js';

t.setTimeout(300_000);

async function ready(h: Harness, uri: string, init?: unknown): Promise<number> {
  const r = await h.call('POST', '/api/v1.0/procedures', { script_uri: uri, ...(init ? { script_args: { init } } : {}) });
  if (r.status !== 201) throw new Error(`create ${uri}: ${r.status} ${JSON.stringify(r.body)}`);
  const id = r.body.procedure.id as number;
  const e = await h.waitEvent((x) => isState(id, 'READY')(x) || isFinal(id)(x), `${uri} ready`, 120_000);
  if (e.data['new_state'] !== 'READY') throw new Error(`${uri} ${String(e.data['new_state'])}`);
  return id;
}

t.test('the newest ten procedures are kept; the executing one is never dropped', async (t) => {
  const h = await startHarness(t);
  // Ten procedures: the first two in order (the second one will execute), eight loading side by side.
  const ids = [await ready(h, 'file://hello.ts'), await ready(h, 'file://wait-stop.ts')];
  ids.push(...(await Promise.all(Array.from({ length: 8 }, (_, i) => ready(h, 'file://hello.ts', { args: [`n${i}`] })))).sort((a, b) => a - b));
  t.same(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${ids[1]}`, { state: 'RUNNING' })).status, 200, 'procedure 2 executes');
  await h.waitEvent((e) => e.topic === 'user.script.announce' && e.data['msg'] === 'waiting for stop', 'running');
  ids.push(await ready(h, 'file://hello.ts'));
  let list = (await h.call('GET', '/api/v1.0/procedures')).body.procedures as Array<{ id: number }>;
  t.same(list.map((p) => p.id), ids.slice(1), 'the 11th create drops the oldest');
  t.equal((await h.call('GET', `/api/v1.0/procedures/${ids[0]}`)).status, 404, 'the dropped one is gone');
  ids.push(await ready(h, 'file://hello.ts'));
  list = (await h.call('GET', '/api/v1.0/procedures')).body.procedures as Array<{ id: number }>;
  t.same(list.map((p) => p.id), [ids[1], ...ids.slice(3)], 'the executing procedure is kept; the next oldest goes');
  t.equal(list.length, 10);
  const stop = await h.call('PUT', `/api/v1.0/procedures/${ids[1]}`, { state: 'STOPPED' });
  t.equal(stop.status, 200);
});
