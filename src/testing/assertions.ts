/**
 * Test assertions for devices and Statuses, usable with any test runner (they throw on failure).
 * @module
 */
import type { Readable, Reading, Readings } from '../core/protocols.js';
import type { Status, StatusProgress } from '../core/status.js';
import { LabrigError } from '../core/errors.js';

/** Raise when a labrig test assertion fails. */
export class AssertionFailure extends LabrigError {
  constructor(message: string) {
    super({ code: 'ASSERTION', message });
  }
}

/** Expected part of one reading: a bare value, or a partial Reading. */
export type ExpectedReading = unknown | (Partial<Reading> & { value: unknown });

const isPartialReading = (x: unknown): x is Partial<Reading> & { value: unknown } =>
  typeof x === 'object' && x !== null && 'value' in x && Object.keys(x).every((k) => ['value', 'timestamp', 'alarm_severity', 'message'].includes(k));

function equalValues(a: unknown, b: unknown, tolerance: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= tolerance || (Number.isNaN(a) && Number.isNaN(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equalValues(x, b[i], tolerance));
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    return equalValues(Array.from(a as unknown as ArrayLike<number>), Array.from(b as unknown as ArrayLike<number>), tolerance);
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => equalValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tolerance));
  }
  return Object.is(a, b);
}

/**
 * Assert that readings (or a Readable's current reading) have exactly the expected keys and values.
 * Numbers compare within `tolerance` (default 0); timestamps must be numbers.
 */
export async function assertReading(
  actual: Readings | Readable,
  expected: Record<string, ExpectedReading>,
  options: { tolerance?: number; partial?: boolean } = {},
): Promise<void> {
  const readings = 'read' in actual && typeof actual.read === 'function' ? await actual.read() : (actual as Readings);
  const tol = options.tolerance ?? 0;
  const problems: string[] = [];
  const keys = new Set([...Object.keys(readings), ...Object.keys(expected)]);
  for (const key of keys) {
    const got = readings[key];
    if (!(key in expected)) {
      if (!options.partial) problems.push(`unexpected key '${key}'`);
      continue;
    }
    if (!got) {
      problems.push(`missing key '${key}'`);
      continue;
    }
    if (typeof got.timestamp !== 'number' || !Number.isFinite(got.timestamp)) problems.push(`'${key}' has no numeric timestamp`);
    const exp = expected[key];
    const want = isPartialReading(exp) ? exp : { value: exp };
    if (!equalValues(got.value, want.value, tol)) problems.push(`'${key}': expected ${JSON.stringify(want.value)}, got ${JSON.stringify(got.value)}`);
    for (const f of ['timestamp', 'alarm_severity', 'message'] as const) {
      if (f in want && !equalValues(got[f], want[f], tol)) problems.push(`'${key}'.${f}: expected ${JSON.stringify(want[f])}, got ${JSON.stringify(got[f])}`);
    }
  }
  if (problems.length) throw new AssertionFailure(`reading mismatch:\n  ${problems.join('\n  ')}`);
}

/** What a watched Status did: its progress updates and how it ended. */
export interface StatusRecord {
  updates: StatusProgress[];
  /** Resolves when the Status is done, with its outcome (never rejects). */
  done: Promise<{ success: boolean; error: Error | undefined; elapsedMs: number }>;
  stop(): void;
}

/** Record a Status' progress updates and outcome. */
export function watchStatus(status: Status<unknown>): StatusRecord {
  const updates: StatusProgress[] = [];
  const stop = status.watch((p) => updates.push(p));
  const done = new Promise<{ success: boolean; error: Error | undefined; elapsedMs: number }>((resolve) => {
    status.addCallback((s) => resolve({ success: s.success, error: s.exception(), elapsedMs: s.elapsedMs }));
  });
  return { updates, done, stop };
}

/** Assert that progress fractions never decrease and end at `final` (default 1). */
export function assertMonotonicProgress(updates: StatusProgress[], final = 1, tolerance = 1e-9): void {
  if (updates.length === 0) throw new AssertionFailure('no progress was reported');
  for (let i = 1; i < updates.length; i++) {
    if (updates[i]!.fraction + tolerance < updates[i - 1]!.fraction) {
      throw new AssertionFailure(`progress went back from ${updates[i - 1]!.fraction} to ${updates[i]!.fraction} at update ${i}`);
    }
  }
  const last = updates[updates.length - 1]!.fraction;
  if (Math.abs(last - final) > tolerance) throw new AssertionFailure(`progress ended at ${last}, expected ${final}`);
}
