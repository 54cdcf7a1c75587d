/**
 * OET-style procedures over real HTTP on loopback: the lifecycle with the SSE stream in order,
 * documents of a procedure's run on the bus, describe, crashing procedures (throw, exit,
 * segfault) leaving the server serving, one procedure executing at a time, stop (cooperative and
 * by kill), and refused paths and bodies.
 */
import t from 'tap';
import { isFinal, isState, startHarness } from './procedures-helpers.js';

t.setTimeout(240_000);

t.test('lifecycle: create, init, start, complete, with the SSE stream in order and documents on the bus', async (t) => {
  const h = await startHarness(t);
  const created = await h.call('POST', '/api/v1.0/procedures', { script_uri: 'file://hello.ts', script_args: { init: { args: ['world'], kwargs: { subarray_id: 1 } } } });
  t.equal(created.status, 201);
  const id = created.body.procedure.id as number;
  t.equal(created.body.procedure.uri, `/api/v1.0/procedures/${id}`);
  t.same(created.body.procedure.script_args.init, { args: ['world'], kwargs: { subarray_id: 1 } });
  t.equal(created.body.procedure.state, 'CREATING');
  await h.waitEvent((e) => e.topic === 'procedure.lifecycle.created' && (e.data['result'] as { id: number }).id === id, 'created event');

  const started = await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'RUNNING', script_args: { run: { args: ['hello'], kwargs: { num: 3 } } } });
  t.equal(started.status, 200);
  t.same(started.body.procedure.script_args.run, { args: ['hello'], kwargs: { num: 3 } });
  await h.waitEvent(isFinal(id), 'end of the procedure');
  await h.waitEvent((e) => e.topic === 'procedure.lifecycle.complete', 'complete event');

  // The stream, in order: every request, every state change, the script's messages.
  const seq = h.events.map((e) => (e.topic === 'procedure.lifecycle.statechange' ? `state:${String(e.data['new_state'])}` : e.topic === 'user.script.announce' ? `announce:${(e.data['msg'] as { step: string }).step}` : e.topic));
  t.same(seq, [
    'request.procedure.create',
    'state:CREATING', 'state:IDLE', 'state:LOADING', 'state:IDLE', 'state:RUNNING', 'announce:init', 'state:READY', 'procedure.lifecycle.created',
    'request.procedure.start',
    'state:RUNNING', 'procedure.lifecycle.started', 'announce:main', 'announce:done', 'state:COMPLETE', 'procedure.lifecycle.complete',
  ], 'OET lifecycle on the stream in order');
  const ids = h.events.map((e) => e.id);
  t.same(ids, [...ids].sort((a, b) => a - b), 'SSE ids increase');
  const createReq = h.events[0]!;
  t.equal(h.events.find((e) => e.topic === 'procedure.lifecycle.created')!.data['request_id'], createReq.data['request_id'], 'the created event answers the create request');
  t.same(h.events.find((e) => e.topic === 'user.script.announce')!.data['msg'], { step: 'init', name: 'world', kwargs: { subarray_id: 1 } });
  t.same((h.events.find((e) => (e.data['msg'] as { step?: string })?.step === 'main')!.data['msg'] as { text: string }).text, 'hello world');

  // Documents of the script's run reached the bus, in order.
  t.same(h.docs.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
  t.equal((h.docs[0]![1] as { script?: string }).script, 'hello');
  t.equal((h.docs.at(-1)![1] as { exit_status: string }).exit_status, 'success');

  // describe: arguments, history with timestamps, no stack trace.
  const d = await h.call('GET', `/api/v1.0/procedures/${id}`);
  t.equal(d.status, 200);
  const p = d.body.procedure;
  t.equal(p.state, 'COMPLETE');
  t.same(p.history.process_states.map((s: [string, number]) => s[0]), ['CREATING', 'IDLE', 'LOADING', 'IDLE', 'RUNNING', 'READY', 'RUNNING', 'COMPLETE']);
  const times = p.history.process_states.map((s: [string, number]) => s[1]);
  t.ok(times.every((x: number, i: number) => typeof x === 'number' && x > 1.6e9 && (i === 0 || x >= times[i - 1])), 'unix-second timestamps, non-decreasing');
  t.equal(p.history.stacktrace, null);
  const list = await h.call('GET', '/api/v1.0/procedures');
  t.same(list.body.procedures.map((x: { id: number; state: string }) => [x.id, x.state]), [[id, 'COMPLETE']]);
  t.ok(h.events.some((e) => e.topic === 'procedure.pool.list'), 'list answered on the stream');
  // A finished procedure cannot be started again.
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'RUNNING' })).status, 409);
});

t.test('crashing procedures fail with the reason and leave the server serving', async (t) => {
  const h = await startHarness(t);
  const create = async (uri: string): Promise<number> => {
    const r = await h.call('POST', '/api/v1.0/procedures', { script_uri: uri });
    t.equal(r.status, 201, `create ${uri}`);
    return r.body.procedure.id as number;
  };
  const run = async (uri: string): Promise<number> => {
    const id = await create(uri);
    await h.waitEvent((e) => isState(id, 'READY')(e) || isFinal(id)(e), `${uri} ready`);
    t.equal((await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'RUNNING' })).status, 200, `start ${uri}`);
    await h.waitEvent(isFinal(id), `${uri} end`);
    return id;
  };
  const thrown = await run('file://throws.ts');
  const segv = await run('file://segfault.mjs');
  const exits = await create('file://exits.js');
  await h.waitEvent(isFinal(exits), 'exits.js end');
  const noMain = await create('file://no-main.mjs');
  await h.waitEvent(isFinal(noMain), 'no-main end');

  const describe = async (id: number): Promise<{ state: string; history: { stacktrace: string } }> => (await h.call('GET', `/api/v1.0/procedures/${id}`)).body.procedure;
  const a = await describe(thrown);
  t.equal(a.state, 'FAILED');
  t.match(a.history.stacktrace, /Error: boom in main\n\s+at .*main \(.*throws\.ts:\d+/, 'the script\'s own stack');
  t.ok(h.events.some((e) => e.topic === 'procedure.lifecycle.stacktrace' && e.data['procedure_id'] === thrown), 'stacktrace event');
  const b = await describe(segv);
  t.equal(b.state, 'FAILED');
  t.match(b.history.stacktrace, /killed by signal SIGSEGV/);
  const c = await describe(exits);
  t.equal(c.state, 'FAILED');
  t.match(c.history.stacktrace, /exited with code 3/);
  const n = await describe(noMain);
  t.equal(n.state, 'FAILED');
  t.match(n.history.stacktrace, /exports no main function/);

  // Still serving: a new procedure runs to completion.
  const ok = await run('file://hello.ts');
  t.equal((await describe(ok)).state, 'COMPLETE');
});

t.test('one procedure executes at a time; stop ends it (cooperatively, or by killing it)', async (t) => {
  const h = await startHarness(t, { stopTimeoutMs: 1500 });
  const make = async (uri: string): Promise<number> => {
    const id = (await h.call('POST', '/api/v1.0/procedures', { script_uri: uri })).body.procedure.id as number;
    await h.waitEvent((e) => isState(id, 'READY')(e) || isFinal(id)(e), `${uri} ready`);
    return id;
  };
  const waiting = await make('file://wait-stop.ts');
  const other = await make('file://hello.ts');
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${waiting}`, { state: 'RUNNING' })).status, 200);
  await h.waitEvent((e) => e.topic === 'user.script.announce' && e.data['msg'] === 'waiting for stop', 'script running');
  const refused = await h.call('PUT', `/api/v1.0/procedures/${other}`, { state: 'RUNNING' });
  t.equal(refused.status, 409, 'a second procedure may not execute');
  t.equal(refused.body.error.type, 'INVALID_STATE');
  t.match(refused.body.error.message, new RegExp(`procedure ${waiting} is executing`));

  const stopped = await h.call('PUT', `/api/v1.0/procedures/${waiting}`, { state: 'STOPPED', abort: true });
  t.equal(stopped.status, 200);
  t.match(stopped.body.abort_message, `Successfully stopped script with ID ${waiting}`);
  t.equal(stopped.body.procedure.state, 'STOPPED');
  t.ok(h.events.some((e) => e.topic === 'user.script.announce' && e.data['msg'] === 'stopped'), 'the script saw its stop signal');
  t.ok(h.events.some((e) => e.topic === 'request.procedure.stop'));

  t.equal((await h.call('PUT', `/api/v1.0/procedures/${other}`, { state: 'RUNNING', script_args: { run: { args: ['hi'] } } })).status, 200, 'the next one may start');
  await h.waitEvent(isFinal(other), 'hello end');

  // A script that never yields is killed after stopTimeoutMs.
  const spin = await make('file://spin.mjs');
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${spin}`, { state: 'RUNNING' })).status, 200);
  const s = await h.call('PUT', `/api/v1.0/procedures/${spin}`, { state: 'STOPPED' });
  t.equal(s.status, 200);
  t.equal(s.body.procedure.state, 'STOPPED');
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${spin}`, { state: 'STOPPED' })).status, 409, 'stopping twice is refused');
});

t.test('paths outside the scripts folder and bad requests are refused with typed errors', async (t) => {
  const h = await startHarness(t);
  const post = (body: unknown, raw?: string) => h.call('POST', '/api/v1.0/procedures', body, raw);
  for (const uri of ['file://../secret.ts', 'file:///etc/passwd', '../secret.ts', 'file://link-out.ts', 'file://sub/../../secret.ts']) {
    const r = await post({ script_uri: uri });
    t.equal(r.status, 403, `${uri} refused`);
    t.equal(r.body.error.type, 'FORBIDDEN');
  }
  const cases: Array<[unknown, number, RegExp]> = [
    [{ script_uri: 'file://notes.txt' }, 400, /extension '\.txt' is not runnable/],
    [{ script_uri: 'file://missing.ts' }, 400, /no such file/],
    [{ script_uri: 'http://example.org/x.ts' }, 400, /scheme 'http' is not served/],
    [{ script_uri: 'plan://rm -rf' }, 400, /unknown plan/],
    [{ script_uri: 42 }, 400, /script_uri/],
    [{ script_uri: 'file://hello.ts', script_args: { init: { args: 'x' } } }, 400, /args/],
    [{ script_uri: 'file://hello.ts', code: 'process.exit()' }, 400, /additional/],
    [{}, 400, /script_uri/],
  ];
  for (const [body, status, msg] of cases) {
    const r = await post(body);
    t.equal(r.status, status, JSON.stringify(body));
    t.match(r.body.error.message, msg);
    t.notOk(JSON.stringify(r.body).includes('    at '), 'no stack trace in the body');
  }
  const malformed = await post(undefined, '{"script_uri": ');
  t.equal(malformed.status, 400, 'malformed JSON');
  t.equal(malformed.body.error.type, 'MALFORMED_JSON');
  const big = await post({ script_uri: 'file://hello.ts', script_args: { init: { args: ['x'.repeat(70_000)] } } });
  t.equal(big.status, 413, 'body over the limit');
  t.equal(big.body.error.type, 'BODY_TOO_LARGE');
  t.equal((await h.call('GET', '/api/v1.0/procedures/99')).status, 404);
  t.equal((await h.call('GET', '/api/v1.0/procedures/99')).body.error.type, 'NOT_FOUND');
  t.equal((await h.call('GET', '/api/v1.0/procedures/abc')).status, 400);
  t.equal((await h.call('PUT', '/api/v1.0/procedures/99', { state: 'RUNNING' })).status, 404);
  t.equal((await h.call('PUT', '/api/v1.0/procedures/1', { state: 'PAUSED' })).status, 400);
  t.same((await h.call('GET', '/api/v1.0/procedures')).body.procedures, [], 'nothing was created');
});
