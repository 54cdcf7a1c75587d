/**
 * Run a fast-check property within a time budget that does not depend on machine load, and make
 * every failure replayable.
 *
 * - At least `minRuns` cases always run (a loaded machine makes the test slower, never weaker);
 *   further cases, up to `maxRuns`, run only while `budgetMs` lasts (fast-check's
 *   `interruptAfterTimeLimit`, which stops generating new cases and is not a failure).
 * - Each case is bounded by `caseTimeoutMs` (a case that never settles is a counterexample: the
 *   property under test is "never hangs").
 * - A failure reports its seed and path, and the environment variables that replay exactly that
 *   case: `LABRIG_FUZZ_SEED=<seed> LABRIG_FUZZ_PATH=<path> npx tap test/x.test.ts`.
 */
import fc from 'fast-check';
import type { Test } from 'tap';

/** Options of {@link fuzz}. */
export interface FuzzOptions {
  /** Cases that always run, whatever the time. */
  minRuns: number;
  /** Most cases run. */
  maxRuns: number;
  /** Time after the first `minRuns` cases in which more cases may start, ms. */
  budgetMs: number;
  /** Limit of one case, ms (default 20000). */
  caseTimeoutMs?: number;
}

/** Seed of this run: `LABRIG_FUZZ_SEED` when set (to replay), else random. */
function seedFromEnv(): number {
  const text = process.env['LABRIG_FUZZ_SEED'];
  if (text === undefined || text === '') return (Math.random() * 2 ** 31) | 0;
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`LABRIG_FUZZ_SEED must be an integer (got ${text})`);
  return seed;
}

/**
 * Check `property` (see the module notes); report through `t`: one passing assertion naming the
 * number of cases and the seed, or one failure naming the counterexample, seed, path and how to
 * replay it. Returns the number of cases run.
 */
export async function fuzz<Ts>(t: Test, property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>, options: FuzzOptions): Promise<number> {
  const replayPath = process.env['LABRIG_FUZZ_PATH'];
  const seed = seedFromEnv();
  const timeout = options.caseTimeoutMs ?? 20_000;
  const report = (phase: string, d: fc.RunDetails<Ts>): boolean => {
    if (!d.failed) return true;
    const replay = `LABRIG_FUZZ_SEED=${d.seed}${d.counterexamplePath ? ` LABRIG_FUZZ_PATH=${d.counterexamplePath}` : ''}`;
    const error = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance ?? 'property returned false');
    t.fail(`fuzz ${phase}: counterexample ${fc.stringify(d.counterexample)} after ${d.numRuns} cases (seed ${d.seed}, path ${d.counterexamplePath ?? '-'}): ${error}; replay with ${replay}`);
    return false;
  };
  if (replayPath) {
    const d = await fc.check(property, { seed, path: replayPath, numRuns: 1, timeout, endOnFailure: true });
    if (report('replay', d)) t.pass(`replayed seed ${seed} path ${replayPath}: property held`);
    return d.numRuns;
  }
  // Phase 1: the minimum, however long it takes.
  const first = await fc.check(property, { seed, numRuns: options.minRuns, timeout });
  if (!report('minimum', first)) return first.numRuns;
  // Phase 2: more cases (another seed, so other cases) while the budget lasts.
  const more = options.maxRuns - options.minRuns;
  let extra = 0;
  if (more > 0) {
    const second = await fc.check(property, { seed: seed + 1, numRuns: more, timeout, interruptAfterTimeLimit: options.budgetMs });
    if (!report('budget', second)) return first.numRuns + second.numRuns;
    extra = second.numRuns;
  }
  t.pass(`property held for ${first.numRuns + extra} cases (seed ${seed}; ${options.minRuns} always, more within ${options.budgetMs} ms)`);
  return first.numRuns + extra;
}
