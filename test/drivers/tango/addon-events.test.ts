/**
 * The Tango addon's event host (a supervised child process holding the change-event
 * subscriptions, see addon.ts): subscriptions share one host and the last one leaving stops it (at once, or after
 * `eventHostIdleMs`);
 * a host killed mid-subscription gives every subscriber an error event and the next subscribe a
 * fresh host; close() leaves no process behind, also while the host starts, and a host missing its
 * start limit is a TimeoutError and killed; a lost event channel
 * (server restarted) retires the host before the caller resubscribes, and the bridge over the addon
 * resubscribes after a restart; a host whose parent is SIGKILLed ends too. Against labrig's PyTango
 * event server; skips where the addon or PyTango is missing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { DisconnectedError, InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { parseTangoAddress, type TangoEvent } from '../../../src/drivers/tango/backend.js';
import { TangoAddonBackend } from '../../../src/drivers/tango/addon.js';
import { TangoError } from '../../../src/drivers/tango/errors.js';
import { openTangoDevice } from '../../../src/drivers/tango/index.js';
import { startTangoEventServer } from '../../../src/sim/tango/index.js';
import { addonScript, addonSkip } from './addon-script.js';
import { expectResubscribeAfterRestart, until } from './wait.js';

const skip = addonSkip;
t.setTimeout(300000);

/** Whether process `pid` still runs (gone once reaped; a zombie awaiting its reaper counts as ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return !existsSync('/proc/self'); // vanished in between (or no /proc here: kill(0) said it runs)
  }
}


/** A subscriber recording values and errors. */
function recorder(): { values: unknown[]; errors: Error[]; cb: (e: TangoEvent) => void } {
  const r = { values: [] as unknown[], errors: [] as Error[], cb: (e: TangoEvent) => void (e.error ? r.errors.push(e.error) : r.values.push(e.reading.value)) };
  return r;
}

function inOrder(xs: unknown[]): boolean {
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) < (xs[i - 1] as number)) return false;
  return true;
}

async function openBackend(t: Test, address: string, eventHostIdleMs = 0): Promise<TangoAddonBackend> {
  const b = new TangoAddonBackend({ timeoutMs: 5000, eventHostIdleMs });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(address), { timeoutMs: 20000 });
  return b;
}

/** An event server and a backend with recorders `a` (counter) and `s` (setpoint) subscribed through one host. */
async function twoSubscriptions(t: Test) {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const b = await openBackend(t, ev.address);
  await b.command('Reset');
  const a = recorder();
  const s = recorder();
  const unsubA = await b.subscribe('counter', a.cb);
  const unsubS = await b.subscribe('setpoint', s.cb);
  return { ev, b, a, s, unsubA, unsubS, pid: b.eventHostPid! };
}

t.test('subscriptions share one event host; the last one leaving stops it (eventHostIdleMs 0)', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const b = await openBackend(t, ev.address);
  await b.command('Stop');
  await b.command('Reset');
  t.equal(b.eventHostPid, undefined, 'no event host before the first subscription');
  const a = recorder();
  const c = recorder();
  const s = recorder();
  const unsubA = await b.subscribe('counter', a.cb);
  const pid = b.eventHostPid!;
  t.ok(pid > 0 && pid !== process.pid && alive(pid), `an event host runs (pid ${pid})`);
  const unsubC = await b.subscribe('counter', c.cb);
  const unsubS = await b.subscribe('setpoint', s.cb);
  t.equal(b.eventHostPid, pid, 'two subscriptions of one attribute and one of another: one host');
  await b.command('Start');
  await until(() => a.values.length >= 6 && c.values.length >= 6, 20000, 'events on both counter subscriptions');
  await unsubA();
  const nA = a.values.length;
  const nC = c.values.length;
  await until(() => c.values.length >= nC + 3, 20000, 'events on the remaining counter subscription');
  t.equal(a.values.length, nA, 'nothing after unsubscribe');
  t.equal(b.eventHostPid, pid, 'the host stays while subscriptions remain');
  await b.writeAttribute('setpoint', 3.5);
  await until(() => s.values.includes(3.5), 20000, 'the setpoint event');
  await b.command('Stop');
  t.ok(inOrder(a.values) && inOrder(c.values), `each subscription in the server's order: ${a.values.join(',')} / ${c.values.join(',')}`);
  t.same([a.errors, c.errors, s.errors], [[], [], []]);
  await unsubC();
  t.ok(alive(pid), 'still running with one subscription left');
  await unsubS();
  t.equal(b.eventHostPid, undefined);
  t.notOk(alive(pid), 'the last unsubscribe stopped the host process');
  await unsubA(); // twice is fine
  // The next subscription starts a new host.
  const d = recorder();
  const unsubD = await b.subscribe('counter', d.cb);
  t.ok(b.eventHostPid !== undefined && b.eventHostPid !== pid, 'a new host for the next subscription');
  await until(() => d.values.length >= 1, 10000, 'the current value');
  await unsubD();
});

t.test('an idle event host is kept for eventHostIdleMs, then stopped', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const b = await openBackend(t, ev.address, 1000);
  const unsub = await b.subscribe('counter', () => undefined);
  const pid = b.eventHostPid!;
  await unsub();
  t.equal(b.eventHostPid, pid, 'kept after the last unsubscribe');
  const e = await b.subscribe('noevents', () => undefined).catch((x: unknown) => x);
  t.equal((e as TangoError).reason, 'API_AttributePollingNotStarted', 'a subscribe the server refuses');
  const unsub2 = await b.subscribe('setpoint', () => undefined);
  t.equal(b.eventHostPid, pid, 'the next subscriptions reuse it (a probe costs no process start)');
  await unsub2();
  // The idle timer (1 s) stops it; bounded wait, no assumption on how fast the machine is.
  await until(() => !alive(pid), 20000, 'the idle host to stop');
  t.equal(b.eventHostPid, undefined);
  t.throws(() => new TangoAddonBackend({ eventHostIdleMs: -1 }), InvalidInputError);
  t.throws(() => new TangoAddonBackend({ eventHostStartMs: 0 }), InvalidInputError);
  t.throws(() => new TangoAddonBackend({ events: 'elsewhere' as never }), InvalidInputError);
});

t.test('an event host killed mid-subscription: every subscriber gets an error event, a new subscribe works', { skip }, async (t) => {
  const { b, a, s, unsubA, unsubS, pid } = await twoSubscriptions(t);
  await b.command('Start');
  await until(() => a.values.length >= 3, 20000, 'events');
  process.kill(pid, 'SIGKILL');
  await until(() => a.errors.length > 0 && s.errors.length > 0, 20000, 'an error event on each subscription');
  for (const r of [a, s]) {
    t.equal(r.errors.length, 1, 'one error event each');
    t.type(r.errors[0], DisconnectedError);
    t.match(r.errors[0]!.message, /event host process was killed \(SIGKILL\)/);
  }
  t.notOk(alive(pid));
  t.equal(b.eventHostPid, undefined, 'no host until the next subscription');
  await unsubA(); // no-ops: their host is gone
  await unsubS();
  const n = a.values.length;
  const unsub2 = await b.subscribe('counter', a.cb);
  const pid2 = b.eventHostPid!;
  t.ok(pid2 !== undefined && pid2 !== pid, 'a fresh host');
  await until(() => a.values.length >= n + 3, 20000, 'events through the fresh host');
  await b.command('Stop');
  t.equal(a.errors.length, 1, 'no further errors');
  t.equal(await b.state(), 'ON', 'the device itself was never affected');
  await unsub2();
  t.notOk(alive(pid2));
});

t.test('close() stops the event host, also while it is starting', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const b = await openBackend(t, ev.address);
  const a = recorder();
  await b.subscribe('counter', a.cb);
  const pid = b.eventHostPid!;
  t.ok(alive(pid));
  await b.close();
  t.notOk(alive(pid), 'close() ended the host process');
  t.same(a.errors, [], 'close drops subscriptions quietly');
  t.type(await b.subscribe('counter', a.cb).catch((e: unknown) => e), DisconnectedError, 'subscribe after close');

  const b2 = await openBackend(t, ev.address);
  const pending = b2.subscribe('counter', () => undefined).catch((e: unknown) => e);
  const pid2 = b2.eventHostPid!;
  t.ok(pid2 > 0, 'the host is being started');
  await b2.close();
  t.type(await pending, DisconnectedError, 'the subscribe in flight fails');
  t.notOk(alive(pid2), 'no process left');

  // A host that does not start within eventHostStartMs: TimeoutError, and it is killed.
  const b3 = new TangoAddonBackend({ timeoutMs: 5000, eventHostStartMs: 1 });
  t.teardown(() => b3.close());
  await b3.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
  const slow = b3.subscribe('counter', () => undefined).catch((e: unknown) => e);
  const pid3 = b3.eventHostPid!;
  t.type(await slow, TimeoutError, 'start limit');
  await until(() => !alive(pid3), 10000, 'the host that missed its start limit to end');
  t.equal(b3.eventHostPid, undefined);
});

t.test('a lost event channel retires the host before the caller resubscribes', { skip }, async (t) => {
  const { ev, b, a, s, unsubA, pid } = await twoSubscriptions(t);
  let pidAtError: number | undefined | null = null;
  let firstError!: () => void;
  const first = new Promise<void>((r) => (firstError = r));
  await b.subscribe('counter', (e) => {
    if (!e.error || pidAtError !== null) return;
    // Inside the error callback the host is already retired: a resubscribe would get a new one.
    pidAtError = b.eventHostPid;
    firstError();
  });
  await until(() => a.values.length >= 1, 10000, 'the first event');
  await ev.stop();
  await ev.start();
  // cppTango reports the lost channel (API_EventTimeout) some 10 s after the server stopped.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([first, new Promise((r) => (timer = setTimeout(r, 60000)))]);
  clearTimeout(timer);
  t.equal(pidAtError, undefined, 'no current host when the first error is delivered');
  await until(() => a.errors.length > 0 && s.errors.length > 0, 10000, 'an error on every subscription');
  const reasons = [...a.errors, ...s.errors].map((e) => (e instanceof TangoError ? e.reason : e instanceof DisconnectedError ? 'disconnected' : e.message));
  t.ok(reasons.includes('API_EventTimeout'), `the lost channel's own error reached its subscriber: ${reasons.join(', ')}`);
  t.equal(a.errors.length + s.errors.length, 2, 'one error each');
  await until(() => !alive(pid), 10000, 'the retired host to end');
  await unsubA(); // a no-op for the retired host
  const n = a.values.length;
  let unsub2: (() => Promise<void>) | undefined;
  const retryUntil = Date.now() + 20000;
  while (!unsub2) {
    try {
      unsub2 = await b.subscribe('counter', a.cb, { timeoutMs: 10000 });
    } catch (err) {
      if (!(err instanceof TangoError) || err.reason !== 'API_CantConnectToDevice' || Date.now() > retryUntil) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  t.ok(b.eventHostPid !== pid, 'a fresh host');
  await b.command('Start');
  await until(() => a.values.length >= n + 5, 20000, 'events from the restarted server');
  await b.command('Stop');
  t.equal(a.values[n], 0, "the new subscription starts with the restarted server's value");
  await unsub2();
});

t.test('the bridge over the addon: after a server restart it resubscribes and events resume', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const d = await openTangoDevice(`${ev.address.replace('#', '?backend=addon&resubscribeMs=500&connectTimeoutMs=20000#')}`);
  t.teardown(() => d.close());
  // The lost channel retires the event host; the manager's next subscribe gets a fresh one.
  await expectResubscribeAfterRestart(t, d, ev);
  t.equal(await d.state.getValue(), 'ON', 'this process and its device are fine');
});

t.test('a subscribe that cannot reach the server retires the host; after the server is back a fresh one subscribes', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const b = await openBackend(t, ev.address, 60000);
  const idle = await b.subscribe('counter', () => undefined);
  const pid = b.eventHostPid!;
  await idle(); // the host stays, idle (eventHostIdleMs 60 s)
  t.equal(b.eventHostPid, pid);
  await ev.stop();
  const e = await b.subscribe('counter', () => undefined, { timeoutMs: 3000 }).catch((x: unknown) => x);
  t.ok(e instanceof TangoError || e instanceof DisconnectedError || e instanceof TimeoutError, `subscribe to a stopped server fails: ${String(e)}`);
  if (e instanceof TangoError) {
    t.equal(b.eventHostPid, undefined, `retired after ${e.reason}`);
    await until(() => !alive(pid), 10000, 'the retired host to end');
  }
  await ev.start();
  const a = recorder();
  let unsub: (() => Promise<void>) | undefined;
  const retryUntil = Date.now() + 20000;
  while (!unsub) {
    try {
      unsub = await b.subscribe('counter', a.cb, { timeoutMs: 10000 });
    } catch (err) {
      if (!(err instanceof TangoError) || err.reason !== 'API_CantConnectToDevice' || Date.now() > retryUntil) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  t.not(b.eventHostPid, pid, 'a fresh host');
  await until(() => a.values.length >= 1, 10000, "the restarted server's current value");
  await unsub();
});

t.test('the event host ends when its parent process goes, also by SIGKILL', { skip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const src = addonScript(`
    await b.subscribe('counter', () => undefined);
    console.log('host', b.eventHostPid);
    setInterval(() => undefined, 1000); // runs until killed
  `, ev.address);
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => /host \d+/.test(out) || child.exitCode !== null, 60000, 'the script to subscribe');
  const pid = Number(/host (\d+)/.exec(out)?.[1]);
  t.ok(pid > 0 && alive(pid), `the script's event host runs (${out.trim()})`);
  child.kill('SIGKILL');
  await until(() => !alive(pid), 10000, 'the orphaned event host to end');
  t.pass('the event host ended with its parent');
});
