/**
 * EClib transcripts, independent of the simulator: BL_GetData buffers laid out by hand as the
 * manual and easy-biologic's data_parser describe them (VMP3 family), decoded by the driver's
 * protocol; the parameters each technique becomes (labels and indices of technique_fields.py).
 */
import t from 'tap';
import { decodeRecords, eccOf, iRangeCode, TECHNIQUE_ID } from '../../../src/drivers/biologic/protocol.js';
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

t.test('parameters per technique: .ecc file, labels, types, indices', async (t) => {
  const ocv = eccOf({ kind: 'ocv', durationS: 60, recordEveryS: 0.5 })!;
  t.equal(ocv.file, 'ocv.ecc');
  t.same(ocv.params.map((p) => [p.label, p.type, p.value]), [['Rest_time_T', 'single', 60], ['Record_every_dE', 'single', 10], ['Record_every_dT', 'single', 0.5], ['E_Range', 'int', 0]]);
  const cv = eccOf({ kind: 'cv', startV: 0, vertex1V: 0.8, vertex2V: -0.2, endV: 0.1, scanRateVPerS: 0.05, cycles: 3, recordEveryV: 0.001, currentRange: 1e-3 })!;
  t.same(cv.params.filter((p) => p.label === 'Voltage_step').map((p) => [p.index, p.value]), [[0, 0], [1, 0.8], [2, -0.2], [3, 0], [4, 0.1]]);
  t.same(cv.params.find((p) => p.label === 'N_Cycles')?.value, 2, 'N_Cycles counts the extra cycles');
  t.same(cv.params.find((p) => p.label === 'I_Range')?.value, 7, '1 mA range is I_RANGE_1mA (7)');
  t.equal(iRangeCode('auto'), 12);
  t.equal(iRangeCode(5e-6), 5, 'the next range up (10 µA)');
  const peis = eccOf({ kind: 'peis', dcV: 0.1, amplitudeV: 0.01, frequencies: { startHz: 1e5, endHz: 1, pointsPerDecade: 2 } })!;
  t.same([peis.params.find((p) => p.label === 'Initial_frequency')?.value, peis.params.find((p) => p.label === 'Final_frequency')?.value, peis.params.find((p) => p.label === 'Frequency_number')?.value], [1e5, 1, 11]);
  t.equal(eccOf({ kind: 'peis', dcV: 0, amplitudeV: 0.01, frequencies: [1, 2] }), undefined, 'a frequency list has no EClib PEIS mapping');
  t.equal(eccOf({ kind: 'cp', currentA: 1e-6, durationS: 1, recordEveryS: 0.1 }), undefined, 'CP not mapped (yet)');
});
