/**
 * The Tango backend conformance suite: what every {@link TangoBackend} must do against the real
 * TangoTest and labrig's event server. `runBackendConformance(t, factory)` starts both servers,
 * runs every check with backends from `factory`, and stops everything in teardown. The sidecar
 * runs it in sidecar.test.ts; a native addon backend runs the same function.
 *
 * TangoTest's quirks: a scalar's read part is TangoTest's own (random) value, so writes are
 * checked through the write part (`writeValue`) except string and boolean scalars, which read
 * back what was written; writing `long_image` crashes Debian's TangoTest 9.3, so it is not used.
 */
import type { Test } from 'tap';
import { DisconnectedError, TimeoutError } from '../../../src/core/errors.js';
import { parseTangoAddress, type TangoArray, type TangoBackend, type TangoEvent, type TangoReading } from '../../../src/drivers/tango/backend.js';
import { TangoError } from '../../../src/drivers/tango/errors.js';
import { startTangoEventServer, startTangoTest, type TangoServer } from '../../../src/sim/tango/index.js';
import { until } from './wait.js';

/** Make a backend; the suite closes every backend it makes. */
export type BackendFactory = () => TangoBackend | Promise<TangoBackend>;


/** Run every conformance check with backends from `factory` (see the module notes). */
export function runBackendConformance(t: Test, factory: BackendFactory): void {
  t.setTimeout(300000);
  let tt: TangoServer;
  let ev: TangoServer;
  const backends: TangoBackend[] = [];
  const open = async (address: string): Promise<[TangoBackend, Awaited<ReturnType<TangoBackend['connect']>>]> => {
    const b = await factory();
    backends.push(b);
    const info = await b.connect(parseTangoAddress(address), { timeoutMs: 20000 });
    return [b, info];
  };
  t.before(async () => {
    [tt, ev] = await Promise.all([startTangoTest(), startTangoEventServer()]);
  });
  t.teardown(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await Promise.all([tt?.close(), ev?.close()]);
  });

  t.test('connect describes attributes and commands from the server', async (t) => {
    const [b, info] = await open(tt.address);
    t.equal(info.name, 'sys/tg_test/1');
    t.equal(info.className, 'TangoTest');
    const ds = info.attributes.find((a) => a.name === 'double_scalar');
    t.match(ds, { dataType: 'DevDouble', format: 'SCALAR', writable: 'READ_WRITE', maxDimX: 1 });
    t.match(info.attributes.find((a) => a.name === 'double_image'), { format: 'IMAGE', maxDimX: 251, maxDimY: 251 });
    t.match(info.attributes.find((a) => a.name === 'uchar_spectrum'), { minValue: 0, maxValue: 255 });
    t.match(info.commands.find((c) => c.name === 'DevVarLongArray'), { inType: 'DevVarLongArray', outType: 'DevVarLongArray' });
    t.equal(await b.state(), 'RUNNING');
    t.type(await b.status(), 'string');
  });

  t.test('every scalar type: write, then read back', async (t) => {
    const [b] = await open(tt.address);
    const cases: Array<[string, number | string | boolean]> = [
      ['boolean_scalar', true],
      ['uchar_scalar', 200],
      ['short_scalar', -1234],
      ['ushort_scalar', 60000],
      ['long_scalar', -123456],
      ['ulong_scalar', 4000000000],
      ['long64_scalar', -(2 ** 40)],
      ['ulong64_scalar', 2 ** 40],
      ['float_scalar', 1.5],
      ['double_scalar', 3.25],
      ['string_scalar', 'héllo, Tango'],
    ];
    for (const [name, value] of cases) {
      await b.writeAttribute(name, value);
      const [r] = await b.readAttributes([name]);
      t.equal(r!.writeValue, value, `${name} write part`);
      t.equal(r!.quality, 'ATTR_VALID');
      t.ok(Math.abs(r!.timestamp - Date.now() / 1000) < 600, `${name} timestamp is server time in seconds`);
    }
    const [s, bo] = await b.readAttributes(['string_scalar', 'boolean_scalar']);
    t.equal(s!.value, 'héllo, Tango', 'string read part');
    t.equal(bo!.value, true, 'boolean read part');
    await b.writeAttribute('boolean_scalar', false);
    t.equal((await b.readAttributes(['boolean_scalar']))[0]!.value, false);
  });

  t.test('spectrum and image attributes: typed arrays with shapes', async (t) => {
    const [b] = await open(tt.address);
    await b.writeAttribute('double_spectrum', { data: Float64Array.from([1.5, -2, 3e10]), shape: [3] });
    const [ds] = await b.readAttributes(['double_spectrum']);
    const v = ds!.value as TangoArray;
    t.type(v.data, Float64Array);
    t.same(Array.from(v.data as Float64Array), [1.5, -2, 3e10]);
    t.same(v.shape, [3]);

    await b.writeAttribute('short_image', { data: Int16Array.from([1, 2, 3, -4, 5, 6]), shape: [2, 3] });
    const [si] = await b.readAttributes(['short_image']);
    const im = si!.value as TangoArray;
    t.type(im.data, Int16Array);
    t.same(im.shape, [2, 3], 'image shape is [rows, columns]');
    t.same(Array.from(im.data as Int16Array), [1, 2, 3, -4, 5, 6], 'row-major');

    await b.writeAttribute('string_spectrum', ['a', 'bé']);
    t.same((await b.readAttributes(['string_spectrum']))[0]!.value, { data: ['a', 'bé'], shape: [2] });
    await b.writeAttribute('boolean_image', { data: [true, false, false, true], shape: [2, 2] });
    t.same((await b.readAttributes(['boolean_image']))[0]!.value, { data: [true, false, false, true], shape: [2, 2] });

    const got = await b.readAttributes(['long64_spectrum_ro', 'ulong_spectrum_ro', 'float_image_ro', 'uchar_spectrum_ro', 'string_image_ro']);
    t.type((got[0]!.value as TangoArray).data, BigInt64Array, 'DevLong64 spectrum → BigInt64Array');
    t.type((got[1]!.value as TangoArray).data, Uint32Array);
    const fi = got[2]!.value as TangoArray;
    t.type(fi.data, Float32Array);
    t.equal(fi.shape.length, 2);
    t.equal(fi.data.length, fi.shape[0]! * fi.shape[1]!, 'image elements = rows × columns');
    t.type((got[3]!.value as TangoArray).data, Uint8Array);
    t.same(got.map((r) => r.name), ['long64_spectrum_ro', 'ulong_spectrum_ro', 'float_image_ro', 'uchar_spectrum_ro', 'string_image_ro'], 'in the order asked');
  });

  t.test('commands with each argument type', async (t) => {
    const [b] = await open(tt.address);
    t.equal(await b.command('DevDouble', 2.5), 2.5);
    t.equal(await b.command('DevFloat', 0.25), 0.25);
    t.equal(await b.command('DevShort', -7), -7);
    t.equal(await b.command('DevUShort', 65535), 65535);
    t.equal(await b.command('DevLong', -100000), -100000);
    t.equal(await b.command('DevULong', 4000000000), 4000000000);
    t.equal(await b.command('DevLong64', -(2 ** 45)), -(2 ** 45));
    t.equal(await b.command('DevULong64', 2 ** 45), 2 ** 45);
    t.equal(await b.command('DevBoolean', true), true);
    t.equal(await b.command('DevString', 'ça va'), 'ça va');
    t.equal(await b.command('DevVoid'), undefined);
    const la = (await b.command('DevVarLongArray', [1, -2, 2147483647])) as TangoArray;
    t.type(la.data, Int32Array);
    t.same(Array.from(la.data as Int32Array), [1, -2, 2147483647]);
    const da = (await b.command('DevVarDoubleArray', Float64Array.from([0.5, 1e-300]))) as TangoArray;
    t.same(Array.from(da.data as Float64Array), [0.5, 1e-300]);
    const l64 = (await b.command('DevVarLong64Array', { data: BigInt64Array.from([-(2n ** 60n), 5n]), shape: [2] })) as TangoArray;
    t.same(Array.from(l64.data as BigInt64Array), [-(2n ** 60n), 5n], '64-bit arrays exact');
    t.same(Array.from(((await b.command('DevVarCharArray', [0, 255])) as TangoArray).data as Uint8Array), [0, 255]);
    t.same(Array.from(((await b.command('DevVarUShortArray', [1, 65535])) as TangoArray).data as Uint16Array), [1, 65535]);
    t.same(await b.command('DevVarStringArray', ['x', 'yé']), ['x', 'yé']);
    t.same(await b.command('DevVarLongStringArray', { numbers: [1, 2], strings: ['a'] }), { numbers: [1, 2], strings: ['a'] });
    t.same(await b.command('DevVarDoubleStringArray', { numbers: [1.5], strings: ['a', 'b'] }), { numbers: [1.5], strings: ['a', 'b'] });
    t.equal(await b.command('State'), 'RUNNING', 'DevState result is its name');
  });

  t.test('DevFailed becomes a TangoError with every level', async (t) => {
    const [b] = await open(tt.address);
    const e1 = await b.readAttributes(['no_such_attribute']).catch((e: unknown) => e);
    t.type(e1, TangoError);
    const te = e1 as TangoError;
    t.equal(te.reason, 'API_AttrNotFound');
    t.ok(te.levels.length >= 2, 'the client library level too');
    t.ok(te.levels.every((l) => l.reason && l.desc && l.origin), 'reason, desc and origin on every level');
    t.match(te.message, /no_such_attribute/);
    const e2 = await b.command('NoSuchCommand').catch((e: unknown) => e);
    t.type(e2, TangoError);
    t.equal((e2 as TangoError).reason, 'API_CommandNotFound');
    const e3 = await b.readAttributes(['throw_exception']).catch((e: unknown) => e);
    const [r3] = e3 instanceof Error ? [undefined] : (e3 as TangoReading[]);
    t.ok(e3 instanceof TangoError || r3?.value === undefined, 'a failing attribute read is an error, never a value');
    const e4 = await open('tango://127.0.0.1:9/sys/tg_test/1#dbase=no').catch((e: unknown) => e);
    t.ok(e4 instanceof TangoError || e4 instanceof TimeoutError, `connect to nothing: ${String(e4)}`);
  });

  t.test('change events arrive in order; unsubscribe stops them', async (t) => {
    const [b] = await open(ev.address);
    await b.command('Stop');
    await b.command('Reset');
    const seen: number[] = [];
    const errors: Error[] = [];
    const unsub = await b.subscribe('counter', (e: TangoEvent) => {
      if (e.error) errors.push(e.error);
      else seen.push(e.reading.value as number);
    });
    await until(() => seen.length >= 1, 10000, 'the first event (current value)');
    await b.command('Start');
    await until(() => seen.length >= 15, 20000, '15 events');
    await b.command('Stop');
    await unsub();
    const n = seen.length;
    for (let i = 1; i < seen.length; i++) if (seen[i]! < seen[i - 1]!) t.fail(`out of order at ${i}: ${seen.slice(0, i + 1).join(',')}`);
    // The first event is the value at subscription time. ZMQ subscriptions take effect
    // asynchronously ("slow joiner"), so the first push right after subscribing may be lost
    // (seen: 0,2,3,...); from the first pushed event on, none is skipped.
    const pushed = [...new Set(seen.slice(1))];
    t.same(pushed, pushed.map((_, i) => pushed[0]! + i), `no value skipped after the first pushed event: ${seen.join(',')}`);
    t.same(errors, []);
    await b.command('Start');
    await new Promise((r) => setTimeout(r, 300));
    await b.command('Stop');
    t.equal(seen.length, n, 'nothing after unsubscribe');
  });

  t.test('an attribute the server cannot push events for: TangoError', async (t) => {
    const [b] = await open(ev.address);
    const e = await b.subscribe('noevents', () => undefined).catch((x: unknown) => x);
    t.type(e, TangoError);
    t.equal((e as TangoError).reason, 'API_AttributePollingNotStarted');
  });

  t.test('server death: typed errors, no hang; after a restart a new subscription delivers', async (t) => {
    const [b] = await open(ev.address);
    const seen: number[] = [];
    const errors: Error[] = [];
    const cb = (e: TangoEvent): void => {
      if (e.error) errors.push(e.error);
      else seen.push(e.reading.value as number);
    };
    await b.command('Reset');
    const unsub = await b.subscribe('counter', cb);
    await until(() => seen.length >= 1, 10000, 'the first event');
    await ev.stop();
    const e = await b.readAttributes(['counter'], { timeoutMs: 5000 }).catch((x: unknown) => x);
    t.ok(e instanceof TangoError || e instanceof TimeoutError || e instanceof DisconnectedError, `read of a dead server: ${String(e)}`);
    await ev.start();
    // cppTango 9.3 without a database does not resubscribe by itself (it reports
    // API_EventTimeout and stays silent): the caller drops the old subscription and makes a new one.
    await unsub();
    const before = seen.length;
    // The restarted server answers reads before its event channel takes subscribers: a subscribe
    // in that window fails with API_CantConnectToDevice, so retry (bounded), as the bridge does.
    let unsub2: (() => Promise<void>) | undefined;
    const retryUntil = Date.now() + 20000;
    while (!unsub2) {
      try {
        unsub2 = await b.subscribe('counter', cb, { timeoutMs: 10000 });
      } catch (err) {
        if (!(err instanceof TangoError) || err.reason !== 'API_CantConnectToDevice' || Date.now() > retryUntil) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await b.command('Start');
    await until(() => seen.length >= before + 5, 20000, 'events from the restarted server');
    await b.command('Stop');
    await unsub2();
    t.equal(seen[before], 0, 'the new subscription starts with the new server\'s current value');
  });

  t.test('calls on a closed backend fail at once with DisconnectedError', async (t) => {
    const [b] = await open(tt.address);
    await b.close();
    t.type(await b.readAttributes(['double_scalar']).catch((e: unknown) => e), DisconnectedError);
    await b.close(); // twice is fine
  });
}
