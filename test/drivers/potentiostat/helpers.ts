/** Shared checks of potentiostat runs (CV peaks, EIS semicircle) for the sim:gamry and sim:biologic tests. */
import type { Test } from 'tap';

/** Rows of every event of a run's `primary` stream (events and event pages), in seq_num order. */
export function rowsOf(docs: Array<[string, any]>, runUid: string): Array<Record<string, number>> {
  const descs = new Set(docs.filter(([n, d]) => n === 'descriptor' && d.run_start === runUid && d.name === 'primary').map(([, d]) => d.uid));
  const rows: Array<{ seq: number; data: Record<string, number> }> = [];
  for (const [n, d] of docs) {
    if (n === 'event' && descs.has(d.descriptor)) rows.push({ seq: d.seq_num, data: d.data });
    if (n === 'event_page' && descs.has(d.descriptor)) {
      d.seq_num.forEach((s: number, k: number) => rows.push({ seq: s, data: Object.fromEntries(Object.entries(d.data).map(([key, v]) => [key, (v as number[])[k]!])) }));
    }
  }
  rows.sort((a, b) => a.seq - b.seq);
  rows.forEach((r, k) => {
    if (r.seq !== k + 1) throw new Error(`seq_num ${r.seq} at position ${k}: events were lost or repeated`);
  });
  return rows.map((r) => r.data);
}

/** Anodic and cathodic peak potentials of one CV cycle (rows of `${n}-ewe`, `${n}-i`, `${n}-cycle`). */
export function cvPeaks(rows: Array<Record<string, number>>, n: string, cycle = 0): { ea: number; ec: number; ia: number; ic: number } {
  let a: Record<string, number> | undefined;
  let c: Record<string, number> | undefined;
  for (const r of rows) {
    if (r[`${n}-cycle`] !== cycle) continue;
    if (!a || r[`${n}-i`]! > a[`${n}-i`]!) a = r;
    if (!c || r[`${n}-i`]! < c[`${n}-i`]!) c = r;
  }
  return { ea: a![`${n}-ewe`]!, ec: c![`${n}-ewe`]!, ia: a![`${n}-i`]!, ic: c![`${n}-i`]! };
}

/** Check CV peak separation and EIS semicircle diameter of a run set against the model. */
export function checkPhysics(t: Test, docs: Array<[string, any]>, uids: string[], n: string, model: { rct: number; nElectrons: number }): void {
  const [, cvUid, eisUid] = uids;
  const cv = rowsOf(docs, cvUid!);
  const p = cvPeaks(cv, n);
  const dEp = p.ea - p.ec;
  const expected = 0.0585 / model.nElectrons; // reversible couple, switching ≥ 200 mV past E½
  t.ok(Math.abs(dEp - expected) < 0.004, `CV peak separation ${(dEp * 1000).toFixed(1)} mV ≈ ${(expected * 1000).toFixed(1)} mV ± 4 mV`);
  const eis = rowsOf(docs, eisUid!);
  const re = eis.map((r) => r[`${n}-z_re`]!);
  const im = eis.map((r) => -r[`${n}-z_im`]!);
  const diameter = Math.max(...re) - Math.min(...re);
  t.ok(Math.abs(diameter / model.rct - 1) < 0.02, `EIS semicircle diameter ${diameter.toFixed(1)} Ω ≈ Rct ${model.rct} Ω ± 2 %`);
  t.ok(Math.abs((2 * Math.max(...im)) / model.rct - 1) < 0.05, `twice the semicircle height ${(2 * Math.max(...im)).toFixed(1)} Ω ≈ Rct ± 5 %`);
}
