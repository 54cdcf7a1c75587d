/**
 * Tango devices in plans and rigs: `count` of Tango attributes (scalars and a spectrum) and
 * `scan` of a writable Tango attribute write valid event-model runs; a scan that steps outside
 * the attribute's range ends with `fail` and keeps every event emitted; a rig holds a Tango
 * device next to `sim:galil`.
 */
import t from 'tap';
import { LimitsError } from '../../../src/core/errors.js';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import { count } from '../../../src/core/engine/plans/count.js';
import { scan } from '../../../src/core/engine/plans/scan.js';
import type { SignalRW } from '../../../src/core/signal/writable.js';
import { openTangoDevice, type TangoDevice } from '../../../src/drivers/tango/index.js';
import { loadRig } from '../../../src/rig/index.js';
import { readCli, setCli } from '../../../src/cli/read-set.js';
import { startTangoEventServer, startTangoTest, tangoTestAvailable, type TangoServer } from '../../../src/sim/tango/index.js';
import { invalidDocuments } from '../../helpers/schemas.js';

const skip = tangoTestAvailable() ? false : 'TangoTest/PyTango not installed (apt-get install tango-test python3-tango)';
t.setTimeout(300000);

type Doc = Record<string, unknown>;
function engine(): { re: RunEngine; docs: Array<[string, Doc]> } {
  const re = new RunEngine({ cleanupTimeoutMs: 5000, onError: () => {} });
  const docs: Array<[string, Doc]> = [];
  re.subscribe((name, doc) => docs.push([name, doc as unknown as Doc]));
  return { re, docs };
}

let tt: TangoServer;
let ev: TangoServer;
t.before(async () => {
  if (skip) return;
  [tt, ev] = await Promise.all([startTangoTest(), startTangoEventServer()]);
});
t.teardown(async () => {
  await Promise.all([tt?.close(), ev?.close()]);
});

t.test('count of Tango attributes writes a valid run', { skip }, async (t) => {
  const tg: TangoDevice = await openTangoDevice(tt.address, { read: ['double_scalar', 'long_scalar', 'string_scalar', 'double_spectrum_ro'], name: 'tg' });
  t.teardown(() => tg.close());
  const { re, docs } = engine();
  const result = await re.run(() => count([tg], 3));
  t.equal(result.exitStatus, 'success', String(result.reason));
  const desc = docs.find(([n]) => n === 'descriptor')![1];
  const keys = desc['data_keys'] as Record<string, Record<string, unknown>>;
  t.match(keys['tg-double_scalar'], { dtype: 'number', source: /\/sys\/tg_test\/1\/double_scalar$/ });
  t.match(keys['tg-long_scalar'], { dtype: 'integer', dtype_numpy: '<i4' });
  t.match(keys['tg-state'], { dtype: 'string', choices: ['ON', 'OFF', 'CLOSE', 'OPEN', 'INSERT', 'EXTRACT', 'MOVING', 'STANDBY', 'FAULT', 'INIT', 'RUNNING', 'ALARM', 'DISABLE', 'UNKNOWN'] });
  const spec = keys['tg-double_spectrum_ro']!;
  t.match(spec, { dtype: 'array', dtype_numpy: '<f8' });
  const events = docs.filter(([n]) => n === 'event').map(([, d]) => d);
  t.equal(events.length, 3);
  const data = events[0]!['data'] as Record<string, unknown>;
  t.type(data['tg-double_scalar'], 'number');
  t.equal(data['tg-state'], 'RUNNING');
  t.ok((data['tg-double_spectrum_ro'] as ArrayLike<number>).length === (spec['shape'] as number[])[0], 'spectrum length matches the data key shape');
  t.same(invalidDocuments(docs as never), [], 'documents validate against the event-model schemas');
});

t.test('scan of a writable Tango attribute writes a valid run', { skip }, async (t) => {
  const d = await openTangoDevice(ev.address, { name: 'ev' });
  t.teardown(() => d.close());
  const sp = d.signals['setpoint'] as SignalRW<number>;
  const { re, docs } = engine();
  const result = await re.run(() => scan([d.signals['period_ms']!], sp, -50, 50, 5));
  t.equal(result.exitStatus, 'success', String(result.reason));
  const events = docs.filter(([n]) => n === 'event').map(([, doc]) => doc['data'] as Record<string, number>);
  t.same(events.map((e) => e['ev-setpoint']), [-50, -25, 0, 25, 50], 'the server read back each step');
  const keys = docs.find(([n]) => n === 'descriptor')![1]['data_keys'] as Record<string, Record<string, unknown>>;
  t.match(keys['ev-setpoint'], { units: 'mm', limits: { control: { low: -100, high: 100 } } });
  t.same(invalidDocuments(docs as never), [], 'documents validate');
  t.equal(await sp.getValue(), 50);
});

t.test('a scan stepping outside the range: fail, nothing written, earlier events kept', { skip }, async (t) => {
  const d = await openTangoDevice(ev.address, { name: 'ev' });
  t.teardown(() => d.close());
  const sp = d.signals['setpoint'] as SignalRW<number>;
  const { re, docs } = engine();
  const result = await re.run(() => scan([d.signals['period_ms']!], sp, 0, 150, 4));
  t.equal(result.exitStatus, 'fail');
  t.type(result.exception, LimitsError, String(result.exception));
  const events = docs.filter(([n]) => n === 'event').map(([, doc]) => doc['data'] as Record<string, number>);
  t.same(events.map((e) => e['ev-setpoint']), [0, 50, 100], 'the three steps inside the range');
  t.equal(docs.filter(([n]) => n === 'stop').length, 1);
  t.equal(await sp.getValue(), 100, 'the server kept the last accepted value (150 never sent)');
  t.same(invalidDocuments(docs as never), [], 'documents validate');
});

t.test('a rig with a Tango device next to sim:galil', { skip }, async (t) => {
  const rig = await loadRig({ stage: { uri: 'sim:galil', axes: { A: {} } }, tg: { uri: 'sim:tango', read: ['double_scalar'] } });
  let pid: number | undefined;
  try {
    t.same(rig.names.sort(), ['stage', 'tg']);
    const tg = rig.devices['tg'] as TangoDevice;
    pid = (rig.member('tg').sim!.handle as TangoServer).pid;
    t.equal(await tg.state.getValue(), 'RUNNING');
    const { re, docs } = engine();
    const result = await re.run(() => count([tg, rig.devices['stage'] as never], 2));
    t.equal(result.exitStatus, 'success', String(result.reason));
    const data = docs.find(([n]) => n === 'event')![1]['data'] as Record<string, unknown>;
    t.type(data['tg-double_scalar'], 'number');
    t.ok(Object.keys(data).some((k) => k.startsWith('stage')), 'the stage is read in the same event');
    t.same(invalidDocuments(docs as never), [], 'documents validate');
  } finally {
    await rig.close();
  }
  t.ok(pid !== undefined);
  let alive = true;
  try {
    process.kill(pid!, 0);
  } catch {
    alive = false;
  }
  t.notOk(alive, 'the TangoTest the rig started is gone after close');
});

t.test('labrig read / set on a TangoTest address', { skip }, async (t) => {
  const lines: string[] = [];
  const errors: string[] = [];
  const io = { out: (l: string) => void lines.push(l), err: (l: string) => void errors.push(l), progress: { isTTY: false, write: () => true } as never };
  t.equal(await setCli([tt.address, 'string_scalar', 'hello'], io), 0, errors.join('; '));
  t.same(lines, ['string_scalar hello'], 'set prints the value read back');
  lines.length = 0;
  t.equal(await readCli([tt.address, 'string_scalar', 'state', 'short_spectrum'], io), 0, errors.join('; '));
  t.equal(lines[0], 'string_scalar hello');
  t.equal(lines[1], 'state RUNNING');
  t.match(lines[2], /^short_spectrum \[(-?\d+,)*-?\d+\]$|^short_spectrum \[\]$/, 'a spectrum prints as a JSON list');
});
