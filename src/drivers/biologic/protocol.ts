/**
 * BioLogic EClib, pure: error codes, technique IDs, instrument families, the techniques each
 * technique of the vocabulary becomes (`.ecc` file per family, labels, types, indices — the EC-Lab
 * Development Package manual and easy-biologic's technique_fields), and the decoding of
 * `BL_GetData` records per technique and family (VMP3 and SP-300 layouts; time
 * `StartTime + TimeBase·((t_high << 32) + t_low)`; SINGLE words reinterpreted as IEEE floats).
 * See `../shared/reference/biologic.md`. No I/O.
 * @module
 */
import { DeviceError, type VendorCodeTable } from '../../core/errors.js';
import { OVERLOAD_CURRENT, OVERLOAD_POTENTIAL, type PstatPoint } from '../potentiostat/backend.js';
import { frequencyList, type Technique } from '../potentiostat/techniques.js';

/** EClib status codes (`BL_GetErrorMsg` gives the library's own text; this table is the fallback). */
export const ECLIB_ERRORS: VendorCodeTable = {
  [-1]: { text: 'no instrument connected', kind: 'not-connected' },
  [-2]: 'connection in progress', [-3]: { text: 'selected channel(s) unplugged', kind: 'channel' },
  [-4]: { text: 'invalid function parameters', kind: 'parameters' }, [-5]: 'selected file does not exist', [-6]: 'function failed',
  [-7]: 'no channel selected', [-8]: 'invalid instrument configuration', [-9]: 'EC-Lab firmware loaded on the instrument',
  [-10]: 'library not correctly loaded', [-11]: 'USB library not correctly loaded', [-12]: 'function in progress',
  [-13]: { text: 'channel is running', kind: 'busy' }, [-14]: 'device not allowed', [-15]: 'invalid update parameters',
  [-101]: 'internal instrument error', [-102]: 'too many data', [-103]: 'response not possible', [-104]: 'response error', [-105]: 'message size error',
  [-200]: { text: 'communication failed with the instrument', kind: 'disconnected' }, [-201]: { text: 'cannot establish connection', kind: 'disconnected' },
  [-202]: 'waiting for an acknowledge', [-203]: 'invalid IP address', [-204]: 'cannot allocate memory', [-205]: 'cannot load firmware',
  [-206]: 'incompatible server', [-207]: 'maximum connections reached', [-308]: { text: 'no firmware loaded on the channel', kind: 'firmware' },
  [-309]: 'incompatible firmware', [-400]: 'ECC file does not exist', [-401]: 'incompatible ECC file', [-402]: 'ECC file corrupted',
  [-403]: 'cannot load the technique', [-404]: 'data corrupted', [-405]: 'memory full',
};

/** Codes meaning the instrument is gone. */
export const DISCONNECT_CODES: ReadonlySet<number> = new Set([-1, -200, -201]);

/** Technique IDs of the records (`TDataInfos_t.TechniqueID`); linear sweeps run as VSCAN (124). */
export const TECHNIQUE_ID = { ocv: 100, ca: 101, cp: 102, cv: 103, peis: 104, vscan: 124 } as const;

/**
 * Instrument family: `vmp3` (VMP3, SP-50/150, VSP, ...: kernel.bin, `name.ecc`) or `sp300`
 * (SP-200, SP-240, SP-300, VSP-300, VMP-300, BP-300: kernel4.bin, `name4.ecc`); the record
 * layouts of OCV, CV/VSCAN and PEIS differ between them.
 */
export type InstrumentFamily = 'vmp3' | 'sp300';

/** Device codes (TDeviceInfos_t.DeviceCode) of the SP-300 family. */
export const SP300_DEVICE_CODES: ReadonlySet<number> = new Set([12, 16, 20, 21, 27, 32]);

/** The family of a device code. */
export function familyOf(deviceCode: number): InstrumentFamily {
  return SP300_DEVICE_CODES.has(deviceCode) ? 'sp300' : 'vmp3';
}

/** Most frequencies of a PEIS frequency list (one single-frequency PEIS technique is queued per frequency). */
export const MAX_FREQUENCY_LIST = 100;

/** One EClib parameter: label, type, value, index. */
export interface EccParam {
  readonly label: string;
  readonly type: 'single' | 'int' | 'bool';
  readonly value: number | boolean;
  readonly index: number;
}

/** One technique to load: its `.ecc` file and parameters. */
export interface EccTechnique {
  readonly file: string;
  readonly params: EccParam[];
}

const sgl = (label: string, value: number, index = 0): EccParam => ({ label, type: 'single', value, index });
const int = (label: string, value: number, index = 0): EccParam => ({ label, type: 'int', value, index });
const bool = (label: string, value: boolean, index = 0): EccParam => ({ label, type: 'bool', value, index });

/** BioLogic I_Range code of a full-scale current (12 = auto). */
export function iRangeCode(range: Technique['currentRange']): number {
  if (range === undefined || range === 'auto') return 12;
  const codes = [100e-12, 1e-9, 10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1];
  const k = codes.findIndex((c) => c >= range * (1 - 1e-9));
  return k < 0 ? 10 : k;
}

/** The `.ecc` file of technique `name` for a family (`cv.ecc` / `cv4.ecc`). */
export function eccFile(name: string, family: InstrumentFamily = 'vmp3'): string {
  return `${name}${family === 'sp300' ? '4' : ''}.ecc`;
}

/**
 * The techniques to queue for `t` on an instrument of `family` (one, except a PEIS frequency
 * list: one single-frequency PEIS per frequency), or undefined when EClib has no such mapping
 * here (a list longer than {@link MAX_FREQUENCY_LIST}).
 */
export function eccOf(t: Technique, family: InstrumentFamily = 'vmp3'): EccTechnique[] | undefined {
  const ir = iRangeCode(t.currentRange);
  const file = (name: string): string => eccFile(name, family);
  switch (t.kind) {
    case 'ocv':
      return [{ file: file('ocv'), params: [sgl('Rest_time_T', t.durationS), sgl('Record_every_dE', 10), sgl('Record_every_dT', t.recordEveryS), int('E_Range', 0)] }];
    case 'ca':
      return [{
        file: file('ca'),
        params: [sgl('Voltage_step', t.potentialV), bool('vs_initial', false), sgl('Duration_step', t.durationS), int('Step_number', 0),
          sgl('Record_every_dT', t.recordEveryS), sgl('Record_every_dI', 1), int('N_Cycles', 0), int('I_Range', ir), int('E_Range', 0), int('Bandwidth', 5)],
      }];
    case 'cp':
      // The manual: "I Auto-range is not allowed" for CP: auto becomes the smallest range holding the current.
      return [{
        file: file('cp'),
        params: [sgl('Current_step', t.currentA), bool('vs_initial', false), sgl('Duration_step', t.durationS), int('Step_number', 0),
          sgl('Record_every_dT', t.recordEveryS), sgl('Record_every_dE', 10), int('N_Cycles', 0),
          int('I_Range', ir === 12 ? iRangeCode(Math.max(Math.abs(t.currentA), 1e-9)) : ir), int('E_Range', 2), int('Bandwidth', 5)],
      }];
    case 'lsv':
      // VSCAN: vertices Voltage_step[0..Scan_number+1]; Scan_Rate[k] from vertex k-1 (the first is ignored).
      return [{
        file: file('vscan'),
        params: [sgl('Voltage_step', t.startV, 0), sgl('Voltage_step', t.endV, 1), bool('vs_initial', false, 0), bool('vs_initial', false, 1),
          sgl('Scan_Rate', t.scanRateVPerS, 0), sgl('Scan_Rate', t.scanRateVPerS, 1), int('Scan_number', 0), sgl('Record_every_dE', t.recordEveryV),
          int('N_Cycles', 0), sgl('Begin_measuring_I', 0.5), sgl('End_measuring_I', 1), int('I_Range', ir), int('E_Range', 0), int('Bandwidth', 5)],
      }];
    case 'cv': {
      const v = [t.startV, t.vertex1V, t.vertex2V, t.startV, t.endV];
      return [{
        file: file('cv'),
        params: [
          ...v.map((e, i) => bool('vs_initial', false, i)), ...v.map((e, i) => sgl('Voltage_step', e, i)), ...v.map((_, i) => sgl('Scan_Rate', t.scanRateVPerS, i)),
          int('Scan_number', 2), sgl('Record_every_dE', t.recordEveryV), bool('Average_over_dE', false), int('N_Cycles', t.cycles - 1),
          sgl('Begin_measuring_I', 0.5), sgl('End_measuring_I', 1), int('I_Range', ir), int('E_Range', 0), int('Bandwidth', 5),
        ],
      }];
    }
    case 'peis': {
      const peis = (fi: number, ff: number, n: number): EccTechnique => ({
        file: file('peis'),
        params: [bool('vs_initial', false), bool('vs_final', false), sgl('Initial_Voltage_step', t.dcV), sgl('Final_Voltage_step', t.dcV), sgl('Duration_step', 0),
          int('Step_number', 0), sgl('Record_every_dT', 0.1), sgl('Record_every_dI', 0.1), sgl('Initial_frequency', fi), sgl('Final_frequency', ff),
          bool('sweep', false), sgl('Amplitude_Voltage', t.amplitudeV), int('Frequency_number', n), int('Average_N_times', 1), bool('Correction', false),
          bool('Wait_for_steady', false), int('I_Range', ir), int('E_Range', 0), int('Bandwidth', 5)],
      });
      const fs = frequencyList(t.frequencies);
      // A log range is one PEIS (sweep false = logarithmic spacing, as frequencyList spaces it).
      if (!Array.isArray(t.frequencies)) return [peis(fs[0]!, fs.at(-1)!, fs.length)];
      if (fs.length > MAX_FREQUENCY_LIST) return undefined;
      return fs.map((f) => peis(f, f, 1));
    }
    default:
      return undefined;
  }
}

/** The block `BL_GetData` returned (its TDataInfos_t and TimeBase). */
export interface DataBlock {
  readonly rows: number;
  readonly cols: number;
  readonly techniqueId: number;
  readonly processIndex: number;
  /** Seconds. */
  readonly startTime: number;
  /** Seconds per tick (TCurrentValues_t.TimeBase). */
  readonly timeBase: number;
  /** Layouts of this family (default `vmp3`). */
  readonly family?: InstrumentFamily;
  /** Ewe range (TCurrentValues_t.EweRangeMin/Max): a record at or beyond it is flagged as a potential overload. */
  readonly eweRange?: readonly [number, number];
  /** TCurrentValues_t.Ioverflow: every record of the block is flagged as a current overload. */
  readonly iOverflow?: boolean;
}

/** Columns of a record per technique, process and family (biologic.md, "Data records"). */
export function recordColumns(techniqueId: number, processIndex: number, family: InstrumentFamily = 'vmp3'): number | undefined {
  const sp = family === 'sp300';
  switch (techniqueId) {
    case TECHNIQUE_ID.ocv:
      return sp ? 3 : 4;
    case TECHNIQUE_ID.ca:
    case TECHNIQUE_ID.cp:
      return 5;
    case TECHNIQUE_ID.cv:
    case TECHNIQUE_ID.vscan:
      return sp ? 5 : 6;
    case TECHNIQUE_ID.peis:
      return processIndex === 1 ? (sp ? 14 : 15) : 4;
    default:
      return undefined;
  }
}

/**
 * Decode one BL_GetData buffer into points, appending to `out`; `u32` and `f32` are two views of
 * the same buffer (the float view reinterprets the bits, as BL_ConvertNumericIntoSingle).
 * Returns the number of points added; unknown techniques and PEIS process 0 add none. A block
 * whose column count is not the technique's for the family is a DeviceError (wrong family or
 * corrupted data), never silently misread.
 */
export function decodeRecords(b: DataBlock, u32: Uint32Array, f32: Float32Array, out: PstatPoint[]): number {
  const n0 = out.length;
  const c = b.cols;
  const family = b.family ?? 'vmp3';
  const expected = recordColumns(b.techniqueId, b.processIndex, family);
  if (expected === undefined || b.rows === 0) return 0;
  if (c !== expected) {
    throw new DeviceError({ device: 'BioLogic', vendorMessage: `BL_GetData: technique ${b.techniqueId} (process ${b.processIndex}) gave ${c} columns, ${family === 'sp300' ? 'SP-300' : 'VMP3'}-family records have ${expected}`, kind: 'data' });
  }
  const sp = family === 'sp300';
  const lo = b.eweRange?.[0] ?? -Infinity;
  const hi = b.eweRange?.[1] ?? Infinity;
  const iFlag = b.iOverflow ? OVERLOAD_CURRENT : 0;
  const { startTime, timeBase } = b;
  const id = b.techniqueId;
  if (id === TECHNIQUE_ID.peis) {
    if (b.processIndex !== 1) return 0;
    for (let o = 0, r = 0; r < b.rows; r++, o += c) {
      const zMod = f32[o + 1]! / f32[o + 2]!;
      const ph = (f32[o + 3]! * Math.PI) / 180;
      // Column 13 is the time within the technique; StartTime places queued techniques (a frequency list) in sequence.
      out.push({ kind: 'eis', t: startTime + f32[o + 13]!, freq: f32[o]!, zRe: zMod * Math.cos(ph), zIm: zMod * Math.sin(ph), ewe: f32[o + 4]!, i: f32[o + 5]!, overload: iFlag });
    }
    return out.length - n0;
  }
  // Columns of Ewe, I (−1: none) and cycle (−1: none) per technique and family:
  // OCV t, Ewe[, Ece]; CA/CP t, Ewe, I, cycle; CV/VSCAN VMP3 t, Ec, I, Ewe, cycle — SP-300 t, I, Ewe, cycle.
  const sweep = id === TECHNIQUE_ID.cv || id === TECHNIQUE_ID.vscan;
  const eCol = sweep ? (sp ? 3 : 4) : 2;
  const iCol = id === TECHNIQUE_ID.ocv ? -1 : sweep && sp ? 2 : 3;
  const cCol = id === TECHNIQUE_ID.ocv ? -1 : sweep ? (sp ? 4 : 5) : 4;
  for (let o = 0, r = 0; r < b.rows; r++, o += c) {
    const ewe = f32[o + eCol]!;
    out.push({
      kind: 'time', t: startTime + timeBase * (u32[o]! * 4294967296 + u32[o + 1]!), ewe,
      i: iCol < 0 ? 0 : f32[o + iCol]!, cycle: cCol < 0 ? 0 : u32[o + cCol]!, overload: iFlag | (ewe <= lo || ewe >= hi ? OVERLOAD_POTENTIAL : 0),
    });
  }
  return out.length - n0;
}
