/**
 * The procedure service keeps the newest ten procedures (OET's history size), never dropping the
 * one executing; a dropped procedure answers 404.
 */
import t from 'tap';
import { startHarness, readyProcedure } from './procedures-helpers.js';

t.setTimeout(300_000);

t.test('the newest ten procedures are kept; the executing one is never dropped', async (t) => {
  const h = await startHarness(t);
  // Ten procedures: the first two in order (the second one will execute), eight loading side by side.
  const ids = [await readyProcedure(h, 'file://hello.ts'), await readyProcedure(h, 'file://wait-stop.ts')];
  ids.push(...(await Promise.all(Array.from({ length: 8 }, (_, i) => readyProcedure(h, 'file://hello.ts', { args: [`n${i}`] })))).sort((a, b) => a - b));
  t.same(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${ids[1]}`, { state: 'RUNNING' })).status, 200, 'procedure 2 executes');
  await h.waitEvent((e) => e.topic === 'user.script.announce' && e.data['msg'] === 'waiting for stop', 'running');
  ids.push(await readyProcedure(h, 'file://hello.ts'));
  let list = (await h.call('GET', '/api/v1.0/procedures')).body.procedures as Array<{ id: number }>;
  t.same(list.map((p) => p.id), ids.slice(1), 'the 11th create drops the oldest');
  t.equal((await h.call('GET', `/api/v1.0/procedures/${ids[0]}`)).status, 404, 'the dropped one is gone');
  ids.push(await readyProcedure(h, 'file://hello.ts'));
  list = (await h.call('GET', '/api/v1.0/procedures')).body.procedures as Array<{ id: number }>;
  t.same(list.map((p) => p.id), [ids[1], ...ids.slice(3)], 'the executing procedure is kept; the next oldest goes');
  t.equal(list.length, 10);
  const stop = await h.call('PUT', `/api/v1.0/procedures/${ids[1]}`, { state: 'STOPPED' });
  t.equal(stop.status, 200);
});
