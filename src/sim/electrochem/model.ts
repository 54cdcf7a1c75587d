/**
 * Electrochemistry model shared by the potentiostat simulators (BioLogic, Gamry): a Randles cell
 * (solution resistance Rs, charge-transfer resistance Rct, double-layer capacitance Cdl, optional
 * semi-infinite Warburg element) with its exact impedance, a reversible redox couple R ⇌ O + n e⁻
 * under linear diffusion (cyclic/linear sweeps solved by the convolution (semi-integral) method,
 * so peaks sit at E½ ± 1.109·RT/nF and scale as √v, Randles–Ševčík), Cottrell decay after a
 * potential step, Sand's transition time under constant current, and an open-circuit potential
 * with drift and seeded Gaussian noise. Units: V, A, Ω, F, s, cm, mol/cm³; anodic current positive.
 * Pure: no I/O, no timers.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** Faraday constant, C/mol. */
export const FARADAY = 96485.33212;
/** Gas constant, J/(mol·K). */
export const GAS_CONSTANT = 8.314462618;

/** The Randles equivalent circuit: Rs + (Cdl ∥ (Rct + Zw)). */
export interface RandlesParams {
  /** Solution (uncompensated) resistance, Ω. */
  readonly rs: number;
  /** Charge-transfer resistance, Ω. */
  readonly rct: number;
  /** Double-layer capacitance, F. */
  readonly cdl: number;
  /** Warburg coefficient σ, Ω·s^-½ (Zw = σ(1 − j)/√ω); 0 or absent: no diffusion element. */
  readonly warburgSigma?: number;
}

/** A reversible redox couple R ⇌ O + n e⁻ with only R in the bulk. */
export interface RedoxParams {
  /** Formal potential E0', V (E½ with equal diffusion coefficients). */
  readonly e0: number;
  /** Electrons transferred. */
  readonly n: number;
  /** Electrode area, cm². */
  readonly areaCm2: number;
  /** Bulk concentration of R, mol/cm³ (1 mM = 1e-6). */
  readonly concMolPerCm3: number;
  /** Diffusion coefficient, cm²/s. */
  readonly dCm2PerS: number;
}

/** Open-circuit behaviour. */
export interface OcvParams {
  /** Potential at t = 0, V. */
  readonly e: number;
  /** Drift, V/s. */
  readonly driftVPerS: number;
  /** Standard deviation of the Gaussian noise, V. */
  readonly noiseV: number;
}

/** A whole simulated cell (configurable from a rig file). */
export interface CellParams {
  readonly randles: RandlesParams;
  readonly redox: RedoxParams;
  readonly ocv: OcvParams;
  /** Temperature, K. */
  readonly temperatureK: number;
  /** Seed of the noise generator. */
  readonly seed: number;
}

/** The default cell: 1 mM ferrocyanide-like couple on a 0.07 cm² disc, Rs 50 Ω, Rct 500 Ω, Cdl 20 µF. */
export const DEFAULT_CELL: CellParams = {
  randles: { rs: 50, rct: 500, cdl: 20e-6 },
  redox: { e0: 0.2, n: 1, areaCm2: 0.0707, concMolPerCm3: 1e-6, dCm2PerS: 7e-6 },
  ocv: { e: 0.25, driftVPerS: -1e-5, noiseV: 2e-4 },
  temperatureK: 298.15,
  seed: 1,
};

/** A complex number. */
export interface Complex {
  readonly re: number;
  readonly im: number;
}

function positive(what: string, v: unknown, allowZero = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || (allowZero ? v < 0 : v <= 0)) {
    throw new InvalidInputError({ what, value: v, reason: allowZero ? 'must be a finite number >= 0' : 'must be a finite number > 0' });
  }
}

/** Check a cell's parameters (typed error naming the bad field) and fill defaults from {@link DEFAULT_CELL}. */
export function checkCell(p: Partial<{ randles: Partial<RandlesParams>; redox: Partial<RedoxParams>; ocv: Partial<OcvParams>; temperatureK: number; seed: number }> = {}): CellParams {
  const randles = { ...DEFAULT_CELL.randles, ...p.randles };
  const redox = { ...DEFAULT_CELL.redox, ...p.redox };
  const ocv = { ...DEFAULT_CELL.ocv, ...p.ocv };
  positive('cell randles.rs', randles.rs, true);
  positive('cell randles.rct', randles.rct);
  positive('cell randles.cdl', randles.cdl);
  positive('cell randles.warburgSigma', randles.warburgSigma ?? 0, true);
  if (!Number.isFinite(redox.e0)) throw new InvalidInputError({ what: 'cell redox.e0', value: redox.e0, reason: 'must be a finite potential in V' });
  if (!Number.isInteger(redox.n) || redox.n < 1 || redox.n > 4) throw new InvalidInputError({ what: 'cell redox.n', value: redox.n, reason: 'must be a whole number of electrons 1..4' });
  positive('cell redox.areaCm2', redox.areaCm2);
  positive('cell redox.concMolPerCm3', redox.concMolPerCm3, true);
  positive('cell redox.dCm2PerS', redox.dCm2PerS);
  if (!Number.isFinite(ocv.e) || !Number.isFinite(ocv.driftVPerS)) throw new InvalidInputError({ what: 'cell ocv', value: ocv, reason: 'e and driftVPerS must be finite' });
  positive('cell ocv.noiseV', ocv.noiseV, true);
  const temperatureK = p.temperatureK ?? DEFAULT_CELL.temperatureK;
  positive('cell temperatureK', temperatureK);
  const seed = p.seed ?? DEFAULT_CELL.seed;
  if (!Number.isInteger(seed)) throw new InvalidInputError({ what: 'cell seed', value: seed, reason: 'must be an integer' });
  return { randles, redox, ocv, temperatureK, seed };
}

/** Exact impedance of the Randles circuit at `freqHz`, Ω (imaginary part negative for a capacitive cell). */
export function randlesImpedance(r: RandlesParams, freqHz: number): Complex {
  positive('impedance frequency', freqHz);
  const w = 2 * Math.PI * freqHz;
  const s = r.warburgSigma ?? 0;
  // Faradaic branch Zf = Rct + σ/√ω − jσ/√ω; admittance Y = 1/Zf + jωCdl.
  const fr = r.rct + s / Math.sqrt(w);
  const fi = -s / Math.sqrt(w);
  const den = fr * fr + fi * fi;
  const yr = fr / den;
  const yi = -fi / den + w * r.cdl;
  const yd = yr * yr + yi * yi;
  return { re: r.rs + yr / yd, im: -yi / yd };
}

/** A small, fast, seeded generator (mulberry32) with Gaussian draws. */
export class SeededNoise {
  #s: number;
  #spare: number | undefined;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A uniform draw in [0, 1). */
  uniform(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A standard normal draw (Box–Muller). */
  gauss(): number {
    if (this.#spare !== undefined) {
      const v = this.#spare;
      this.#spare = undefined;
      return v;
    }
    const u = Math.max(this.uniform(), 1e-300);
    const v = this.uniform();
    const m = Math.sqrt(-2 * Math.log(u));
    this.#spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  }
}

/** The cell model: physical laws of {@link CellParams}. */
export class ElectrochemCell {
  readonly params: CellParams;
  readonly #noise: SeededNoise;

  /** Build the model from checked parameters (see {@link checkCell}). */
  constructor(params: CellParams = DEFAULT_CELL) {
    this.params = params;
    this.#noise = new SeededNoise(params.seed);
  }

  /** nF/RT, 1/V. */
  get f(): number {
    return (this.params.redox.n * FARADAY) / (GAS_CONSTANT * this.params.temperatureK);
  }

  /** nFA·C*·√D, the scale of diffusion-limited currents, A·s^½. */
  get diffusionScale(): number {
    const r = this.params.redox;
    return r.n * FARADAY * r.areaCm2 * r.concMolPerCm3 * Math.sqrt(r.dCm2PerS);
  }

  /** Exact impedance at `freqHz`, Ω. */
  impedance(freqHz: number): Complex {
    return randlesImpedance(this.params.randles, freqHz);
  }

  /** Randles–Ševčík peak current of a reversible sweep at `scanRateVPerS`, A (0.4463·nFAC·√(nFvD/RT)). */
  randlesSevcik(scanRateVPerS: number): number {
    return 0.4463 * this.diffusionScale * Math.sqrt(this.f * Math.abs(scanRateVPerS));
  }

  /** Fraction of the surface in the oxidised form under Nernst equilibrium at potential `e`. */
  surfaceFraction(e: number): number {
    const x = this.f * (e - this.params.redox.e0);
    return x > 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  /**
   * Current of a potential waveform sampled every `stepS` seconds (`potentials[k]` at time
   * (k + 1)·stepS, the cell at rest with only R before t = 0): the faradaic current by the
   * convolution method (semi-integral of i equals nFA√D·C*·fraction, current constant within a
   * step) plus the double-layer charging current Cdl·dE/dt. O(N²) in the number of samples.
   */
  sweep(potentials: ArrayLike<number>, stepS: number): { faradaic: Float64Array; total: Float64Array } {
    positive('sweep step', stepS);
    const n = potentials.length;
    const faradaic = new Float64Array(n);
    const total = new Float64Array(n);
    const w = new Float64Array(n + 1);
    for (let m = 0; m <= n; m++) w[m] = Math.sqrt(m + 1) - Math.sqrt(m);
    const scale = (this.diffusionScale * Math.sqrt(Math.PI)) / (2 * Math.sqrt(stepS));
    const cdl = this.params.randles.cdl;
    let prevE = potentials[0] ?? 0;
    for (let k = 0; k < n; k++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += faradaic[j]! * w[k - j]!;
      const e = potentials[k]!;
      faradaic[k] = (scale * this.surfaceFraction(e) - acc) / w[0]!;
      total[k] = faradaic[k]! + (k === 0 ? 0 : (cdl * (e - prevE)) / stepS);
      prevE = e;
    }
    return { faradaic, total };
  }

  /**
   * Current `tS` seconds after a step from rest to potential `e`, A: Cottrell decay
   * nFAC√D·fraction(e)/√(πt) plus the double-layer charging transient (e − eRest)/Rs·exp(−t/RsCdl).
   */
  stepCurrent(e: number, tS: number, eRest = this.params.ocv.e): number {
    positive('step time', tS);
    const { rs, cdl } = this.params.randles;
    const cottrell = (this.diffusionScale * this.surfaceFraction(e)) / Math.sqrt(Math.PI * tS);
    const charging = rs > 0 ? ((e - eRest) / rs) * Math.exp(-tS / (rs * cdl)) : 0;
    return cottrell + charging;
  }

  /** Sand's transition time for a constant anodic current `currentA`, s (∞ for a current ≤ 0). */
  sandTime(currentA: number): number {
    if (currentA <= 0) return Infinity;
    const x = (this.diffusionScale * Math.sqrt(Math.PI)) / (2 * currentA);
    return x * x;
  }

  /**
   * Potential `tS` seconds into a constant-current step, V: E0 + (RT/nF)·ln(√t/(√τ − √t)) + I·Rs
   * before Sand's time τ; `undefined` at or after τ (the electrode runs to its compliance).
   */
  chronopotential(currentA: number, tS: number): number | undefined {
    positive('chronopotentiometry time', tS);
    const tau = this.sandTime(currentA);
    const ir = currentA * this.params.randles.rs;
    if (currentA === 0) return this.params.ocv.e;
    if (currentA < 0) return this.params.redox.e0 - 1 + ir; // no O in the bulk to reduce: runs negative
    if (tS >= tau) return undefined;
    return this.params.redox.e0 + Math.log(Math.sqrt(tS) / (Math.sqrt(tau) - Math.sqrt(tS))) / this.f + ir;
  }

  /** Open-circuit potential at `tS` seconds, V: linear drift plus seeded Gaussian noise. */
  ocv(tS: number): number {
    const o = this.params.ocv;
    return o.e + o.driftVPerS * tS + o.noiseV * this.#noise.gauss();
  }
}
