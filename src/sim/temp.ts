/**
 * Temp folders of the simulators (pty links, OPC UA certificate stores), kept where a leftover is
 * harmless and swept when nobody owns them any more.
 *
 * Every folder goes under one per-process parent, `<os.tmpdir()>/labrig-<pid>/`. On the first
 * folder a process makes:
 * - an `exit` listener is installed that removes the parent synchronously: it runs on a normal
 *   end, on `process.exit` (which the signal handlers of `src/rig/shutdown.ts` call), and after
 *   an uncaught exception (an EPIPE on stdout that nobody handled, a bug);
 * - parents left by processes that are gone (the pid in the name is not alive: SIGKILL, a
 *   crash in native code, a power cut) are removed. A live pid is never touched, so two labrig
 *   processes never remove each other's folders; a recycled pid only delays the sweep.
 *
 * A leftover therefore holds at most a dangling pty symlink or a throwaway self-signed
 * certificate of a dead process, under one name per process, until the next labrig start.
 * @module
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PARENT_RE = /^labrig-(\d+)$/;
let parent: string | undefined;

/** The per-process parent folder, `<tmpdir>/labrig-<pid>` (created, and the sweep run, on first use). */
export function labrigTempRoot(): string {
  if (parent !== undefined) return parent;
  const root = tmpdir();
  sweepStaleTempDirs(root);
  const dir = join(root, `labrig-${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  parent = dir;
  return dir;
}

/** Make a fresh folder `<tmpdir>/labrig-<pid>/<prefix>XXXXXX` (e.g. prefix `pty-`). */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(labrigTempRoot(), prefix));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the pid exists but belongs to someone else, so it is alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove `labrig-<pid>` folders under `root` whose process is gone; return the paths removed. */
export function sweepStaleTempDirs(root = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = PARENT_RE.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    try {
      rmSync(join(root, name), { recursive: true, force: true });
      removed.push(join(root, name));
    } catch {
      // someone else's folder we may not remove: leave it
    }
  }
  return removed;
}
