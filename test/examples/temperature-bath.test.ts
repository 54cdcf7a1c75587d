/**
 * The guide's example (docs/guides/writing-a-driver.md, examples/temperature-bath): it type-checks
 * against the public `labrig/...` paths only, and runs — over TCP, over a pty, and in a rig with
 * sim:galil — as a child process with a time bound.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = join(root, 'examples', 'temperature-bath');

// Type-checking the example compiles the public modules it imports: slow on a loaded machine.
t.setTimeout(300_000);

function run(cmd: string, args: string[], env: Record<string, string> = {}, limitMs = 120_000): Promise<{ code: number | string; out: string }> {
  const child = spawn(cmd, args, { cwd: example, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((done) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ code: 'timed out', out });
    }, limitMs);
    child.on('exit', (c) => {
      clearTimeout(timer);
      done({ code: c ?? -1, out });
    });
  });
}

t.test('the example imports labrig only through its public export paths', async (t) => {
  const files = ['driver', 'sim', '.'].flatMap((d) => readdirSync(join(example, d)).filter((f) => f.endsWith('.ts')).map((f) => join(example, d, f)));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/from '([^']+)'/g)) {
      const spec = m[1]!;
      t.ok(spec.startsWith('./') || spec.startsWith('../') ? !spec.includes('src/') : /^(labrig(\/[a-z/]+)?|node:[a-z:/]+)$/.test(spec), `${f.slice(example.length + 1)}: ${spec}`);
    }
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  for (const p of ['./core', './drivers', './drivers/*', './protocols', './sim', './rig']) t.ok(pkg.exports[p], `package.json exports ${p}`);
});

t.test('the example type-checks and runs over TCP, a pty and a rig with sim:galil', async (t) => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const typed = await run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], {}, 240_000);
  t.equal(typed.code, 0, `tsc: ${typed.out.slice(0, 2000)}`);
  const ran = await run(process.execPath, ['--import', 'tsx', 'run.ts'], { TSX_TSCONFIG_PATH: join(example, 'tsconfig.json') });
  t.equal(ran.code, 0, `run.ts exited 0: ${ran.out.slice(0, 2000)}`);
  // Settled means within the example's tolerance (0.3 degC) of the target.
  for (const m of ran.out.matchAll(/(tcp|pty): settled at ([\d.]+) degC; setpoint 500 -> (\w+)/g)) {
    t.ok(Math.abs(Number(m[2]) - 30) <= 0.35, `${m[1]}: settled near 30 degC (${m[2]})`);
    t.equal(m[3], 'LimitsError', `${m[1]}: an out-of-range setpoint is refused before the wire`);
  }
  t.match(ran.out, /tcp: settled/);
  t.match(ran.out, /pty: settled/);
  const rig = /rig: bath at ([\d.]+) degC; e-stop ok/.exec(ran.out);
  t.ok(rig && Math.abs(Number(rig[1]) - 25) <= 0.35, 'the rig mixing the bath with sim:galil moved the bath and e-stopped everything');
});
