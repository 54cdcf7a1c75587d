import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createBiologic } from '../../../src/drivers/biologic/device.js';
import { loadEClib } from '../../../src/drivers/biologic/io.js';
import type { PotentiostatChannel } from '../../../src/drivers/potentiostat/channel.js';
import { ocvCvPeis } from '../../../src/drivers/potentiostat/plans.js';
import { withEngine } from '../../core/engine/engine-fixtures.js';
import { checkPhysics, rowsOf } from '../potentiostat/helpers.js';
import { buildEclibSim } from './build.js';

const built = buildEclibSim(t);
if (!built) {
  t.plan(0, 'no C compiler: eclib-sim cannot be built');
} else {
  const SEQ = {
    ocv: { durationS: 2, recordEveryS: 0.1 },
    cv: { startV: 0, vertex1V: 0.6, vertex2V: -0.2, endV: 0, scanRateVPerS: 0.1, cycles: 1, recordEveryV: 0.001 },
    peis: { dcV: 0.2, amplitudeV: 0.01, frequencies: { startHz: 1e5, endHz: 0.1, pointsPerDecade: 5 } },
  };
  const lib = loadEClib(built.lib);
  const configure = lib.lib.bind<(speed: number, rs: number, rct: number, cdl: number, e0: number, n: number) => void>('void SIM_Configure(double speed, double rs, double rct, double cdl, double e0, int32_t n)');
  const cut = lib.lib.bind<(id: number) => void>('void SIM_CutConnection(int32_t id)');

  t.test('the C test client (written from the published usage, not labrig) passes against eclib-sim', async (t) => {
    const r = spawnSync(built.client, [built.lib], { encoding: 'utf8', timeout: 60000 });
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /ok: 20 OCV records, t_last=2.000 s; 20 CP records; SP-300: 20 OCV records, \d+ VSCAN records/, 'OCV, CP and, on an SP-300, OCV and a voltage scan');
  });

  t.test('sim:biologic: OCV → CV → PEIS through koffi writes valid runs; CV peak separation and EIS diameter match the cell', async (t) => {
    configure(100, 50, 500, 20e-6, 0.2, 1);
    const pstat = createBiologic('pstat', lib, { address: '192.168.200.240', channel: 2 });
    await pstat.connect();
    t.teardown(() => pstat.close());
    await withEngine(t, {}, async ({ re, rec }) => {
      const r = await re.run(ocvCvPeis(pstat, SEQ, { pollS: 0.02 }));
      t.equal(r.exitStatus, 'success', r.reason);
      const starts = rec.of('start');
      t.equal(rowsOf(rec.docs, starts[0].uid).length, 20, 'OCV: 20 records (time formula: t_last = 2 s)');
      t.ok(Math.abs(rowsOf(rec.docs, starts[0].uid).at(-1)!['pstat-t']! - 2) < 1e-3);
      t.equal(rowsOf(rec.docs, starts[2].uid).length, 31, 'PEIS: one event per frequency');
      checkPhysics(t, rec.docs, starts.map((s) => s.uid), 'pstat', { rct: 500, nElectrons: 1 });
    });
  });


  t.test('sim:biologic through openDevice: cell parameters from the URI, the same plan, the same physics', async (t) => {
    const { openDevice } = await import('../../../src/rig/open.js');
    const m = await openDevice(`sim:biologic?lib=${encodeURIComponent(built.lib)}&speed=100&rct=800&electrons=2`, { channel: 3 }, 'pstat');
    t.teardown(() => m.close());
    t.match(m.uri, /^biologic:\/\/192\.168\.200\.240\?lib=/);
    const pstat = m.device as unknown as PotentiostatChannel;
    t.match(pstat.model, /BioLogic device 5 .* ch 3/);
    await withEngine(t, {}, async ({ re, rec }) => {
      const r = await re.run(ocvCvPeis(pstat, SEQ, { pollS: 0.02 }));
      t.equal(r.exitStatus, 'success', r.reason);
      checkPhysics(t, rec.docs, rec.of('start').map((s) => s.uid), 'pstat', { rct: 800, nElectrons: 2 });
    });
  });
}
