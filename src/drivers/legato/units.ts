/**
 * Units, numbers and rate limits of the Legato / Pump 11 Elite family (pure, no I/O).
 *
 * Inside labrig every volume is in µl and every rate in µl/min. The pump takes volume units
 * `ml | ul | nl | pl` and rate units `<volume>/<h|hr|m|min|s|sec>` (Legato 100/200 manual,
 * IRATE/TVOLUME; HELAO sends `irate 10 ul/sec`, the manual's example is `12irat 3.2 u/m`).
 * Unknown units are an InvalidInputError before anything is sent.
 * @module
 */
import { InvalidInputError, LimitsError } from '../../core/errors.js';

/** Volume units the pump knows, as µl per unit. */
export const VOLUME_UNITS = { ml: 1000, ul: 1, nl: 1e-3, pl: 1e-6 } as const;
/** A volume unit of the pump. */
export type VolumeUnit = keyof typeof VOLUME_UNITS;
/** Time units of a rate, as minutes per unit. */
export const TIME_UNITS = { h: 60, hr: 60, m: 1, min: 1, s: 1 / 60, sec: 1 / 60 } as const;
/** A time unit of a rate. */
export type TimeUnit = keyof typeof TIME_UNITS;
/** A rate unit such as `ul/min` or `ml/hr`. */
export type RateUnit = `${VolumeUnit}/${TimeUnit}`;

const VOLUME_RE = /^(ml|ul|nl|pl)$/;
const RATE_RE = /^(ml|ul|nl|pl)\/(h|hr|m|min|s|sec)$/;
const QUANTITY_RE = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-zµμ/]*)\s*$/;

function unitText(units: unknown): string {
  return typeof units === 'string' ? units.trim().toLowerCase().replace(/^[µμ]l/, 'ul') : '';
}

/** Return µl per `units` (`ml|ul|nl|pl`); InvalidInputError for anything else. */
export function volumeFactor(units: string, what = 'volume units'): number {
  const u = unitText(units);
  if (!VOLUME_RE.test(u)) throw new InvalidInputError({ what, value: units, reason: 'expected ml, ul, nl or pl' });
  return VOLUME_UNITS[u as VolumeUnit];
}

/** Return µl/min per `units` (`ml|ul|nl|pl` / `h|hr|m|min|s|sec`); InvalidInputError otherwise. */
export function rateFactor(units: string, what = 'rate units'): number {
  const m = RATE_RE.exec(unitText(units));
  if (!m) throw new InvalidInputError({ what, value: units, reason: 'expected <ml|ul|nl|pl>/<h|hr|m|min|s|sec>, e.g. ul/min' });
  return VOLUME_UNITS[m[1] as VolumeUnit] / TIME_UNITS[m[2] as TimeUnit];
}

/** Split `"10 ul/min"` into its number and units; InvalidInputError when it is not a quantity. */
export function splitQuantity(text: string, what = 'quantity'): { value: number; units: string } {
  const m = typeof text === 'string' ? QUANTITY_RE.exec(text) : null;
  if (!m) throw new InvalidInputError({ what, value: text, reason: 'expected a number and units, e.g. "10 ul/min"' });
  const value = Number(m[1]);
  if (!Number.isFinite(value)) throw new InvalidInputError({ what, value: text, reason: 'the number is not finite' });
  return { value, units: m[2] ?? '' };
}

function finite(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidInputError({ what, value, reason: 'expected a finite number' });
  return value;
}

/**
 * Convert a volume to µl: `(50, 'ul')`, `(0.05, 'ml')` or `('50 ul')`; a bare number is µl.
 * InvalidInputError for unknown units or a value that is not a finite number.
 */
export function toMicroliters(value: number | string, units?: string, what = 'volume'): number {
  if (typeof value === 'string') {
    const q = splitQuantity(value, what);
    return q.value * volumeFactor(q.units || 'ul', `${what} units`);
  }
  return finite(what, value) * (units === undefined ? 1 : volumeFactor(units, `${what} units`));
}

/**
 * Convert a rate to µl/min: `(10, 'ul/min')`, `(1, 'ml/hr')` or `('10 ul/sec')`; a bare number
 * is µl/min. InvalidInputError for unknown units or a value that is not a finite number.
 */
export function toMicrolitersPerMinute(value: number | string, units?: string, what = 'rate'): number {
  if (typeof value === 'string') {
    const q = splitQuantity(value, what);
    return q.value * rateFactor(q.units || 'ul/min', `${what} units`);
  }
  return finite(what, value) * (units === undefined ? 1 : rateFactor(units, `${what} units`));
}

const FORMAT = new Intl.NumberFormat('en-US', { useGrouping: false, maximumSignificantDigits: 6 });

/** Format a number for the pump: at most 6 significant digits, never an exponent. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new InvalidInputError({ what: 'number', value, reason: 'expected a finite number' });
  const s = FORMAT.format(value);
  return s === '-0' ? '0' : s;
}

/** Pick the largest volume unit in which `ul` is at least 1 (pl for tiny values). */
function volumeUnitFor(ul: number): VolumeUnit {
  const a = Math.abs(ul);
  if (a >= 1000) return 'ml';
  if (a >= 1 || a === 0) return 'ul';
  if (a >= 1e-3) return 'nl';
  return 'pl';
}

/** Encode a volume in µl as the pump's argument, e.g. `50 ul`, `1.5 ml`, `20 nl`. */
export function encodeVolume(ul: number): string {
  const unit = volumeUnitFor(finite('volume', ul));
  return `${formatNumber(ul / VOLUME_UNITS[unit])} ${unit}`;
}

/** Encode a rate in µl/min as the pump's argument, e.g. `10 ul/min`, `2.5 ml/min`. */
export function encodeRate(ulPerMin: number): string {
  const unit = volumeUnitFor(finite('rate', ulPerMin));
  return `${formatNumber(ulPerMin / VOLUME_UNITS[unit])} ${unit}/min`;
}

/** Parse a volume reply such as `1.234 ul` into µl; InvalidInputError when it is not one. */
export function parseVolume(text: string, what = 'volume reply'): number {
  const q = splitQuantity(text, what);
  return q.value * volumeFactor(q.units, what);
}

/** Parse a rate reply such as `10 ml/min` into µl/min; InvalidInputError when it is not one. */
export function parseRate(text: string, what = 'rate reply'): number {
  const q = splitQuantity(text, what);
  return q.value * rateFactor(q.units, what);
}

// ---------------------------------------------------------------------------------------------
// Pump models and rate limits

/** Mechanics of a pump model: what limits its rates. */
export interface PumpModel {
  /** Model name, e.g. `legato110`. */
  readonly name: string;
  /** True when the model can withdraw (refill). */
  readonly withdraw: boolean;
  /** Slowest pusher speed, mm/min. */
  readonly minLinearMmPerMin: number;
  /** Fastest pusher speed, mm/min. */
  readonly maxLinearMmPerMin: number;
  /** Accepted syringe inner diameters, mm. */
  readonly diameterMm: { readonly low: number; readonly high: number };
}

/**
 * Pusher speeds of the Legato 100 series, derived from KD Scientific's published flow range
 * (1.26 pl/min with a 0.5 µl syringe of 0.103 mm bore, 88.28 ml/min with a 60 ml syringe of
 * 26.59 mm bore). Approximate: pass `limits` to `openLegato` for a measured range.
 */
const LEGATO_MECHANICS = { minLinearMmPerMin: 1.5e-4, maxLinearMmPerMin: 159, diameterMm: { low: 0.1, high: 45 } } as const;

/**
 * Known models. The Legato 200, Pump 11 Elite and PHD Ultra speak the same protocol; their
 * mechanics here are the Legato 100's (not verified against their manuals).
 */
export const PUMP_MODELS: Readonly<Record<string, PumpModel>> = {
  legato100: { name: 'legato100', withdraw: false, ...LEGATO_MECHANICS },
  legato110: { name: 'legato110', withdraw: true, ...LEGATO_MECHANICS },
  legato200: { name: 'legato200', withdraw: true, ...LEGATO_MECHANICS },
  elite11: { name: 'elite11', withdraw: true, ...LEGATO_MECHANICS },
  phdultra: { name: 'phdultra', withdraw: true, ...LEGATO_MECHANICS },
};

/** Look a model up by name (case-insensitive); InvalidInputError listing the known ones. */
export function pumpModel(name: string): PumpModel {
  const m = typeof name === 'string' ? PUMP_MODELS[name.toLowerCase().replace(/[\s_-]/g, '')] : undefined;
  if (!m) throw new InvalidInputError({ what: 'pump model', value: name, reason: `expected one of ${Object.keys(PUMP_MODELS).join(', ')}` });
  return m;
}

/** Return the inner cross-section of a syringe of `diameterMm`, in mm² (1 mm of travel = that many µl). */
export function syringeAreaMm2(diameterMm: number): number {
  return (Math.PI * diameterMm * diameterMm) / 4;
}

/** Return the rates a model can run with a syringe of `diameterMm`, in µl/min. */
export function rateLimits(model: PumpModel, diameterMm: number): { low: number; high: number } {
  const area = syringeAreaMm2(diameterMm);
  return { low: area * model.minLinearMmPerMin, high: area * model.maxLinearMmPerMin };
}

/** Throw LimitsError (naming `device`) when `diameterMm` is outside what the model accepts. */
export function checkDiameter(device: string, model: PumpModel, diameterMm: number): void {
  finite(`${device} diameter`, diameterMm);
  const { low, high } = model.diameterMm;
  if (diameterMm < low || diameterMm > high) throw new LimitsError({ device: `${device} diameter`, value: diameterMm, low, high, units: 'mm' });
}

/** Throw LimitsError (naming `device`) when `ulPerMin` is outside the model's range for the syringe. */
export function checkRate(device: string, model: PumpModel, diameterMm: number | undefined, ulPerMin: number): void {
  finite(`${device} rate`, ulPerMin);
  if (!(ulPerMin > 0)) throw new InvalidInputError({ what: `${device} rate`, value: ulPerMin, reason: 'must be > 0 ul/min' });
  if (diameterMm === undefined || !(diameterMm > 0)) {
    // Syringe unknown: no syringe this model takes goes faster than its largest at full speed.
    const { high } = rateLimits(model, model.diameterMm.high);
    if (ulPerMin > high) throw new LimitsError({ device: `${device} rate`, value: ulPerMin, low: 0, high, units: 'ul/min' });
    return;
  }
  const { low, high } = rateLimits(model, diameterMm);
  if (ulPerMin < low || ulPerMin > high) throw new LimitsError({ device: `${device} rate`, value: ulPerMin, low, high, units: 'ul/min' });
}
