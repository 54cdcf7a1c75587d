/**
 * The generic Modbus simulator and `labrig sim modbus`: the default map over TCP and over a pty,
 * live values, map checking, and the command's first line, exit codes and signal handling.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceError, InvalidInputError } from '../../../src/core/errors.js';
import { SignalRW } from '../../../src/core/signal/index.js';
import { openModbus, registerMapSignals } from '../../../src/protocols/modbus/index.js';
import { DEFAULT_SIM_MAP, parseHostPort, resolveSimMap, simModbusCli, startModbusSim } from '../../../src/sim/modbus/index.js';
import { killAll } from './helpers.js';

t.test('the default map over TCP: sizes, live values, followers', async (t) => {
  let nowMs = 1000;
  const sim = await startModbusSim({ clock: () => nowMs });
  const bus = openModbus(sim.address);
  t.teardown(async () => {
    await bus.close();
    await sim.close();
  });
  t.match(sim.address, /^modbus\+tcp:\/\/127\.0\.0\.1:\d+\?unit=1$/);
  t.equal((await bus.readHolding(0, 125)).length, 125);
  t.equal((await bus.readHolding(75, 125)).length, 125, 'holding registers 0..199 exist');
  t.equal(((await bus.readHolding(200, 1).catch((e: unknown) => e)) as DeviceError).vendorCode, 2);
  t.equal((await bus.readCoils(0, 32)).length, 32);
  t.equal((await bus.readDiscrete(0, 32)).length, 32);
  t.equal((await bus.readInput(0, 32)).length, 32);
  t.equal(((await bus.readHolding(0, 1, { unit: 2 }).catch((e: unknown) => e)) as DeviceError).vendorCode, 11, 'only unit 1 is served');

  const sig = registerMapSignals(bus, DEFAULT_SIM_MAP.registers ?? []);
  t.equal(await sig.setpoint!.getValue(), 25);
  t.equal(await sig.temperature!.getValue(), 25, 'sine at t = 0');
  nowMs += 2500;
  t.equal(await sig.temperature!.getValue(), 27, 'sine at a quarter period: mean + amplitude');
  t.equal(await sig.uptime!.getValue(), 3, 'ramp: 2.5 s rounded to whole seconds');
  t.equal(await sig.heartbeat!.getValue(), true, 'square wave, 1 s period, at 2.5 s');
  nowMs += 5000;
  t.equal(await sig.temperature!.getValue(), 23, 'three quarters: mean - amplitude');

  // readback follows the setpoint with a 2 s first-order lag.
  t.equal(await sig.readback!.getValue(), 25);
  await (sig.setpoint as SignalRW<number | boolean>).set(35);
  nowMs += 2000;
  t.equal(await sig.readback!.getValue(), 31.3, 'one time constant: 63 % of the step (raw steps of 0.1)');
  nowMs += 20_000;
  t.equal(await sig.readback!.getValue(), 35, 'settled');
  await (sig.run as SignalRW<number | boolean>).set(true);
  t.equal(await sig.running!.getValue(), true, 'running follows the run coil');
  t.equal(sim.get('setpoint'), 35);
  sim.set('mode', 2);
  t.equal(await sig.mode!.getValue(), 2, 'the simulator can change values itself');
  t.throws(() => sim.get('nope'), InvalidInputError);
  const noise = (await sig.noise!.getValue()) as number;
  t.ok(noise >= -100 && noise <= 100, 'noise within its amplitude');
});

t.test('the simulator over a pty speaks Modbus RTU', async (t) => {
  const sim = await startModbusSim({ pty: true, baud: 19200 });
  const bus = openModbus(`${sim.address}&timeoutMs=10000`);
  t.teardown(async () => {
    await bus.close();
    await sim.close();
  });
  t.match(sim.address, /^modbus\+rtu:\/\/\/dev\/pts\/\d+\?baud=19200&unit=1$/);
  t.same(sim.addresses, [sim.address]);
  const regs = await bus.readHolding(0, 2);
  t.same([...regs], [0x41c8, 0x0000], 'setpoint 25.0 as float32, high word first');
  await bus.writeMultiple(100, [1, 2, 3]);
  t.same([...(await bus.readHolding(100, 3))], [1, 2, 3]);
});

t.test('maps are checked', async (t) => {
  t.throws(() => resolveSimMap([]), InvalidInputError);
  t.throws(() => resolveSimMap({ unit: 0 }), InvalidInputError);
  t.throws(() => resolveSimMap({ tables: { bogus: 3 } }), InvalidInputError);
  t.throws(() => resolveSimMap({ tables: { holding: -1 } }), InvalidInputError);
  t.throws(() => resolveSimMap({ registers: [{ name: 'a', table: 'holding', address: 0, value: true }] }), InvalidInputError);
  t.throws(() => resolveSimMap({ registers: [{ name: 'a', table: 'input', address: 0, sim: { kind: 'follow', source: 'nope' } }] }), InvalidInputError);
  t.throws(() => resolveSimMap({ registers: [{ name: 'a', table: 'input', address: 0, sim: { kind: 'sine', periodS: 0 } }] }), InvalidInputError);
  t.throws(() => resolveSimMap({ registers: [{ name: 'a', table: 'input', address: 0, sim: { kind: 'wobble' } as never }] }), InvalidInputError);
  const ok = resolveSimMap({ tables: { coil: 4 }, registers: [{ name: 'x', table: 'holding', address: 10, type: 'int32', value: -5 }] });
  t.equal(ok.unit, 1);
  t.same(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
  t.same(parseHostPort(':502'), { host: '127.0.0.1', port: 502 });
  t.throws(() => parseHostPort('localhost'), InvalidInputError);
});

t.test('a map from JSON defines exactly its addresses', async (t) => {
  const sim = await startModbusSim({
    tcp: '127.0.0.1:0',
    map: { unit: 7, tables: { coil: 4 }, registers: [{ name: 'x', table: 'holding', address: 10, type: 'int32', value: -5 }] },
  });
  const bus = openModbus(sim.address);
  t.teardown(async () => {
    await bus.close();
    await sim.close();
  });
  t.match(sim.address, /\?unit=7$/);
  t.same([...(await bus.readHolding(10, 2))], [0xffff, 0xfffb]);
  t.equal(((await bus.readHolding(9, 1).catch((e: unknown) => e)) as DeviceError).vendorCode, 2);
  t.same(await bus.readCoils(0, 4), [false, false, false, false]);
});

t.test('labrig sim modbus in process: first line is the address; stops on abort', async (t) => {
  const lines: string[] = [];
  const errs: string[] = [];
  const ac = new AbortController();
  let first!: (line: string) => void;
  const firstLine = new Promise<string>((r) => (first = r));
  const done = simModbusCli(['--tcp', '127.0.0.1:0'], {
    out: (l) => {
      if (lines.push(l) === 1) first(l);
    },
    err: (l) => errs.push(l),
    signal: ac.signal,
  });
  const address = await firstLine;
  t.match(address, /^modbus\+tcp:\/\/127\.0\.0\.1:\d+\?unit=1$/);
  const bus = openModbus(address);
  t.equal((await bus.readHolding(0, 100)).length, 100);
  await bus.close();
  ac.abort();
  t.equal(await done, 0);
});

t.test('labrig sim modbus: usage errors exit 2', async (t) => {
  const errs: string[] = [];
  const io = { out: () => {}, err: (l: string) => errs.push(l) };
  t.equal(await simModbusCli(['--bogus'], io), 2);
  t.equal(await simModbusCli(['--tcp'], io), 2);
  t.equal(await simModbusCli(['--tcp', 'nonsense'], io), 2);
  const dir = mkdtempSync(join(tmpdir(), 'labrig-modbus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.json'), '{ not json');
  t.equal(await simModbusCli(['--map', join(dir, 'bad.json')], io), 2);
  writeFileSync(join(dir, 'wrong.json'), JSON.stringify({ registers: [{ name: 'a', table: 'coil', address: 0, type: 'int16' }] }));
  t.equal(await simModbusCli(['--map', join(dir, 'wrong.json')], io), 2);
  t.match(errs.join('\n'), /unknown argument/);
  const out: string[] = [];
  t.equal(await simModbusCli(['--help'], { out: (l) => out.push(l) }), 0);
  t.match(out[0], /usage: labrig sim modbus/);
});

t.test('labrig sim modbus as a process: --map FILE, --pty, SIGTERM ends it with status 0', async (t) => {
  const children = new Set<ChildProcess>();
  const dir = mkdtempSync(join(tmpdir(), 'labrig-modbus-'));
  t.teardown(async () => {
    await killAll(children);
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'map.json');
  writeFileSync(file, JSON.stringify({ tables: { holding: 10 }, registers: [{ name: 'answer', table: 'holding', address: 3, value: 42 }] }));
  const cli = new URL('../../../src/sim/modbus/cli.ts', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(cli)}); process.exitCode = await m.simModbusCli(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, '--', '--tcp', '127.0.0.1:0', '--pty', '--map', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const lines = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address within 30 s: ${out}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const ls = out.split('\n');
      if (ls.length >= 3) {
        clearTimeout(timer);
        resolve(ls.slice(0, 2));
      }
    });
  });
  t.match(lines[0], /^modbus\+tcp:\/\/127\.0\.0\.1:\d+\?unit=1$/, 'first line: the TCP address');
  t.match(lines[1], /^modbus\+rtu:\/\/\/dev\/pts\/\d+\?baud=9600&unit=1$/, 'second line: the RTU address');
  for (const address of lines) {
    const bus = openModbus(address as string);
    t.same([...(await bus.readHolding(3, 1))], [42], `read through ${address}`);
    await bus.close();
  }
  const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  child.kill('SIGTERM');
  t.equal(await exit, 0, 'clean exit on SIGTERM');
});
