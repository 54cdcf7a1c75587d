/**
 * Issue 15: `labrig estop` stops and confirms on the wire; the command paths `labrig read` lists
 * (abortAll, allMotorsOff) work with `labrig set`; output folders and other arguments are
 * checked before anything starts; a device's raw control bytes never reach the terminal.
 */
import t from 'tap';
import net from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estopCli } from '../../src/cli/estop.js';
import { readCli, setCli, type CliIO } from '../../src/cli/read-set.js';
import { checkOutDir, oneLine, UsageError } from '../../src/cli/usage.js';
import { DeviceError, escapeControl, InvalidInputError } from '../../src/core/errors.js';
import { startAlicatSim } from '../../src/sim/alicat/index.js';
import { startGalilSim } from '../../src/sim/galil/index.js';
import { startLegatoSim } from '../../src/sim/legato/index.js';

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), progress: { isTTY: false, write: () => true } as never };
}

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

t.test('labrig estop <uri> stops a moving axis and confirms motors off', async (t) => {
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{ motorOn: true }, { motorOn: true }] });
  t.teardown(() => sim.close());
  // Start a long move with a second client, as another program would.
  const mover = net.connect(Number(new URL(sim.uri.replace('galil+tcp', 'http')).port), '127.0.0.1');
  t.teardown(() => mover.destroy());
  await new Promise((r) => mover.once('connect', r));
  mover.write('PRA=2000000\rBGA\r');
  const end = Date.now() + 30_000;
  while (!sim.model.axes[0]!.moving(sim.model.now()) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  t.ok(sim.model.axes[0]!.moving(sim.model.now()), 'axis A moving');
  const io = capture();
  t.equal(await estopCli([sim.uri], io), 0, `exit 0 when confirmed (${io.errors.join(' | ')})`);
  t.match(io.lines[0], /^e-stop: all 1 devices stopped in [\d.]+ ms$/);
  t.match(io.lines[1], /ok\s+galil \(galil\) .*axes A, B stopped, motors off/);
  t.notOk(sim.model.axes[0]!.moving(sim.model.now()), 'not moving on the simulator');
  t.ok(sim.model.axes.every((a) => a.motorOff), 'motors off on the simulator');
});

t.test('labrig estop --rig: every device, confirmed; a device out of reach fails the command', async (t) => {
  const galil = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{ motorOn: true }] });
  t.teardown(() => galil.close());
  const alicat = await startAlicatSim({ tcp: '127.0.0.1:0' });
  t.teardown(() => alicat.close());
  const legato = await startLegatoSim({ tcp: '127.0.0.1:0' });
  t.teardown(() => legato.close());
  legato.model.at(0).running = false;
  const dir = mkdtempSync(join(tmpdir(), 'labrig-estop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rig = join(dir, 'rig.json');
  writeFileSync(rig, JSON.stringify({ stage: { uri: galil.uri, enableOnConnect: true, axes: { x: { axis: 'A' } } }, mfc: alicat.uri, pump: legato.uri }));
  let io = capture();
  t.equal(await estopCli(['--rig', rig], io), 0, io.errors.join(' | '));
  t.match(io.lines[0], /^e-stop: all 3 devices stopped/);
  t.equal(alicat.model.unit('A').valve, 'hold', 'MFC valve held');
  t.ok(galil.model.axes[0]!.motorOff, 'motor off (opening read-only did not enable it first)');

  // A device that cannot be reached: the others are still stopped, and the command fails saying so.
  const closed = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  writeFileSync(rig, JSON.stringify({ mfc: alicat.uri, gone: `galil+tcp://127.0.0.1:${closed}?connectTimeoutMs=2000` }));
  io = capture();
  t.equal(await estopCli(['--rig', rig], io), 1, 'exit 1: not everything confirmed');
  t.ok(io.lines.some((l) => /ok\s+mfc/.test(l)), 'the reachable device was stopped');
  t.ok(io.lines.some((l) => /FAIL gone: NOT stopped, could not connect/.test(l)), io.lines.join(' | '));

  io = capture();
  t.equal(await estopCli(['--rig', rig, 'laser'], io), 2, 'a name not in the rig: usage error');
  t.match(io.errors[0], /no device 'laser' in the rig \(have mfc, gone\)/);
  t.equal(await estopCli([], (io = capture())), 2);
  t.equal(await estopCli(['--help'], (io = capture())), 0);
  t.match(io.lines[0], /^usage: labrig estop/);
});

t.test('command paths that read lists (abortAll, allMotorsOff) work with set', async (t) => {
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{ motorOn: true }, { motorOn: true }] });
  t.teardown(() => sim.close());
  let io = capture();
  t.equal(await readCli([sim.uri, 'nosuch'], io), 1);
  t.match(io.errors[0], /abortAll/, 'the path is listed');
  io = capture();
  t.equal(await setCli([sim.uri, 'allMotorsOff'], io), 0, io.errors.join(' | '));
  t.same(io.lines, ['allMotorsOff done']);
  t.ok(sim.model.axes.every((a) => a.motorOff), 'MO reached the controller');
  io = capture();
  t.equal(await setCli([sim.uri, 'abortAll'], io), 0);
  io = capture();
  t.equal(await setCli([sim.uri, 'abortAll', '1'], io), 1, 'a command takes no value');
  t.match(io.errors[0], /is a command and takes no value/);
});

t.test('output folders are checked before anything starts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-out-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'f'), '');
  t.throws(() => checkOutDir(join(dir, 'f')), UsageError, 'a file');
  t.throws(() => checkOutDir(join(dir, 'f', 'runs')), /is not a folder/, 'below a file');
  t.equal(checkOutDir(join(dir, 'new', 'runs')), join(dir, 'new', 'runs'), 'a missing folder under a writable one');
  t.equal(checkOutDir(dir), dir);
  if (process.getuid?.() !== 0) {
    mkdirSync(join(dir, 'ro'));
    chmodSync(join(dir, 'ro'), 0o500);
    t.teardown(() => chmodSync(join(dir, 'ro'), 0o700));
    t.throws(() => checkOutDir(join(dir, 'ro', 'runs')), /is not writable/, 'a read-only parent');
  }
});

t.test('control bytes are escaped in error messages, at the source', async (t) => {
  t.equal(escapeControl('a\x1b[2Jb\rc\x07d\x9be\u202ef\n\tg\x00\x7f'), 'a\\e[2Jb\\rc\\x07d\\x9be\\u{202e}f\n\tg\\0\\x7f');
  const e = new DeviceError({ device: 'pump', vendorMessage: 'bad\x1b]0;title\x07reply' });
  t.equal(e.message, 'pump: device error: bad\\e]0;title\\x07reply', 'the message is escaped');
  t.equal(e.vendorMessage, 'bad\x1b]0;title\x07reply', 'the typed field keeps the raw text');
  t.notMatch(new InvalidInputError({ what: 'frame', value: '\x9b31m', reason: 'garbled' }).message, CONTROL);
  t.notMatch(oneLine(new Error('plain \x1b[31m error')), CONTROL, 'the CLI escapes errors of other origins too');

  // A "device" answering with terminal escape sequences and 8-bit controls.
  const evil = net.createServer((s) => {
    s.on('error', () => undefined);
    s.on('data', () => s.write(Buffer.from('\x1b[2J\x1b]0;pwned\x07\x9b31m?evil\r\n:', 'latin1')));
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => evil.close(() => r())));
  const port = (evil.address() as net.AddressInfo).port;
  for (const uri of [`galil+tcp://127.0.0.1:${port}`, `alicat+tcp://127.0.0.1:${port}`]) {
    const io = capture();
    t.equal(await readCli([uri], io), 1, uri);
    t.ok(io.errors.length > 0 && io.errors.every((l) => !CONTROL.test(l)), `no raw control byte printed for ${uri}: ${JSON.stringify(io.errors)}`);
    t.match(io.errors.join('\n'), /pwned/, 'the reply is still shown, escaped');
  }
});
