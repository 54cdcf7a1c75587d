/**
 * Rig files: both forms parse, `sim:` URIs are recognised, and every mistake is an
 * InvalidInputError naming the device and the field, raised before anything is opened.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../src/core/errors.js';
import { loadRig, loadRigSpec, parseRig, parseSimUri } from '../../src/rig/index.js';
import { withLeakGuard } from '../../src/testing/index.js';

t.test('the long form and the short form parse into the same entries', async (t) => {
  const long = parseRig({
    name: 'bench',
    devices: {
      stage: { uri: 'galil+tcp://127.0.0.1:23', axes: { A: { countsPerUnit: 1000, units: 'mm', limits: [-10, 10] } } },
      mfc1: { uri: 'alicat+serial:///dev/ttyUSB0?unit=A' },
      pump: { uri: 'sim:legato' },
    },
  });
  t.equal(long.name, 'bench');
  t.same(long.entries.map((e) => [e.name, e.family.name, e.sim]), [['stage', 'galil', undefined], ['mfc1', 'alicat', undefined], ['pump', 'legato', {}]]);
  t.same(long.entries[0]!.options['axes'], { A: { countsPerUnit: 1000, units: 'mm', limits: [-10, 10], axis: 'A' } }, 'an axis named A drives axis letter A');
  const short = parseRig({ stage: 'galil+tcp://127.0.0.1:23', mfc1: 'alicat+serial:///dev/ttyUSB0?unit=A', pump: 'sim:legato' });
  t.equal(short.name, undefined);
  t.same(short.entries.map((e) => [e.name, e.family.name, e.uri]), [
    ['stage', 'galil', 'galil+tcp://127.0.0.1:23'], ['mfc1', 'alicat', 'alicat+serial:///dev/ttyUSB0?unit=A'], ['pump', 'legato', 'sim:legato'],
  ]);
});

t.test('sim: URIs split into family and parameters', async (t) => {
  t.same(parseSimUri('sim:galil'), { family: 'galil', params: {} });
  t.same(parseSimUri('sim:alicat?units=A,B&link=tcp'), { family: 'alicat', params: { units: 'A,B', link: 'tcp' } });
  t.equal(parseSimUri('galil+tcp://h:23'), undefined);
  t.throws(() => parseSimUri('sim:'), InvalidInputError);
  const spec = parseRig({ mfc: { uri: 'sim:alicat?units=A,B', unit: 'B' } });
  t.same(spec.entries[0]!.sim, { units: ['A', 'B'] }, 'checked by the simulator descriptor');
});

/** Expect an InvalidInputError whose `what` contains every piece of `names`. */
function rejects(t: Test, input: unknown, names: string[], label: string): void {
  try {
    parseRig(input);
    t.fail(`${label}: no error`);
  } catch (e) {
    t.type(e, InvalidInputError, label);
    const what = (e as InvalidInputError).what;
    for (const n of names) t.ok(what.includes(n), `${label}: names ${n} (${(e as Error).message})`);
  }
}

t.test('mistakes are typed errors naming the device and the field', async (t) => {
  rejects(t, 'stage', ['rig'], 'not an object');
  rejects(t, {}, ['devices'], 'no device');
  rejects(t, { devices: [] }, ['devices'], 'devices as an array');
  rejects(t, { devices: {}, colour: 'red' }, ["field 'colour'"], 'unknown top-level field');
  rejects(t, { '9stage': 'sim:galil' }, ['device name'], 'name not an identifier');
  rejects(t, { stage: 42 }, ["'stage'"], 'entry neither URI nor object');
  rejects(t, { stage: { axes: {} } }, ["'stage'", 'uri'], 'missing uri');
  rejects(t, { stage: 'frob+tcp://127.0.0.1:1' }, ["'stage'", 'uri'], 'unknown scheme');
  rejects(t, { stage: 'sim:teapot' }, ["'stage'", 'sim family'], 'unknown simulator family');
  rejects(t, { stage: 'galil+tcp://:23' }, ["'stage'", 'host'], 'driver URI without host');
  rejects(t, { mfc: 'alicat+serial:///dev/ttyUSB0?colour=red' }, ["'mfc'", 'colour'], 'unknown driver URI parameter');
  rejects(t, { stage: { uri: 'sim:galil', axes: { A: { limits: [10, -10] } } } }, ["'stage'", 'axes.A.limits'], 'limits reversed');
  rejects(t, { stage: { uri: 'sim:galil', axes: { x: { countsPerUnit: 1000 } } } }, ["'stage'", 'axes.x'], 'axis without a letter');
  rejects(t, { stage: { uri: 'sim:galil', speed: 3 } }, ["'stage'", 'speed'], 'unknown galil option');
  rejects(t, { stage: { uri: 'sim:galil', enableOnConnect: 'maybe' } }, ["'stage'", 'enableOnConnect'], 'non-boolean enableOnConnect');
  rejects(t, { stage: 'sim:galil?axes=9' }, ["'stage'", "'axes'"], 'too many simulated axes');
  rejects(t, { stage: 'sim:galil?link=usb' }, ["'stage'", "'link'"], 'unknown link');
  rejects(t, { stage: 'sim:galil?faults=explode' }, ["'stage'", "'faults'"], 'bad fault spec');
  rejects(t, { stage: 'sim:galil?colour=red' }, ["'stage'", "'colour'"], 'unknown sim parameter');
  rejects(t, { stage: { uri: 'sim:galil?axes=2', axes: { C: {} } } }, ["'stage'", 'axes.C.axis'], 'axis beyond the simulator');
  rejects(t, { mfc: { uri: 'sim:alicat?units=A,B', unit: 'C' } }, ["'mfc'", 'unit'], 'unit not on the simulated line');
  rejects(t, { mfc: { uri: 'sim:alicat', fullScale: -1 } }, ["'mfc'", 'fullScale'], 'negative full scale');
  rejects(t, { mfc: 'sim:alicat?units=A,A' }, ["'mfc'", "'units'"], 'unit listed twice');
  rejects(t, { pump: { uri: 'sim:legato', force: 150 } }, ["'pump'", 'force'], 'force beyond 100 %');
  rejects(t, { pump: { uri: 'sim:legato', model: 'teapot' } }, ["'pump'", 'model'], 'unknown pump model');
  rejects(t, { pump: { uri: 'sim:legato', infuseRate: '3 furlongs/week' } }, ["'pump'", 'infuseRate'], 'unknown rate units');
  rejects(t, { pump: { uri: 'sim:legato', address: 3 } }, ["'pump'", 'address'], 'address not on the simulated chain');
  rejects(t, { pump: 'legato+serial:///dev/ttyUSB1?address=100' }, ["'pump'", 'address'], 'address out of range');
});

t.test('rig files load from JSON and YAML; unreadable or malformed files are typed errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-rig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'rig.json');
  writeFileSync(json, JSON.stringify({ devices: { stage: { uri: 'sim:galil', axes: { A: { countsPerUnit: 100 } } } } }));
  t.same(loadRigSpec(json).entries.map((e) => e.name), ['stage']);
  const yaml = join(dir, 'rig.yaml');
  writeFileSync(yaml, 'stage: galil+tcp://127.0.0.1:23\nmfc:\n  uri: sim:alicat?units=A,B\n  unit: B\n');
  t.same(loadRigSpec(yaml).entries.map((e) => [e.name, e.family.name]), [['stage', 'galil'], ['mfc', 'alicat']]);
  t.throws(() => loadRigSpec(join(dir, 'missing.yaml')), InvalidInputError, 'missing file');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'stage: [unclosed\n');
  t.throws(() => loadRigSpec(bad), InvalidInputError, 'malformed YAML');
  const badEntry = join(dir, 'entry.yaml');
  writeFileSync(badEntry, 'stage:\n  uri: sim:galil\n  axes:\n    A: { limits: [1] }\n');
  t.throws(() => loadRigSpec(badEntry), { name: 'InvalidInputError', message: /stage.*axes\.A\.limits/ }, 'the file name, device and field are named');
});

t.test('a bad entry fails before any device or simulator is started', async (t) => {
  await withLeakGuard(async () => {
    await t.rejects(loadRig({ good: 'sim:galil', bad: { uri: 'sim:legato', force: 0 } }), InvalidInputError);
    await t.rejects(loadRig({ good: 'sim:galil' }, { only: ['other'] }), InvalidInputError, 'an unknown name in only');
  });
});
