/** The README's quickstart works as written: extract its TypeScript block and run it. */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Quickstart'));
const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];

const subpaths: Record<string, string> = {
  labrig: 'src/index.ts',
  'labrig/plans': 'src/core/plans/index.ts',
  'labrig/plan-stubs': 'src/core/plans/stubs/index.ts',
  'labrig/sim': 'src/sim/index.ts',
  'labrig/writers': 'src/writers/index.ts',
  'labrig/testing': 'src/testing/index.ts',
};

t.test('the quickstart runs and finishes on its own', async (t) => {
  t.ok(code, 'README has a TypeScript quickstart block');
  const dir = mkdtempSync(join(tmpdir(), 'labrig-readme-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const source = code!.replace(/from '(labrig(?:\/[\w-]+)?)'/g, (_m, spec: string) => {
    const target = subpaths[spec];
    if (!target) throw new Error(`README imports ${spec}, which this test does not map`);
    return `from '${pathToFileURL(join(root, target)).href}'`;
  });
  const file = join(dir, 'quickstart.mts');
  writeFileSync(file, source);
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    const child = execFile(process.execPath, ['--import', pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href, file], { cwd: dir, timeout: 60_000, env: { ...process.env, NODE_PATH: join(root, 'node_modules') } }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    t.teardown(() => child.kill());
  });
  t.equal(out.code, 0, `exits 0 by itself (stderr: ${out.stderr.slice(0, 400)})`);
  t.match(out.stdout, /success/, 'the run succeeded');
  const runs = readdirSync(join(dir, 'runs'));
  t.equal(runs.length, 1, 'one JSON-lines file written');
});
