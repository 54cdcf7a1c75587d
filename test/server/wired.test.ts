/**
 * `createServer` with every face on: the operator page at `/`, OET-style procedures from an
 * allow-listed folder, and the 0MQ publisher. A procedure started over REST runs a count in its
 * own process; its documents reach the server's bus and, through it, a 0MQ subscriber and the
 * `/ws/documents` websocket.
 */
import t from 'tap';
import { Subscriber } from 'zeromq';
import { api, listen, served } from './helpers.js';
import { RIG, SCRIPTS } from './procedures-helpers.js';

t.setTimeout(240_000);

t.test('page, procedures and 0MQ are served by createServer', async (t) => {
  const { server } = await served(t, { scriptsDir: SCRIPTS, rigFile: RIG, zmq: { port: 0 } });
  t.ok(server.procedures, 'the procedure service is on');
  t.ok(server.zmq && server.zmq.port > 0, 'the 0MQ publisher is bound');

  const page = await fetch(`${server.url}/`, { signal: AbortSignal.timeout(20_000) });
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type') ?? '', /text\/html/);
  t.match(await page.text(), /<canvas/, 'the operator page with its plot');

  const sub = new Subscriber();
  sub.connect(`tcp://127.0.0.1:${server.zmq!.port}`);
  sub.subscribe();
  t.teardown(() => sub.close());
  const zmqDocs: string[] = [];
  const zmqDone = (async () => {
    for await (const [msg] of sub) {
      const text = msg!.toString('utf8');
      const name = text.split(' ')[1]!;
      zmqDocs.push(name);
      if (name === 'stop') return;
    }
  })();
  const docs = await listen(t, server, '/ws/documents');

  const created = await api(server, 'POST', '/api/v1.0/procedures', { script_uri: 'file://hello.ts', script_args: { init: { args: ['wired'], kwargs: {} } } });
  t.equal(created.status, 201, created.text);
  const id = created.body.procedure.id as number;
  const until = async (state: string): Promise<void> => {
    const end = Date.now() + 90_000;
    for (;;) {
      const d = await api(server, 'GET', `/api/v1.0/procedures/${id}`);
      if (d.body?.procedure?.state === state) return;
      if (['FAILED', 'STOPPED'].includes(d.body?.procedure?.state)) throw new Error(`procedure ended ${d.body.procedure.state}: ${d.text}`);
      if (Date.now() > end) throw new Error(`procedure not ${state} in 90 s: ${d.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await until('READY');
  const started = await api(server, 'PUT', `/api/v1.0/procedures/${id}`, { state: 'RUNNING', script_args: { run: { args: ['hello'], kwargs: { num: 2 } } } });
  t.equal(started.status, 200, started.text);
  await until('COMPLETE');
  const stop = await docs.waitFor((m) => m.name === 'stop', 30_000, 'the run stop on /ws/documents');
  t.equal(stop.doc.exit_status, 'success');
  t.same(docs.messages.map((m) => m.name), ['start', 'descriptor', 'event', 'event', 'stop'], 'the websocket got the procedure run');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([zmqDone, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`0MQ got only ${zmqDocs.join(',')}`)), 30_000)))]);
  clearTimeout(timer);
  t.same(zmqDocs, ['start', 'descriptor', 'event', 'event', 'stop'], '0MQ subscribers got the same documents');
});
