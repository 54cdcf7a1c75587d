/**
 * The native cppTango addon backend passes the same backend conformance suite as the sidecar,
 * against the real TangoTest and labrig's event server; plus what only the addon has: a script
 * using it exits promptly (no cppTango exit hang), with or without close(), and an unbuilt
 * addon is a typed error. Skips with a message where the addon is not built (no libtango-dev).
 */
import { spawn } from 'node:child_process';
import t, { type Test } from 'tap';
import { InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { parseTangoAddress } from '../../../src/drivers/tango/backend.js';
import { TangoAddonBackend, TangoAddonUnavailableError, loadTangoAddon, tangoAddonAvailable } from '../../../src/drivers/tango/addon.js';
import { startTangoEventServer, startTangoTest } from '../../../src/sim/tango/index.js';
import { openTangoDevice } from '../../../src/drivers/tango/index.js';
import { tangoBackendFor } from '../../../src/drivers/tango/family.js';
import { runBackendConformance } from './backend-conformance.js';
import { startFreezableEventServer } from './freezable-server.js';
import { addonScript, addonSkip } from './addon-script.js';

const skip = addonSkip;
t.setTimeout(300000);

t.test('conformance', { skip }, async (t) => {
  runBackendConformance(t, () => new TangoAddonBackend({ timeoutMs: 5000 }));
});

/** Run a module script under tsx; resolves with its exit code, stdout and how long it took. */
async function runScript(t: Test, source: string, limitMs: number): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, limitMs);
  t.teardown(() => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code: killed ? null : code, out, ms: Date.now() - t0 };
}

t.test('a script using the addon exits promptly', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  for (const closeIt of [true, false]) {
    const src = addonScript(`
      const [r] = await b.readAttributes(['setpoint']);
      let events = 0;
      const unsub = await b.subscribe('counter', () => events++);
      await b.command('Start');
      while (events < 3) await new Promise((r) => setTimeout(r, 20));
      await b.command('Stop');
      ${closeIt ? 'await unsub(); await b.close();' : '// neither unsubscribe nor close: the script just ends'}
      console.log('done', typeof r.value, events >= 3);
      ${closeIt ? '' : 'process.exitCode = 0;'}
    `, ev.address);
    // Without close() the live subscription keeps the loop alive (like an open socket) until the
    // script ends it; a script that closes exits by itself once its work is done.
    const source = closeIt ? src : src + '\nsetTimeout(() => process.exit(0), 50);';
    const r = await runScript(t, source, 60000);
    t.equal(r.code, 0, `exit code (close: ${closeIt}); output: ${r.out.slice(-800)}`);
    t.match(r.out, /done number true/);
    t.ok(r.ms < 60000, `exited after ${r.ms} ms (close: ${closeIt})`);
  }
});

t.test('without close: a connected device does not keep the process alive', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const src = addonScript(`console.log('state', await b.state());`, ev.address);
  const r = await runScript(t, src, 60000);
  t.equal(r.code, 0, `exit code; output: ${r.out.slice(-800)}`);
  t.match(r.out, /state ON/);
});

// Debian's cppTango 9.3 without a database crashes a process whose event consumer lost its
// channel to a restarted server (see addon.ts): the subscriptions live in the event host, which
// is retired after the loss, so the script itself survives, resubscribes and exits cleanly. Run
// in a child process so that a crash would show as its exit code, not take the test runner down.
t.test('after the event server restarts, a new subscription delivers and the process exits cleanly', { skip }, async (t) => {
  const src = addonScript(`
    const ev = await startTangoEventServer();
    try {
      const b = new TangoAddonBackend({ timeoutMs: 5000 });
      await b.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
      let err = '';
      let seen = 0;
      const unsub = await b.subscribe('counter', (e) => { if (e.error) err ||= e.error.reason ?? e.error.message; });
      await ev.stop();
      await ev.start();
      const t0 = Date.now();
      while (!err && Date.now() - t0 < 40000) await new Promise((r) => setTimeout(r, 100));
      await unsub();
      const unsub2 = await b.subscribe('counter', (e) => { if (!e.error) seen++; });
      await b.command('Start');
      while (seen < 5 && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 100));
      await b.command('Stop');
      await unsub2();
      console.log('error event', err, 'events after resubscribe', seen);
      await b.close();
    } finally {
      await ev.close();
    }
  `);
  const r = await runScript(t, src, 90000);
  t.equal(r.code, 0, `exit code; output: ${r.out.slice(-600)}`);
  t.match(r.out, /error event API_EventTimeout events after resubscribe [5-9]/);
});

t.test('a server that stops answering: TimeoutError at the caller\'s limit, then recovery', { skip }, async (t) => {
  const ev = await startFreezableEventServer(t);
  const b = new TangoAddonBackend({ timeoutMs: 5000 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
  await ev.freeze();
  const e = await b.readAttributes(['setpoint'], { timeoutMs: 500 }).catch((x: unknown) => x);
  t.type(e, TimeoutError, String(e));
  // A second call queued behind the stuck one has its own limit too.
  const e2 = await b.state({ timeoutMs: 300 }).catch((x: unknown) => x);
  t.type(e2, TimeoutError, String(e2));
  ev.resume();
  const [r] = await b.readAttributes(['setpoint'], { timeoutMs: 10000 });
  t.equal(r!.value, 0, 'answers again once the server runs');
});

t.test('reads run on the JS thread while the worker is idle, through the worker otherwise', { skip }, async (t) => {
  const tt = await startTangoTest();
  t.teardown(() => tt.close());
  // syncSlowMs high: a loaded machine could make the median read slower than 1 ms.
  const b = new TangoAddonBackend({ timeoutMs: 5000, syncSlowMs: 1000 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(tt.address), { timeoutMs: 20000 });
  await b.readAttributes(['double_scalar']);
  b.timing(true);
  for (let i = 0; i < 20; i++) {
    const [r] = await b.readAttributes(['short_scalar_ro']);
    t.equal(r!.name, 'short_scalar_ro');
  }
  let tm = b.timing(true)!;
  t.equal(tm.syncCalls, 20, 'every read of an idle device ran on the JS thread');
  t.equal(tm.calls, 0, 'none went through the worker');
  // A call in flight on the worker: the read queues behind it (calls stay in order).
  const [state, [r]] = await Promise.all([b.state(), b.readAttributes(['short_scalar_ro'])]);
  t.equal(state, 'RUNNING');
  t.equal(r!.name, 'short_scalar_ro');
  tm = b.timing(true)!;
  t.same([tm.calls, tm.syncCalls], [1, 0], 'the read behind a pending call went through the worker');
  // syncReadMs: 0 turns the path off.
  const w = new TangoAddonBackend({ timeoutMs: 5000, syncReadMs: 0 });
  t.teardown(() => w.close());
  await w.connect(parseTangoAddress(tt.address), { timeoutMs: 20000 });
  for (let i = 0; i < 5; i++) await w.readAttributes(['short_scalar_ro']);
  tm = w.timing()!;
  t.same([tm.calls, tm.syncCalls], [5, 0], 'syncReadMs 0: every read through the worker');
  t.ok(tm.call > 0 && tm.queued > 0 && tm.deliver > 0, 'the worker path is clocked');
  // A device slower than syncSlowMs (here: any) has its next reads made through the worker.
  const slow = new TangoAddonBackend({ timeoutMs: 5000, syncSlowMs: 0 });
  t.teardown(() => slow.close());
  await slow.connect(parseTangoAddress(tt.address), { timeoutMs: 20000 });
  await slow.state();
  slow.timing(true);
  const names: string[] = [];
  for (let i = 0; i < 12; i++) names.push((await slow.readAttributes(['short_scalar_ro']))[0]!.name);
  t.same(names, Array(12).fill('short_scalar_ro'));
  tm = slow.timing()!;
  t.same([tm.syncCalls, tm.calls], [8, 4], 'eight reads on the JS thread (the median taken), found slow; the rest through the worker');
  t.throws(() => new TangoAddonBackend({ syncSlowMs: -1 }), InvalidInputError);
  t.throws(() => new TangoAddonBackend({ syncBackoffMs: Number.POSITIVE_INFINITY }), InvalidInputError);
  t.throws(() => new TangoAddonBackend({ syncReadMs: -1 }), InvalidInputError);
  t.throws(() => new TangoAddonBackend({ syncReadMs: Number.NaN }), InvalidInputError);
});

t.test('a read that runs out of its synchronous budget is made again through the worker, which keeps the reads for a while', { skip }, async (t) => {
  const ev = await startFreezableEventServer(t);
  // syncSlowMs high: a Python device server's read can take over a millisecond on a loaded machine.
  // syncBackoffMs long: the reads after the timeout must fall within it however loaded the machine.
  const b = new TangoAddonBackend({ timeoutMs: 5000, syncReadMs: 50, syncSlowMs: 1000, syncBackoffMs: 60000 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
  await b.writeAttribute('setpoint', 4.25);
  await b.readAttributes(['setpoint']);
  b.timing(true);
  await ev.freeze();
  // The server resumes well within the caller's 20 s: the read's second attempt (on the worker)
  // gets the answer.
  const resume = setTimeout(ev.resume, 300);
  t.teardown(() => clearTimeout(resume));
  const [r] = await b.readAttributes(['setpoint'], { timeoutMs: 20000 });
  t.equal(r!.name, 'setpoint');
  t.equal(r!.value, 4.25, 'the value, after the server resumed');
  let tm = b.timing(true)!;
  t.same([tm.syncCalls, tm.calls], [1, 1], 'one synchronous attempt (ran out), then the worker');
  // Backed off: the next reads go through the worker, each getting its own attribute's answer
  // (the late reply to the abandoned attempt is not taken for one of them).
  for (const name of ['period_ms', 'setpoint', 'period_ms', 'setpoint']) {
    const [x] = await b.readAttributes([name]);
    t.equal(x!.name, name);
  }
  tm = b.timing()!;
  t.same([tm.syncCalls, tm.calls], [0, 4], 'reads stay on the worker after a synchronous timeout');
});

t.test('after syncBackoffMs the reads return to the JS thread', { skip }, async (t) => {
  const ev = await startFreezableEventServer(t);
  // A budget of 200 ms: the reads after the server resumes stay well inside it on a loaded machine.
  const b = new TangoAddonBackend({ timeoutMs: 5000, syncReadMs: 200, syncSlowMs: 1000, syncBackoffMs: 200 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
  await b.readAttributes(['setpoint']);
  await ev.freeze();
  b.timing(true);
  // The timer fires after the synchronous read gave up (it blocks the loop for its 200 ms).
  const resume = setTimeout(ev.resume, 100);
  t.teardown(() => clearTimeout(resume));
  const [r] = await b.readAttributes(['setpoint'], { timeoutMs: 20000 });
  t.equal(r!.name, 'setpoint');
  let tm = b.timing(true)!;
  t.same([tm.syncTimeouts, tm.syncCalls, tm.calls], [1, 1, 1], 'one budget timeout, the read made again on the worker');
  // Well past the 200 ms backoff (a timer, so no assumption about how fast the machine is).
  await new Promise((r) => setTimeout(r, 600));
  for (let i = 0; i < 3; i++) t.equal((await b.readAttributes(['setpoint']))[0]!.name, 'setpoint');
  tm = b.timing()!;
  t.same([tm.syncCalls, tm.calls], [3, 0], 'back on the JS thread');
});

t.test('the State and Status attributes read as their values', { skip }, async (t) => {
  const tt = await startTangoTest();
  t.teardown(() => tt.close());
  const b = new TangoAddonBackend({ timeoutMs: 5000 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(tt.address), { timeoutMs: 20000 });
  const [state, status] = await b.readAttributes(['State', 'Status']);
  t.equal(state!.value, 'RUNNING', 'State is its name, as state() says');
  t.equal(state!.value, await b.state());
  t.equal(status!.value, await b.status());
  t.equal((await b.readAttributes(['State']))[0]!.value, 'RUNNING', 'alone too');
});

t.test('bad values are InvalidInputError before anything is sent', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const b = new TangoAddonBackend({ timeoutMs: 5000 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
  t.type(await b.writeAttribute('setpoint', 'ten').catch((e: unknown) => e), InvalidInputError);
  t.type(await b.writeAttribute('setpoint', { nope: 1 } as never).catch((e: unknown) => e), InvalidInputError);
  t.type(await b.readAttributes(['setpoint'], { timeoutMs: 0 }).catch((e: unknown) => e), InvalidInputError);
  await b.writeAttribute('setpoint', 12.5);
  t.equal((await b.readAttributes(['setpoint']))[0]!.value, 12.5, 'the device still answers');
});

t.test('backend=auto is the addon where it is built; backend=addon opens a device through it', { skip }, async (t) => {
  const auto = await tangoBackendFor('auto');
  t.teardown(() => auto.close());
  t.equal(auto.kind, 'addon');
  t.equal((await tangoBackendFor('sidecar').then(async (b) => (await b.close(), b.kind))), 'sidecar', 'the sidecar when named');
  const tt = await startTangoTest();
  t.teardown(() => tt.close());
  const d = await openTangoDevice(`${tt.address.replace('#', '?backend=addon#')}`);
  t.teardown(() => d.close());
  t.equal(await d.state.getValue(), 'RUNNING');
});

t.test('an unbuilt addon is a typed error naming the file', async (t) => {
  const saved = process.env['LABRIG_TANGO_ADDON'];
  process.env['LABRIG_TANGO_ADDON'] = '/nonexistent/labrig_tango.node';
  t.teardown(() => {
    if (saved === undefined) delete process.env['LABRIG_TANGO_ADDON'];
    else process.env['LABRIG_TANGO_ADDON'] = saved;
  });
  t.equal(tangoAddonAvailable(), false);
  const e = (() => {
    try {
      return new TangoAddonBackend();
    } catch (x) {
      return x;
    }
  })();
  t.type(e, TangoAddonUnavailableError);
  t.match(String(e), /not built: \/nonexistent\/labrig_tango\.node/);
  t.throws(() => loadTangoAddon(), TangoAddonUnavailableError);
});
