/**
 * `labrig serve` as a real process and `labrig remote` against it: the URL comes first on stdout;
 * remote reads, sets, runs an action, listens to the status stream and e-stops; SIGTERM e-stops
 * the rig (each device's confirmation printed), closes and exits 143. Bad command lines exit 2.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { remoteCli, type RemoteIO } from '../../src/cli/remote.js';
import { serveCli } from '../../src/cli/serve.js';
import { RIG_FILE } from './helpers.js';

t.setTimeout(180_000);
const bin = fileURLToPath(new URL('../../bin/labrig.js', import.meta.url));

function io(): RemoteIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), env: {} };
}

t.test('bad command lines exit 2 without starting anything', async (t) => {
  const a = io();
  t.equal(await serveCli([], { ...a, signals: { exit: () => undefined } }), 2);
  t.match(a.errors[0], /needs --rig/);
  t.equal(await serveCli(['--rig', RIG_FILE, '--port', 'x'], { ...a }), 2);
  t.equal(await serveCli(['--rig', RIG_FILE, '--bogus'], { ...a }), 2);
  t.equal(await serveCli(['--rig', RIG_FILE, '--scripts', '/nonexistent-folder'], { ...a }), 2);
  const b = io();
  t.equal(await serveCli(['--rig', RIG_FILE, '--host', '0.0.0.0'], { ...b }), 2, 'non-loopback without a token: refused before the rig opens');
  t.match(b.errors.join('\n'), /needs a token/);
  for (const flag of ['--help', '-h']) {
    const h = io();
    t.equal(await serveCli([flag], { ...h }), 0);
    t.match(h.lines[0], /^usage: labrig serve/);
    const r = io();
    t.equal(await remoteCli([flag], r), 0);
    t.match(r.lines[0], /^usage: labrig remote/);
  }
  const c = io();
  t.equal(await remoteCli(['not a url', 'devices'], c), 2);
  t.match(c.errors[0], /^labrig remote: 'not a url' is not a URL .*\(see labrig remote --help\)$/, 'one line with the fix');
  t.equal(await remoteCli(['http://127.0.0.1:1'], c), 2);
  t.equal(await remoteCli(['http://127.0.0.1:1', 'frobnicate'], c), 2, 'unknown command');
});

t.test('serve as a process; remote against it; SIGTERM e-stops and exits 143', async (t) => {
  const child = spawn(process.execPath, [bin, 'serve', '--rig', RIG_FILE], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LABRIG_TOKEN: 'cli-test-token-1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 60 s; stderr: ${stderr}`)), 60_000);
    const check = (): void => {
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', () => reject(new Error(`serve exited: ${stderr}`)));
  });
  const env = { LABRIG_TOKEN: 'cli-test-token-1' };
  const noToken = io();
  t.equal(await remoteCli([url, 'devices'], noToken), 1);
  t.match(noToken.errors[0], /401 UNAUTHORIZED/);

  const list = io();
  t.equal(await remoteCli([url, 'devices'], { ...list, env }), 0);
  t.same(list.lines.map((l) => l.split(' ')[0]), ['stage', 'mfc', 'pump']);

  const listener = io();
  const listening = remoteCli([url, 'listen', '--ws', 'status', '--count', '2'], { ...listener, env });
  await new Promise((r) => setTimeout(r, 300));
  const set = io();
  t.equal(await remoteCli([url, 'set', 'stage', 'A', '2'], { ...set, env }), 0, set.errors.join('\n'));
  t.match(set.lines[0], /^set-\d+ finished$/);
  t.equal(await listening, 0);
  t.ok(listener.lines.length >= 2 && listener.lines.every((l) => JSON.parse(l).type === 'set'), 'the listener saw the set');

  const read = io();
  t.equal(await remoteCli([url, 'read', 'stage', 'A'], { ...read, env }), 0);
  t.match(read.lines[0], /^stage-A 2(\.0+)?$/);

  const act = io();
  t.equal(await remoteCli([url, 'action', 'axis.move', 'device=stage', 'axis=A', 'position=4'], { ...act, env }), 0, act.errors.join('\n'));
  t.match(act.lines.at(-1), /^axis\.move-\d+ finished$/);
  t.ok(act.lines.some((l) => /"stage-A":4/.test(l)), `data row printed (${act.lines.join(' | ')})`);

  const bad = io();
  t.equal(await remoteCli([url, 'set', 'stage', 'A', '99'], { ...bad, env }), 1);
  t.match(bad.errors[0], /422 LIMITS/);

  const es = io();
  t.equal(await remoteCli([url, 'estop'], { ...es, env }), 0, es.errors.join('\n'));
  t.match(es.lines[0], /^e-stop: all 3 devices stopped in [\d.]+ ms$/);
  const clear = io();
  t.equal(await remoteCli([url, 'estop', '--clear'], { ...clear, env }), 0);

  child.kill('SIGTERM');
  t.equal(await exited, 143);
  t.match(stderr, /e-stop: all 3 devices stopped/);
  t.match(stderr, /SIGTERM/);
});
