/**
 * Configuration of one Alicat unit, checked once (InvalidInputError names the wrong field).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { checkDialect, checkUnit, type ControlVariable, type Dialect, type UnitKind } from './protocol.js';

/** Engineering units the unit was ordered with (the frame carries no units). */
export interface AlicatUnits {
  /** Absolute pressure. Default `psia`. */
  pressure: string;
  /** Temperature. Default `degC`. */
  temperature: string;
  /** Mass flow. Default `SLPM`. */
  massFlow: string;
  /** Volumetric flow. Default `LPM`. */
  volumetricFlow: string;
  /** Totalizer. Default `SL`. */
  totalizer: string;
}

/** How a setpoint change completes. */
export type SettleMode = 'flow' | 'echo';

/** Configuration of one unit. */
export interface AlicatConfig {
  /** Unit id A–Z. Default `A`. */
  unit?: string;
  /** `controller` (MFC, Movable setpoint) or `meter` (MFM). Default `controller`. */
  kind?: UnitKind;
  /** Command dialect (see the README). Default `legacy`. */
  dialect?: Dialect;
  /** Flow full scale, in the flow units; setpoints of flow control lie in 0..fullScale. */
  fullScale?: number;
  /** Pressure full scale, in the pressure units; setpoints of pressure control lie in 0..pressureFullScale. */
  pressureFullScale?: number;
  /** Engineering units (partial: the rest keep their defaults). */
  units?: Partial<AlicatUnits>;
  /** Read the totalizer column (units with the totalizer option). Default false. */
  totalizer?: boolean;
  /**
   * `flow` (default): `set()` completes when the controlled value is within `tolerance` of the
   * setpoint (for `settleMs`); `echo`: it completes once the setpoint echo in the reply matches.
   */
  settle?: SettleMode;
  /** Settling band, in units of the control variable. Default 0.5 % of full scale (1 % of the target without one), at least 0.01. */
  tolerance?: number;
  /** Time the value must stay inside the band, in ms. Default 0. */
  settleMs?: number;
  /** Longest wait for settling before `set()` fails with TimeoutError, in ms. Default 30000. */
  settleTimeoutMs?: number;
  /** Time allowed per command, in ms. Default 1000. */
  timeoutMs?: number;
  /** Poll period while signals are subscribed (and while settling), in ms. Default 100. */
  pollMs?: number;
  /** Decimal places of flows and pressures in data keys. Default 2. */
  precision?: number;
}

/** A checked configuration with every default filled in. */
export interface ResolvedAlicatConfig {
  unit: string;
  kind: UnitKind;
  dialect: Dialect;
  fullScale: number | undefined;
  pressureFullScale: number | undefined;
  units: AlicatUnits;
  totalizer: boolean;
  settle: SettleMode;
  tolerance: number | undefined;
  settleMs: number;
  settleTimeoutMs: number;
  timeoutMs: number;
  pollMs: number;
  precision: number;
}

/** Default engineering units. */
export const DEFAULT_UNITS: Readonly<AlicatUnits> = { pressure: 'psia', temperature: 'degC', massFlow: 'SLPM', volumetricFlow: 'LPM', totalizer: 'SL' };

function positive(name: string, v: number | undefined, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InvalidInputError({ what: `Alicat config ${name}`, value: v, reason: allowZero ? 'must be a finite number >= 0' : 'must be a finite number > 0' });
  }
  return v;
}

/** Check a configuration and fill in the defaults. */
export function resolveAlicatConfig(config: AlicatConfig = {}): ResolvedAlicatConfig {
  if (typeof config !== 'object' || config === null) throw new InvalidInputError({ what: 'Alicat config', value: config, reason: 'must be an object' });
  const kind = config.kind ?? 'controller';
  if (kind !== 'controller' && kind !== 'meter') throw new InvalidInputError({ what: 'Alicat config kind', value: kind, reason: "must be 'controller' or 'meter'" });
  const settle = config.settle ?? 'flow';
  if (settle !== 'flow' && settle !== 'echo') throw new InvalidInputError({ what: 'Alicat config settle', value: settle, reason: "must be 'flow' or 'echo'" });
  const units = { ...DEFAULT_UNITS };
  for (const [k, v] of Object.entries(config.units ?? {})) {
    if (!(k in DEFAULT_UNITS)) throw new InvalidInputError({ what: 'Alicat config units', value: k, reason: `unknown quantity (known: ${Object.keys(DEFAULT_UNITS).join(', ')})` });
    if (typeof v !== 'string' || v.length === 0) throw new InvalidInputError({ what: `Alicat config units.${k}`, value: v, reason: 'must be a non-empty string' });
    units[k as keyof AlicatUnits] = v;
  }
  const precision = config.precision ?? 2;
  if (!Number.isInteger(precision) || precision < 0 || precision > 6) throw new InvalidInputError({ what: 'Alicat config precision', value: precision, reason: 'must be an integer 0..6' });
  return {
    unit: checkUnit(config.unit ?? 'A'),
    kind,
    dialect: checkDialect(config.dialect ?? 'legacy'),
    fullScale: positive('fullScale', config.fullScale),
    pressureFullScale: positive('pressureFullScale', config.pressureFullScale),
    units,
    totalizer: config.totalizer ?? false,
    settle,
    tolerance: positive('tolerance', config.tolerance),
    settleMs: positive('settleMs', config.settleMs, true) ?? 0,
    settleTimeoutMs: positive('settleTimeoutMs', config.settleTimeoutMs) ?? 30_000,
    timeoutMs: positive('timeoutMs', config.timeoutMs) ?? 1000,
    pollMs: positive('pollMs', config.pollMs) ?? 100,
    precision,
  };
}

/** Tell whether a control variable regulates a pressure. */
export function isPressureControl(cv: ControlVariable): boolean {
  return cv.endsWith('pressure');
}

/** Return the setpoint range of a control variable: 0..full scale (upper bound Infinity when not configured). */
export function setpointLimits(config: ResolvedAlicatConfig, cv: ControlVariable): { low: number; high: number } {
  const fs = isPressureControl(cv) ? config.pressureFullScale : config.fullScale;
  return { low: 0, high: fs ?? Number.POSITIVE_INFINITY };
}

/** Return the settling band for `target` (see `AlicatConfig.tolerance`). */
export function settleTolerance(config: ResolvedAlicatConfig, cv: ControlVariable, target: number): number {
  if (config.tolerance !== undefined) return config.tolerance;
  const fs = isPressureControl(cv) ? config.pressureFullScale : config.fullScale;
  return Math.max(fs !== undefined ? 0.005 * fs : 0.01 * Math.abs(target), 0.01);
}

/** Return the units of a control variable's values. */
export function controlUnits(config: ResolvedAlicatConfig, cv: ControlVariable): string {
  if (isPressureControl(cv)) return config.units.pressure;
  return cv === 'volumetric-flow' ? config.units.volumetricFlow : config.units.massFlow;
}
