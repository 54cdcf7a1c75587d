/**
 * Simulator register maps: a JSON document that says which addresses exist, what they start
 * at and which ones move by themselves. Its `registers` are ordinary register-map entries (so a
 * client can build signals from the same file) plus an initial `value` and an optional `sim`
 * behaviour.
 *
 * ```json
 * {
 *   "unit": 1,
 *   "tables": { "holding": 200, "input": 32, "coil": 32, "discrete": 32 },
 *   "registers": [
 *     { "name": "setpoint", "table": "holding", "address": 0, "type": "float32", "units": "degC", "value": 25 },
 *     { "name": "temperature", "table": "input", "address": 0, "type": "float32",
 *       "sim": { "kind": "sine", "mean": 25, "amplitude": 2, "periodS": 10 } },
 *     { "name": "readback", "table": "input", "address": 5, "type": "int16", "scale": 0.1,
 *       "sim": { "kind": "follow", "source": "setpoint", "tauS": 2 } }
 *   ]
 * }
 * ```
 * `tables` gives sizes (addresses 0..n-1 exist, zero-filled); entries add their own addresses.
 * Behaviours: `sine` (mean, amplitude, periodS, phaseDeg), `square` (periodS; a bool that flips
 * every half period), `ramp` (start, ratePerS, wrap: restart after rising by `wrap`), `noise`
 * (mean, amplitude: uniform), `follow` (source entry name, tauS: first-order lag, 0 = at once).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { MODBUS_TABLES, parseRegisterMap } from '../../protocols/modbus/index.js';
import type { ModbusTable, RegisterEntry, ResolvedEntry } from '../../protocols/modbus/index.js';

/** How a simulated value moves by itself (times in seconds since the simulator started). */
export type SimBehaviour =
  | { kind: 'sine'; mean?: number; amplitude?: number; periodS: number; phaseDeg?: number }
  | { kind: 'square'; periodS: number }
  | { kind: 'ramp'; start?: number; ratePerS: number; wrap?: number }
  | { kind: 'noise'; mean?: number; amplitude?: number }
  | { kind: 'follow'; source: string; tauS?: number };

/** One register of a simulator map: a register-map entry with a start value and a behaviour. */
export interface SimRegister extends RegisterEntry {
  /** Initial value in engineering units (number, or boolean for bits); default 0 / false. */
  value?: number | boolean;
  /** What moves it; absent: it changes only when written. */
  sim?: SimBehaviour;
}

/** A simulator map (the JSON file's shape). */
export interface SimMap {
  /** Unit id the simulator answers; default 1. */
  unit?: number;
  /** Table sizes: addresses 0..n-1 exist. */
  tables?: Partial<Record<ModbusTable, number>>;
  /** Named registers. */
  registers?: SimRegister[];
}

/** A checked simulator map. */
export interface ResolvedSimMap {
  unit: number;
  tables: Partial<Record<ModbusTable, number>>;
  registers: Array<{ entry: ResolvedEntry; value: number | boolean; sim: SimBehaviour | undefined }>;
}

const num = (where: string, v: unknown, def?: number): number => {
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidInputError({ what: where, value: v, reason: 'must be a finite number' });
  return v;
};

function checkBehaviour(where: string, b: unknown, names: ReadonlySet<string>): SimBehaviour {
  if (typeof b !== 'object' || b === null) throw new InvalidInputError({ what: where, value: b, reason: 'must be an object with a kind' });
  const s = b as Record<string, unknown>;
  switch (s.kind) {
    case 'sine': {
      const periodS = num(`${where}.periodS`, s.periodS);
      if (periodS <= 0) throw new InvalidInputError({ what: `${where}.periodS`, value: periodS, reason: 'must be > 0' });
      return { kind: 'sine', mean: num(`${where}.mean`, s.mean, 0), amplitude: num(`${where}.amplitude`, s.amplitude, 1), periodS, phaseDeg: num(`${where}.phaseDeg`, s.phaseDeg, 0) };
    }
    case 'square': {
      const periodS = num(`${where}.periodS`, s.periodS);
      if (periodS <= 0) throw new InvalidInputError({ what: `${where}.periodS`, value: periodS, reason: 'must be > 0' });
      return { kind: 'square', periodS };
    }
    case 'ramp': {
      const wrap = s.wrap === undefined ? undefined : num(`${where}.wrap`, s.wrap);
      if (wrap !== undefined && wrap <= 0) throw new InvalidInputError({ what: `${where}.wrap`, value: wrap, reason: 'must be > 0' });
      return { kind: 'ramp', start: num(`${where}.start`, s.start, 0), ratePerS: num(`${where}.ratePerS`, s.ratePerS), ...(wrap === undefined ? {} : { wrap }) };
    }
    case 'noise':
      return { kind: 'noise', mean: num(`${where}.mean`, s.mean, 0), amplitude: num(`${where}.amplitude`, s.amplitude, 1) };
    case 'follow': {
      if (typeof s.source !== 'string' || !names.has(s.source)) throw new InvalidInputError({ what: `${where}.source`, value: s.source, reason: 'must name another register of the map' });
      const tauS = num(`${where}.tauS`, s.tauS, 0);
      if (tauS < 0) throw new InvalidInputError({ what: `${where}.tauS`, value: tauS, reason: 'must be >= 0' });
      return { kind: 'follow', source: s.source, tauS };
    }
    default:
      throw new InvalidInputError({ what: `${where}.kind`, value: s.kind, reason: 'must be sine, square, ramp, noise or follow' });
  }
}

/** Check a simulator map (e.g. parsed JSON); throws InvalidInputError naming the bad field. */
export function resolveSimMap(input: unknown): ResolvedSimMap {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidInputError({ what: 'modbus sim map', value: input, reason: 'must be an object with tables and/or registers' });
  const m = input as SimMap & Record<string, unknown>;
  const unit = m.unit ?? 1;
  if (!Number.isInteger(unit) || unit < 1 || unit > 247) throw new InvalidInputError({ what: 'modbus sim map unit', value: unit, reason: 'must be 1..247' });
  const tables: Partial<Record<ModbusTable, number>> = {};
  if (m.tables !== undefined) {
    if (typeof m.tables !== 'object' || m.tables === null) throw new InvalidInputError({ what: 'modbus sim map tables', value: m.tables, reason: 'must be an object of sizes' });
    for (const [k, v] of Object.entries(m.tables)) {
      if (!MODBUS_TABLES.includes(k as ModbusTable)) throw new InvalidInputError({ what: 'modbus sim map tables', value: k, reason: "keys must be 'holding', 'input', 'coil' or 'discrete'" });
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0x10000) throw new InvalidInputError({ what: `modbus sim map tables.${k}`, value: v, reason: 'must be an integer 0..65536' });
      tables[k as ModbusTable] = v as number;
    }
  }
  const raw = m.registers ?? [];
  const entries = parseRegisterMap(raw);
  const names = new Set(entries.map((e) => e.name));
  const registers = entries.map((entry, i) => {
    const r = (raw as SimRegister[])[i] as SimRegister;
    const where = `modbus sim register ${JSON.stringify(entry.name)}`;
    const bool = entry.type === 'bool';
    const value = r.value ?? (bool ? false : 0);
    if (bool ? typeof value !== 'boolean' : typeof value !== 'number') throw new InvalidInputError({ what: `${where}.value`, value, reason: bool ? 'must be a boolean' : 'must be a number' });
    const sim = r.sim === undefined ? undefined : checkBehaviour(`${where}.sim`, r.sim, names);
    if (sim && sim.kind === 'follow' && sim.source === entry.name) throw new InvalidInputError({ what: `${where}.sim.source`, value: sim.source, reason: 'cannot follow itself' });
    return { entry, value, sim };
  });
  return { unit, tables, registers };
}

/** The default map: 200 holding registers, 32 each of input registers, coils and discrete inputs, with a few live values. */
export const DEFAULT_SIM_MAP: SimMap = {
  unit: 1,
  tables: { holding: 200, input: 32, coil: 32, discrete: 32 },
  registers: [
    { name: 'setpoint', table: 'holding', address: 0, type: 'float32', units: 'degC', value: 25, limits: { low: -50, high: 200 }, description: 'temperature setpoint' },
    { name: 'mode', table: 'holding', address: 2, type: 'uint16', value: 0, description: '0 idle, 1 run, 2 hold' },
    { name: 'ramp_rate', table: 'holding', address: 3, type: 'int16', scale: 0.1, units: 'degC/min', value: 1 },
    { name: 'counter_preset', table: 'holding', address: 4, type: 'uint32', value: 100000 },
    { name: 'temperature', table: 'input', address: 0, type: 'float32', units: 'degC', sim: { kind: 'sine', mean: 25, amplitude: 2, periodS: 10 } },
    { name: 'pressure', table: 'input', address: 2, type: 'int16', scale: 0.001, units: 'bar', sim: { kind: 'sine', mean: 1.013, amplitude: 0.05, periodS: 7, phaseDeg: 90 } },
    { name: 'uptime', table: 'input', address: 3, type: 'uint32', units: 's', sim: { kind: 'ramp', ratePerS: 1 } },
    { name: 'readback', table: 'input', address: 5, type: 'int16', scale: 0.1, units: 'degC', sim: { kind: 'follow', source: 'setpoint', tauS: 2 } },
    { name: 'noise', table: 'input', address: 6, type: 'int16', sim: { kind: 'noise', mean: 0, amplitude: 100 } },
    { name: 'run', table: 'coil', address: 0, value: false },
    { name: 'alarm_reset', table: 'coil', address: 1, value: false },
    { name: 'running', table: 'discrete', address: 0, sim: { kind: 'follow', source: 'run' } },
    { name: 'heartbeat', table: 'discrete', address: 1, sim: { kind: 'square', periodS: 1 } },
  ],
};
