/**
 * `labrig run`: typed plan arguments with errors naming the argument (before any device opens),
 * plans run on a rig of wire simulators with JSON-lines output, and a signal mid-run aborts the
 * run with every emitted event kept.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunArgs, runCli, runPlan, type RunIO } from '../../src/cli/run.js';
import { InvalidInputError } from '../../src/core/errors.js';

const RIG = `
devices:
  stage: { uri: "sim:galil", enableOnConnect: true, pollMs: 5, axes: { x: { axis: A, countsPerUnit: 1000, units: mm, limits: [-5, 5], speed: 20, acceleration: 400, deceleration: 400 }, y: { axis: B, countsPerUnit: 1000, units: mm, limits: [-5, 5], speed: 20, acceleration: 400, deceleration: 400 } } }
  mfc: "sim:alicat?link=tcp"
`;

function tempRig(t: Test): { dir: string; rig: string } {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-run-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rig = join(dir, 'rig.yaml');
  writeFileSync(rig, RIG);
  return { dir, rig };
}

function docsOf(file: string): Array<[string, Record<string, unknown>]> {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [string, Record<string, unknown>]);
}

function capture(): RunIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), progress: false, onSignal: () => () => undefined };
}

t.test('plan arguments are typed, and a wrong one is named', async (t) => {
  t.match(parseRunArgs(['scan', '--rig', 'r.yaml', 'stage.x', '-1', '1e0', '5']), { plan: 'scan', rig: 'r.yaml', args: ['stage.x', -1, 1, 5], out: 'runs', table: true });
  t.match(parseRunArgs(['grid', 'a', '0', '1', '3', 'b', '-.5', '.5', '2', '--snake', '--rig=r.yaml', '--no-table']), { args: ['a', 0, 1, 3, 'b', -0.5, 0.5, 2], snake: true, table: false });
  t.match(parseRunArgs(['count', '--rig', 'r', '--num', '3', '--delay', '0.1', '--det', 'a,b', '--det', 'c', '--md', 'sample="A1"', '--md', 'n=2', '--md', 'note=plain text']), { num: 3, delay: 0.1, detectors: ['a', 'b', 'c'], md: { sample: 'A1', n: 2, note: 'plain text' } });
  t.match(parseRunArgs(['list-scan', '--rig', 'r', 'm', '0,0.5,1']), { args: ['m', [0, 0.5, 1]] });
  const cases: Array<[string[], RegExp]> = [
    [['scan', '--rig', 'r', 'm', 'abc', '1', '5'], /^argument <start> of scan: expected a number .*\(got "abc"\)/],
    [['scan', '--rig', 'r', 'm', '0', '1', '2.5'], /^argument <num> of scan: expected a whole number >= 1 \(got "2\.5"\)/],
    [['scan', '--rig', 'r', 'm', '0', '1', '0'], /^argument <num> of scan: expected a whole number >= 1/],
    [['scan', '--rig', 'r', '3', '0', '1', '5'], /^argument <motor> of scan: expected a device name/],
    [['scan', '--rig', 'r', 'm', '0', '1'], /^arguments of scan: expected 4: <motor> <start> <stop> <num>/],
    [['grid', '--rig', 'r', 'a', '0', '1', '3', 'b', '0', '1', 'x'], /^argument <num2> of grid: expected a number/],
    [['list-scan', '--rig', 'r', 'm', '0,x'], /^argument <positions> of list-scan: expected a number/],
    [['count', '--rig', 'r', '--num', '0'], /^option --num: expected a whole number >= 1/],
    [['count', '--rig', 'r', '--delay', '-1'], /^option --delay: expected seconds >= 0/],
    [['scan', 'm', '0', '1', '5'], /^option --rig: is required/],
    [['spiral', '--rig', 'r'], /^labrig run plan: unknown plan \(known: count, scan, rel-scan, list-scan, grid\)/],
    [['scan', '--rig', 'r', '--frobnicate', 'm', '0', '1', '5'], /^option: unknown option of labrig run/],
    [['scan', '--rig', 'r', '--snake', 'm', '0', '1', '5'], /^option --snake: only the grid plan snakes/],
    [['count', '--rig', 'r', '--md', 'novalue'], /^option --md: expected KEY=VALUE/],
  ];
  for (const [args, message] of cases) t.throws(() => parseRunArgs(args), { name: 'InvalidInputError', message }, args.join(' '));
  t.throws(() => parseRunArgs(['scan', '--rig', 'r', 'm', 'abc', '1', '5']), InvalidInputError);
});

t.test('a bad argument stops the command before the rig is opened (exit 2)', async (t) => {
  const io = capture();
  t.equal(await runCli(['scan', '--rig', '/nonexistent/rig.yaml', 'stage.x', 'abc', '1', '5'], io), 2);
  t.match(io.errors.join('\n'), /argument <start> of scan/, 'the argument error, not a missing rig file');
  const help = capture();
  t.equal(await runCli(['--help'], help), 0);
  t.match(help.lines.join('\n'), /grid <m1> <start1>/);
});

t.test('scan and grid run on any rig and write JSON lines', async (t) => {
  const { dir, rig } = tempRig(t);
  const io = capture();
  const scan = await runPlan(parseRunArgs(['scan', '--rig', rig, '--out', dir, 'stage.x', '-1', '1', '5', '--md', 'sample="S1"']), io);
  t.equal(scan.exitStatus, 'success');
  t.equal(scan.events, 5);
  const docs = docsOf(scan.files[0]!);
  const start = docs.find(([n]) => n === 'start')![1];
  t.match(start, { plan_name: 'scan', sample: 'S1', operator: 'labrig run', num_points: 5, motors: ['stage-x'] });
  const events = docs.filter(([n]) => n === 'event').map(([, d]) => d['data'] as Record<string, number>);
  t.same(events.map((e) => Math.round(e['stage-x']! * 1000) / 1000), [-1, -0.5, 0, 0.5, 1], 'the stage read back at each point over the wire');
  t.ok(events.every((e) => typeof e['mfc'] === 'number'), 'the MFC (the rig device holding no motor) is a detector by default');
  t.notOk(events.some((e) => 'stage-y' in e), 'the stage holding the motor is not a default detector');
  t.ok(io.lines.some((l) => /^\|\s+5 \|/.test(l)), 'the live table printed 5 rows');

  const grid = await runPlan(parseRunArgs(['grid', '--rig', rig, '--out', dir, '--det', 'mfc', '--no-table', 'stage.x', '0', '1', '2', 'stage.y', '0', '1', '3', '--snake']), capture());
  t.equal(grid.exitStatus, 'success');
  t.equal(grid.events, 6);
  const gdocs = docsOf(grid.files[0]!);
  t.match(gdocs.find(([n]) => n === 'start')![1], { plan_name: 'grid_scan', shape: [2, 3], snaking: [false, true] });
  t.equal(gdocs.at(-1)![0], 'stop');
});

t.test('names that are not in the rig, or not movable, fail naming them', async (t) => {
  const { dir, rig } = tempRig(t);
  await t.rejects(runPlan(parseRunArgs(['scan', '--rig', rig, '--out', dir, 'stage.z', '0', '1', '2']), capture()), { name: 'InvalidInputError', message: /stage signal: no such signal or part/ });
  await t.rejects(runPlan(parseRunArgs(['scan', '--rig', rig, '--out', dir, 'oven', '0', '1', '2']), capture()), { message: /^argument <motor> of scan: no device 'oven' in the rig \(have stage, mfc\)/ });
  await t.rejects(runPlan(parseRunArgs(['count', '--rig', rig, '--out', dir, '--det', 'nope']), capture()), { message: /^--det: no device 'nope'/ });
});

t.test('a signal mid-run aborts the run and keeps every event emitted', async (t) => {
  const { dir, rig } = tempRig(t);
  let fire: ((s: string) => void) | undefined;
  const io: RunIO = {
    out: (l) => {
      if (/^\|\s+2 \|/.test(l)) fire?.('SIGINT');
    },
    err: () => undefined,
    progress: false,
    onSignal: (h) => {
      fire = h;
      return () => (fire = undefined);
    },
  };
  const r = await runPlan(parseRunArgs(['scan', '--rig', rig, '--out', dir, '--det', 'mfc', 'stage.x', '-2', '2', '40']), io);
  t.equal(r.exitStatus, 'abort');
  t.equal(r.signal, 'SIGINT');
  t.equal(fire, undefined, 'the signal handler is removed after the run');
  const docs = docsOf(r.files[0]!);
  const events = docs.filter(([n]) => n === 'event');
  t.ok(events.length >= 2 && events.length < 40, `stopped early (${events.length} events)`);
  t.equal(events.length, r.events, 'every event counted is in the file');
  t.match(docs.at(-1), ['stop', { exit_status: 'abort', reason: /SIGINT/ }]);
});
