/**
 * `labrig read` / `labrig set` on the addresses `labrig sim` prints for the generic families
 * (issue 15): `modbus+tcp://` (registers by address, or named by a map file) and `opc.tcp://`
 * (the server's variables, or a node by NodeId); unknown schemes list the known ones.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCli, setCli, type CliIO } from '../../src/cli/read-set.js';
import { simModbusCli } from '../../src/sim/modbus/index.js';
import { startOpcuaSim } from '../../src/sim/opcua/index.js';
import { privateTmp, TEST_NODES } from '../protocols/opcua/helpers.js';

// node-opcua takes seconds to load and to create certificates on a busy machine (as the other OPC UA tests).
t.setTimeout(180_000);

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), progress: { isTTY: false, write: () => true } as never };
}

t.test('labrig read and set on the modbus+tcp:// address labrig sim modbus prints', async (t) => {
  const stop = new AbortController();
  const printed: string[] = [];
  let first!: () => void;
  const started = new Promise<void>((r) => (first = r));
  const running = simModbusCli(['--tcp', '127.0.0.1:0'], { out: (l) => (printed.push(l), first()), err: () => undefined, signal: stop.signal });
  t.teardown(async () => {
    stop.abort();
    await running;
  });
  await Promise.race([started, new Promise((_, reject) => setTimeout(() => reject(new Error('no address within 20 s')), 20_000))]);
  const uri = printed[0]!;
  t.match(uri, /^modbus\+tcp:\/\/127\.0\.0\.1:\d+\?unit=1$/);

  let io = capture();
  t.equal(await readCli([uri, 'hr/0:float32', 'hr/2'], io), 0, 'registers by address');
  t.same(io.lines, ['hr/0:float32 25', 'hr/2 0'], 'the setpoint (float32) and the mode word');
  io = capture();
  t.equal(await setCli([uri, 'hr/0:float32', '31.5'], io), 0);
  io = capture();
  t.equal(await readCli([uri, 'hr/0:float32'], io), 0);
  t.same(io.lines, ['hr/0:float32 31.5'], 'the write reached the simulator');

  io = capture();
  t.equal(await readCli([uri], io), 1, 'no map, no paths');
  t.match(io.errors[0], /has no readable signals \(name them by address, e\.g\. hr\/0:float32/);

  const dir = mkdtempSync(join(tmpdir(), 'labrig-read-map-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const map = join(dir, 'map.json');
  writeFileSync(map, JSON.stringify([{ name: 'setpoint', table: 'holding', address: 0, type: 'float32', units: 'degC' }, { name: 'mode', table: 'holding', address: 2 }]));
  io = capture();
  t.equal(await readCli([`${uri}&map=${encodeURIComponent(map)}`], io), 0, 'with a map: every named register');
  t.same(io.lines, ['setpoint 31.5 degC', 'mode 0']);
});

t.test('labrig read on the opc.tcp:// address labrig sim opcua prints', async (t) => {
  await privateTmp(t);
  const sim = await startOpcuaSim({ nodes: TEST_NODES });
  t.teardown(() => sim.close());
  let io = capture();
  t.equal(await readCli([sim.endpoint, 'Temp', 'ns=1;s=Label'], io), 0, 'by browse name and by NodeId');
  t.same(io.lines, ['Temp 21.5 °C', 'ns=1;s=Label idle']);
  io = capture();
  t.equal(await readCli([sim.endpoint], io), 0, 'every variable of the server');
  t.ok(io.lines.some((l) => l.startsWith('Setpoint 10')) && io.lines.some((l) => l.startsWith('Label idle')), io.lines.join(' | '));
  io = capture();
  t.equal(await setCli([sim.endpoint, 'Setpoint', '12'], io), 0);
  t.equal(sim.get('ns=1;s=Setpoint'), 12);
});

const KNOWN_SCHEMES = ['galil+tcp://', 'galil+serial://', 'alicat+serial://', 'alicat+tcp://', 'legato+serial://', 'legato+tcp://', 'modbus+tcp://', 'modbus+rtu://', 'opc.tcp://', 'gamry://', 'biologic://', 'nidaqmx://', 'tango://'];
const KNOWN_SIMULATORS = ['galil', 'alicat', 'legato', 'modbus', 'opcua', 'gamry', 'biologic', 'nidaqmx', 'tango'];

t.test('an unknown scheme lists the known ones', async (t) => {
  const io = capture();
  t.equal(await readCli(['frob+tcp://127.0.0.1:1'], io), 2, 'a usage error, found before connecting');
  t.match(io.errors[0], /unknown device scheme \(known: /);
  for (const scheme of KNOWN_SCHEMES) t.ok(io.errors[0]!.includes(scheme), `lists ${scheme}`);
  t.match(io.errors[0], new RegExp(`sim:<${KNOWN_SIMULATORS.join('\\|')}>`), 'lists every simulator');
});
