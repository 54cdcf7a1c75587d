/**
 * BioLogic EClib, pure: error codes, technique IDs, the parameters each technique of the
 * vocabulary becomes (`.ecc` file, labels, types, indices — easy-biologic's technique_fields),
 * and the decoding of `BL_GetData` records per technique (VMP3-family layouts; time
 * `StartTime + TimeBase·((t_high << 32) + t_low)`; SINGLE words reinterpreted as IEEE floats).
 * See `../shared/reference/biologic.md`. No I/O.
 * @module
 */
import type { VendorCodeTable } from '../../core/errors.js';
import type { PstatPoint } from '../potentiostat/backend.js';
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

/** Technique IDs of the records (`TDataInfos_t.TechniqueID`). */
export const TECHNIQUE_ID = { ocv: 100, ca: 101, cp: 102, cv: 103, peis: 104 } as const;

/** One EClib parameter: label, type, value, index. */
export interface EccParam {
  readonly label: string;
  readonly type: 'single' | 'int' | 'bool';
  readonly value: number | boolean;
  readonly index: number;
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

/** The `.ecc` file and parameters of a technique (undefined when EClib has no such mapping here). */
export function eccOf(t: Technique): { file: string; params: EccParam[] } | undefined {
  const ir = iRangeCode(t.currentRange);
  switch (t.kind) {
    case 'ocv':
      return { file: 'ocv.ecc', params: [sgl('Rest_time_T', t.durationS), sgl('Record_every_dE', 10), sgl('Record_every_dT', t.recordEveryS), int('E_Range', 0)] };
    case 'ca':
      return {
        file: 'ca.ecc',
        params: [sgl('Voltage_step', t.potentialV), bool('vs_initial', false), sgl('Duration_step', t.durationS), int('Step_number', 0),
          sgl('Record_every_dT', t.recordEveryS), sgl('Record_every_dI', 1), int('N_Cycles', 0), int('I_Range', ir), int('E_Range', 0), int('Bandwidth', 5)],
      };
    case 'cv': {
      const v = [t.startV, t.vertex1V, t.vertex2V, t.startV, t.endV];
      return {
        file: 'cv.ecc',
        params: [
          ...v.map((e, i) => bool('vs_initial', false, i)), ...v.map((e, i) => sgl('Voltage_step', e, i)), ...v.map((_, i) => sgl('Scan_Rate', t.scanRateVPerS, i)),
          int('Scan_number', 2), sgl('Record_every_dE', t.recordEveryV), bool('Average_over_dE', false), int('N_Cycles', t.cycles - 1),
          sgl('Begin_measuring_I', 0.5), sgl('End_measuring_I', 1), int('I_Range', ir), int('E_Range', 0), int('Bandwidth', 5),
        ],
      };
    }
    case 'peis': {
      const fs = frequencyList(t.frequencies);
      const spec = t.frequencies as { startHz?: number };
      if (spec.startHz === undefined) return undefined; // EClib's PEIS takes a range, not a list
      return {
        file: 'peis.ecc',
        params: [bool('vs_initial', false), bool('vs_final', false), sgl('Initial_Voltage_step', t.dcV), sgl('Final_Voltage_step', t.dcV), sgl('Duration_step', 0),
          int('Step_number', 0), sgl('Record_every_dT', 0.1), sgl('Record_every_dI', 0.1), sgl('Initial_frequency', fs[0]!), sgl('Final_frequency', fs.at(-1)!),
          bool('sweep', false), sgl('Amplitude_Voltage', t.amplitudeV), int('Frequency_number', fs.length), int('Average_N_times', 1), bool('Correction', false),
          bool('Wait_for_steady', false), int('I_Range', ir), int('E_Range', 0), int('Bandwidth', 5)],
      };
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
}

/**
 * Decode one BL_GetData buffer into points (VMP3 family), appending to `out`; `u32` and `f32` are
 * two views of the same buffer (the float view reinterprets the bits, as BL_ConvertNumericIntoSingle).
 * Returns the number of points added; unknown techniques or processes add none.
 */
export function decodeRecords(b: DataBlock, u32: Uint32Array, f32: Float32Array, out: PstatPoint[]): number {
  const n0 = out.length;
  const c = b.cols;
  const time = (o: number): number => b.startTime + b.timeBase * (u32[o]! * 4294967296 + u32[o + 1]!);
  for (let r = 0; r < b.rows; r++) {
    const o = r * c;
    switch (b.techniqueId) {
      case TECHNIQUE_ID.ocv:
        out.push({ kind: 'time', t: time(o), ewe: f32[o + 2]!, i: 0, cycle: 0, overload: 0 });
        break;
      case TECHNIQUE_ID.ca:
      case TECHNIQUE_ID.cp:
        out.push({ kind: 'time', t: time(o), ewe: f32[o + 2]!, i: f32[o + 3]!, cycle: u32[o + 4]!, overload: 0 });
        break;
      case TECHNIQUE_ID.cv:
        out.push({ kind: 'time', t: time(o), ewe: f32[o + 4]!, i: f32[o + 3]!, cycle: u32[o + 5]!, overload: 0 });
        break;
      case TECHNIQUE_ID.peis:
        if (b.processIndex === 1) {
          const zMod = f32[o + 1]! / f32[o + 2]!;
          const ph = (f32[o + 3]! * Math.PI) / 180;
          out.push({ kind: 'eis', t: f32[o + 13]!, freq: f32[o]!, zRe: zMod * Math.cos(ph), zIm: zMod * Math.sin(ph), ewe: f32[o + 4]!, i: f32[o + 5]!, overload: 0 });
        }
        break;
      default:
        break;
    }
  }
  return out.length - n0;
}
