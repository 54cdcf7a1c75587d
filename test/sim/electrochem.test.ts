import t from 'tap';
import { InvalidInputError } from '../../src/core/errors.js';
import { checkCell, ElectrochemCell, FARADAY, GAS_CONSTANT, randlesImpedance } from '../../src/sim/electrochem/model.js';

const RT_F = (GAS_CONSTANT * 298.15) / FARADAY; // 25.69 mV

/** Potentials of a triangular sweep start → vertex → start at `v` V/s, one sample per `dE` V. */
function triangle(start: number, vertex: number, v: number, dE = 0.0005): { e: Float64Array; step: number } {
  const n = Math.round(Math.abs(vertex - start) / dE);
  const e = new Float64Array(2 * n);
  const s = Math.sign(vertex - start);
  for (let k = 0; k < n; k++) e[k] = start + s * dE * (k + 0.5);
  for (let k = 0; k < n; k++) e[n + k] = vertex - s * dE * (k + 0.5);
  return { e, step: dE / v };
}

function peaks(e: Float64Array, i: Float64Array): { ea: number; ia: number; ec: number; ic: number } {
  let a = 0;
  let c = 0;
  for (let k = 1; k < i.length; k++) {
    if (i[k]! > i[a]!) a = k;
    if (i[k]! < i[c]!) c = k;
  }
  return { ea: e[a]!, ia: i[a]!, ec: e[c]!, ic: i[c]! };
}

t.test('Randles impedance: limits, semicircle apex, Warburg 45° line, against a direct complex evaluation', async (t) => {
  const r = { rs: 50, rct: 500, cdl: 20e-6 };
  t.ok(Math.abs(randlesImpedance(r, 1e-4).re - 550) < 0.01, 'DC limit Rs + Rct');
  t.ok(Math.abs(randlesImpedance(r, 1e7).re - 50) < 0.01, 'high-frequency limit Rs');
  const fApex = 1 / (2 * Math.PI * r.rct * r.cdl);
  const apex = randlesImpedance(r, fApex);
  t.ok(Math.abs(-apex.im - r.rct / 2) < 1e-9, 'apex height Rct/2 at ω = 1/(Rct·Cdl)');
  t.ok(Math.abs(apex.re - (r.rs + r.rct / 2)) < 1e-9, 'apex at Rs + Rct/2');
  // direct evaluation: Z = Rs + 1/(jωC + 1/(Rct + σ(1-j)/√ω))
  const rw = { ...r, warburgSigma: 120 };
  for (const f of [0.01, 0.3, 7, 150, 9e3]) {
    const w = 2 * Math.PI * f;
    const zfr = rw.rct + rw.warburgSigma / Math.sqrt(w);
    const zfi = -rw.warburgSigma / Math.sqrt(w);
    // 1/Zf
    const m = zfr * zfr + zfi * zfi;
    const ar = zfr / m;
    const ai = -zfi / m + w * rw.cdl;
    const d = ar * ar + ai * ai;
    const z = randlesImpedance(rw, f);
    t.ok(Math.abs(z.re - (rw.rs + ar / d)) < 1e-9 && Math.abs(z.im - -ai / d) < 1e-9, `Z(${f} Hz)`);
  }
  const lo1 = randlesImpedance(rw, 1e-5);
  const lo2 = randlesImpedance(rw, 2e-5);
  const slope = (lo1.im - lo2.im) / (lo1.re - lo2.re);
  t.ok(Math.abs(slope + 1) < 0.02, `Warburg line at 45° (slope ${slope})`);
  t.throws(() => randlesImpedance(r, 0), InvalidInputError);
});

t.test('reversible CV: peaks at E0 ± 1.109 RT/nF, ΔEp ≈ 57 mV, Randles–Ševčík current, ip ∝ √v', async (t) => {
  const cell = new ElectrochemCell(checkCell({ redox: { e0: 0.2, n: 1 } }));
  const ratios: number[] = [];
  for (const v of [0.01, 0.1, 1]) {
    const { e, step } = triangle(-0.2, 0.6, v);
    const { faradaic } = cell.sweep(e, step);
    const p = peaks(e, faradaic);
    t.ok(Math.abs(p.ea - 0.2 - 1.109 * RT_F) < 0.0012, `anodic peak at ${(p.ea * 1000).toFixed(1)} mV (v=${v})`);
    const dEp = p.ea - p.ec;
    t.ok(dEp > 0.0565 && dEp < 0.0600, `ΔEp ${(dEp * 1000).toFixed(1)} mV within 56.5..60 (v=${v})`);
    const rs = cell.randlesSevcik(v);
    t.ok(Math.abs(p.ia / rs - 1) < 0.02, `ip ${p.ia} vs Randles–Ševčík ${rs} (v=${v})`);
    ratios.push(p.ia / Math.sqrt(v));
  }
  t.ok(Math.abs(ratios[2]! / ratios[0]! - 1) < 0.01, 'ip/√v constant over two decades of scan rate');
  const n2 = new ElectrochemCell(checkCell({ redox: { n: 2 } }));
  const { e, step } = triangle(-0.2, 0.6, 0.1);
  const p2 = peaks(e, n2.sweep(e, step).faradaic);
  t.ok(Math.abs(p2.ea - p2.ec - 0.0585 / 2) < 0.0015, `n=2 halves ΔEp (${((p2.ea - p2.ec) * 1000).toFixed(1)} mV)`);
  const { total, faradaic } = cell.sweep(e, step);
  t.ok(Math.abs(total[10]! - faradaic[10]! - 20e-6 * 0.1) < 1e-12, 'double-layer current Cdl·v adds to the faradaic current');
});

t.test('Cottrell decay: i·√t constant, and the sweep solver agrees with it for a potential step', async (t) => {
  const cell = new ElectrochemCell(checkCell({ randles: { rs: 0 } }));
  const e = 0.8; // far past E0: diffusion limited
  const it1 = cell.stepCurrent(e, 0.5) * Math.sqrt(0.5);
  const it2 = cell.stepCurrent(e, 8) * Math.sqrt(8);
  t.ok(Math.abs(it1 / it2 - 1) < 1e-9, 'i·√t is constant');
  t.ok(Math.abs(it2 - cell.diffusionScale / Math.sqrt(Math.PI)) / it2 < 1e-6, 'equals nFAC√D/√π');
  const step = 0.001;
  const pot = new Float64Array(4000).fill(e);
  const { faradaic } = cell.sweep(pot, step);
  for (const k of [999, 3999]) {
    const tMid = (k + 0.5) * step;
    t.ok(Math.abs(faradaic[k]! / cell.stepCurrent(e, tMid) - 1) < 0.01, `convolution solver matches Cottrell at ${tMid} s`);
  }
  const rsCell = new ElectrochemCell(checkCell({ randles: { rs: 100, cdl: 1e-5 } }));
  const early = rsCell.stepCurrent(0.8, 1e-4, 0.25) - rsCell.stepCurrent(0.8, 1e-4, 0.8);
  t.ok(Math.abs(early - (0.55 / 100) * Math.exp(-0.1)) < 1e-12, 'charging transient (ΔE/Rs)·exp(-t/RsCdl)');
});

t.test("chronopotentiometry: E = E0 + I·Rs at τ/4, Sand's time from the current, overload after τ", async (t) => {
  const cell = new ElectrochemCell(checkCell());
  const i = 5e-6;
  const tau = cell.sandTime(i);
  const x = (cell.diffusionScale * Math.sqrt(Math.PI)) / (2 * i);
  t.ok(Math.abs(tau - x * x) < 1e-12 && tau > 1 && tau < 100, `τ = ${tau.toFixed(2)} s`);
  t.ok(Math.abs(cell.chronopotential(i, tau / 4)! - (0.2 + i * 50)) < 1e-12, 'quarter-wave potential');
  t.equal(cell.chronopotential(i, tau * 1.01), undefined, 'past τ the potential runs away');
  t.equal(cell.sandTime(0), Infinity);
});

t.test('OCV: seeded noise, reproducible; drift and noise recovered by regression', async (t) => {
  const p = checkCell({ ocv: { e: 0.3, driftVPerS: 1e-4, noiseV: 1e-3 }, seed: 42 });
  const a = new ElectrochemCell(p);
  const b = new ElectrochemCell(p);
  const n = 4000;
  const xs = Array.from({ length: n }, (_, k) => k * 0.1);
  const ya = xs.map((x) => a.ocv(x));
  const yb = xs.map((x) => b.ocv(x));
  t.same(ya, yb, 'same seed, same trace');
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ya.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < n; k++) {
    sxy += (xs[k]! - mx) * (ya[k]! - my);
    sxx += (xs[k]! - mx) ** 2;
  }
  const slope = sxy / sxx;
  const icpt = my - slope * mx;
  t.ok(Math.abs(slope - 1e-4) < 5e-6, `drift ${slope}`);
  t.ok(Math.abs(icpt - 0.3) < 1e-4, `start ${icpt}`);
  const resid = Math.sqrt(ya.reduce((s, y, k) => s + (y - icpt - slope * xs[k]!) ** 2, 0) / n);
  t.ok(Math.abs(resid / 1e-3 - 1) < 0.05, `noise σ ${resid}`);
  const c = new ElectrochemCell(checkCell({ ocv: { noiseV: 1e-3 }, seed: 43 }));
  t.not(c.ocv(0), new ElectrochemCell(checkCell({ ocv: { noiseV: 1e-3 }, seed: 42 })).ocv(0), 'another seed, another trace');
});

t.test('bad cell parameters are typed errors naming the field', async (t) => {
  t.throws(() => checkCell({ randles: { rct: -1 } }), { name: 'InvalidInputError', what: 'cell randles.rct' });
  t.throws(() => checkCell({ redox: { n: 1.5 } }), { name: 'InvalidInputError', what: 'cell redox.n' });
  t.throws(() => checkCell({ temperatureK: 0 }), { name: 'InvalidInputError', what: 'cell temperatureK' });
});
