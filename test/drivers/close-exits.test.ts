/**
 * Every device's close() disposes its backends and polls: a script that subscribes to a signal
 * of each transport-backed family (Galil, Alicat, Legato, over their simulators) and then closes
 * everything exits by itself. Run as a child process with a time bound.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = (p: string): string => pathToFileURL(join(root, 'src', p)).href;

const SCRIPT = `
import { openGalil } from '${src('drivers/galil/index.ts')}';
import { openAlicat } from '${src('drivers/alicat/index.ts')}';
import { openLegato } from '${src('drivers/legato/index.ts')}';
import { startGalilSim } from '${src('sim/galil/index.ts')}';
import { startAlicatSim } from '${src('sim/alicat/index.ts')}';
import { startLegatoSim } from '${src('sim/legato/index.ts')}';
const galilSim = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{}] });
const alicatSim = await startAlicatSim({ tcp: '127.0.0.1:0' });
const legatoSim = await startLegatoSim({ tcp: '127.0.0.1:0' });
const g = await openGalil(galilSim.uri, { axes: { x: { axis: 'A' } }, pollMs: 5 });
const a = await openAlicat(alicatSim.uri, { pollMs: 5 });
const p = await openLegato(legatoSim.uri);
const seen = new Set();
const wait = (name, sig) => new Promise((r) => sig.subscribeValue(() => { seen.add(name); r(); }));
await Promise.all([wait('galil', g.axis('x').readback), wait('alicat', a.massFlow), wait('legato', p.infuseRate), wait('legato-status', p.state)]);
await Promise.all([g.close(), a.close(), p.close()]);
await Promise.all([galilSim.close(), alicatSim.close(), legatoSim.close()]);
console.log('closed ' + [...seen].sort().join(','));
`;

t.test('a script that subscribes and then closes its devices exits by itself', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-close-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'script.mts');
  writeFileSync(file, SCRIPT);
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const limitMs = 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  t.teardown(() => {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const code = await new Promise<number | string>((resolveExit) => {
    timer = setTimeout(() => resolveExit('still running'), limitMs);
    child.on('exit', (c) => resolveExit(c ?? -1));
  });
  t.equal(code, 0, `exited by itself within ${limitMs} ms (stderr: ${err.slice(0, 500)})`);
  t.match(out, /closed alicat,galil,legato,legato-status/, 'every family delivered a reading before closing');
});
