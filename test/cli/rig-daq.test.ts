/**
 * Issue 9's last must-show, through the real command line: `examples/rig-daq.yaml` puts a
 * `sim:nidaqmx` card (labrig's C library loaded through FFI) next to the Galil, Alicat and Legato
 * wire simulators, and `labrig run count`, `labrig run scan` and `labrig demo --rig` (child
 * processes running bin/labrig.js) record the DAQ channels in every event with fresh values: the
 * simulated `counter` input gives the next number at every sample, so a cached or repeated read
 * shows as a repeated value. Regression for staged runs reading DAQ signals from a cache that was
 * never filled (each run failed with a read timeout), and for the demo ignoring the rig's other
 * readable devices.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Event, EventDescriptor, RunStop } from '../../src/core/documents/types.js';
import { readJsonl } from '../../src/writers/jsonl.js';
import { nidaqmxSim } from '../helpers/nidaqmx-sim.js';
import { invalidDocuments } from '../helpers/schemas.js';

const bin = fileURLToPath(new URL('../../bin/labrig.js', import.meta.url));
const rigFile = fileURLToPath(new URL('../../examples/rig-daq.yaml', import.meta.url));
// Child processes loading TypeScript through tsx: slow on a loaded machine.
t.setTimeout(600_000);
nidaqmxSim(); // build the simulator library (as npm test's pretest does)

interface Outcome {
  code: number | null;
  out: string;
  err: string;
  events: Event[];
  primary: EventDescriptor;
  stop: RunStop;
  docs: Array<[string, unknown]>;
}

/** Run `labrig ARGS --out DIR` in a child process (killed after 240 s) and read the run it wrote. */
async function labrig(t: Test, args: string[]): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-rig-daq-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env };
  delete env['LABRIG_NIDAQMX_SIM']; // the rig file's `devices` setting configures the card
  delete env['LABRIG_NIDAQMX_LIB'];
  const child = spawn(process.execPath, [bin, ...args, '--out', join(dir, 'runs')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  t.teardown(async () => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const code = await exited;
  clearTimeout(timer);
  const files = readdirSync(join(dir, 'runs')).filter((f) => f.endsWith('.jsonl'));
  if (files.length !== 1) throw new Error(`labrig ${args.join(' ')}: exit ${code}, ${files.length} run files\n${out}\n${err}`);
  const docs = readJsonl(join(dir, 'runs', files[0]!)) as Array<[string, unknown]>;
  const primary = docs.find(([n, d]) => n === 'descriptor' && (d as EventDescriptor).name === 'primary')?.[1] as EventDescriptor;
  const events = docs.filter(([n, d]) => n === 'event' && (d as Event).descriptor === primary?.uid).map(([, d]) => d as Event);
  return { code, out, err, events, primary, stop: docs[docs.length - 1]![1] as RunStop, docs };
}

/** The DAQ columns of a run: present, numbers, fresh (the counter strictly increasing), the sine moving. */
function checkDaqColumns(t: Test, r: Outcome, n: number): void {
  t.equal(r.code, 0, `exit 0 (stderr: ${r.err.slice(-600)})`);
  t.equal(r.stop.exit_status, 'success', r.stop.reason ?? '');
  t.same(invalidDocuments(r.docs as never), [], 'every document validates against the event-model schemas');
  t.equal(r.events.length, n, `${n} events`);
  for (const k of ['daq-loopback', 'daq-counter', 'daq-sine']) {
    t.match(r.primary.data_keys[k], { source: /^nidaqmx:\/\/Dev1\/ai\d$/, dtype: 'number', units: 'V' }, `${k} described as a DAQ channel`);
    t.ok(r.events.every((e) => typeof e.data[k] === 'number' && Number.isFinite(e.data[k])), `${k}: a number in every event`);
  }
  const counts = r.events.map((e) => e.data['daq-counter'] as number);
  t.ok(counts.every((c, i) => i === 0 || c > counts[i - 1]!), `the counter input is read afresh at every point: ${counts.join(', ')}`);
  const sines = r.events.map((e) => e.data['daq-sine'] as number);
  t.ok(sines.every((v) => Math.abs(v) <= 2 + 1e-9), 'the sine stays within its 2 V amplitude');
  t.ok(new Set(sines).size > 1, `the sine input changes over the run: ${sines.map((v) => v.toFixed(4)).join(', ')}`);
  t.ok(r.events.every((e) => e.data['daq-loopback'] === 0), 'ai0 reads back ao0 (never written: 0 V)');
  const times = r.events.map((e) => e.timestamps['daq-counter']!);
  t.ok(times.every((s, i) => i === 0 || s >= times[i - 1]!), 'DAQ timestamps advance with the events');
}

t.test('labrig run count --det daq records fresh DAQ readings (staged run)', async (t) => {
  const r = await labrig(t, ['run', 'count', '--rig', rigFile, '--det', 'daq', '--num', '5', '--delay', '0.05', '--no-table']);
  checkDaqColumns(t, r, 5);
  t.same(Object.keys(r.primary.data_keys).sort(), ['daq-counter', 'daq-loopback', 'daq-sine']);
});

t.test('labrig run scan reads the DAQ card among the default detectors', async (t) => {
  const r = await labrig(t, ['run', 'scan', 'stage.x', '-1', '1', '4', '--rig', rigFile, '--no-table']);
  checkDaqColumns(t, r, 4);
  t.same(r.events.map((e) => e.data['stage-x']), [-1, -1 / 3, 1 / 3, 1].map((v) => +v.toFixed(3)), 'the stage visited the scan points');
  t.ok('mfc' in r.primary.data_keys && 'pump-infusedVolume' in r.primary.data_keys, 'next to the MFC and the pump');
});

t.test('labrig demo --rig examples/rig-daq.yaml reads the DAQ card at every grid point', async (t) => {
  const r = await labrig(t, ['demo', '--rig', rigFile, '--points', '3', '--no-table']);
  checkDaqColumns(t, r, 9);
  t.ok(['stage-x', 'stage-y', 'det', 'mfc', 'pump-infusedVolume'].every((k) => k in r.primary.data_keys), 'the demo\'s own columns are there too');
  t.match(r.out, /^daq: nidaqmx at nidaqmx:\/\/Dev1\/ai0:2\?lib=.*libnidaqmx-sim\.so/m, 'the DAQ device is the NI-DAQmx driver on the simulator library');
  t.match(r.out, /^daq: read at every point$/m);
  t.match(r.out, /e-stop: all 4 devices stopped/, 'the e-stop covers the DAQ card');
});
