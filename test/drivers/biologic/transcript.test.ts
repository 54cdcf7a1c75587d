/**
 * EClib transcripts, independent of the simulator: BL_GetData buffers laid out by hand as the
 * manual and easy-biologic's data_parser describe them (VMP3 and SP-300 families), decoded by the
 * driver's protocol; the techniques each technique becomes (files per family, labels and indices
 * of the manual's parameter tables and technique_fields.py).
 */
import t from 'tap';
import { decodeRecords, eccOf, familyOf, iRangeCode, TECHNIQUE_ID } from '../../../src/drivers/biologic/protocol.js';
import { DeviceError } from '../../../src/core/errors.js';
import { OVERLOAD_CURRENT, OVERLOAD_POTENTIAL } from '../../../src/drivers/potentiostat/backend.js';
import type { PstatPoint } from '../../../src/drivers/potentiostat/backend.js';

const f2u = (f: number): number => new Uint32Array(new Float32Array([f]).buffer)[0]!;

t.test('records: time formula, float reinterpretation and column order per technique', async (t) => {
  const buf = new Uint32Array(1000);
  const f32 = new Float32Array(buf.buffer);
  // OCV: t_high, t_low, Ewe, Ece — a time beyond 2^32 ticks exercises t_high
  buf.set([1, 5, f2u(0.25), f2u(0)], 0);
  const out: PstatPoint[] = [];
  decodeRecords({ rows: 1, cols: 4, techniqueId: TECHNIQUE_ID.ocv, processIndex: 0, startTime: 10, timeBase: 2e-5 }, buf, f32, out);
  t.ok(Math.abs(out[0]!.t - (10 + 2e-5 * (4294967296 + 5))) < 1e-9, 'StartTime + TimeBase·((t_high << 32) + t_low)');
  t.ok(Math.abs(out[0]!.ewe - 0.25) < 1e-7);
  // CV: t_high, t_low, Ec, I, Ewe, cycle (two rows)
  buf.set([0, 100, f2u(0.3), f2u(1.5e-5), f2u(0.31), 0, 0, 200, f2u(0.4), f2u(-2e-6), f2u(0.41), 1], 0);
  out.length = 0;
  decodeRecords({ rows: 2, cols: 6, techniqueId: TECHNIQUE_ID.cv, processIndex: 0, startTime: 0, timeBase: 1e-3 }, buf, f32, out);
  t.same(out.map((p) => p.kind === 'time' && [p.t, Math.fround(p.ewe), Math.fround(p.i), p.cycle]), [[0.1, Math.fround(0.31), Math.fround(1.5e-5), 0], [0.2, Math.fround(0.41), Math.fround(-2e-6), 1]], 'Ewe from column 4, I from column 3, cycle as an integer');
  // PEIS process 1: freq, |Ewe|, |I|, phase_Zwe, Ewe, I, ... t at column 13
  buf.set([f2u(1000), f2u(0.01), f2u(0.0001), f2u(-30), f2u(0.2), f2u(1e-6), 0, 0, 0, 0, 0, 0, 0, f2u(12.5), 0], 0);
  out.length = 0;
  decodeRecords({ rows: 1, cols: 15, techniqueId: TECHNIQUE_ID.peis, processIndex: 1, startTime: 0, timeBase: 2e-5 }, buf, f32, out);
  const z = out[0]!;
  t.ok(z.kind === 'eis' && Math.abs(z.zRe - 100 * Math.cos(-Math.PI / 6)) < 1e-3 && Math.abs(z.zIm - 100 * Math.sin(-Math.PI / 6)) < 1e-3 && Math.abs(z.t - 12.5) < 1e-6, '|Z| = |Ewe|/|I| at phase_Zwe');
  out.length = 0;
  t.equal(decodeRecords({ rows: 1, cols: 4, techniqueId: TECHNIQUE_ID.peis, processIndex: 0, startTime: 0, timeBase: 2e-5 }, buf, f32, out), 0, 'PEIS process 0 (the DC part) gives no EIS point');
});

t.test('SP-300 family layouts: OCV without Ece, CV/VSCAN without Ec, PEIS without Irange', async (t) => {
  const buf = new Uint32Array(1000);
  const f32 = new Float32Array(buf.buffer);
  const out: PstatPoint[] = [];
  // OCV: t_high, t_low, Ewe — 3 columns
  buf.set([0, 50_000, f2u(0.27), 0, 100_000, f2u(0.26)], 0);
  decodeRecords({ rows: 2, cols: 3, techniqueId: TECHNIQUE_ID.ocv, processIndex: 0, startTime: 0, timeBase: 2e-5, family: 'sp300' }, buf, f32, out);
  t.same(out.map((p) => [p.t, Math.fround(p.ewe)]), [[1, Math.fround(0.27)], [2, Math.fround(0.26)]], 'rows of 3 words');
  // CV: t_high, t_low, I, Ewe, cycle — 5 columns
  buf.set([0, 100, f2u(1.5e-5), f2u(0.31), 2], 0);
  out.length = 0;
  decodeRecords({ rows: 1, cols: 5, techniqueId: TECHNIQUE_ID.cv, processIndex: 0, startTime: 0, timeBase: 1e-3, family: 'sp300' }, buf, f32, out);
  t.same(out.map((p) => p.kind === 'time' && [Math.fround(p.ewe), Math.fround(p.i), p.cycle]), [[Math.fround(0.31), Math.fround(1.5e-5), 2]], 'I from column 2, Ewe from column 3, cycle from column 4');
  // VSCAN (linear sweeps) has the CV layout of its family
  out.length = 0;
  decodeRecords({ rows: 1, cols: 5, techniqueId: TECHNIQUE_ID.vscan, processIndex: 0, startTime: 3, timeBase: 1e-3, family: 'sp300' }, buf, f32, out);
  t.same(out.map((p) => p.kind === 'time' && [p.t, Math.fround(p.ewe)]), [[3.1, Math.fround(0.31)]]);
  buf.set([0, 100, f2u(0.3), f2u(1.5e-5), f2u(0.31), 0], 0);
  out.length = 0;
  decodeRecords({ rows: 1, cols: 6, techniqueId: TECHNIQUE_ID.vscan, processIndex: 0, startTime: 0, timeBase: 1e-3 }, buf, f32, out);
  t.same(out.map((p) => Math.fround(p.ewe)), [Math.fround(0.31)], 'VMP3 VSCAN: Ewe from column 4');
  // PEIS process 1: 14 columns, t at column 13, StartTime added (a queued single-frequency PEIS)
  buf.set([f2u(100), f2u(0.01), f2u(0.0002), f2u(-45), f2u(0.2), f2u(0), 0, 0, 0, 0, 0, 0, 0, f2u(0.5)], 0);
  out.length = 0;
  decodeRecords({ rows: 1, cols: 14, techniqueId: TECHNIQUE_ID.peis, processIndex: 1, startTime: 7, timeBase: 2e-5, family: 'sp300' }, buf, f32, out);
  t.ok(out[0]!.kind === 'eis' && Math.abs(out[0]!.t - 7.5) < 1e-6 && Math.abs(out[0]!.zRe - 50 * Math.SQRT1_2) < 1e-3, 'freq/|E|/|I|/phase as in VMP3, t = StartTime + column 13');
  // The other family's column count is refused, not misread
  t.throws(() => decodeRecords({ rows: 1, cols: 4, techniqueId: TECHNIQUE_ID.ocv, processIndex: 0, startTime: 0, timeBase: 2e-5, family: 'sp300' }, buf, f32, out), DeviceError);
  t.throws(() => decodeRecords({ rows: 1, cols: 5, techniqueId: TECHNIQUE_ID.cv, processIndex: 0, startTime: 0, timeBase: 2e-5 }, buf, f32, out), /CV|6/);
  t.equal(familyOf(16), 'sp300', 'SP-300');
  t.equal(familyOf(21), 'sp300', 'SP-200');
  t.equal(familyOf(5), 'vmp3', 'VMP3');
  t.equal(familyOf(14), 'vmp3', 'SP-150');
});

t.test('CP records (t_high, t_low, Ewe, I, cycle) and overload flags from the E range and Ioverflow', async (t) => {
  const buf = new Uint32Array(1000);
  const f32 = new Float32Array(buf.buffer);
  buf.set([0, 1000, f2u(0.21), f2u(1e-5), 0, 0, 2000, f2u(10), f2u(1e-5), 0], 0);
  const out: PstatPoint[] = [];
  decodeRecords({ rows: 2, cols: 5, techniqueId: TECHNIQUE_ID.cp, processIndex: 0, startTime: 0, timeBase: 1e-3, eweRange: [-10, 10] }, buf, f32, out);
  t.same(out.map((p) => [p.t, Math.fround(p.ewe), Math.fround(p.i), p.overload]), [[1, Math.fround(0.21), Math.fround(1e-5), 0], [2, 10, Math.fround(1e-5), OVERLOAD_POTENTIAL]], 'Ewe at the range limit is a potential overload');
  out.length = 0;
  decodeRecords({ rows: 1, cols: 5, techniqueId: TECHNIQUE_ID.ca, processIndex: 0, startTime: 0, timeBase: 1e-3, eweRange: [-10, 10], iOverflow: true }, buf, f32, out);
  t.equal(out[0]!.overload, OVERLOAD_CURRENT, 'TCurrentValues_t.Ioverflow flags the records as current overloads');
});

t.test('parameters per technique: .ecc file per family, labels, types, indices', async (t) => {
  const [ocv] = eccOf({ kind: 'ocv', durationS: 60, recordEveryS: 0.5 })!;
  t.equal(ocv!.file, 'ocv.ecc');
  t.same(ocv!.params.map((p) => [p.label, p.type, p.value]), [['Rest_time_T', 'single', 60], ['Record_every_dE', 'single', 10], ['Record_every_dT', 'single', 0.5], ['E_Range', 'int', 0]]);
  t.equal(eccOf({ kind: 'ocv', durationS: 60, recordEveryS: 0.5 }, 'sp300')![0]!.file, 'ocv4.ecc', 'SP-300 family: name4.ecc');
  const [cv] = eccOf({ kind: 'cv', startV: 0, vertex1V: 0.8, vertex2V: -0.2, endV: 0.1, scanRateVPerS: 0.05, cycles: 3, recordEveryV: 0.001, currentRange: 1e-3 })!;
  t.same(cv!.params.filter((p) => p.label === 'Voltage_step').map((p) => [p.index, p.value]), [[0, 0], [1, 0.8], [2, -0.2], [3, 0], [4, 0.1]]);
  t.same(cv!.params.find((p) => p.label === 'N_Cycles')?.value, 2, 'N_Cycles counts the extra cycles');
  t.same(cv!.params.find((p) => p.label === 'I_Range')?.value, 7, '1 mA range is I_RANGE_1mA (7)');
  t.equal(iRangeCode('auto'), 12);
  t.equal(iRangeCode(5e-6), 5, 'the next range up (10 µA)');
  const peis = eccOf({ kind: 'peis', dcV: 0.1, amplitudeV: 0.01, frequencies: { startHz: 1e5, endHz: 1, pointsPerDecade: 2 } })!;
  t.equal(peis.length, 1, 'a log range is one PEIS');
  const p0 = peis[0]!.params;
  t.same([p0.find((p) => p.label === 'Initial_frequency')?.value, p0.find((p) => p.label === 'Final_frequency')?.value, p0.find((p) => p.label === 'Frequency_number')?.value, p0.find((p) => p.label === 'sweep')?.value], [1e5, 1, 11, false], 'sweep false: logarithmic spacing');
  const list = eccOf({ kind: 'peis', dcV: 0, amplitudeV: 0.01, frequencies: [1000, 50, 2] }, 'sp300')!;
  t.same(list.map((e) => [e.file, e.params.find((p) => p.label === 'Initial_frequency')?.value, e.params.find((p) => p.label === 'Final_frequency')?.value, e.params.find((p) => p.label === 'Frequency_number')?.value]),
    [['peis4.ecc', 1000, 1000, 1], ['peis4.ecc', 50, 50, 1], ['peis4.ecc', 2, 2, 1]], 'a frequency list: one single-frequency PEIS per frequency, in order');
  t.equal(eccOf({ kind: 'peis', dcV: 0, amplitudeV: 0.01, frequencies: Array.from({ length: 101 }, (_, k) => 1 + k) }), undefined, 'more than 100 listed frequencies are refused');
  const [cp] = eccOf({ kind: 'cp', currentA: 3e-6, durationS: 5, recordEveryS: 0.1 })!;
  t.equal(cp!.file, 'cp.ecc');
  t.same(cp!.params.filter((p) => ['Current_step', 'vs_initial', 'Duration_step', 'Step_number', 'Record_every_dT'].includes(p.label)).map((p) => [p.label, p.value, p.index]),
    [['Current_step', 3e-6, 0], ['vs_initial', false, 0], ['Duration_step', 5, 0], ['Step_number', 0, 0], ['Record_every_dT', 0.1, 0]]);
  t.equal(cp!.params.find((p) => p.label === 'I_Range')?.value, 5, 'CP refuses auto range: the smallest range holding 3 µA (10 µA)');
  const [lsv] = eccOf({ kind: 'lsv', startV: -0.1, endV: 0.5, scanRateVPerS: 0.02, recordEveryV: 0.001 }, 'sp300')!;
  t.equal(lsv!.file, 'vscan4.ecc', 'LSV is the Voltage Scan technique');
  t.same(lsv!.params.filter((p) => p.label === 'Voltage_step' || p.label === 'Scan_Rate' || p.label === 'Scan_number').map((p) => [p.label, p.index, p.value]),
    [['Voltage_step', 0, -0.1], ['Voltage_step', 1, 0.5], ['Scan_Rate', 0, 0.02], ['Scan_Rate', 1, 0.02], ['Scan_number', 0, 0]], 'two vertices, one scan (Scan_number = scans − 1)');
});
