/**
 * Issue 15: the simulators' temp folders (pty links, OPC UA certificates) live under one
 * per-process folder `<tmpdir>/labrig-<pid>` that is gone after every exit path a process can
 * catch: a signal to `labrig demo` (ptys of the in-process Alicat and Legato simulators), a
 * closed stdout (`labrig demo | head`: EPIPE, which also stops the rig), and an ordinary end.
 * Folders of dead processes are swept at the next start; a live process's folder is left alone.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sweepStaleTempDirs } from '../../src/sim/temp.js';

const bin = fileURLToPath(new URL('../../bin/labrig.js', import.meta.url));
// Child processes loading TypeScript through tsx: slow on a loaded machine.
t.setTimeout(600_000);

function labrig(t: Test, args: string[], cwd: string): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    await exited;
    rmSync(join(tmpdir(), `labrig-${child.pid}`), { recursive: true, force: true });
  });
  return { child, out: () => out, err: () => err, exited };
}

async function until(what: string, cond: () => boolean, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-exit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('SIGINT to the default demo removes its pty folders and keeps the data', async (t) => {
  const dir = tempDir(t);
  const c = labrig(t, ['demo', '--out', 'runs', '--points', '40', '--no-table'], dir);
  const own = (): string => join(tmpdir(), `labrig-${c.child.pid}`);
  await until('the scan running', () => /grid .* \d+\/1600 points/.test(c.err()) && /pump: dispensing/.test(c.out()));
  t.ok(existsSync(own()), 'the per-process folder exists while the simulators run');
  t.ok(readdirSync(own()).some((n) => n.startsWith('pty-')), 'the ptys live in it');
  t.match(c.out(), new RegExp(`serial://${own().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/pty-`), 'the printed pty addresses are in it');
  process.kill(c.child.pid!, 'SIGINT');
  t.equal(await c.exited, 130);
  t.notOk(existsSync(own()), 'the folder is gone after the signal');
  const file = readdirSync(join(dir, 'runs')).find((f) => f.endsWith('.jsonl'));
  const last = JSON.parse(readFileSync(join(dir, 'runs', file!), 'utf8').trim().split('\n').at(-1)!) as [string, { exit_status: string }];
  t.same([last[0], last[1].exit_status], ['stop', 'abort']);
});

t.test('a closed stdout (labrig demo | head) stops the run and removes the folders', async (t) => {
  const dir = tempDir(t);
  const c = labrig(t, ['demo', '--out', 'runs', '--points', '40'], dir);
  const own = (): string => join(tmpdir(), `labrig-${c.child.pid}`);
  await until('table rows', () => c.out().split('\n').length > 12);
  c.child.stdout!.destroy(); // like head exiting after its lines
  const code = await c.exited;
  t.equal(code, 141, `exit 141 (128 + SIGPIPE) (stderr: ${c.err().slice(-400)})`);
  t.match(c.err(), /output closed: stopping what this command started/);
  t.match(c.err(), /e-stop: all 3 devices stopped/, 'the rig was e-stopped');
  t.notOk(existsSync(own()), 'the folder is gone');
  const file = readdirSync(join(dir, 'runs')).find((f) => f.endsWith('.jsonl'));
  const last = JSON.parse(readFileSync(join(dir, 'runs', file!), 'utf8').trim().split('\n').at(-1)!) as [string, { exit_status: string; reason: string }];
  t.same([last[0], last[1].exit_status, last[1].reason], ['stop', 'abort', 'output closed (EPIPE)']);
});

t.test('folders of dead processes are swept, live ones are left', async (t) => {
  const root = tempDir(t);
  // A pid that is not running: a child that already exited.
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.once('exit', r));
  const stale = join(root, `labrig-${dead.pid}`);
  mkdirSync(join(stale, 'pty-abc'), { recursive: true });
  writeFileSync(join(stale, 'pty-abc', 'tty'), '');
  const live = join(root, `labrig-${process.pid}`);
  mkdirSync(live);
  const parent = join(root, `labrig-${process.ppid}`);
  mkdirSync(parent);
  const other = join(root, 'labrig-notapid');
  mkdirSync(other);
  t.same(sweepStaleTempDirs(root), [stale], 'only the dead process folder');
  t.notOk(existsSync(stale));
  t.ok(existsSync(live) && existsSync(parent) && existsSync(other), 'live pids and other names untouched');
});
