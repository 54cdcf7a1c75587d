/**
 * Typed register maps: what a block of Modbus registers means. Each entry names a value, where it
 * lives (table and 0-based protocol address), how it is stored (int16, uint16, int32, uint32,
 * float32 or bool; 32-bit values span two registers in a word order) and how raw numbers become
 * engineering units (`value = raw * scale + offset`). Pure: no I/O.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { ModbusTable } from './store.js';

/** How a value is stored in registers. */
export type RegisterType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'bool';

/** One named value of a register map. */
export interface RegisterEntry {
  /** Name of the value (becomes the signal's name). */
  name: string;
  /** Table: holding/input registers, coils or discrete inputs. */
  table: ModbusTable;
  /** 0-based protocol address (the vendor's 40001 is holding address 0). */
  address: number;
  /** Storage type; default `bool` for coils and discrete inputs, `uint16` for registers. */
  type?: RegisterType;
  /** 32-bit values: `big` (default) puts the high word at `address`, `little` the low word. Bytes in a word are always big-endian. */
  wordOrder?: 'big' | 'little';
  /** Engineering value = raw * scale + offset; default 1. */
  scale?: number;
  /** Engineering value = raw * scale + offset; default 0. */
  offset?: number;
  /** Engineering units, e.g. `degC`. */
  units?: string;
  /** Decimal places to display. */
  precision?: number;
  /** Control limits in engineering units; writes outside raise LimitsError. */
  limits?: { low: number; high: number };
  /** Whether clients may write it; default true for holding registers and coils, false otherwise (where it cannot be true). */
  writable?: boolean;
  /** Free text for people. */
  description?: string;
}

/** A register map: a list of entries with unique names. */
export type RegisterMap = readonly RegisterEntry[];

/** An entry with every default filled in. */
export type ResolvedEntry = Required<Omit<RegisterEntry, 'units' | 'precision' | 'limits' | 'description'>> &
  Pick<RegisterEntry, 'units' | 'precision' | 'limits' | 'description'>;

const TYPES: ReadonlySet<string> = new Set(['int16', 'uint16', 'int32', 'uint32', 'float32', 'bool']);
const TABLES: ReadonlySet<string> = new Set(['holding', 'input', 'coil', 'discrete']);
const RANGES: Record<Exclude<RegisterType, 'float32' | 'bool'>, [number, number]> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};
const FLOAT32_MAX = 3.4028234663852886e38;

/** Number of registers (or bits) a type takes: 2 for 32-bit types, else 1. */
export function wordCount(type: RegisterType): 1 | 2 {
  return type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;
}

/** Check an entry and fill in its defaults; throws InvalidInputError naming the bad field. */
export function resolveEntry(entry: RegisterEntry): ResolvedEntry {
  const e = entry as Partial<RegisterEntry> & Record<string, unknown>;
  const where = `register map entry ${typeof e.name === 'string' ? JSON.stringify(e.name) : '?'}`;
  if (typeof e.name !== 'string' || e.name === '') throw new InvalidInputError({ what: `${where}.name`, value: e.name, reason: 'must be a non-empty string' });
  if (typeof e.table !== 'string' || !TABLES.has(e.table)) throw new InvalidInputError({ what: `${where}.table`, value: e.table, reason: "must be 'holding', 'input', 'coil' or 'discrete'" });
  const bits = e.table === 'coil' || e.table === 'discrete';
  const type = e.type ?? (bits ? 'bool' : 'uint16');
  if (!TYPES.has(type)) throw new InvalidInputError({ what: `${where}.type`, value: type, reason: 'must be int16, uint16, int32, uint32, float32 or bool' });
  if (bits && type !== 'bool') throw new InvalidInputError({ what: `${where}.type`, value: type, reason: `a ${e.table} holds a bool` });
  const n = wordCount(type);
  if (typeof e.address !== 'number' || !Number.isInteger(e.address) || e.address < 0 || e.address + n > 0x10000) {
    throw new InvalidInputError({ what: `${where}.address`, value: e.address, reason: `must be an integer 0..${0x10000 - n} (0-based protocol address)` });
  }
  const wordOrder = e.wordOrder ?? 'big';
  if (wordOrder !== 'big' && wordOrder !== 'little') throw new InvalidInputError({ what: `${where}.wordOrder`, value: wordOrder, reason: "must be 'big' or 'little'" });
  const scale = e.scale ?? 1;
  const offset = e.offset ?? 0;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale === 0) throw new InvalidInputError({ what: `${where}.scale`, value: scale, reason: 'must be a finite non-zero number' });
  if (typeof offset !== 'number' || !Number.isFinite(offset)) throw new InvalidInputError({ what: `${where}.offset`, value: offset, reason: 'must be a finite number' });
  const canWrite = e.table === 'holding' || e.table === 'coil';
  const writable = e.writable ?? canWrite;
  if (typeof writable !== 'boolean') throw new InvalidInputError({ what: `${where}.writable`, value: writable, reason: 'must be a boolean' });
  if (writable && !canWrite) throw new InvalidInputError({ what: `${where}.writable`, value: writable, reason: `a ${e.table} cannot be written over Modbus` });
  if (e.units !== undefined && typeof e.units !== 'string') throw new InvalidInputError({ what: `${where}.units`, value: e.units, reason: 'must be a string' });
  if (e.precision !== undefined && (!Number.isInteger(e.precision) || e.precision < 0)) throw new InvalidInputError({ what: `${where}.precision`, value: e.precision, reason: 'must be a non-negative integer' });
  const lim = e.limits;
  if (lim !== undefined && (typeof lim !== 'object' || lim === null || !(typeof lim.low === 'number' && typeof lim.high === 'number' && lim.low <= lim.high))) {
    throw new InvalidInputError({ what: `${where}.limits`, value: lim, reason: 'must be { low, high } with low <= high' });
  }
  const out: ResolvedEntry = { name: e.name, table: e.table as ModbusTable, address: e.address, type, wordOrder, scale, offset, writable };
  if (e.units !== undefined) out.units = e.units;
  if (e.precision !== undefined) out.precision = e.precision;
  if (lim !== undefined) out.limits = { low: lim.low, high: lim.high };
  if (e.description !== undefined) out.description = String(e.description);
  return out;
}

/** Check a whole map (an array of entries with unique names, e.g. parsed JSON) and resolve every entry. */
export function parseRegisterMap(map: unknown): ResolvedEntry[] {
  if (!Array.isArray(map)) throw new InvalidInputError({ what: 'register map', value: map, reason: 'must be an array of entries' });
  const seen = new Set<string>();
  return map.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null) throw new InvalidInputError({ what: 'register map entry', value: raw, reason: 'must be an object' });
    const e = resolveEntry(raw as RegisterEntry);
    if (seen.has(e.name)) throw new InvalidInputError({ what: 'register map', value: e.name, reason: 'names must be unique' });
    seen.add(e.name);
    return e;
  });
}

/** Turn raw registers (or one bit) into the engineering value of `entry`. */
export function decodeEntry(entry: ResolvedEntry, raw: ArrayLike<number> | ArrayLike<boolean>): number | boolean {
  if (entry.table === 'coil' || entry.table === 'discrete') return Boolean(raw[0]);
  const w0 = Number(raw[0]) & 0xffff;
  if (entry.type === 'bool') return w0 !== 0;
  let v: number;
  if (wordCount(entry.type) === 1) v = entry.type === 'int16' && w0 & 0x8000 ? w0 - 0x10000 : w0;
  else {
    const w1 = Number(raw[1]) & 0xffff;
    const [hi, lo] = entry.wordOrder === 'big' ? [w0, w1] : [w1, w0];
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint16(0, hi);
    dv.setUint16(2, lo);
    v = entry.type === 'float32' ? dv.getFloat32(0) : entry.type === 'int32' ? dv.getInt32(0) : dv.getUint32(0);
  }
  return entry.scale === 1 && entry.offset === 0 ? v : v * entry.scale + entry.offset;
}

/**
 * Turn an engineering value into what is written: registers for register tables (integers are
 * rounded to the nearest raw step), a boolean for coils. Throws InvalidInputError when the value
 * has the wrong type or does not fit the storage type, before anything is sent.
 */
export function encodeEntry(entry: ResolvedEntry, value: unknown): Uint16Array | boolean {
  const what = entry.name;
  if (entry.type === 'bool') {
    if (typeof value !== 'boolean') throw new InvalidInputError({ what, value, reason: 'expected a boolean' });
    return entry.table === 'coil' || entry.table === 'discrete' ? value : Uint16Array.of(value ? 1 : 0);
  }
  if (typeof value !== 'number' || Number.isNaN(value)) throw new InvalidInputError({ what, value, reason: 'expected a number' });
  const raw = (value - entry.offset) / entry.scale;
  const dv = new DataView(new ArrayBuffer(4));
  if (entry.type === 'float32') {
    if (!Number.isFinite(raw) || Math.abs(raw) > FLOAT32_MAX) throw new InvalidInputError({ what, value, reason: 'does not fit a float32' });
    dv.setFloat32(0, raw);
  } else {
    const [lo, hi] = RANGES[entry.type];
    const r = Math.round(raw);
    if (!Number.isFinite(r) || r < lo || r > hi) {
      const a = Number((lo * entry.scale + entry.offset).toPrecision(12));
      const b = Number((hi * entry.scale + entry.offset).toPrecision(12));
      throw new InvalidInputError({ what, value, reason: `does not fit ${entry.type} (raw ${lo}..${hi}, i.e. ${Math.min(a, b)}..${Math.max(a, b)}${entry.units ? ` ${entry.units}` : ''})` });
    }
    if (wordCount(entry.type) === 1) return Uint16Array.of(r & 0xffff);
    if (entry.type === 'int32') dv.setInt32(0, r);
    else dv.setUint32(0, r);
  }
  const hiW = dv.getUint16(0);
  const loW = dv.getUint16(2);
  return entry.wordOrder === 'big' ? Uint16Array.of(hiW, loW) : Uint16Array.of(loW, hiW);
}
