/**
 * The procedure service's edges: a script whose init never returns fails at the load timeout and
 * its process is killed; the SSE stream replays kept events after Last-Event-ID; closing the
 * server ends open streams and stops procedure processes.
 */
import t from 'tap';
import { request as httpRequest } from 'node:http';
import Fastify from 'fastify';
import { EventStream, registerProcedures, sseMessage } from '../../src/server/procedures/index.js';
import { isFinal, isState, SCRIPTS, startHarness } from './procedures-helpers.js';

t.setTimeout(180_000);

t.test('a script whose init never returns fails at the load timeout', async (t) => {
  const h = await startHarness(t, { loadTimeoutMs: 4000 });
  const r = await h.call('POST', '/api/v1.0/procedures', { script_uri: 'file://hang-init.mjs' });
  const id = r.body.procedure.id as number;
  const end = await h.waitEvent(isFinal(id), 'end');
  t.equal(end.data['new_state'], 'FAILED');
  const d = (await h.call('GET', `/api/v1.0/procedures/${id}`)).body.procedure;
  t.match(d.history.stacktrace, /loading the script took longer than 4000 ms/);
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'RUNNING' })).status, 409, 'a failed procedure cannot start');
});

t.test('SSE: Last-Event-ID replays the kept events after it; the message format', async (t) => {
  const h = await startHarness(t);
  const id = (await h.call('POST', '/api/v1.0/procedures', { script_uri: 'file://hello.ts' })).body.procedure.id as number;
  await h.waitEvent(isState(id, 'READY'), 'ready');
  const third = h.events[2]!;
  const text = await new Promise<string>((resolve, reject) => {
    const req = httpRequest(`${h.base}/api/v1.0/stream`, { headers: { 'last-event-id': String(third.id) } }, (res) => {
      t.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        if (buf.includes('procedure.lifecycle.created')) {
          req.destroy();
          resolve(buf);
        }
      });
    });
    req.on('error', (e) => (e.message.includes('aborted') ? undefined : reject(e)));
    req.setTimeout(30_000, () => reject(new Error('no replay in 30 s')));
    req.end();
  });
  const ids = [...text.matchAll(/^id:(\d+)$/gm)].map((m) => Number(m[1]));
  t.equal(ids[0], third.id + 1, 'replay starts after Last-Event-ID');
  t.same(ids, h.events.filter((e) => e.id > third.id && e.id <= ids.at(-1)!).map((e) => e.id), 'the same events, in order');
  t.equal(sseMessage({ id: 7, topic: 'user.script.announce', time: 1, data: { msg: 'a\nb' } }), 'data:{"topic":"user.script.announce","msg":"a\\nb"}\nid:7\n\n', 'one data line per event, topic inside (newlines escaped by JSON)');
});

t.test('closing the server ends open streams and stops procedure processes', async (t) => {
  const app = Fastify();
  const events = new EventStream();
  const svc = registerProcedures(app, { scriptsDir: SCRIPTS, events, stopTimeoutMs: 2000 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const streamEnded = new Promise<void>((resolve, reject) => {
    const req = httpRequest(`${base}/api/v1.0/stream`, (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('close', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
  const ready = new Promise<number>((resolve) => events.subscribe((e) => e.topic === 'procedure.lifecycle.created' && resolve((e.data['result'] as { id: number }).id)));
  const res = await fetch(`${base}/api/v1.0/procedures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ script_uri: 'file://wait-stop.ts' }) });
  t.equal(res.status, 201);
  const id = await ready;
  await fetch(`${base}/api/v1.0/procedures/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'RUNNING' }) });
  await app.close();
  await streamEnded;
  t.equal(svc.manager.get(id).state, 'STOPPED', 'the running procedure was stopped');
  t.throws(() => svc.manager.create('file://hello.ts', { args: [], kwargs: {} }), /closed/, 'no procedure after close');
});
