/**
 * `labrig remote URL proc create|start|stop|list|describe` and `labrig remote URL listen`, each a
 * real `bin/labrig.js` process, against `createServer` serving the example rig with the fixture
 * procedures folder. A procedure from hello.ts is created with init arguments (positional and
 * keyword), listed, described, started with run arguments and followed to COMPLETE, while a
 * `listen` process prints the SSE stream: the lifecycle topics arrive in OET's order. A procedure
 * that waits for its stop (wait-stop.ts) and one that never yields (spin.mjs) are stopped with
 * `proc stop`. A path escape and an unknown id exit 1 with one line naming the problem.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { api, RIG_FILE, served } from './helpers.js';
import { SCRIPTS } from './procedures-helpers.js';

t.setTimeout(420_000);
const bin = fileURLToPath(new URL('../../bin/labrig.js', import.meta.url));

/** Every child started here; killed in teardown if still running. */
function children(t: Test): Set<ChildProcess> {
  const all = new Set<ChildProcess>();
  t.teardown(() => {
    for (const c of all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return all;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `labrig remote URL ...args` to its end (SIGKILLed after `timeoutMs`, which fails). */
function remote(all: Set<ChildProcess>, url: string, args: string[], timeoutMs = 60_000): Promise<Ran> {
  const child = spawn(process.execPath, [bin, 'remote', url, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LABRIG_TOKEN: '' } });
  all.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`labrig remote ${args.join(' ')}: no exit within ${timeoutMs} ms (stdout ${stdout}, stderr ${stderr})`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      all.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One line of `listen`: `topic json`. */
interface Heard {
  topic: string;
  data: any;
}

/** `labrig remote URL listen` as a process; its lines parsed as they arrive. */
function listener(all: Set<ChildProcess>, url: string): { child: ChildProcess; heard: Heard[]; stderr: () => string; waitFor(pred: (h: Heard) => boolean, what: string, timeoutMs?: number): Promise<Heard> } {
  const child = spawn(process.execPath, [bin, 'remote', url, 'listen'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LABRIG_TOKEN: '' } });
  all.add(child);
  const heard: Heard[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const sp = l.indexOf(' ');
      heard.push({ topic: l.slice(0, sp), data: JSON.parse(l.slice(sp + 1)) });
    }
    for (const w of [...waiters]) w();
  });
  const waitFor = (pred: (h: Heard) => boolean, what: string, timeoutMs = 90_000): Promise<Heard> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = heard.find(pred);
        if (!hit) return false;
        clearTimeout(timer);
        waiters.delete(tick);
        resolve(hit);
        return true;
      };
      const tick = (): void => void check();
      const timer = setTimeout(() => {
        waiters.delete(tick);
        reject(new Error(`listen printed no ${what} within ${timeoutMs} ms; topics: ${heard.map((h) => h.topic).join(', ')}; stderr: ${stderr}`));
      }, timeoutMs);
      if (!check()) waiters.add(tick);
    });
  return { child, heard, stderr: () => stderr, waitFor };
}

const isState = (id: number, state: string) => (h: Heard): boolean =>
  h.topic === 'procedure.lifecycle.statechange' && h.data.procedure_id === id && h.data.new_state === state;

t.test('labrig remote proc and listen against a served rig with procedures', async (t) => {
  const { server } = await served(t, { scriptsDir: SCRIPTS, rigFile: RIG_FILE });
  const url = server.url;
  const all = children(t);

  // listen: connected once it prints the list request that this test makes over HTTP
  const sse = listener(all, url);
  const connected = sse.waitFor((h) => h.topic === 'request.procedure.list', 'request.procedure.list', 60_000);
  const ticker = setInterval(() => void api(server, 'GET', '/api/v1.0/procedures').catch(() => undefined), 500);
  t.teardown(() => clearInterval(ticker));
  await connected.finally(() => clearInterval(ticker));

  const run = (...args: string[]): Promise<Ran> => remote(all, url, args);
  /** `proc describe` (a process each time) until `state`; at most `timeoutMs`. */
  const describeUntil = async (id: number, state: string, timeoutMs = 120_000): Promise<any> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const d = await run('proc', 'describe', String(id));
      if (d.code !== 0) throw new Error(`describe ${id} exited ${d.code}: ${d.stderr}`);
      const p = JSON.parse(d.stdout).procedure;
      if (p.state === state) return p;
      if (['FAILED', 'STOPPED', 'COMPLETE'].includes(p.state)) throw new Error(`procedure ${id} ended ${p.state}, not ${state}: ${d.stdout}`);
      if (Date.now() > end) throw new Error(`procedure ${id} not ${state} within ${timeoutMs} ms: ${d.stdout}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  await t.test('create, list, describe, start, COMPLETE; the SSE stream in order', async (t) => {
    const created = await run('proc', 'create', 'file://hello.ts', 'remote', 'tag=cli');
    t.equal(created.code, 0, created.stderr);
    const m = /^(\d+) (CREATING|IDLE|LOADING|READY) file:\/\/hello\.ts\n$/.exec(created.stdout);
    t.ok(m, `create prints 'ID STATE URI' (${created.stdout})`);
    const id = Number(m![1]);

    const list = await run('proc', 'list');
    t.equal(list.code, 0, list.stderr);
    t.match(list.stdout, new RegExp(`^${id} [A-Z]+ file://hello\\.ts$`, 'm'), 'list shows the procedure');

    const ready = await describeUntil(id, 'READY');
    t.same(ready.script_args.init, { args: ['remote'], kwargs: { tag: 'cli' } }, 'positional and keyword init arguments reached the server');
    t.equal(ready.script.script_uri, 'file://hello.ts');
    t.equal(ready.id, id);

    const started = await run('proc', 'start', String(id), 'hi', 'num=2');
    t.equal(started.code, 0, started.stderr);
    t.match(started.stdout, new RegExp(`^${id} [A-Z]+ file://hello\\.ts\\n$`));

    const done = await describeUntil(id, 'COMPLETE');
    t.same(done.script_args.run, { args: ['hi'], kwargs: { num: 2 } }, 'run arguments as given');
    t.same(done.history.process_states.map((s: [string, number]) => s[0]), ['CREATING', 'IDLE', 'LOADING', 'IDLE', 'RUNNING', 'READY', 'RUNNING', 'COMPLETE']);
    t.equal(done.history.stacktrace, null);

    await sse.waitFor((h) => h.topic === 'procedure.lifecycle.complete' && h.data.result?.id === id, 'procedure.lifecycle.complete');
    const mine = sse.heard.filter((h) => h.data.procedure_id === id || h.data.result?.id === id || h.data.cmd?.process_uid === id || h.data.cmd?.script_uri === 'file://hello.ts');
    t.same(mine.filter((h) => h.topic === 'procedure.lifecycle.statechange').map((h) => h.data.new_state), ['CREATING', 'IDLE', 'LOADING', 'IDLE', 'RUNNING', 'READY', 'RUNNING', 'COMPLETE'], 'every state change, in order');
    // the OET topics, each after the one before
    const expected: Array<[string, (h: Heard) => boolean]> = [
      ['request.procedure.create', (h) => h.topic === 'request.procedure.create' && h.data.cmd.init_args.args[0] === 'remote'],
      ['statechange CREATING', isState(id, 'CREATING')],
      ['init announce', (h) => h.topic === 'user.script.announce' && h.data.procedure_id === id && h.data.msg.step === 'init' && h.data.msg.name === 'remote' && h.data.msg.kwargs.tag === 'cli'],
      ['statechange READY', isState(id, 'READY')],
      ['procedure.lifecycle.created', (h) => h.topic === 'procedure.lifecycle.created' && h.data.result.id === id],
      ['request.procedure.start', (h) => h.topic === 'request.procedure.start' && h.data.cmd.process_uid === id && h.data.cmd.run_args.args[0] === 'hi'],
      ['statechange RUNNING', isState(id, 'RUNNING')],
      ['procedure.lifecycle.started', (h) => h.topic === 'procedure.lifecycle.started' && h.data.result.id === id],
      ['main announce', (h) => h.topic === 'user.script.announce' && h.data.procedure_id === id && h.data.msg.text === 'hi remote'],
      ['done announce', (h) => h.topic === 'user.script.announce' && h.data.procedure_id === id && h.data.msg.step === 'done' && h.data.msg.exit === 'success'],
      ['statechange COMPLETE', isState(id, 'COMPLETE')],
      ['procedure.lifecycle.complete', (h) => h.topic === 'procedure.lifecycle.complete' && h.data.result.id === id && h.data.result.state === 'COMPLETE'],
    ];
    let at = -1;
    for (const [what, pred] of expected) {
      const i = mine.findIndex((h, k) => k > at && pred(h));
      t.ok(i > at, `${what} after the previous topic (topics: ${mine.map((h) => h.topic).join(', ')})`);
      if (i > at) at = i;
    }
  });

  for (const [script, how] of [['wait-stop.ts', 'a script that watches its stop signal'], ['spin.mjs', 'a script that never yields (its process is killed)']] as const) {
    await t.test(`proc stop: ${how}`, async (t) => {
      const created = await run('proc', 'create', `file://${script}`);
      t.equal(created.code, 0, created.stderr);
      const id = Number(/^(\d+) /.exec(created.stdout)?.[1]);
      t.ok(Number.isInteger(id), created.stdout);
      await describeUntil(id, 'READY');
      const started = await run('proc', 'start', String(id));
      t.equal(started.code, 0, started.stderr);
      if (script === 'wait-stop.ts') await sse.waitFor((h) => h.topic === 'user.script.announce' && h.data.procedure_id === id && h.data.msg === 'waiting for stop', 'the wait-stop announce');
      else await describeUntil(id, 'RUNNING');

      const stopped = await run('proc', 'stop', String(id));
      t.equal(stopped.code, 0, stopped.stderr);
      t.same(stopped.stdout.split('\n'), [`${id} STOPPED file://${script}`, `Successfully stopped script with ID ${id}`, ''], 'the stopped procedure and the server\'s message');
      await sse.waitFor(isState(id, 'STOPPED'), 'statechange STOPPED');
      const d = await run('proc', 'describe', String(id));
      t.equal(JSON.parse(d.stdout).procedure.state, 'STOPPED');

      const again = await run('proc', 'stop', String(id));
      t.equal(again.code, 1, 'stopping a stopped procedure is refused');
      t.match(again.stderr, new RegExp(`^labrig remote: 409 INVALID_STATE: procedure ${id} is already STOPPED\\n$`));
      t.equal(again.stdout, '');
    });
  }

  await t.test('refusals: one line naming the problem, exit 1, server still serving', async (t) => {
    const before = JSON.parse((await run('proc', 'list', '--json')).stdout) as unknown[];
    const escape = await run('proc', 'create', 'file://../secret.ts');
    t.equal(escape.code, 1);
    t.equal(escape.stdout, '');
    t.match(escape.stderr, /^labrig remote: 403 FORBIDDEN: script_uri: resolves outside the scripts folder \(got "file:\/\/\.\.\/secret\.ts"\)\n$/, 'one line naming the path escape');
    const absolute = await run('proc', 'create', 'file:///etc/passwd');
    t.equal(absolute.code, 1);
    t.match(absolute.stderr, /^labrig remote: 403 FORBIDDEN: script_uri: [^\n]*\/etc\/passwd[^\n]*\n$/);

    for (const cmd of [['describe', '999'], ['start', '999'], ['stop', '999']]) {
      const r = await run('proc', ...cmd);
      t.equal(r.code, 1, `proc ${cmd.join(' ')}`);
      t.equal(r.stdout, '');
      t.match(r.stderr, /^labrig remote: 404 NOT_FOUND: [^\n]*procedure 999[^\n]*\n$/, `proc ${cmd.join(' ')}: one line naming the id`);
    }
    const word = await run('proc', 'describe', 'abc');
    t.equal(word.code, 1);
    t.match(word.stderr, /^labrig remote: 400 VALIDATION: [^\n]*id[^\n]*\n$/);
    const usage = await run('proc', 'frobnicate');
    t.equal(usage.code, 2);
    t.match(usage.stderr, /unknown proc command 'frobnicate'/);

    const after = await run('proc', 'list', '--json');
    t.equal(after.code, 0, after.stderr);
    t.equal((JSON.parse(after.stdout) as unknown[]).length, before.length, 'nothing was created by the refused requests');
  });

  // listen ends on Ctrl-C with exit 0
  const exited = new Promise<number | null>((r) => sse.child.once('exit', (code) => r(code)));
  sse.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 30_000)))]);
  clearTimeout(timer);
  t.equal(code, 0, `listen exits 0 on SIGINT (stderr: ${sse.stderr()})`);
});
