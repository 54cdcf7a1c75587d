/**
 * `labrig read` / `labrig set` against running simulators: output lines, JSON readings, moves
 * that wait, strict numbers, one-line typed errors and exit codes, and `--rig FILE` names.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseValue, readCli, setCli, type CliIO } from '../../src/cli/read-set.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { startAlicatSim } from '../../src/sim/alicat/index.js';
import { startGalilSim } from '../../src/sim/galil/index.js';
import { startLegatoSim } from '../../src/sim/legato/index.js';

/** Collect what a command prints. */
function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), progress: { isTTY: false, write: () => true } as never };
}

t.test('read and set on a Galil simulator over TCP', async (t) => {
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{ motorOn: true }, {}] });
  t.teardown(() => sim.close());

  let io = capture();
  t.equal(await readCli([sim.uri], io), 0);
  t.ok(io.lines.includes('A 0 counts'), 'axis A position by its path');
  t.ok(io.lines.includes('B.velocity 25000 counts/s'), 'a setting of axis B with its units');
  t.ok(io.lines.includes('A.motorOn true') && io.lines.includes('B.motorOn false'), 'motor states');
  t.equal(io.lines.length, 30, 'one line per readable signal: 15 per axis');
  t.equal(new Set(io.lines.map((l) => l.split(' ')[0])).size, 30, 'each signal once');
  t.same(io.errors, []);

  io = capture();
  t.equal(await readCli([sim.uri, 'A', 'galil-B-velocity', '--json'], io), 0, 'paths and data-key names both work');
  const json = JSON.parse(io.lines[0]!) as Record<string, { value: unknown; timestamp: number }>;
  t.same(Object.keys(json), ['galil-A', 'galil-B-velocity'], 'event-model readings keyed by data key');
  t.equal(json['galil-B-velocity']!.value, 25000);
  t.ok(Math.abs(json['galil-A']!.timestamp - Date.now() / 1000) < 60, 'timestamps in seconds since the epoch');

  io = capture();
  t.equal(await setCli([sim.uri, 'A', '-1500'], io), 0, 'a negative number is a value, not a flag');
  t.same(io.lines, ['A -1500 counts'], 'prints the position reached');
  t.equal(sim.model.axes[0]!.phys, -1500, 'the simulated axis got there');
  t.notOk(sim.model.axes[0]!.moving(sim.model.now()), 'set returned after the move completed');

  io = capture();
  t.equal(await setCli([sim.uri, 'B.velocity', '1e4'], io), 0);
  t.same(io.lines, ['B.velocity 10000 counts/s']);
  t.equal(sim.model.axes[1]!.sp, 10000);
  t.equal(await setCli([sim.uri, 'B.motorOn', 'on'], capture()), 0);
  t.notOk(sim.model.axes[1]!.motorOff, 'booleans accept on/off');

  for (const [args, pattern, label] of [
    [[sim.uri, 'A', '1.5x'], /^labrig set: InvalidInputError: .*expected a number/, 'a malformed number'],
    [[sim.uri, 'A', '0x10'], /InvalidInputError/, 'hex is not accepted'],
    [[sim.uri, 'A.moving', '1'], /InvalidInputError: .*read-only/, 'a read-only signal'],
    [[sim.uri, 'Q', '1'], /InvalidInputError: .*no such signal/, 'an unknown signal'],
    [[sim.uri, 'B.motorOn', 'maybe'], /InvalidInputError: .*true or false/, 'a bad boolean'],
  ] as const) {
    io = capture();
    t.equal(await setCli([...args], io), 1, `${label}: exit 1`);
    t.equal(io.errors.length, 1, `${label}: one error line`);
    t.match(io.errors[0], pattern, label);
  }
  t.equal(sim.model.axes[0]!.phys, -1500, 'nothing moved after the rejected commands');

  io = capture();
  // Power A off to provoke a controller error.
  t.equal(await setCli([sim.uri, 'A.motorOn', 'false'], capture()), 0);
  t.equal(await setCli([sim.uri, 'A', '100'], io), 1);
  t.match(io.errors[0], /^labrig set: DeviceError: .*\[20\].*motor off/, 'the controller refusal (TC 20) as one line');

  t.equal(await setCli([sim.uri], (io = capture())), 2, 'missing signal: usage');
  t.match(io.errors[0], /^usage: labrig set/);
  t.equal(await setCli([sim.uri, 'A'], (io = capture())), 1, 'a movable path without a value: refused before anything moved');
  t.match(io.errors[0], /needs a value/);
  t.equal(await readCli([], (io = capture())), 2);
  t.equal(await readCli([sim.uri, '--frob'], (io = capture())), 2);
  t.match(io.errors[0], /^labrig read: unknown option --frob; see labrig read --help$/);
  t.equal(await readCli(['stage'], (io = capture())), 2, 'a bare name without --rig is a usage error');
  t.match(io.errors[0], /not a URI.*--rig/);
});

t.test('set waits for an Alicat setpoint (pty) and a Legato dispense', async (t) => {
  const asim = await startAlicatSim({ pty: true, units: ['A', 'B'], defaults: { timeConstantMs: 20 } });
  t.teardown(() => asim.close());
  const uri = `${asim.lineUri}?unit=B`;
  let io = capture();
  t.equal(await setCli([uri, 'setpoint', '25'], io), 0, 'setpoint moves the controller');
  t.equal(asim.model.unit('B').setpoint, 25);
  t.ok(Math.abs(asim.model.unit('B').massFlow - 25) < 1, 'the flow had settled when set returned');
  t.equal(asim.model.unit('A').setpoint, 0, 'the other unit on the line is untouched');
  t.match(io.lines[0], /^readback 2\d\.\d\d SLPM$/);
  io = capture();
  t.equal(await readCli([uri, 'setpoint', 'flags.hold', 'gas'], io), 0);
  t.same(io.lines, ['setpoint 25.00 SLPM', 'flags.hold false', 'gas N2']);

  const lsim = await startLegatoSim({ tcp: '127.0.0.1:0' });
  t.teardown(() => lsim.close());
  io = capture();
  t.equal(await setCli([lsim.uri, 'infuseRate', '2000'], io), 0);
  t.same(io.lines, ['infuseRate 2000.0000 ul/min']);
  io = capture();
  t.equal(await setCli([lsim.uri, 'dispense', '20'], io), 0, 'dispense waits for the target');
  const pump = lsim.model.at(0);
  t.ok(Math.abs(pump.pumped.infuse.ul - 20) < 0.01, 'the pump infused 20 ul');
  t.notOk(pump.running);
  t.ok(io.lines.includes('infusedVolume 20.0000 ul'));
});

t.test('--rig resolves device names, with the rig options (limits)', async (t) => {
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{ motorOn: true }] });
  t.teardown(() => sim.close());
  const dir = mkdtempSync(join(tmpdir(), 'labrig-rs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rig.yaml');
  writeFileSync(file, `stage:\n  uri: ${sim.uri}\n  axes:\n    x: { axis: A, countsPerUnit: 1000, units: mm, limits: [-2, 2] }\n`);
  let io = capture();
  t.equal(await setCli(['--rig', file, 'stage', 'x', '1.25'], io), 0);
  t.same(io.lines, ['x 1.250 mm']);
  t.equal(sim.model.axes[0]!.phys, 1250);
  io = capture();
  t.equal(await setCli(['--rig', file, 'stage', 'x', '3'], io), 1);
  t.match(io.errors[0], /^labrig set: LimitsError: stage-x: 3 mm is outside the limits/);
  t.equal(sim.model.axes[0]!.phys, 1250, 'refused before anything moved');
  io = capture();
  t.equal(await readCli(['--rig', file, 'stage', 'x', 'x.velocity'], io), 0);
  t.same(io.lines, ['x 1.250 mm', 'x.velocity 25.000 mm/s']);
  t.equal(await readCli(['--rig', file, 'laser'], (io = capture())), 2, 'a name not in the rig is a usage error');
  t.match(io.errors[0], /^labrig read: --rig .*rig\.yaml: no device 'laser' in the rig \(have stage\)$/);
});

t.test('values are parsed strictly by data type', async (t) => {
  t.equal(parseValue('-2.5e-3', { dtype: 'number' }, 'v'), -0.0025);
  t.equal(parseValue('.5', { dtype: 'number' }, 'v'), 0.5);
  for (const bad of ['', ' 1', '1 ', '1,5', 'NaN', 'Infinity', '1e999', '0x1F', '--1']) t.throws(() => parseValue(bad, { dtype: 'number' }, 'v'), InvalidInputError, JSON.stringify(bad));
  t.equal(parseValue('7', { dtype: 'integer' }, 'v'), 7);
  t.throws(() => parseValue('7.5', { dtype: 'integer' }, 'v'), InvalidInputError);
  t.equal(parseValue('OFF', { dtype: 'boolean' }, 'v'), false);
  t.equal(parseValue('N2', { dtype: 'string', choices: ['N2', 'Ar'] }, 'v'), 'N2');
  t.throws(() => parseValue('He', { dtype: 'string', choices: ['N2', 'Ar'] }, 'v'), InvalidInputError);
  t.throws(() => parseValue('[1]', { dtype: 'array' }, 'v'), InvalidInputError);
});
