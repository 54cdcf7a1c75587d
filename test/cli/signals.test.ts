/**
 * Issue 15: Ctrl-C, SIGTERM and a second signal stop the hardware. `labrig set` and `labrig demo
 * --rig FILE` run as child processes (the real `bin/labrig.js`) against the Galil, Alicat and
 * Legato wire simulators served over TCP by this process; the test signals the child mid-motion
 * or mid-run and then reads the simulators' own state: no axis moving, motors off, pump idle,
 * MFC valve held; the JSON-lines file ends with a run_stop `abort` and a reason; exit code
 * 128 + the signal (130 for SIGINT, 143 for SIGTERM).
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAlicatSim } from '../../src/sim/alicat/index.js';
import { startGalilSim } from '../../src/sim/galil/index.js';
import { startLegatoSim } from '../../src/sim/legato/index.js';
import { FaultInjector } from '../../src/sim/faults.js';

const bin = fileURLToPath(new URL('../../bin/labrig.js', import.meta.url));
// Seven child processes that load TypeScript through tsx: each takes seconds, tens of seconds on
// a loaded 2-core machine (the whole suite running beside it).
t.setTimeout(900_000);

interface Child {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `labrig <args>` as a child process; killed (SIGKILL, by PID) in teardown if still running. */
function labrig(t: Test, args: string[], cwd: string): Child {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    await exited;
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Poll `cond` every 20 ms until true; fail naming `what` after `ms` (generous: a loaded machine). */
async function until(what: string, cond: () => boolean, ms = 90_000, child?: Child): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${child ? `; stdout: ${child.stdout()} stderr: ${child.stderr()}` : ''}`);
    if (child && child.child.exitCode !== null) throw new Error(`${what}: the child exited with ${child.child.exitCode}; stdout: ${child.stdout()} stderr: ${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The three wire simulators on loopback TCP, closed in teardown. */
async function sims(t: Test, legatoFaults?: FaultInjector) {
  const galil = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{ motorOn: true }, { motorOn: true }] });
  t.teardown(() => galil.close());
  const alicat = await startAlicatSim({ tcp: '127.0.0.1:0', defaults: { timeConstantMs: 30 } });
  t.teardown(() => alicat.close());
  const legato = await startLegatoSim({ tcp: '127.0.0.1:0', ...(legatoFaults ? { faults: legatoFaults } : {}) });
  t.teardown(() => legato.close());
  const moving = (): boolean => galil.model.axes.some((a) => a.moving(galil.model.now()));
  const motorsOff = (): boolean => galil.model.axes.every((a) => a.motorOff);
  return { galil, alicat, legato, moving, motorsOff };
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-signals-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  const code = signal === 'SIGINT' ? 130 : 143;

  t.test(`${signal} to labrig set mid-move stops the axis, turns the motors off and exits ${code}`, async (t) => {
    const { galil, moving, motorsOff } = await sims(t);
    const c = labrig(t, ['set', galil.uri, 'A', '2000000'], tempDir(t));
    await until('axis A moving', moving, 180_000, c);
    process.kill(c.child.pid!, signal);
    const { code: exit } = await c.exited;
    t.equal(exit, code, `exit code ${code} (stderr: ${c.stderr()})`);
    t.notOk(moving(), 'no axis moving on the simulator');
    t.ok(motorsOff(), 'every motor off on the simulator');
    t.ok(galil.model.axes[0]!.phys < 2_000_000, 'the move was cut short');
    t.match(c.stderr(), /e-stop: all 1 devices stopped/, 'the e-stop was confirmed on the wire and reported');
    t.notMatch(c.stderr(), /\n\s+at /, 'no stack trace');
  });

  t.test(`${signal} to labrig set mid-dispense stops the pump and exits ${code}`, async (t) => {
    const { legato } = await sims(t);
    const c = labrig(t, ['set', legato.uri, 'dispense', '5000'], tempDir(t));
    await until('pump running', () => legato.model.at(0).running, 180_000, c);
    process.kill(c.child.pid!, signal);
    const { code: exit } = await c.exited;
    t.equal(exit, code, `exit code ${code} (stderr: ${c.stderr()})`);
    t.notOk(legato.model.at(0).running, 'the pump is idle on the simulator');
    t.ok(legato.model.at(0).pumped.infuse.ul < 5000, 'the dispense was cut short');
  });

  t.test(`${signal} to labrig demo --rig mid-run: e-stop of the rig, run_stop abort, exit ${code}`, async (t) => {
    const { galil, alicat, legato, moving, motorsOff } = await sims(t);
    const dir = tempDir(t);
    const axis = (a: string) => ({ axis: a, countsPerUnit: 1000, units: 'mm', limits: [-5, 5], speed: 5, acceleration: 100, deceleration: 100 });
    writeFileSync(join(dir, 'rig.json'), JSON.stringify({
      name: 'signals',
      devices: {
        stage: { uri: galil.uri, enableOnConnect: true, pollMs: 5, axes: { x: axis('A'), y: axis('B') } },
        mfc: { uri: alicat.uri, fullScale: 100 },
        pump: { uri: legato.uri, syringeVolume: '1 ml' },
      },
    }));
    const c = labrig(t, ['demo', '--rig', 'rig.json', '--out', 'runs', '--points', '40', '--no-table'], dir);
    // The progress bar on stderr counts points (every 10% when not a terminal): signal once the scan took its first point.
    await until('the first point of the scan', () => /grid .* \d+\/1600 points/.test(c.stderr()), 240_000, c);
    const pumpWasRunning = legato.model.at(0).running;
    process.kill(c.child.pid!, signal);
    const { code: exit } = await c.exited;
    t.equal(exit, code, `exit code ${code} (stderr: ${c.stderr().slice(-600)})`);
    t.notOk(moving(), 'no axis moving');
    t.ok(motorsOff(), 'motors off');
    t.notOk(legato.model.at(0).running, `pump idle (it was ${pumpWasRunning ? 'running' : 'already done'} when signalled)`);
    t.equal(alicat.model.unit('A').valve, 'hold', 'MFC valve held');
    t.match(c.stdout(), new RegExp(`run abort: ${signal} received`), 'why the run ended is printed (also with --no-table)');

    const files = readdirSync(join(dir, 'runs')).filter((f) => f.endsWith('.jsonl'));
    t.equal(files.length, 1, 'one JSON-lines file');
    const docs = readFileSync(join(dir, 'runs', files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [string, Record<string, unknown>]);
    t.equal(docs[0]![0], 'start', 'starts with the start document');
    const last = docs.at(-1)!;
    t.equal(last[0], 'stop', 'ends with the stop document');
    t.equal(last[1]['exit_status'], 'abort');
    t.equal(last[1]['reason'], `${signal} received`, 'the stop document says why');
    const events = docs.filter(([n]) => n === 'event').length;
    t.ok(events >= 1, `the events taken before the signal are in the file (${events})`);
    t.notOk(existsSync(join(tmpdir(), `labrig-${c.child.pid}`)), 'the per-process temp folder is gone');
  });
}

t.test('a second signal exits at once', async (t) => {
  // The pump goes silent once it runs, so the first signal's e-stop waits for its timeout: the
  // second signal arrives while the shutdown is still running.
  const faults = new FaultInjector();
  const { legato } = await sims(t, faults);
  const c = labrig(t, ['set', legato.uri, 'dispense', '5000'], tempDir(t));
  await until('pump running', () => legato.model.at(0).running, 180_000, c);
  faults.next('silent', 120_000);
  await new Promise((r) => setTimeout(r, 300)); // a status poll meets the silence
  process.kill(c.child.pid!, 'SIGINT');
  await until('the first signal taken', () => /SIGINT: stopping what this command started/.test(c.stderr()), 60_000, c);
  process.kill(c.child.pid!, 'SIGINT');
  const { code } = await c.exited;
  t.equal(code, 130, 'exit 130');
  t.match(c.stderr(), /second SIGINT: exiting now/, 'the second signal was taken as "exit now"');
  t.notMatch(c.stderr(), /e-stop: all 1 devices stopped/, 'it did not wait for the e-stop of the silent pump');
});
