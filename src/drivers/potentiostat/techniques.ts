/**
 * One technique vocabulary for every potentiostat: typed descriptors of OCV, chronoamperometry
 * (CA), chronopotentiometry (CP), linear sweep (LSV), cyclic voltammetry (CV) and potentiostatic
 * EIS (PEIS), checked (units and ranges) by {@link checkTechnique} before any vendor call. Units:
 * V (vs the reference electrode), A, s, V/s, Hz. Each vendor driver maps a checked technique to
 * its own calls and says which techniques or parameters it does not support.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** Current range: `'auto'` or a fixed full-scale current, A. */
export type CurrentRange = 'auto' | number;

/** Fields every technique may carry. */
export interface TechniqueBase {
  /** Current range during the technique (default `'auto'`). */
  readonly currentRange?: CurrentRange;
}

/** Open-circuit potential: the cell is off; Ewe is recorded every `recordEveryS`. */
export interface OcvTechnique extends TechniqueBase {
  readonly kind: 'ocv';
  readonly durationS: number;
  readonly recordEveryS: number;
}
/** Chronoamperometry: hold `potentialV` for `durationS`, record I every `recordEveryS`. */
export interface CaTechnique extends TechniqueBase {
  readonly kind: 'ca';
  readonly potentialV: number;
  readonly durationS: number;
  readonly recordEveryS: number;
}
/** Chronopotentiometry: hold `currentA` for `durationS`, record Ewe every `recordEveryS`. */
export interface CpTechnique extends TechniqueBase {
  readonly kind: 'cp';
  readonly currentA: number;
  readonly durationS: number;
  readonly recordEveryS: number;
}
/** Linear sweep from `startV` to `endV` at `scanRateVPerS`, a point every `recordEveryV`. */
export interface LsvTechnique extends TechniqueBase {
  readonly kind: 'lsv';
  readonly startV: number;
  readonly endV: number;
  readonly scanRateVPerS: number;
  readonly recordEveryV: number;
}
/** Cyclic voltammetry: startV → vertex1V → vertex2V (→ vertex1V …, `cycles` times) → endV. */
export interface CvTechnique extends TechniqueBase {
  readonly kind: 'cv';
  readonly startV: number;
  readonly vertex1V: number;
  readonly vertex2V: number;
  readonly endV: number;
  readonly scanRateVPerS: number;
  readonly cycles: number;
  readonly recordEveryV: number;
}
/** Frequencies of an EIS scan: an explicit list, or a log range from `startHz` to `endHz`. */
export type FrequencySpec = readonly number[] | { readonly startHz: number; readonly endHz: number; readonly pointsPerDecade: number };
/** Potentiostatic EIS around `dcV` with a sine of `amplitudeV` (RMS) at each frequency. */
export interface PeisTechnique extends TechniqueBase {
  readonly kind: 'peis';
  readonly dcV: number;
  readonly amplitudeV: number;
  readonly frequencies: FrequencySpec;
}

/** Any technique. */
export type Technique = OcvTechnique | CaTechnique | CpTechnique | LsvTechnique | CvTechnique | PeisTechnique;
/** Name of a technique kind. */
export type TechniqueKind = Technique['kind'];
/** Every technique kind, in the order of the docs. */
export const TECHNIQUE_KINDS: readonly TechniqueKind[] = ['ocv', 'ca', 'cp', 'lsv', 'cv', 'peis'];

/** Limits every technique is checked against (a vendor may narrow them). */
export const TECHNIQUE_LIMITS = {
  potentialV: { low: -10, high: 10, units: 'V' },
  currentA: { low: -10, high: 10, units: 'A' },
  durationS: { low: 1e-3, high: 1e7, units: 's' },
  recordEveryS: { low: 1e-5, high: 1e5, units: 's' },
  recordEveryV: { low: 1e-5, high: 1, units: 'V' },
  scanRateVPerS: { low: 1e-6, high: 1e4, units: 'V/s' },
  cycles: { low: 1, high: 10000, units: '' },
  frequencyHz: { low: 1e-5, high: 1e7, units: 'Hz' },
  amplitudeV: { low: 1e-4, high: 1, units: 'V' },
  pointsPerDecade: { low: 1, high: 100, units: '' },
  frequencyCount: { low: 1, high: 1000, units: '' },
  currentRangeA: { low: 1e-12, high: 10, units: 'A' },
} as const;

type LimitName = keyof typeof TECHNIQUE_LIMITS;

function num(kind: string, field: string, v: unknown, limit: LimitName, integer = false): number {
  const l = TECHNIQUE_LIMITS[limit];
  const what = `${kind} ${field}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidInputError({ what, value: v, reason: `must be a finite number in ${l.units || 'counts'}` });
  if (integer && !Number.isInteger(v)) throw new InvalidInputError({ what, value: v, reason: 'must be a whole number' });
  if (v < l.low || v > l.high) throw new InvalidInputError({ what, value: v, reason: `must be within ${l.low}..${l.high}${l.units ? ` ${l.units}` : ''}` });
  return v;
}

function currentRange(kind: string, v: unknown): CurrentRange {
  if (v === undefined || v === 'auto') return 'auto';
  if (typeof v === 'number') return num(kind, 'currentRange', v, 'currentRangeA');
  throw new InvalidInputError({ what: `${kind} currentRange`, value: v, reason: "must be 'auto' or a full-scale current in A" });
}

/** Expand a frequency spec into its list, highest frequency first when given as a range from high to low. */
export function frequencyList(spec: FrequencySpec): number[] {
  if (Array.isArray(spec)) return [...(spec as readonly number[])];
  const r = spec as { startHz: number; endHz: number; pointsPerDecade: number };
  const decades = Math.abs(Math.log10(r.endHz / r.startHz));
  const n = Math.max(1, Math.round(decades * r.pointsPerDecade));
  if (n === 0 || r.startHz === r.endHz) return [r.startHz];
  return Array.from({ length: n + 1 }, (_, k) => r.startHz * (r.endHz / r.startHz) ** (k / n));
}

/**
 * Check a technique (kind, every field's type, units range, cross-field rules) and return it with
 * defaults filled (`currentRange: 'auto'`); throw an InvalidInputError naming the field otherwise.
 */
export function checkTechnique(t: unknown): Technique {
  if (typeof t !== 'object' || t === null) throw new InvalidInputError({ what: 'technique', value: t, reason: 'must be an object with a kind' });
  const o = t as Record<string, unknown>;
  const kind = o['kind'];
  if (typeof kind !== 'string' || !(TECHNIQUE_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInputError({ what: 'technique kind', value: kind, reason: `must be one of ${TECHNIQUE_KINDS.join(', ')}` });
  }
  const known = new Set(['kind', 'currentRange', ...FIELDS[kind as TechniqueKind]]);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new InvalidInputError({ what: `${kind} ${k}`, value: o[k], reason: `is not a parameter of ${kind} (parameters: ${FIELDS[kind as TechniqueKind].join(', ')})` });
  const cr = currentRange(kind, o['currentRange']);
  switch (kind as TechniqueKind) {
    case 'ocv':
    case 'ca':
    case 'cp': {
      const durationS = num(kind, 'durationS', o['durationS'], 'durationS');
      const recordEveryS = num(kind, 'recordEveryS', o['recordEveryS'], 'recordEveryS');
      if (recordEveryS > durationS) throw new InvalidInputError({ what: `${kind} recordEveryS`, value: recordEveryS, reason: `must not exceed durationS (${durationS} s)` });
      if (kind === 'ocv') return { kind: 'ocv', durationS, recordEveryS, currentRange: cr };
      if (kind === 'ca') return { kind: 'ca', potentialV: num(kind, 'potentialV', o['potentialV'], 'potentialV'), durationS, recordEveryS, currentRange: cr };
      return { kind: 'cp', currentA: num(kind, 'currentA', o['currentA'], 'currentA'), durationS, recordEveryS, currentRange: cr };
    }
    case 'lsv': {
      const startV = num(kind, 'startV', o['startV'], 'potentialV');
      const endV = num(kind, 'endV', o['endV'], 'potentialV');
      if (startV === endV) throw new InvalidInputError({ what: 'lsv endV', value: endV, reason: 'must differ from startV' });
      const recordEveryV = num(kind, 'recordEveryV', o['recordEveryV'], 'recordEveryV');
      if (recordEveryV > Math.abs(endV - startV)) throw new InvalidInputError({ what: 'lsv recordEveryV', value: recordEveryV, reason: `must not exceed the sweep span (${Math.abs(endV - startV)} V)` });
      return { kind: 'lsv', startV, endV, scanRateVPerS: num(kind, 'scanRateVPerS', o['scanRateVPerS'], 'scanRateVPerS'), recordEveryV, currentRange: cr };
    }
    case 'cv': {
      const startV = num(kind, 'startV', o['startV'], 'potentialV');
      const vertex1V = num(kind, 'vertex1V', o['vertex1V'], 'potentialV');
      const vertex2V = num(kind, 'vertex2V', o['vertex2V'], 'potentialV');
      const endV = num(kind, 'endV', o['endV'], 'potentialV');
      if (vertex1V === vertex2V) throw new InvalidInputError({ what: 'cv vertex2V', value: vertex2V, reason: 'must differ from vertex1V' });
      const lo = Math.min(vertex1V, vertex2V);
      const hi = Math.max(vertex1V, vertex2V);
      for (const [f, v] of [['startV', startV], ['endV', endV]] as const) {
        if (v < lo || v > hi) throw new InvalidInputError({ what: `cv ${f}`, value: v, reason: `must lie between the vertices (${lo}..${hi} V)` });
      }
      const recordEveryV = num(kind, 'recordEveryV', o['recordEveryV'], 'recordEveryV');
      if (recordEveryV > (hi - lo) / 4) throw new InvalidInputError({ what: 'cv recordEveryV', value: recordEveryV, reason: `must be at most a quarter of the vertex span (${(hi - lo) / 4} V)` });
      return {
        kind: 'cv', startV, vertex1V, vertex2V, endV, recordEveryV, currentRange: cr,
        scanRateVPerS: num(kind, 'scanRateVPerS', o['scanRateVPerS'], 'scanRateVPerS'),
        cycles: num(kind, 'cycles', o['cycles'] ?? 1, 'cycles', true),
      };
    }
    case 'peis': {
      const f = o['frequencies'];
      let frequencies: FrequencySpec;
      if (Array.isArray(f)) {
        num(kind, 'frequencies.length', f.length, 'frequencyCount', true);
        frequencies = f.map((x, i) => num(kind, `frequencies[${i}]`, x, 'frequencyHz'));
      } else if (typeof f === 'object' && f !== null) {
        const r = f as Record<string, unknown>;
        const startHz = num(kind, 'frequencies.startHz', r['startHz'], 'frequencyHz');
        const endHz = num(kind, 'frequencies.endHz', r['endHz'], 'frequencyHz');
        const pointsPerDecade = num(kind, 'frequencies.pointsPerDecade', r['pointsPerDecade'], 'pointsPerDecade', true);
        frequencies = { startHz, endHz, pointsPerDecade };
        num(kind, 'frequencies (count)', frequencyList(frequencies).length, 'frequencyCount', true);
      } else {
        throw new InvalidInputError({ what: 'peis frequencies', value: f, reason: 'must be a list of Hz or { startHz, endHz, pointsPerDecade }' });
      }
      return { kind: 'peis', dcV: num(kind, 'dcV', o['dcV'], 'potentialV'), amplitudeV: num(kind, 'amplitudeV', o['amplitudeV'], 'amplitudeV'), frequencies, currentRange: cr };
    }
  }
}

const FIELDS: Record<TechniqueKind, readonly string[]> = {
  ocv: ['durationS', 'recordEveryS'],
  ca: ['potentialV', 'durationS', 'recordEveryS'],
  cp: ['currentA', 'durationS', 'recordEveryS'],
  lsv: ['startV', 'endV', 'scanRateVPerS', 'recordEveryV'],
  cv: ['startV', 'vertex1V', 'vertex2V', 'endV', 'scanRateVPerS', 'cycles', 'recordEveryV'],
  peis: ['dcV', 'amplitudeV', 'frequencies'],
};

/**
 * The potential program of a sweep technique as corners `[{ e, t }]` (V, s from its start): LSV
 * start → end; CV start → vertex1 → vertex2 → (vertex1 → vertex2 …) → end, `cycles` times.
 */
export function sweepCorners(t: LsvTechnique | CvTechnique): Array<{ e: number; t: number }> {
  const es = t.kind === 'lsv' ? [t.startV, t.endV] : [t.startV];
  if (t.kind === 'cv') {
    for (let c = 0; c < t.cycles; c++) {
      es.push(t.vertex1V, t.vertex2V);
    }
    es.push(t.endV);
  }
  const out: Array<{ e: number; t: number }> = [{ e: es[0]!, t: 0 }];
  for (let k = 1; k < es.length; k++) {
    const dt = Math.abs(es[k]! - es[k - 1]!) / t.scanRateVPerS;
    if (dt > 0) out.push({ e: es[k]!, t: out.at(-1)!.t + dt });
  }
  return out;
}

/** Expected duration of a technique, s (EIS: undefined, it depends on the instrument). */
export function techniqueDuration(t: Technique): number | undefined {
  if (t.kind === 'ocv' || t.kind === 'ca' || t.kind === 'cp') return t.durationS;
  if (t.kind === 'lsv' || t.kind === 'cv') return sweepCorners(t).at(-1)!.t;
  return undefined;
}
