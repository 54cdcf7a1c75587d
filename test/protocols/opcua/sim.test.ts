/**
 * The OPC UA simulator: node list checks, the simulation functions, start-up errors, and the
 * `labrig sim opcua` command run as a child process (endpoint on the first stdout line, serves
 * the nodes, stops cleanly on SIGINT, leaves no files behind).
 */
import t from 'tap';
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../../../src/core/errors.js';
import { OpcuaClient } from '../../../src/protocols/opcua/index.js';
import { DEFAULT_SIM_NODES, freePort, nextValue, parseSimNodes, startOpcuaSim, type ResolvedSimNode } from '../../../src/sim/opcua/index.js';
import { privateTmp, waitUntil } from './helpers.js';

t.setTimeout(240_000);

const tmp = await privateTmp(t);
const fixture = fileURLToPath(new URL('./fixtures/run-sim-cli.ts', import.meta.url));

t.test('node lists are checked, naming the entry and field', async (t) => {
  const nodes = parseSimNodes(DEFAULT_SIM_NODES);
  t.equal(nodes.length, DEFAULT_SIM_NODES.length, 'the default set is valid');
  t.ok(nodes.some((n) => n.writable) && nodes.some((n) => n.simulate) && nodes.some((n) => Array.isArray(n.value)), 'it has setpoints, changing sensors and arrays');
  const [one] = parseSimNodes([{ browseName: 'X', dataType: 'Int16' }]);
  t.same(one, { browseName: 'X', dataType: 'Int16', nodeId: 'ns=1;s=X', value: 0, writable: false }, 'defaults filled in');
  const bad: Array<[unknown, RegExp]> = [
    [{}, /^nodes:/],
    [[{ browseName: 'A', dataType: 'Double', colour: 'red' }], /nodes\[0\]\.colour/],
    [[{ browseName: 'A', dataType: 'Decimal' }], /nodes\[0\]\.dataType/],
    [[{ browseName: '', dataType: 'Double' }], /nodes\[0\]\.browseName/],
    [[{ browseName: 'A', dataType: 'Double', value: 'hot' }], /nodes\[0\]\.value/],
    [[{ browseName: 'A', dataType: 'UInt16', value: 70000 }], /nodes\[0\]\.value.*UInt16/],
    [[{ browseName: 'A', dataType: 'Int32', value: [1, 2.5] }], /nodes\[0\]\.value\[1\]/],
    [[{ browseName: 'A', dataType: 'Double', nodeId: 'ns=2;s=A' }], /nodes\[0\]\.nodeId/],
    [[{ browseName: 'A', dataType: 'Double' }, { browseName: 'B', nodeId: 'ns=1;s=A', dataType: 'Double' }], /nodes\[1\]\.nodeId.*twice/],
    [[{ browseName: 'A', dataType: 'Double', range: [5, 1] }], /nodes\[0\]\.range/],
    [[{ browseName: 'A', dataType: 'String', units: 'm' }], /nodes\[0\]\.units/],
    [[{ browseName: 'A', dataType: 'Double', simulate: 'toggle' }], /nodes\[0\]\.simulate/],
    [[{ browseName: 'A', dataType: 'Double', simulate: 'chaos' }], /nodes\[0\]\.simulate/],
    [[{ browseName: 'A', dataType: 'Double', period: 0 }], /nodes\[0\]\.period/],
    [[{ browseName: 'A', dataType: 'Double', follows: 'ns=1;s=Nope' }], /nodes\[0\]\.follows/],
    [[{ browseName: 'A', dataType: 'Double', follows: 'ns=1;s=A' }], /nodes\[0\]\.follows/],
  ];
  for (const [input, where] of bad) t.throws(() => parseSimNodes(input), { name: 'InvalidInputError', message: where }, `rejects ${JSON.stringify(input)}`);
});

t.test('simulated values follow their rule', async (t) => {
  const node = (spec: Partial<ResolvedSimNode>): ResolvedSimNode => parseSimNodes([{ browseName: 'N', dataType: 'Double', ...spec }])[0]!;
  const none = (): undefined => undefined;
  const sine = node({ value: 10, simulate: 'sine', amplitude: 2, period: 4 });
  t.equal(nextValue(sine, 0, 0.1, 10, 10, none), 10, 'sine starts at its centre');
  t.equal(nextValue(sine, 1, 0.1, 10, 10, none), 12, 'a quarter period later: centre + amplitude');
  t.ok(Math.abs((nextValue(sine, 3, 0.1, 10, 10, none) as number) - 8) < 1e-9, 'three quarters: centre − amplitude');
  const arr = node({ value: [0, 0, 0, 0], simulate: 'sine', amplitude: 1, period: 4 });
  const wave = nextValue(arr, 0, 0.1, [0, 0, 0, 0], [0, 0, 0, 0], none) as number[];
  t.same(wave.map((x) => Math.round(x * 1e9) / 1e9), [0, 1, 0, -1], 'array elements are phase-shifted');
  const ramp = node({ value: 0, simulate: 'ramp', range: [0, 100], period: 10 });
  t.equal(nextValue(ramp, 2.5, 0.1, 0, 0, none), 25);
  t.equal(nextValue(ramp, 12.5, 0.1, 0, 0, none), 25, 'ramps wrap');
  const counter = parseSimNodes([{ browseName: 'C', dataType: 'UInt32', value: 5, simulate: 'counter', period: 0.5 }])[0]!;
  t.equal(nextValue(counter, 1.2, 0.1, 5, 5, none), 7);
  const toggle = parseSimNodes([{ browseName: 'B', dataType: 'Boolean', simulate: 'toggle', period: 2 }])[0]!;
  t.same([0.2, 1.2, 2.2].map((s) => nextValue(toggle, s, 0.1, false, false, none)), [false, true, false]);
  const noise = node({ value: 50, simulate: 'noise', amplitude: 3 });
  t.equal(nextValue(noise, 1, 0.1, 50, 50, none, () => 1), 53, 'noise within ±amplitude');
  t.equal(nextValue(noise, 1, 0.1, 50, 50, none, () => 0), 47);
  const walk = node({ value: 1, simulate: 'randomwalk', amplitude: 10, range: [0, 2] });
  t.equal(nextValue(walk, 1, 0.1, 1, 1.9, none, () => 1), 2, 'random walks stay in the range');
  const nodes = parseSimNodes([
    { browseName: 'SP', dataType: 'Double', value: 0, writable: true },
    { browseName: 'PV', dataType: 'Int16', value: 0, follows: 'ns=1;s=SP', tau: 2 },
  ]);
  const pv = nodes[1]!;
  const lookup = (id: string): number | undefined => (id === 'ns=1;s=SP' ? 100 : undefined);
  t.equal(nextValue(pv, 1, 2, 0, 0, lookup), Math.round(100 * (1 - Math.exp(-1))), 'first-order lag, rounded for an integer type');
  t.equal(nextValue(pv, 1, 0.1, 0, 99.99999999, lookup), 100, 'settles exactly on the target');
  t.equal(nextValue(node({ value: 3 }), 1, 0.1, 3, 3, none), undefined, 'static nodes do not change');
});

t.test('start-up errors are typed and leave nothing running', async (t) => {
  await t.rejects(startOpcuaSim({ port: -1 }), InvalidInputError);
  await t.rejects(startOpcuaSim({ updateMs: 1 }), InvalidInputError);
  await t.rejects(startOpcuaSim({ nodes: [{ browseName: 'A', dataType: 'Nope' as never }] }), InvalidInputError);
  const port = await freePort();
  const busy: Server = createServer();
  await new Promise<void>((r) => busy.listen(port, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => busy.close(() => r())));
  await t.rejects(startOpcuaSim({ port, pkiDir: join(tmp.dir, 'pki') }), { name: 'InvalidInputError', message: /already in use/ });
  t.same(await tmp.leftovers(), [], 'no temporary folder left');
});

interface Child {
  proc: ChildProcess;
  firstLine: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function runCli(t: Test, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp.dir },
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const lines = createInterface({ input: proc.stdout! });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    proc.once('exit', () => reject(new Error(`exited before printing a line; stderr:\n${err}`)));
  });
  firstLine.catch(() => undefined);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  // Hang guard: never leave a child behind, whatever happens in the test.
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exit;
    }
  });
  return { proc, firstLine, exit, stderr: () => err };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

t.test('labrig sim opcua prints the endpoint first, serves the default nodes, stops on SIGINT', async (t) => {
  const child = runCli(t, []);
  const line = await within(child.firstLine, 60_000, 'first line');
  t.match(line, /^opc\.tcp:\/\/127\.0\.0\.1:\d+$/, 'the first stdout line is the endpoint');
  const client = new OpcuaClient(line, { timeoutMs: 5000 });
  t.teardown(() => client.close());
  await client.connect();
  const names = (await client.browse('ns=1;s=Sim')).map((e) => e.browseName);
  for (const n of DEFAULT_SIM_NODES) t.ok(names.includes(n.browseName), `${n.browseName} served`);
  const c0 = (await client.read<number>('ns=1;s=Counter')).value;
  const counts: number[] = [];
  const sub = await client.subscribe<number>('ns=1;s=Counter', (v) => counts.push(v.value));
  await waitUntil('counter to advance', () => counts.some((c) => c > c0), 20_000);
  await sub.unsubscribe();
  await client.write('ns=1;s=HeaterSetpoint', 40);
  const heater: number[] = [];
  const sub2 = await client.subscribe<number>('ns=1;s=HeaterTemperature', (v) => heater.push(v.value));
  await waitUntil('readback moving toward the setpoint', () => heater.some((h) => h > 26 && h < 40), 20_000);
  await sub2.unsubscribe();
  await t.rejects(client.write('ns=1;s=HeaterSetpoint', 500), { name: 'DeviceError', vendorCode: 'BadOutOfRange' });
  await client.close();
  child.proc.kill('SIGINT');
  const { code, signal } = await within(child.exit, 30_000, 'exit after SIGINT');
  t.equal(signal, null, 'not killed by the signal: it handled it');
  t.equal(code, 0, 'exit code 0');
  t.same(await tmp.leftovers(), [], 'its PKI folder is gone');
});

t.test('--port and --nodes FILE; SIGTERM stops it too', async (t) => {
  const file = join(tmp.dir, 'nodes.json');
  await writeFile(file, JSON.stringify([{ browseName: 'Voltage', nodeId: 'ns=1;s=Voltage', dataType: 'Float', value: 1.5, units: 'V', writable: true }]));
  const port = await freePort();
  const child = runCli(t, ['--port', String(port), '--nodes', file]);
  const line = await within(child.firstLine, 60_000, 'first line');
  t.equal(line, `opc.tcp://127.0.0.1:${port}`);
  const client = new OpcuaClient(line, { timeoutMs: 5000 });
  t.teardown(() => client.close());
  await client.connect();
  t.equal((await client.read('ns=1;s=Voltage')).value, 1.5);
  t.match(await client.readInfo('ns=1;s=Voltage'), { units: 'V', writable: true, dataType: 'Float' });
  await client.close();
  child.proc.kill('SIGTERM');
  t.same(await within(child.exit, 30_000, 'exit after SIGTERM'), { code: 0, signal: null });
  await rm(file, { force: true });
});

t.test('bad arguments exit with code 2 and print nothing on stdout', async (t) => {
  const out: string[] = [];
  const child = runCli(t, ['--port', 'eighty']);
  child.firstLine.then((l) => out.push(l), () => undefined);
  const { code } = await within(child.exit, 60_000, 'exit');
  t.equal(code, 2);
  t.same(out, []);
  t.match(child.stderr(), /--port: expected 0\.\.65535/);
  const file = join(tmp.dir, 'bad.json');
  await writeFile(file, JSON.stringify([{ browseName: 'A', dataType: 'Double', value: 'x' }]));
  const child2 = runCli(t, ['--nodes', file]);
  t.equal((await within(child2.exit, 60_000, 'exit')).code, 2);
  t.match(child2.stderr(), /nodes\[0\]\.value/);
  await rm(file, { force: true });
});

t.test('the temporary folder is empty at the end', async (t) => {
  t.same(await tmp.leftovers(), []);
});
