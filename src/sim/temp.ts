/**
 * Temp folders of the simulators (pty links, OPC UA certificate stores), kept where a leftover is
 * harmless and swept when nobody owns them any more.
 *
 * Every folder goes under one per-process parent, `<os.tmpdir()>/labrig-<pid>/`, removed with
 * the last folder in it ({@link removeTempDir}). On the first folder a process makes:
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
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const PARENT_RE = /^labrig-(\d+)$/;
/** Parent folders made by this process (one per `os.tmpdir()` seen), removed at exit. */
const parents = new Set<string>();
let exitHook = false;

/** The per-process parent folder, `<tmpdir>/labrig-<pid>` (created, and the sweep run, on first use). */
export function labrigTempRoot(): string {
  const root = tmpdir();
  const dir = join(root, `labrig-${process.pid}`);
  if (!parents.has(dir)) {
    sweepStaleTempDirs(root);
    parents.add(dir);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of parents) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** Make a fresh folder `<tmpdir>/labrig-<pid>/<prefix>XXXXXX` (e.g. prefix `pty-`). */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(labrigTempRoot(), prefix));
}

/** Remove a folder made by {@link makeTempDir}, and its per-process parent when that is now empty. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(dirname(dir));
  } catch {
    // not empty (another simulator of this process still runs) or already gone
  }
}

/**
 * Remove the per-process folder of `pid`, a labrig process that ended without its exit listener
 * running (killed by a signal). For a parent that SIGKILLs its own child, so the child's pty
 * links do not wait for the next sweep.
 */
export function removeTempRootOf(pid: number, root = tmpdir()): void {
  rmSync(join(root, `labrig-${pid}`), { recursive: true, force: true });
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
