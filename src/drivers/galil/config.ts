/**
 * Configuration of a Galil controller: axes in engineering units and I/O channels, checked once
 * (InvalidInputError naming the bad field) before any device is built.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { checkAxis, MAX_POSITION_COUNTS, type AxisLetter } from './protocol.js';

/** One axis: which letter, and how counts map to engineering units. */
export interface GalilAxisConfig {
  /** Axis letter on the controller (A..H). */
  axis: AxisLetter;
  /** Encoder (or step) counts per engineering unit, e.g. 1000 counts/mm. Default 1. */
  countsPerUnit?: number;
  /** Engineering units, e.g. `mm` or `deg`. Default `counts` when countsPerUnit is 1, else `mm`. */
  units?: string;
  /** Software limits `[low, high]`, units; moves outside are refused before anything is sent. */
  limits?: readonly [number, number];
  /** Slew speed applied at connect, units/s. */
  speed?: number;
  /** Acceleration applied at connect, units/s². */
  acceleration?: number;
  /** Deceleration applied at connect, units/s². */
  deceleration?: number;
  /** Deceleration when a limit switch is hit (SD), applied at connect, units/s². */
  limitDeceleration?: number;
  /** Decimal places shown. Default: enough for one count. */
  precision?: number;
}

/** I/O channels of a DMC or RIO (the numbers the controller uses). */
export interface GalilIOConfig {
  /** Digital inputs read with `@IN[n]`. */
  digitalInputs?: readonly number[];
  /** Digital outputs (SB/CB, `@OUT[n]`). */
  digitalOutputs?: readonly number[];
  /** Analog inputs read with `@AN[n]`, volts. */
  analogInputs?: readonly number[];
}

/** A whole controller. */
export interface GalilConfig {
  /** Axes by name (the name becomes the device attribute and data key part), e.g. `{ x: { axis: 'A' } }`. */
  axes?: Readonly<Record<string, GalilAxisConfig>>;
  /** I/O channels, if any. */
  io?: GalilIOConfig;
  /** Time allowed per command, in ms. Default 1000. */
  timeoutMs?: number;
  /** Status poll period during motion and while subscribed, in ms. Default 20 (motion) / 100 (signals). */
  pollMs?: number;
  /** Send SH (servo here) to every configured axis at connect. Default false. */
  enableOnConnect?: boolean;
}

/** An axis config with defaults filled. */
export interface ResolvedAxis {
  name: string;
  axis: AxisLetter;
  countsPerUnit: number;
  units: string;
  limits: { low: number; high: number } | undefined;
  speed: number | undefined;
  acceleration: number | undefined;
  deceleration: number | undefined;
  limitDeceleration: number | undefined;
  precision: number;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function finite(what: string, v: unknown, positive = false): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
    throw new InvalidInputError({ what, value: v, reason: positive ? 'must be a finite number > 0' : 'must be a finite number' });
  }
  return v;
}

function channels(what: string, list: readonly number[] | undefined): number[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new InvalidInputError({ what, value: list, reason: 'must be an array of channel numbers' });
  const seen = new Set<number>();
  for (const n of list) {
    if (!Number.isInteger(n) || n < 0 || n > 999) throw new InvalidInputError({ what, value: n, reason: 'channel numbers are integers in 0..999' });
    if (seen.has(n)) throw new InvalidInputError({ what, value: n, reason: 'channel listed twice' });
    seen.add(n);
  }
  return [...list];
}

/** Check a controller config and fill defaults; throws InvalidInputError naming the bad field. */
export function resolveConfig(config: GalilConfig): { axes: ResolvedAxis[]; io: Required<GalilIOConfig> | undefined; timeoutMs: number; pollMs: number; enableOnConnect: boolean } {
  if (typeof config !== 'object' || config === null) throw new InvalidInputError({ what: 'galil config', value: config, reason: 'must be an object' });
  const axes: ResolvedAxis[] = [];
  const letters = new Set<string>();
  for (const [name, a] of Object.entries(config.axes ?? {})) {
    if (!NAME_RE.test(name) || ['io', 'name', 'parent', 'axes'].includes(name)) {
      throw new InvalidInputError({ what: 'galil axis name', value: name, reason: 'must be an identifier other than io, name, parent, axes' });
    }
    if (typeof a !== 'object' || a === null) throw new InvalidInputError({ what: `galil axes.${name}`, value: a, reason: 'must be an object' });
    const axis = checkAxis(a.axis);
    if (letters.has(axis)) throw new InvalidInputError({ what: `galil axes.${name}.axis`, value: axis, reason: 'is used by another axis' });
    letters.add(axis);
    const cpu = finite(`galil axes.${name}.countsPerUnit`, a.countsPerUnit, true) ?? 1;
    if (cpu > MAX_POSITION_COUNTS) throw new InvalidInputError({ what: `galil axes.${name}.countsPerUnit`, value: a.countsPerUnit, reason: `must be <= ${MAX_POSITION_COUNTS} (one unit would span the controller's whole position range in counts)` });
    let limits: ResolvedAxis['limits'];
    if (a.limits !== undefined) {
      const [low, high] = Array.isArray(a.limits) ? a.limits : [NaN, NaN];
      if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) {
        throw new InvalidInputError({ what: `galil axes.${name}.limits`, value: a.limits, reason: 'must be [low, high] finite numbers with low <= high' });
      }
      const reach = MAX_POSITION_COUNTS / cpu;
      if (Math.abs(low!) > reach || Math.abs(high!) > reach) {
        throw new InvalidInputError({ what: `galil axes.${name}.limits`, value: a.limits, reason: `must lie within ±${reach} ${a.units ?? (cpu === 1 ? 'counts' : 'mm')} (the controller's ±${MAX_POSITION_COUNTS} counts${cpu === 1 ? '' : ` at ${cpu} counts per unit`})` });
      }
      limits = { low: low!, high: high! };
    }
    const units = a.units ?? (cpu === 1 ? 'counts' : 'mm');
    if (typeof units !== 'string' || units.length === 0) throw new InvalidInputError({ what: `galil axes.${name}.units`, value: units, reason: 'must be a non-empty string' });
    const precision = a.precision ?? Math.max(0, Math.ceil(Math.log10(cpu)));
    if (!Number.isInteger(precision) || precision < 0 || precision > 12) throw new InvalidInputError({ what: `galil axes.${name}.precision`, value: precision, reason: 'must be an integer in 0..12' });
    axes.push({
      name, axis, countsPerUnit: cpu, units, limits, precision,
      speed: finite(`galil axes.${name}.speed`, a.speed, true),
      acceleration: finite(`galil axes.${name}.acceleration`, a.acceleration, true),
      deceleration: finite(`galil axes.${name}.deceleration`, a.deceleration, true),
      limitDeceleration: finite(`galil axes.${name}.limitDeceleration`, a.limitDeceleration, true),
    });
  }
  const io = config.io === undefined ? undefined : {
    digitalInputs: channels('galil io.digitalInputs', config.io.digitalInputs),
    digitalOutputs: channels('galil io.digitalOutputs', config.io.digitalOutputs),
    analogInputs: channels('galil io.analogInputs', config.io.analogInputs),
  };
  const timeoutMs = finite('galil timeoutMs', config.timeoutMs, true) ?? 1000;
  const pollMs = finite('galil pollMs', config.pollMs, true) ?? 20;
  return { axes, io, timeoutMs, pollMs, enableOnConnect: config.enableOnConnect ?? false };
}

/** Convert units to whole counts (rounded), checking the result is finite. */
export function toCounts(what: string, value: number, countsPerUnit: number): number {
  const c = Math.round(value * countsPerUnit);
  if (!Number.isFinite(c)) throw new InvalidInputError({ what, value, reason: 'does not convert to a finite number of counts' });
  return Object.is(c, -0) ? 0 : c;
}
