import t, { type Test } from 'tap';
import fc from 'fast-check';
import { fuzz } from './fuzz.js';

/** A stand-in for tap's Test that records what fuzz() reports. */
function recorder(): { t: Test; passes: string[]; fails: string[] } {
  const passes: string[] = [];
  const fails: string[] = [];
  return { passes, fails, t: { pass: (m: string) => void passes.push(m), fail: (m: string) => void fails.push(m) } as unknown as Test };
}

t.test('a counterexample is reported with its seed and path, and the env replays exactly it', async (t) => {
  const r = recorder();
  const prop = fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), async (n) => n < 500);
  await fuzz(r.t, prop, { minRuns: 200, maxRuns: 200, budgetMs: 1000 });
  t.same(r.passes, []);
  t.equal(r.fails.length, 1);
  const m = /replay with LABRIG_FUZZ_SEED=(-?\d+) LABRIG_FUZZ_PATH=([\d:]+)/.exec(r.fails[0]!);
  t.ok(m, r.fails[0] ?? "no failure");
  t.match(r.fails[0], /counterexample \[500\]/, 'shrunk to the smallest failing value');
  const replay = recorder();
  process.env['LABRIG_FUZZ_SEED'] = m![1];
  process.env['LABRIG_FUZZ_PATH'] = m![2];
  t.teardown(() => {
    delete process.env['LABRIG_FUZZ_SEED'];
    delete process.env['LABRIG_FUZZ_PATH'];
  });
  const seen: number[] = [];
  await fuzz(replay.t, fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), async (n) => (seen.push(n), n < 500)), { minRuns: 200, maxRuns: 200, budgetMs: 1000 });
  t.same(seen, [500], 'the replay runs the one counterexample');
  t.equal(replay.fails.length, 1);
});

t.test('the minimum always runs; the budget only stops extra cases; a hanging case fails', async (t) => {
  const r = recorder();
  let runs = 0;
  const slow = fc.asyncProperty(fc.nat(), async () => {
    runs++;
    await new Promise((res) => setTimeout(res, 20));
    return true;
  });
  const n = await fuzz(r.t, slow, { minRuns: 5, maxRuns: 10_000, budgetMs: 100 });
  t.ok(n >= 5 && n < 10_000, `ran ${n} cases`);
  t.ok(runs >= n && runs <= n + 1, 'the count is what ran (an interrupted case may have started)');
  t.equal(r.fails.length, 0);
  t.match(r.passes[0], /property held for \d+ cases \(seed -?\d+;/);
  const hang = recorder();
  await fuzz(hang.t, fc.asyncProperty(fc.nat(), () => new Promise<boolean>(() => undefined)), { minRuns: 1, maxRuns: 1, budgetMs: 10, caseTimeoutMs: 50 });
  t.equal(hang.fails.length, 1, 'a case that never settles is a counterexample');
});
