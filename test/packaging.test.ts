/**
 * The npm package as a user gets it: `scripts/package.mjs` builds and packs the tarball (`npm
 * pack`), which is unpacked into a temporary project whose dependencies are linked from this
 * repository's node_modules (no network). Then: every public path loads from an ESM and a CJS
 * consumer, a TypeScript consumer type-checks with `skipLibCheck: false`, the tarball carries the
 * npm README, guides and driver READMEs and no source maps, and the writing-a-driver guide's
 * example (examples/temperature-bath: driver, wire simulator, plugin entry), compiled in that
 * project against the installed package, runs, and works as a plugin (`labrig --import` and
 * `labrig.config.json`) with `labrig sim|read|set|run`, alone and in a rig with `sim:galil`; and
 * the Tango addon backend, pointed at the built addon, subscribes through the compiled event host.
 * Bounded in time; the temporary folder is removed.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TANGO_ADDON_PATH, tangoAddonAvailable } from '../src/drivers/tango/addon.js';
import { startTangoEventServer, tangoTestAvailable } from '../src/sim/tango/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
t.setTimeout(480_000);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to its end (killed after `timeoutMs`). */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<Ran> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; dependencies: Record<string, string>; engines: { node: string } };
const subpaths = Object.keys(pkg.exports)
  .filter((s) => s !== './package.json')
  .flatMap((s) => (s.includes('*') ? readdirSync(join(root, 'src', 'drivers'), { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(root, 'src', 'drivers', d.name, 'index.ts'))).map((d) => s.replace('*', d.name)) : [s]))
  .map((s) => `labrig${s.slice(1)}`);

const dir = mkdtempSync(join(tmpdir(), 'labrig-pack-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const app = join(dir, 'app');

t.test('npm pack builds a tarball that installs into a separate project', async (t) => {
  const packed = await run(process.execPath, [join(root, 'scripts', 'package.mjs'), join(dir, 'out')], root, 300_000);
  t.equal(packed.code, 0, `scripts/package.mjs succeeded (${packed.stderr.slice(-600)})`);
  const tgz = packed.stdout.trim().split('\n').at(-1)!;
  t.match(tgz, /labrig-[\d.]+\.tgz$/);
  const listing = (await run('tar', ['tzf', tgz], dir)).stdout.split('\n').filter(Boolean);
  t.notOk(listing.some((f) => f.endsWith('.map')), 'no source maps (src/ is not shipped)');
  t.notOk(listing.some((f) => f.startsWith('package/src/')), 'no sources');
  for (const f of ['README.md', 'docs/drivers/galil.md', 'docs/drivers/README.md', 'docs/rig.md', 'dist/index.d.ts', 'dist/rig/index.js', 'bin/labrig.js']) t.ok(listing.includes(`package/${f}`), `carries ${f}`);
  t.ok(listing.some((f) => f.startsWith('package/docs/guides/') && f.endsWith('.md')), 'carries the guides');
  const readme = readFileSync(join(root, 'docs', 'package', 'README.md'), 'utf8');
  t.notMatch(readme, /\]\(\.\.?\//, 'the npm README has no repository-relative links');
  t.notMatch(readme, /npm ci|\.\.\/shared/, 'nor repository commands or paths');

  mkdirSync(join(app, 'node_modules', 'labrig'), { recursive: true });
  t.equal((await run('tar', ['xzf', tgz, '-C', join(app, 'node_modules', 'labrig'), '--strip-components=1'], dir)).code, 0, 'unpacked');
  // Dependencies (and the compiler for the type check) come from this repository: no network.
  for (const dep of [...Object.keys(pkg.dependencies), 'typescript', '@types']) {
    mkdirSync(dirname(join(app, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep));
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // The guide's example, as a user would copy it next to their project (its tsconfig is the
  // repository's; this project's own compiles it against the installed package).
  const example = join(root, 'examples', 'temperature-bath');
  for (const part of ['driver', 'sim', 'plugin.ts', 'run.ts', 'rig.yaml']) cpSync(join(example, part), join(app, 'bath', part), { recursive: true });
});

t.test("the guide's example compiles against the installed package and runs", async (t) => {
  writeFileSync(join(app, 'bath', 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, outDir: 'dist', rootDir: '.' }, include: ['**/*.ts'], exclude: ['dist'] }));
  const built = await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(app, 'bath')], app, 300_000);
  t.equal(built.code, 0, `tsc compiled the example (${built.stdout.slice(0, 1500)})`);
  cpSync(join(app, 'bath', 'rig.yaml'), join(app, 'bath', 'dist', 'rig.yaml'));
  const ran = await run(process.execPath, ['dist/run.js'], join(app, 'bath'), 120_000);
  t.equal(ran.code, 0, `the example's run.js exits 0 (${ran.stderr.slice(0, 600)})`);
  t.match(ran.stdout, /tcp: settled at [\d.]+ degC; setpoint 500 -> LimitsError/);
  t.match(ran.stdout, /pty: settled at [\d.]+ degC; setpoint 500 -> LimitsError/);
  t.match(ran.stdout, /rig: bath at [\d.]+ degC; e-stop ok/, 'its rig mixes the bath with sim:galil');
});

t.test('every public path loads from ESM and from CJS (require(esm), engines ' + pkg.engines.node + ')', async (t) => {
  writeFileSync(join(app, 'esm.mjs'), `for (const p of ${JSON.stringify(subpaths)}) { const m = await import(p); console.log(p, Object.keys(m).length); }\n`);
  writeFileSync(join(app, 'cjs.cjs'), `for (const p of ${JSON.stringify(subpaths)}) { const m = require(p); console.log(p, Object.keys(m).length); }\n`);
  for (const file of ['esm.mjs', 'cjs.cjs']) {
    const r = await run(process.execPath, [file], app, 120_000);
    t.equal(r.code, 0, `${file} exits 0 (${r.stderr.slice(0, 600)})`);
    const lines = r.stdout.trim().split('\n');
    t.same(lines.map((l) => l.split(' ')[0]), subpaths, `${file} loaded every public path`);
    t.ok(lines.every((l) => Number(l.split(' ')[1]) > 0), `${file}: each exports something`);
  }
});

t.test('a TypeScript consumer type-checks with skipLibCheck: false', async (t) => {
  const imports = subpaths.map((s, i) => `import * as m${i} from '${s}';`).join('\n');
  writeFileSync(join(app, 'consumer.ts'), `${imports}\nimport { RunEngine } from 'labrig';\nimport { loadRig, type Rig } from 'labrig/rig';\nconst re: RunEngine = new RunEngine();\nconst load: (f: string) => Promise<Rig> = loadRig;\nconsole.log(re, load, ${subpaths.map((_s, i) => `m${i}`).join(', ')});\n`);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true }, include: ['consumer.ts'] }));
  const r = await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app, 300_000);
  t.equal(r.code, 0, `tsc reports no error (${r.stdout.slice(0, 1500)})`);
});

const PLUGIN = './bath/dist/plugin.js';

/** Start `labrig sim bath` (the plugin's simulator) as a child; resolve with its first line. */
function startSim(t: Tap): Promise<string> {
  const child = spawn(process.execPath, ['node_modules/labrig/bin/labrig.js', '--import', PLUGIN, 'sim', 'bath', '--tcp', '127.0.0.1:0', '--tau-ms', '100'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`labrig sim bath printed no address in 60 s (${out})`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        res(out.slice(0, nl).trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`labrig sim bath exited ${code} before printing its address`));
    });
  });
}
type Tap = { teardown(fn: () => void | Promise<void>): void };

t.test("the guide's example as a plugin works with labrig sim, read, set and run", async (t) => {
  const labrig = (...args: string[]): Promise<Ran> => run(process.execPath, ['node_modules/labrig/bin/labrig.js', '--import', PLUGIN, ...args], app, 120_000);
  const uri = await startSim(t);
  t.match(uri, /^bath\+tcp:\/\/127\.0\.0\.1:\d+$/, 'labrig sim bath prints its address');
  const read = await labrig('read', uri);
  t.equal(read.code, 0, read.stderr);
  t.match(read.stdout, /^temperature 21\.50 degC$/m, 'labrig read over the wire');
  const set = await labrig('set', uri, 'setpoint', '37.5');
  t.equal(set.code, 0, set.stderr);
  t.match(set.stdout, /setpoint 37\.50 degC/, 'labrig set wrote the setpoint, and it reads back');
  const bad = await labrig('set', uri, 'setpoint', '500');
  t.equal(bad.code, 1, 'a setpoint above maxTemp fails');
  t.match(bad.stderr, /LimitsError|limit/i);
  const without = await run(process.execPath, ['node_modules/labrig/bin/labrig.js', 'read', uri], app);
  t.equal(without.code, 2, 'without --import the scheme is unknown (a usage error, exit 2)');
  t.match(without.stderr, /unknown device scheme/);

  writeFileSync(join(app, 'rig.yaml'), 'devices:\n  bath: "sim:bath?tauMs=100"\n  stage: { uri: "sim:galil", enableOnConnect: true, axes: { x: { axis: A, countsPerUnit: 1000, units: mm, limits: [-5, 5] } } }\n');
  const rigRead = await labrig('read', '--rig', 'rig.yaml', 'bath');
  t.equal(rigRead.code, 0, rigRead.stderr);
  t.match(rigRead.stdout, /^temperature 21\.50 degC$/m, 'a rig mixing it with sim:galil opens it');
  writeFileSync(join(app, 'labrig.config.json'), JSON.stringify({ import: [PLUGIN] }));
  const scan = await run(process.execPath, ['node_modules/labrig/bin/labrig.js', 'run', 'scan', '--rig', 'rig.yaml', '--det', 'bath', '--out', 'runs', '--no-table', 'stage.x', '0', '1', '3'], app, 120_000);
  t.equal(scan.code, 0, `labrig run with the family from labrig.config.json (${scan.stderr.slice(0, 600)})`);
  t.match(scan.stdout, /run success: 3 events/);
  const files = readdirSync(join(app, 'runs'));
  t.equal(files.length, 1, 'one JSON-lines file');
  const events = readFileSync(join(app, 'runs', files[0]!), 'utf8').split('\n').filter((l) => l.startsWith('["event"'));
  t.equal(events.length, 3);
  t.match(JSON.parse(events[0]!)[1].data, { 'bath-temperature': Number, 'stage-x': Number }, 'the plugin device and the Galil axis in one event');
});

const tangoSkip = !tangoTestAvailable() || !tangoAddonAvailable() ? `needs PyTango and the built addon (${TANGO_ADDON_PATH}; npm run build:native with libtango-dev)` : false;

t.test("the installed package's Tango addon subscribes through its compiled event host", { skip: tangoSkip }, async (t) => {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  // The package does not ship a built addon: the user points it at theirs (here, this repository's).
  const before = process.env['LABRIG_TANGO_ADDON'];
  process.env['LABRIG_TANGO_ADDON'] = TANGO_ADDON_PATH;
  t.teardown(() => {
    if (before === undefined) delete process.env['LABRIG_TANGO_ADDON'];
    else process.env['LABRIG_TANGO_ADDON'] = before;
  });
  writeFileSync(join(app, 'tango-events.mjs'), `
    import { readFileSync } from 'node:fs';
    import { loadAddonBackend, parseTangoAddress } from 'labrig/drivers/tango';
    const b = loadAddonBackend({ timeoutMs: 5000 });
    try {
      await b.connect(parseTangoAddress(process.argv[2]), { timeoutMs: 20000 });
      await b.command('Reset');
      const seen = [];
      const unsub = await b.subscribe('counter', (e) => { if (!e.error) seen.push(e.reading.value); });
      const host = readFileSync('/proc/' + b.eventHostPid + '/cmdline', 'utf8').split('\\0').filter(Boolean);
      await b.command('Start');
      const t0 = Date.now();
      while (seen.length < 4 && Date.now() - t0 < 30000) await new Promise((r) => setTimeout(r, 20));
      await b.command('Stop');
      await unsub();
      console.log(JSON.stringify({ host, seen }));
    } finally {
      await b.close();
    }
  `);
  const r = await run(process.execPath, ['tango-events.mjs', ev.address], app, 90_000);
  t.equal(r.code, 0, `the script exits 0 (${r.stderr.slice(-600)})`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { host?: string[]; seen?: number[] };
  t.ok(out.host?.some((a) => a.endsWith('node_modules/labrig/dist/drivers/tango/addon-event-host.js')), `the host runs the shipped .js (${out.host?.join(' ')})`);
  t.notOk(out.host?.some((a) => /tsx/.test(a)), 'with no TypeScript loader');
  t.ok((out.seen?.length ?? 0) >= 4, `change events arrived through it (${out.seen?.join(', ')})`);
  const seen = out.seen ?? [];
  // Never backwards. A fresh cppTango client can get the first tick twice (PyTango does too).
  t.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]!), 'in the order the server sent them');
  t.ok(seen.at(-1)! > seen[0]!, 'the counter advanced');
});
