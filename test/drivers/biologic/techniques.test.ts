/**
 * BioLogic CP, LSV (VSCAN), PEIS by frequency list and by log range, and the SP-300 family's
 * layouts, through the driver (koffi) against native/eclib-sim, checked against the physical laws
 * of the configured cell: Sand's transition time and the quarter-wave potential (CP), the
 * Randles–Ševčík peak current and the reversible peak position (LSV), the exact Randles impedance
 * at every listed frequency (PEIS), and the same OCV → CV → PEIS physics on an SP-300.
 */
import t, { type Test } from 'tap';
import { createBiologic } from '../../../src/drivers/biologic/device.js';
import { loadEClib } from '../../../src/drivers/biologic/io.js';
import { OVERLOAD_POTENTIAL } from '../../../src/drivers/potentiostat/backend.js';
import type { PotentiostatChannel } from '../../../src/drivers/potentiostat/channel.js';
import { cp, lsv, ocvCvPeis, peis } from '../../../src/drivers/potentiostat/plans.js';
import { ElectrochemCell, checkCell, randlesImpedance } from '../../../src/sim/electrochem/model.js';
import { withEngine } from '../../core/engine/engine-fixtures.js';
import { checkPhysics, rowsOf } from '../potentiostat/helpers.js';
import { invalidDocuments } from '../../helpers/schemas.js';
import { buildEclibSim } from './build.js';

const built = buildEclibSim(t);
if (!built) {
  t.plan(0, 'no C compiler: eclib-sim cannot be built');
} else {
  const lib = loadEClib(built.lib);
  const configure = lib.lib.bind<(speed: number, rs: number, rct: number, cdl: number, e0: number, n: number) => void>('void SIM_Configure(double speed, double rs, double rct, double cdl, double e0, int32_t n)');
  const setDeviceCode = lib.lib.bind<(code: number) => void>('void SIM_SetDeviceCode(int32_t code)');
  // The simulator's cell (eclib_sim.c: 1 mM, 0.0707 cm², D 7e-6 cm²/s, 298.15 K) as the shared model.
  const cell = new ElectrochemCell(checkCell({ randles: { rs: 50, rct: 500, cdl: 20e-6 }, redox: { e0: 0.2, n: 1 } }));

  async function channel(tt: Test, code: number, ch: number): Promise<PotentiostatChannel> {
    configure(50, 50, 500, 20e-6, 0.2, 1);
    setDeviceCode(code);
    const pstat = createBiologic('pstat', lib, { address: '192.168.200.240', channel: ch, pollMs: 10 });
    await pstat.connect();
    tt.teardown(async () => {
      await pstat.close();
      setDeviceCode(5);
    });
    return pstat;
  }

  for (const [family, code] of [['VMP3', 5], ['SP-300', 16]] as const) {
    t.test(`${family}: CP follows Sand's law and flags the compliance after the transition time`, async (t) => {
      const pstat = await channel(t, code, 1);
      t.match(pstat.model, new RegExp(`BioLogic device ${code} \\(${family} family\\)`));
      const currentA = 20e-6;
      const tau = cell.sandTime(currentA);
      await withEngine(t, {}, async ({ re, rec }) => {
        const r = await re.run(cp(pstat, { currentA, durationS: 2, recordEveryS: 0.02 }, { pollS: 0.01 }));
        t.equal(r.exitStatus, 'success', r.reason);
        t.same(invalidDocuments(rec.docs), [], 'valid event-model documents');
        const rows = rowsOf(rec.docs, rec.of('start')[0].uid);
        t.equal(rows.length, 100, '2 s recorded every 20 ms');
        t.ok(rows.every((p) => Math.abs(p['pstat-i']! - currentA) < 1e-10), 'the current held at 20 µA');
        const before = rows.filter((p) => p['pstat-t']! < tau);
        const after = rows.filter((p) => p['pstat-t']! >= tau);
        t.ok(before.every((p) => p['pstat-overload'] === 0) && after.every((p) => p['pstat-overload'] === OVERLOAD_POTENTIAL), `no overload before τ = ${tau.toFixed(3)} s, potential overload from it on`);
        t.ok(after.every((p) => p['pstat-ewe'] === 10), 'the electrode runs to the 10 V compliance after τ');
        // Quarter-wave potential: E(τ/4) = E½ + I·Rs.
        const q = before.reduce((a, b) => (Math.abs(b['pstat-t']! - tau / 4) < Math.abs(a['pstat-t']! - tau / 4) ? b : a));
        const expect = cell.chronopotential(currentA, q['pstat-t']!)!;
        t.ok(Math.abs(q['pstat-ewe']! - expect) < 1e-4, `E(${q['pstat-t']!.toFixed(2)} s) = ${q['pstat-ewe']!.toFixed(4)} V as the model gives ${expect.toFixed(4)} V`);
        t.ok(Math.abs(cell.chronopotential(currentA, tau / 4)! - (0.2 + currentA * 50)) < 1e-9, 'which at τ/4 is E½ + I·Rs');
        const ewes = before.map((p) => p['pstat-ewe']!);
        t.ok(ewes.every((e, k) => k === 0 || e >= ewes[k - 1]!), 'Ewe rises until the transition');
      });
    });

    t.test(`${family}: LSV (VSCAN) peak current and position of a reversible couple`, async (t) => {
      const pstat = await channel(t, code, 2);
      await withEngine(t, {}, async ({ re, rec }) => {
        const r = await re.run(lsv(pstat, { startV: -0.1, endV: 0.6, scanRateVPerS: 0.1, recordEveryV: 0.001 }, { pollS: 0.01 }));
        t.equal(r.exitStatus, 'success', r.reason);
        const rows = rowsOf(rec.docs, rec.of('start')[0].uid);
        t.ok(rows.length >= 695 && rows.length <= 700, `a point every mV over 0.7 V (${rows.length})`);
        const e = rows.map((p) => p['pstat-ewe']!);
        t.ok(e.every((v, k) => k === 0 || v > e[k - 1]!), 'the potential sweeps up');
        t.ok(Math.abs(e.at(-1)! - 0.6) < 0.002 && Math.abs(e[0]! + 0.1) < 0.002, 'from −0.1 V to 0.6 V');
        t.ok(rows.every((p) => p['pstat-cycle'] === 0));
        const peak = rows.reduce((a, b) => (b['pstat-i']! > a['pstat-i']! ? b : a));
        const ip = cell.randlesSevcik(0.1);
        const charging = 20e-6 * 0.1; // Cdl·v flows on top of the faradaic current
        t.ok(Math.abs((peak['pstat-i']! - charging) / ip - 1) < 0.03, `peak current ${(peak['pstat-i']! * 1e6).toFixed(2)} µA − Cdl·v ${(charging * 1e6).toFixed(1)} µA ≈ Randles–Ševčík ${(ip * 1e6).toFixed(2)} µA ± 3 %`);
        t.ok(Math.abs(peak['pstat-ewe']! - (0.2 + 0.0285)) < 0.003, `peak at ${(peak['pstat-ewe']! * 1000).toFixed(1)} mV ≈ E½ + 28.5 mV`);
      });
    });

    t.test(`${family}: PEIS by frequency list (one queued PEIS per frequency) and by log range`, async (t) => {
      const pstat = await channel(t, code, 3);
      const list = [20_000, 2_000, 500, 100, 31.6, 10, 1];
      await withEngine(t, {}, async ({ re, rec }) => {
        const r1 = await re.run(peis(pstat, { dcV: 0.2, amplitudeV: 0.01, frequencies: list }, { pollS: 0.01 }));
        t.equal(r1.exitStatus, 'success', r1.reason);
        const r2 = await re.run(peis(pstat, { dcV: 0.2, amplitudeV: 0.01, frequencies: { startHz: 1e4, endHz: 1, pointsPerDecade: 3 } }, { pollS: 0.01 }));
        t.equal(r2.exitStatus, 'success', r2.reason);
        const [a, b] = rec.of('start').map((s) => rowsOf(rec.docs, s.uid));
        t.same(a!.map((p) => Math.fround(p['pstat-freq']!)), list.map((f) => Math.fround(f)), 'one event per listed frequency, in the given order');
        t.equal(b!.length, 13, 'the log range: 4 decades × 3 + 1');
        t.ok(b!.every((p, k) => Math.abs(p['pstat-freq']! / (1e4 * 10 ** (-k / 3)) - 1) < 1e-5), 'log-spaced from 10 kHz to 1 Hz');
        for (const rows of [a!, b!]) {
          for (const p of rows) {
            const z = randlesImpedance({ rs: 50, rct: 500, cdl: 20e-6 }, p['pstat-freq']!);
            if (Math.abs(p['pstat-z_re']! / z.re - 1) > 1e-3 || Math.abs(p['pstat-z_im']! / z.im - 1) > 1e-3) {
              t.fail(`Z(${p['pstat-freq']} Hz) = ${p['pstat-z_re']} ${p['pstat-z_im']}j, model ${z.re} ${z.im}j`);
            }
          }
        }
        t.pass('every point equals the Randles impedance within 0.1 %');
      });
    });
  }

  t.test('SP-300 through sim:biologic?model=sp300: OCV → CV → PEIS, same physics, SP-300 layouts', async (t) => {
    const { openDevice } = await import('../../../src/rig/open.js');
    const m = await openDevice(`sim:biologic?lib=${encodeURIComponent(built.lib)}&speed=100&model=sp300&rct=800`, { channel: 4 }, 'pstat');
    t.teardown(async () => {
      await m.close();
      setDeviceCode(5);
    });
    const pstat = m.device as unknown as PotentiostatChannel;
    t.match(pstat.model, /BioLogic device 16 \(SP-300 family\) .* ch 4/);
    await withEngine(t, {}, async ({ re, rec }) => {
      const r = await re.run(ocvCvPeis(pstat, {
        ocv: { durationS: 2, recordEveryS: 0.1 },
        cv: { startV: 0, vertex1V: 0.6, vertex2V: -0.2, endV: 0, scanRateVPerS: 0.1, cycles: 1, recordEveryV: 0.001 },
        peis: { dcV: 0.2, amplitudeV: 0.01, frequencies: [1e5, 1e4, 3e3, 1e3, 300, 100, 30, 10, 3, 1, 0.3, 0.1] },
      }, { pollS: 0.02 }));
      t.equal(r.exitStatus, 'success', r.reason);
      t.same(invalidDocuments(rec.docs), [], 'valid event-model documents');
      const starts = rec.of('start');
      t.equal(rowsOf(rec.docs, starts[0].uid).length, 20, 'OCV from 3-column records');
      t.equal(rowsOf(rec.docs, starts[2].uid).length, 12, 'PEIS: one event per listed frequency');
      checkPhysics(t, rec.docs, starts.map((s) => s.uid), 'pstat', { rct: 800, nElectrons: 1 });
    });
    // A VMP3 opened beside it keeps its own family (each simulated address has its device code;
    // the cell model is one per library, so the second open also resets it to the defaults).
    const other = await openDevice(`sim:biologic?lib=${encodeURIComponent(built.lib)}&speed=100`, { channel: 1 }, 'vmp3');
    t.teardown(() => other.close());
    t.match((other.device as unknown as PotentiostatChannel).model, /BioLogic device 5 \(VMP3 family\) 192\.168\.200\.240 ch 1/);
    t.match(m.uri, /^biologic:\/\/192\.168\.200\.242\?/);
    t.match(pstat.model, /SP-300 family/);
  });
}
