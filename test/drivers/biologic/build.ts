/** Build native/eclib-sim into a temporary directory for a test (removed at teardown); undefined without a C compiler. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

export const nativeDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native', 'eclib-sim');

/** Compile the simulator library (and the C test client); returns their paths. */
export function buildEclibSim(t: Test): { lib: string; client: string; dir: string } | undefined {
  const compiler = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!compiler) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'labrig-eclib-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lib = join(dir, 'libeclib-sim.so');
  const client = join(dir, 'test_client');
  const a = spawnSync(compiler, ['-Wall', '-Wextra', '-O2', '-shared', '-fPIC', '-o', lib, join(nativeDir, 'eclib_sim.c'), '-lpthread', '-lm'], { encoding: 'utf8' });
  if (a.status !== 0) throw new Error(`building eclib-sim failed:\n${a.stderr}`);
  const b = spawnSync(compiler, ['-Wall', '-O2', '-o', client, join(nativeDir, 'test_client.c'), '-ldl'], { encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`building the C test client failed:\n${b.stderr}`);
  return { lib, client, dir };
}
