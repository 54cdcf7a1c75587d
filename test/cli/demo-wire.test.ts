/**
 * The wire demo: a grid scan of the Galil simulator (TCP) while the Alicat (pty) holds a flow
 * and the Legato (pty) dispenses, written as valid event-model JSON lines, then a rig e-stop.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoWireCli, runWireDemo } from '../../src/cli/demo-wire.js';
import type { Event, EventDescriptor, RunStart, RunStop } from '../../src/core/documents/types.js';
import { withLeakGuard } from '../../src/testing/index.js';
import { readJsonl } from '../../src/writers/jsonl.js';
import { invalidDocuments } from '../helpers/schemas.js';

t.test('the wire demo scans a grid over real transports and writes a valid run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-wire-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const result = await withLeakGuard(() => runWireDemo({ out: dir, points: 3, print: (l) => lines.push(l), progress: false }), { graceMs: 1000 });
  t.equal(result.exitStatus, 'success');
  t.equal(result.events, 9, '3 x 3 grid points');
  t.equal(result.files.length, 1);

  const docs = readJsonl(result.files[0]!);
  t.same(invalidDocuments(docs), [], 'every document validates against the event-model schemas');
  t.equal(docs[0]![0], 'start');
  t.same((docs[0]![1] as RunStart)['shape'], [3, 3]);
  t.equal(docs[docs.length - 1]![0], 'stop');
  t.equal((docs[docs.length - 1]![1] as RunStop).exit_status, 'success');
  const descriptors = docs.filter(([n]) => n === 'descriptor').map(([, d]) => d as EventDescriptor);
  const primary = descriptors.find((d) => d.name === 'primary')!;
  const baseline = descriptors.find((d) => d.name === 'baseline')!;
  t.ok(primary && baseline, 'a primary and a baseline stream');
  const events = docs.filter(([n]) => n === 'event').map(([, d]) => d as Event);
  const primaryEvents = events.filter((e) => e.descriptor === primary.uid);
  t.equal(primaryEvents.length, 9);
  t.equal(events.filter((e) => e.descriptor === baseline.uid).length, 2, 'baseline read at the start and the end');
  t.ok(['stage-x', 'stage-y', 'det', 'mfc', 'pump-infusedVolume'].every((k) => k in primary.data_keys), 'stage, detector, flow and pumped volume in every event');
  t.ok(['stage-x', 'mfc-setpoint', 'pump-infuseRate'].some((k) => k in baseline.data_keys), 'the rig in the baseline');
  const visited = primaryEvents.map((e) => [e.data['stage-x'], e.data['stage-y']] as [number, number]);
  t.same(new Set(visited.map(([x, y]) => `${x},${y}`)).size, 9, 'nine distinct grid points');
  t.ok(visited.every(([x, y]) => [-1, 0, 1].includes(x) && [-1, 0, 1].includes(y)), 'the positions read back are the grid points');
  t.ok(primaryEvents.every((e) => Math.abs((e.data['mfc'] as number) - 10) < 1), 'the MFC held its flow during the scan');
  const volumes = primaryEvents.map((e) => e.data['pump-infusedVolume'] as number);
  t.ok(volumes[volumes.length - 1]! > volumes[0]!, 'the pump dispensed during the scan');

  t.ok(result.eStop.ok, 'the e-stop confirmed every device stopped');
  t.same(Object.keys(result.eStop.results).sort(), ['mfc', 'pump', 'stage']);
  t.comment(`wire demo e-stop: ${result.eStop.elapsedMs.toFixed(1)} ms; dispense ${result.dispense}`);
  t.ok(lines.some((l) => /^e-stop: all 3 devices stopped in \d+\.\d ms$/.test(l)), 'the e-stop time is printed');
  t.ok(lines.some((l) => l === `documents written to ${result.files[0]}`), 'where the data went is printed');
  t.equal(lines.filter((l) => /^\|\s+\d+ \|/.test(l)).length, 9, 'one live-table row per event');
});

t.test('the wire demo command rejects bad arguments', async (t) => {
  const errors: string[] = [];
  const { error, log } = console;
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  console.log = () => undefined;
  t.teardown(() => {
    console.error = error;
    console.log = log;
  });
  t.equal(await demoWireCli(['--points', '0']), 2);
  t.equal(await demoWireCli(['--points', '2.5']), 2);
  t.equal(await demoWireCli(['--frob']), 2);
  t.equal(errors.length, 3);
  const dir = mkdtempSync(join(tmpdir(), 'labrig-wire-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(await demoWireCli(['--rig', join(dir, 'missing.yaml'), '--out', dir]), 2, 'a missing rig file is a usage error, found before anything starts');
  t.match(errors.pop(), /^labrig demo: --rig .*missing.yaml: InvalidInputError: rig file/);
});
