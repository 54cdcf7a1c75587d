import t from 'tap';
import type { PotentiostatChannel } from '../../../src/drivers/potentiostat/channel.js';
import { ocvCvPeis } from '../../../src/drivers/potentiostat/plans.js';
import { withEngine } from '../../core/engine/engine-fixtures.js';
import { checkPhysics, rowsOf } from '../potentiostat/helpers.js';
import { SEQ, open } from './setup.js';

t.test('sim:gamry: OCV → CV → PEIS writes three valid runs; CV peak separation and EIS diameter match the cell', async (t) => {
  const { pstat } = await open(t);
  await withEngine(t, {}, async ({ re, rec }) => {
    const result = await re.run(ocvCvPeis(pstat, SEQ, { pollS: 0.02 }));
    const starts = rec.of('start');
    t.equal(starts.length, 3);
    t.same(starts.map((s) => s.plan_name), ['ocv', 'cv', 'peis']);
    t.same(rec.of('stop').map((s) => s.exit_status), ['success', 'success', 'success']);
    const ocvRows = rowsOf(rec.docs, starts[0].uid);
    t.equal(ocvRows.length, 50, 'OCV: one point every 0.1 s for 5 s');
    t.ok(rec.of('event_page').length >= 3, 'data came as event pages');
    const eis = rowsOf(rec.docs, starts[2].uid);
    t.equal(eis.length, 31, 'PEIS: one event per frequency (6 decades × 5 + 1)');
    t.ok(Math.abs(eis[0]!['pstat-freq']! - 1e5) < 1e-6 && Math.abs(eis.at(-1)!['pstat-freq']! - 0.1) < 1e-9, 'from 100 kHz down to 0.1 Hz');
    checkPhysics(t, rec.docs, starts.map((s) => s.uid), 'pstat', { rct: 500, nElectrons: 1 });
    t.same(result.planResult, starts.map((s) => s.uid), 'the plan returns the three run uids');
  });
});

t.test('sim:gamry through openDevice: cell parameters from the URI, the same plan, the same physics', async (t) => {
  const { openDevice } = await import('../../../src/rig/open.js');
  const m = await openDevice('sim:gamry?speed=200&rct=800&cdl=1e-5&electrons=2', {}, 'pstat');
  t.teardown(() => m.close());
  t.match(m.uri, /^gamry:\/\/IFC1010-12345\?binding=inproc-\d+$/);
  const pstat = m.device as unknown as PotentiostatChannel;
  t.equal(pstat.model, 'Gamry IFC1010-12345');
  await withEngine(t, {}, async ({ re, rec }) => {
    const r = await re.run(ocvCvPeis(pstat, SEQ, { pollS: 0.02 }));
    t.equal(r.exitStatus, 'success');
    checkPhysics(t, rec.docs, rec.of('start').map((s) => s.uid), 'pstat', { rct: 800, nElectrons: 2 });
  });
});

t.test('the default mock: runs every technique without hardware', async (t) => {
  const { gamryFamily } = await import('../../../src/drivers/gamry/family.js');
  const pstat = await gamryFamily.createMock({}, { name: 'mock' });
  await pstat.connect({ mock: true });
  await withEngine(t, {}, async ({ re, rec }) => {
    const r = await re.run(ocvCvPeis(pstat, SEQ, { pollS: 0.01 }));
    t.equal(r.exitStatus, 'success');
    t.equal(rowsOf(rec.docs, rec.of('start')[2].uid).length, 31);
  });
});

t.test('sim:gamry: PEIS by frequency list and by log range, each point the Randles impedance', async (t) => {
  const { peis } = await import('../../../src/drivers/potentiostat/plans.js');
  const { randlesImpedance } = await import('../../../src/sim/electrochem/model.js');
  const { pstat } = await open(t);
  const list = [20_000, 2_000, 500, 100, 31.6, 10, 1];
  await withEngine(t, {}, async ({ re, rec }) => {
    const r1 = await re.run(peis(pstat, { dcV: 0.2, amplitudeV: 0.01, frequencies: list }, { pollS: 0.02 }));
    t.equal(r1.exitStatus, 'success', r1.reason);
    const r2 = await re.run(peis(pstat, { dcV: 0.2, amplitudeV: 0.01, frequencies: { startHz: 1e4, endHz: 1, pointsPerDecade: 3 } }, { pollS: 0.02 }));
    t.equal(r2.exitStatus, 'success', r2.reason);
    const [a, b] = rec.of('start').map((s) => rowsOf(rec.docs, s.uid));
    t.same(a!.map((p) => p['pstat-freq']), list, 'one event per listed frequency, in the given order');
    t.equal(b!.length, 13, 'the log range: 4 decades × 3 + 1');
    t.ok(b!.every((p, k) => Math.abs(p['pstat-freq']! / (1e4 * 10 ** (-k / 3)) - 1) < 1e-9), 'log-spaced from 10 kHz to 1 Hz');
    let worst = 0;
    for (const p of [...a!, ...b!]) {
      const z = randlesImpedance({ rs: 50, rct: 500, cdl: 20e-6 }, p['pstat-freq']!);
      worst = Math.max(worst, Math.abs(p['pstat-z_re']! / z.re - 1), Math.abs(p['pstat-z_im']! / z.im - 1));
    }
    t.ok(worst < 0.01, `every point within ${(worst * 100).toFixed(3)} % of the Randles impedance (< 1 %)`);
  });
});
