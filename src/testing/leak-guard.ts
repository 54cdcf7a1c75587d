/**
 * A leak guard for tests: fails a test that leaves timers, sockets, servers, child processes or
 * pending Statuses behind. Compares Node's active resources and labrig's pending Statuses
 * before and after the code under test.
 * @module
 */
import { setStatusObserver, type Status, type StatusObserver } from '../core/status.js';
import { LabrigError } from '../core/errors.js';

/** Raise when a test left resources behind; `leaks` lists them. */
export class LeakError extends LabrigError {
  readonly leaks: string[];
  constructor(leaks: string[]) {
    super({ code: 'LEAK', message: `left behind after the test:\n  ${leaks.join('\n  ')}` });
    this.leaks = leaks;
  }
}

/** A running leak guard. */
export interface LeakGuard {
  /** Resources and Statuses that were added since the guard started and are still there. */
  leaks(): string[];
  /** Wait up to `graceMs` for things to close, then throw LeakError if anything is left. Stops the guard. */
  assertClean(options?: { graceMs?: number }): Promise<void>;
  /** Stop watching Statuses without checking. */
  dispose(): void;
}

// Resources that belong to the test runner or to Node itself, not to the code under test.
const ignoredTypes = new Set(['TTYWrap', 'PipeWrap', 'ProcessWrap' /* tap's own child link */, 'FSReqCallback', 'FSReqPromise']);

function countByType(): Map<string, number> {
  const m = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (ignoredTypes.has(type)) continue;
    m.set(type, (m.get(type) ?? 0) + 1);
  }
  return m;
}

/** Start a leak guard: call before the code under test, `assertClean()` after it. */
export function leakGuard(options: { checkStatuses?: boolean; ignore?: string[] } = {}): LeakGuard {
  const before = countByType();
  const ignore = new Set(options.ignore ?? []);
  const pending = new Set<Status<unknown>>();
  const checkStatuses = options.checkStatuses ?? true;
  let prev: StatusObserver | undefined;
  let active = false;
  if (checkStatuses) {
    active = true;
    prev = setStatusObserver({
      onCreate: (s) => {
        pending.add(s);
        prev?.onCreate(s);
      },
      onDone: (s) => {
        pending.delete(s);
        prev?.onDone(s);
      },
    });
  }
  const leaks = (): string[] => {
    const out: string[] = [];
    for (const [type, n] of countByType()) {
      if (ignore.has(type)) continue;
      const extra = n - (before.get(type) ?? 0);
      if (extra > 0) out.push(`${extra} × ${type}`);
    }
    for (const s of pending) if (!s.done) out.push(`pending Status '${s.name}'`);
    return out;
  };
  const dispose = (): void => {
    if (active) setStatusObserver(prev);
    active = false;
  };
  return {
    leaks,
    dispose,
    async assertClean({ graceMs = 200 } = {}) {
      const until = performance.now() + graceMs;
      let found = leaks();
      while (found.length > 0 && performance.now() < until) {
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 5));
        found = leaks();
      }
      dispose();
      if (found.length > 0) throw new LeakError(found);
    },
  };
}

/** Run `fn` under a leak guard and throw LeakError if it leaves anything behind. */
export async function withLeakGuard<R>(fn: () => Promise<R> | R, options: { graceMs?: number; ignore?: string[] } = {}): Promise<R> {
  const guard = leakGuard({ ignore: options.ignore ?? [] });
  try {
    const result = await fn();
    await guard.assertClean({ graceMs: options.graceMs ?? 200 });
    return result;
  } finally {
    guard.dispose();
  }
}
