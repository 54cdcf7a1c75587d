/**
 * The simulator on its own: command interpreter details (integer setpoint, registers, unit id
 * change, streaming over TCP, meters refusing controller commands), physics (first-order response,
 * totalizer, tares), the CLI (prints the driver URI first, stops on SIGTERM) and the URI schemes.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { InvalidInputError } from '../../../src/core/errors.js';
import { alicatFamily, configFromUri, openAlicat, openAlicatBus, ALICAT_BAUD } from '../../../src/drivers/alicat/index.js';
import { registerFamily } from '../../../src/drivers/registry.js';
import { parseAddress } from '../../../src/protocols/uri.js';
import { AlicatInterpreter, AlicatModel, parseAlicatSimArgs } from '../../../src/sim/alicat/index.js';
import { manualClock, rawStream, simFor, sleep } from './helpers.js';

// URI schemes are known once their family is registered (decision 0010).
registerFamily(alicatFamily);

t.test('interpreter: integer setpoint, registers, unit id change, meters, unknown ids and commands', async (t) => {
  const clock = manualClock();
  const model = new AlicatModel({ units: ['A', { id: 'M', kind: 'meter' }], clock: clock.read });
  const it = new AlicatInterpreter(model);
  t.match(it.handle('A32000'), /^A \+014\.70 \+025\.00 \+000\.00 \+000\.00 \+050\.00 +N2\r$/, 'integer setpoint: 32000 of 64000 is half of full scale');
  t.equal(it.handle('a'), 'A +014.70 +025.00 +000.00 +000.00 +050.00     N2\r', 'commands are case-insensitive');
  t.equal(it.handle('AS 12.5'), 'A +014.70 +025.00 +000.00 +000.00 +012.50     N2\r', 'a space after S is accepted');
  t.equal(it.handle('AS150'), '?\r', 'beyond full scale');
  t.equal(it.handle('AW122=99'), '?\r', 'unknown loop code');
  t.equal(it.handle('AR91'), 'A   091 = 50\r');
  t.equal(it.handle('AW300=7'), 'A   300 = 7\r');
  t.equal(it.handle('AR300'), 'A   300 = 7\r');
  t.equal(it.handle('A$$R46'), 'A   046 = 2056\r', 'register 46 has other bits besides the gas number');
  t.equal(it.handle('AG99'), '?\r');
  t.equal(it.handle('Q'), undefined, 'nobody has id Q: no reply at all');
  t.equal(it.handle('AFOO'), '?\r');
  t.equal(it.handle('M$$H'), '?\r', 'a meter has no valve');
  t.equal(it.handle('MS1'), '?\r');
  t.equal(it.handle('M'), 'M +014.70 +025.00 +000.00 +000.00     N2\r', 'a meter frame has no setpoint');
  t.equal(it.handle('A@=B')?.slice(0, 2), 'B ', 'unit id change answers from the new id');
  t.equal(it.handle('A'), undefined, 'A is gone');
  t.equal(it.handle('B@=M'), '?\r', 'an id in use is refused');
  t.equal(it.handle('B@=@'), '?\r', 'no streaming without a transport that can push');
});

t.test('physics: first-order response, exact totalizer, tares against drifts', async (t) => {
  const clock = manualClock();
  const model = new AlicatModel({ units: [{ id: 'A', totalizer: true, timeConstantMs: 1000, flowZeroDrift: 0.2, pressureDrift: 0.5 }], clock: clock.read });
  const u = model.unit('A');
  t.equal(u.frame(clock.now).pressure, 15.2, 'pressure drift before the tare');
  u.tarePressure();
  t.equal(u.frame(clock.now).pressure, 14.7);
  t.equal(u.frame(clock.now).massFlow, 0.2, 'zero drift before the flow tare');
  u.tareFlow();
  t.equal(u.frame(clock.now).massFlow, 0);
  u.setpoint = 60;
  clock.now += 1000;
  const f1 = u.frame(clock.now);
  t.ok(Math.abs(f1.massFlow - 60 * (1 - Math.exp(-1))) < 1e-9, 'one time constant: 63 % of the step');
  t.ok(Math.abs(f1.totalizer! - (60 * 1000 - 60 * 1000 * (1 - Math.exp(-1))) / 60000) < 1e-9, 'totalizer is the exact integral');
  u.valve = 'hold';
  clock.now += 5000;
  t.equal(u.frame(clock.now).massFlow, f1.massFlow, 'hold freezes the flow');
  u.valve = 'closed';
  clock.now += 20_000;
  t.ok(u.frame(clock.now).massFlow < 1e-6, 'hold-closed drains it');
});

t.test('streaming over TCP: @=@ pushes frames with id @, @@=A stops and answers as A', async (t) => {
  const sim = await simFor(t, { defaults: { timeConstantMs: 20 } });
  const s = await rawStream(t, sim, 'tcp');
  let buf = '';
  s.onData((c) => (buf += Buffer.from(c).toString('latin1')));
  // Wait on what arrives (bounded generously), never on a sleep assumed long enough: the machine may be loaded.
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    const end = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`no ${what} within 10 s (got ${JSON.stringify(buf)})`);
      await sleep(5);
    }
  };
  s.write(Buffer.from('AW91=20\r'));
  await until('register reply', () => buf.endsWith('\r'));
  t.equal(buf, 'A   091 = 20\r');
  buf = '';
  s.write(Buffer.from('A@=@\r'));
  await until('4 streamed frames', () => buf.split('\r').filter(Boolean).length >= 4);
  const lines = buf.split('\r').filter(Boolean);
  t.ok(lines.every((l) => l.startsWith('@ ')), 'streamed frames carry id @');
  s.write(Buffer.from('@@=A\r'));
  await until('the answer as A', () => /(^|\r)A [^\r]*\r/.test(buf));
  buf = '';
  await sleep(80);
  t.equal(buf, '', 'the stream stopped (no frame in the next 80 ms; it streamed every 5 ms)');
  s.write(Buffer.from('A\r'));
  await until('a poll reply', () => buf.endsWith('\r'));
  t.match(buf, /^A \+014\.70/);
});

t.test('streamed frames (id @) on the same line never reach a polling unit', async (t) => {
  const sim = await simFor(t, { units: ['A', 'B'], defaults: { timeConstantMs: 20 } });
  const bus = await openAlicatBus(sim.lineUri, { timeoutMs: 300 });
  t.teardown(() => bus.close());
  const a = await bus.unit({ unit: 'A', kind: 'controller', fullScale: 100, pollMs: 10 });
  await bus.channel.send('AW91=5');
  await sleep(30);
  await bus.channel.send('B@=@');
  await sleep(30);
  t.ok(sim.model.unit('B').streaming, 'B streams every 5 ms on the same connection');
  await a.set(20);
  for (let i = 0; i < 10; i++) {
    const f = await a.commands.poll();
    t.equal(f.unit, 'A');
    t.equal(f.setpoint, 20);
  }
  await bus.channel.send('@@=B');
});

t.test('CLI: parses its options', async (t) => {
  t.same(parseAlicatSimArgs(['--tcp', '127.0.0.1:0', '--units', 'a,b', '--faults', 'delay:5']), { tcp: '127.0.0.1:0', units: ['A', 'B'], faults: 'delay:5' });
  t.same(parseAlicatSimArgs(['--pty', '--totalizer', '--time-constant', '50']), { pty: true, defaults: { totalizer: true, timeConstantMs: 50 } });
  for (const bad of [['--tcp'], ['--units', '1'], ['--bogus'], ['--tcp', 'x:1', '--pty'], ['--time-constant', '-1']]) t.throws(() => parseAlicatSimArgs(bad), Error, bad.join(' '));
});

t.test('CLI: `labrig sim alicat --pty` prints the driver URI first and stops on SIGTERM', async (t) => {
  const code = "const m = await import('./src/sim/alicat/cli.ts'); process.exitCode = await m.simAlicatCli(['--pty', '--units', 'A,B']);";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no URI printed within 20 s')), 20_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  t.match(first, /^alicat\+serial:\/\/\/.+\?unit=A$/);
  const d = await openAlicat(first, { kind: 'controller', fullScale: 100 });
  t.equal((await d.commands.poll()).unit, 'A', 'the printed URI reaches the simulator');
  await d.close();
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit code 0 after SIGTERM');
});

t.test('URI schemes alicat+serial and alicat+tcp', async (t) => {
  const s = parseAddress('alicat+serial:///dev/ttyUSB0?unit=b&baud=38400&fullScale=200');
  t.equal(s.scheme, 'serial');
  t.equal(s.family, 'alicat');
  t.equal((s as { path: string }).path, '/dev/ttyUSB0');
  t.equal((s as { baudRate: number }).baudRate, 38400);
  t.same(s.params, { unit: 'B', fullScale: '200' });
  t.equal((parseAddress('alicat+serial:///dev/ttyUSB0') as { baudRate: number }).baudRate, ALICAT_BAUD);
  const c = parseAddress('alicat+tcp://127.0.0.1:4001?unit=C&kind=meter');
  t.equal((c as { port: number }).port, 4001);
  t.same(configFromUri('alicat+tcp://127.0.0.1:4001?unit=C&kind=meter&totalizer&pollMs=50'), { unit: 'C', kind: 'meter', totalizer: true, pollMs: 50 });
  for (const bad of [
    'alicat+serial:///dev/ttyUSB0?unit=AB',
    'alicat+serial:///dev/ttyUSB0?colour=red',
    'alicat+tcp://127.0.0.1?unit=A',
    'alicat+tcp://127.0.0.1:4001/x',
    'alicat+serial://',
  ]) t.throws(() => parseAddress(bad), InvalidInputError, bad);
  t.throws(() => configFromUri('alicat+tcp://127.0.0.1:4001?fullScale=lots'), InvalidInputError);
});
