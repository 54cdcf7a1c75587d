/**
 * Faults of the sidecar backend: its process killed mid-call (typed error, subscribers told, the
 * next call restarts it and resubscribes), a server that stops answering (TimeoutError, then
 * recovery), and a Python that cannot start.
 */
import t from 'tap';
import { DisconnectedError, TimeoutError } from '../../../src/core/errors.js';
import { parseTangoAddress } from '../../../src/drivers/tango/backend.js';
import { TangoSidecarBackend } from '../../../src/drivers/tango/sidecar.js';
import { startTangoEventServer, tangoTestAvailable } from '../../../src/sim/tango/index.js';
import { startFreezableEventServer } from './freezable-server.js';

const skip = tangoTestAvailable() ? false : 'TangoTest/PyTango not installed (apt-get install tango-test python3-tango)';
t.setTimeout(300000);

t.test('sidecar process death and restart', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const b = new TangoSidecarBackend({ timeoutMs: 5000 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
  t.ok(b.lastStartup && b.lastStartup.spawnMs > 0, `startup ${b.lastStartup?.spawnMs.toFixed(0)} ms`);
  const seen: number[] = [];
  const errors: Error[] = [];
  await b.command('Reset');
  await b.subscribe('counter', (e) => (e.error ? errors.push(e.error) : seen.push(e.reading.value as number)));
  await b.command('Start');
  const t0 = Date.now();
  while (seen.length < 3 && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 20));
  // A slow call in flight when the process dies rejects with DisconnectedError, not a timeout.
  const pending = b.readAttributes(['counter']).catch((e: unknown) => e);
  process.kill(b.pid!, 'SIGKILL');
  const e = await pending;
  t.ok(e instanceof DisconnectedError || Array.isArray(e), `in-flight call: ${String(e)}`);
  const t1 = Date.now();
  while (errors.length === 0 && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 20));
  t.type(errors[0], DisconnectedError, 'subscribers hear of the death');
  const n = seen.length;
  // The next call starts a new process, reconnects and resubscribes.
  const [r] = await b.readAttributes(['counter']);
  t.type(r!.value, 'number');
  t.equal(b.starts, 2, 'a second process');
  const t2 = Date.now();
  while (seen.length < n + 3 && Date.now() - t2 < 10000) await new Promise((r) => setTimeout(r, 20));
  t.ok(seen.length >= n + 3, 'events flow again after the restart');
  await b.command('Stop');
});

t.test('a python that cannot start → DisconnectedError naming it', { skip }, async (t) => {
  const b = new TangoSidecarBackend({ python: '/nonexistent/python3' });
  t.teardown(() => b.close());
  const e = await b.connect(parseTangoAddress('tango://127.0.0.1:9/a/b/c#dbase=no')).catch((x: unknown) => x);
  t.type(e, DisconnectedError);
  t.match(String(e), /cannot start \/nonexistent\/python3/);
});

t.test('a server that stops answering: TimeoutError within the call limit, then it recovers', { skip }, async (t) => {
  const ev = await startFreezableEventServer(t);
  const b = new TangoSidecarBackend({ timeoutMs: 5000 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
  await ev.freeze();
  const e = await b.readAttributes(['setpoint'], { timeoutMs: 500 }).catch((x: unknown) => x);
  t.type(e, TimeoutError, String(e));
  ev.resume();
  const [r] = await b.readAttributes(['setpoint'], { timeoutMs: 10000 });
  t.equal(r!.value, 0, 'answers again once the server runs');
});
