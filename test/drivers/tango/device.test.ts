/**
 * The Tango bridge against the real TangoTest and labrig's event server (sidecar backend):
 * devices built from the server's description, typed declarations, limits checked before the
 * write, one backend subscription per attribute, the polling fallback, and resubscription after
 * a server restart.
 */
import t from 'tap';
import { LimitsError, NotConnectedError, InvalidInputError } from '../../../src/core/errors.js';
import { SignalR } from '../../../src/core/signal/signal.js';
import { SignalRW } from '../../../src/core/signal/writable.js';
import type { Reading } from '../../../src/core/protocols.js';
import { parseTangoAddress, type TangoArray } from '../../../src/drivers/tango/backend.js';
import { connectTangoDevice, tangoCmd, tangoR, tangoRW, type ConnectTangoOptions, type TangoDeclaration, type TangoDevice } from '../../../src/drivers/tango/device.js';
import { TangoSidecarBackend } from '../../../src/drivers/tango/sidecar.js';
import { startTangoEventServer, startTangoTest, tangoTestAvailable, type TangoServer } from '../../../src/sim/tango/index.js';
import { expectResubscribeAfterRestart, until } from './wait.js';

const skip = tangoTestAvailable() ? false : 'TangoTest/PyTango not installed (apt-get install tango-test python3-tango)';
t.setTimeout(300000);


let tt: TangoServer;
let ev: TangoServer;
const devices: TangoDevice[] = [];
async function open<S extends TangoDeclaration>(address: string, decl?: S, options: ConnectTangoOptions = {}) {
  const d = await connectTangoDevice(new TangoSidecarBackend({ timeoutMs: 5000 }), parseTangoAddress(address), decl, { connectTimeoutMs: 20000, ...options });
  devices.push(d);
  return d;
}

t.before(async () => {
  if (skip) return;
  [tt, ev] = await Promise.all([startTangoTest(), startTangoEventServer()]);
});
t.teardown(async () => {
  await Promise.all(devices.map((d) => d.close()));
  await Promise.all([tt?.close(), ev?.close()]);
});

t.test('a device from the server description', { skip }, async (t) => {
  const d = await open(tt.address);
  t.type(d.signals['double_scalar'], SignalRW, 'a READ_WRITE attribute is a SignalRW');
  t.notOk(d.signals['double_spectrum_ro'] instanceof SignalRW, 'a READ attribute is a SignalR');
  t.type(d.signals['double_spectrum_ro'], SignalR);
  t.equal(await d.state.getValue(), 'RUNNING');
  t.type(await d.status.getValue(), 'string');
  const keys = await d.signals['double_scalar']!.describe();
  t.match(keys['tg_test_1-double_scalar'] ?? Object.values(keys)[0], { dtype: 'number', dtype_numpy: '<f8', shape: [], source: /^tango:\/\/127\.0\.0\.1:\d+\/sys\/tg_test\/1\/double_scalar$/ });
  await (d.signals['double_spectrum'] as SignalRW<Float64Array>).set(Float64Array.from([1, 2, 3, 4]));
  const spec = Object.values(await d.signals['double_spectrum']!.describe())[0]!;
  t.match(spec, { dtype: 'array', dtype_numpy: '<f8', shape: [4] });
  const v = await d.signals['double_spectrum']!.getValue();
  t.type(v, Float64Array);
  const img = Object.values(await d.signals['ushort_image_ro']!.describe())[0]!;
  t.equal(img.shape.length, 2, 'an image has [rows, columns]');
  const rows = (await d.signals['ushort_image_ro']!.getValue()) as Uint16Array[];
  t.equal(rows.length, img.shape[0], 'value is an array of rows');
  t.type(rows[0], Uint16Array);
  t.equal(rows[0]!.length, img.shape[1]);
  const sh = Object.values(await d.signals['short_scalar']!.describe())[0]!;
  t.equal(sh.dtype, 'integer');
  const l = (await d.commands['DevVarLongArray']!([5, 6])) as TangoArray;
  t.same(Array.from(l.data as Int32Array), [5, 6], 'a command as a callable');
  t.equal(d.commands['DevDouble']!.info.inType, 'DevDouble');
  t.rejects(d.commands['DevDouble']!(), InvalidInputError, 'missing argument refused before the call');
  t.rejects(d.commands['Init']!(1), InvalidInputError, 'argument to a DevVoid command refused');
  const e = await (d.signals['short_scalar'] as SignalRW<number>).set(40000).then(() => undefined, (x: unknown) => x);
  t.type(e, LimitsError, 'a DevShort outside its type range is refused');
});

t.test('write outside the attribute range: refused before the write', { skip }, async (t) => {
  const d = await open(ev.address);
  const sp = d.signals['setpoint'] as SignalRW<number>;
  const key = Object.values(await sp.describe())[0]!;
  t.match(key, { units: 'mm', precision: 3, limits: { control: { low: -100, high: 100 } } });
  await sp.set(12.5);
  const e = await sp.set(500).then(() => undefined, (x: unknown) => x);
  t.type(e, LimitsError);
  t.match(String(e), /500 mm is outside the limits \[-100 mm, 100 mm\]/);
  t.equal(await sp.getValue(), 12.5, 'the server still holds the last accepted value');
  t.type(await sp.set('x' as unknown as number).then(() => undefined, (x: unknown) => x), InvalidInputError, 'wrong type refused');
});

t.test('typed declaration: only what it names, typed', { skip }, async (t) => {
  const d = await open(ev.address, { count: tangoR<number>('counter'), sp: tangoRW<number>('setpoint'), start: tangoCmd('Start'), stop: tangoCmd('Stop') });
  t.type(d.sp, SignalRW);
  t.type(d.count, SignalR);
  t.same(Object.keys(d.signals).sort(), ['count', 'sp']);
  await d.sp.set(3);
  t.equal(await d.sp.getValue(), 3);
  await d.start();
  await d.stop();
  t.type(await d.count.getValue(), 'number');
});

t.test('typed declaration with missing names: one error listing every one', { skip }, async (t) => {
  const backend = new TangoSidecarBackend({ timeoutMs: 5000 });
  const e = await connectTangoDevice(backend, parseTangoAddress(ev.address), {
    a: tangoR('counter'),
    b: tangoR('nope1'),
    c: tangoRW('counter'),
    d: tangoCmd('Launch'),
  }, { connectTimeoutMs: 20000 }).then(() => undefined, (x: unknown) => x);
  t.type(e, NotConnectedError);
  const nc = e as NotConnectedError;
  t.same([...nc.errors.keys()].sort(), ['b', 'c', 'd']);
  t.match(nc.message, /no attribute 'nope1'/);
  t.match(nc.message, /'counter' is read-only/);
  t.match(nc.message, /no command 'Launch'/);
  t.equal(backend.pid, undefined, 'backend closed');
});

t.test('one backend subscription per attribute, many listeners', { skip }, async (t) => {
  const d = await open(ev.address);
  await d.commands['Reset']!();
  const counter = d.signals['counter']!;
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  const before = d.subscriptions.subscribeCalls;
  const ua = counter.subscribe((r: Record<string, Reading>) => a.push(Object.values(r)[0]!.value as number));
  const ub = counter.subscribe((r: Record<string, Reading>) => b.push(Object.values(r)[0]!.value as number));
  // A second signal object on the same attribute shares the subscription too.
  const d2 = d.subscriptions;
  const ucP = d2.add('counter', (e) => e.reading && c.push(e.reading.value as number));
  await d.commands['Start']!();
  await until(() => a.length >= 5 && b.length >= 5 && c.length >= 5, 20000, 'events at every listener');
  await d.commands['Stop']!();
  t.equal(d.subscriptions.subscribeCalls - before, 1, 'exactly one backend subscription');
  t.equal(d.subscriptions.listenerCount('counter'), 2, 'two listeners: the signal (fanning out to 2) and a direct one');
  t.same(d.subscriptions.mode('counter'), { kind: 'events' });
  ua();
  ub();
  await (await ucP)();
  await until(() => d.subscriptions.listenerCount('counter') === 0, 5000, 'the last listener to leave');
  t.pass('unsubscribed when the last listener left');
});

t.test('polling fallback where the server pushes no events', { skip }, async (t) => {
  const d = await open(ev.address, undefined, { pollMs: 100 });
  const sig = d.signals['noevents']!;
  const seen: number[] = [];
  const unsub = sig.subscribe((r: Record<string, Reading>) => seen.push(Object.values(r)[0]!.value as number));
  await until(() => seen.length >= 3, 10000, 'polled readings');
  t.same(d.subscriptions.mode('noevents'), { kind: 'polling', periodMs: 100 });
  const key = Object.values(await sig.describe())[0]! as unknown as Record<string, unknown>;
  t.equal(key['tango_updates'], 'polling');
  t.equal(key['tango_poll_ms'], 100, 'the period is in the data key');
  const ck = Object.values(await d.signals['counter']!.describe())[0]! as unknown as Record<string, unknown>;
  t.equal(ck['tango_updates'], 'change_events');
  unsub();
});

t.test('server restart: the bridge resubscribes and events resume', { skip }, async (t) => {
  const d = await open(ev.address, undefined, { resubscribeMs: 500 });
  await expectResubscribeAfterRestart(t, d, ev);
});
