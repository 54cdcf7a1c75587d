/**
 * A procedure process the service SIGKILLs (here: at the stop limit) cannot remove its own
 * temp folder (the rig's pty links under `<tmpdir>/labrig-<pid>/`): the service removes it.
 * TMPDIR points at a private folder for this file, so other tests' folders do not count.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RIG, startHarness, readyProcedure } from './procedures-helpers.js';

t.setTimeout(300_000);

const priv = mkdtempSync(join(tmpdir(), 'labrig-proc-tmp-'));
const before = process.env['TMPDIR'];
process.env['TMPDIR'] = priv;
t.teardown(() => {
  if (before === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = before;
  rmSync(priv, { recursive: true, force: true });
});

/** Per-process folders in the private tmpdir other than this process's own, with their contents. */
function childFolders(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of readdirSync(priv)) {
    if (!/^labrig-\d+$/.test(n) || n === `labrig-${process.pid}`) continue;
    out.set(n, readdirSync(join(priv, n)));
  }
  return out;
}

t.test('a procedure process killed at the stop limit leaves no temp folder behind', async (t) => {
  const h = await startHarness(t, { rigFile: RIG, stopTimeoutMs: 500 });
  const id = await readyProcedure(h, 'file://spin.mjs');
  const held = childFolders();
  t.equal(held.size, 1, `the procedure process holds its rig's folder (${[...held.keys()].join(', ')})`);
  t.ok([...held.values()][0]?.some((n) => n.startsWith('pty-')), 'with the pty of its simulator in it');
  t.equal((await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'RUNNING' })).status, 200);
  // The script never yields: only SIGKILL at stopTimeoutMs ends its process. No other labrig
  // process starts afterwards, so no sweep of dead processes' folders runs either.
  const s = await h.call('PUT', `/api/v1.0/procedures/${id}`, { state: 'STOPPED' });
  t.equal(s.body.procedure.state, 'STOPPED');
  const gone = [...held.keys()][0]!;
  const until = Date.now() + 20_000;
  while (childFolders().has(gone) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.notOk(childFolders().has(gone), `${gone} was removed after its process was killed`);
});
