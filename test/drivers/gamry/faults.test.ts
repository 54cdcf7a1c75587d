import t from 'tap';
import { DeviceError, DisconnectedError, InvalidInputError, UnsupportedError } from '../../../src/core/errors.js';
import { PotentiostatChannel } from '../../../src/drivers/potentiostat/channel.js';
import { GamryBackend } from '../../../src/drivers/gamry/backend.js';
import { ca, cv } from '../../../src/drivers/potentiostat/plans.js';
import { OVERLOAD_CURRENT } from '../../../src/drivers/potentiostat/backend.js';
import { createGamrySim } from '../../../src/sim/gamry/objects.js';
import { withEngine } from '../../core/engine/engine-fixtures.js';
import { rowsOf } from '../potentiostat/helpers.js';
import { SEQ, open } from './setup.js';

t.test('checked before anything is sent: bad parameters, unsupported frequencies', async (t) => {
  const { sim, pstat } = await open(t);
  const n = sim.calls.length;
  t.throws(() => pstat.check({ kind: 'cv', startV: 0, vertex1V: 0.5, vertex2V: 0.5, endV: 0, scanRateVPerS: 0.1, recordEveryV: 0.001 }), InvalidInputError);
  t.throws(() => pstat.check({ kind: 'ca', potentialV: 20, durationS: 1, recordEveryS: 0.1 }), { name: 'InvalidInputError', what: 'ca potentialV' });
  t.throws(() => pstat.check({ kind: 'ca', potentialV: 0.1, durationS: 1, recordEveryS: 0.1, scanRate: 3 }), { name: 'InvalidInputError', what: 'ca scanRate' });
  t.throws(() => pstat.check({ kind: 'swv' }), { name: 'InvalidInputError', what: 'technique kind' });
  t.throws(() => pstat.check({ kind: 'peis', dcV: 0, amplitudeV: 0.01, frequencies: [7e6, 1] }), UnsupportedError);
  await withEngine(t, {}, async ({ re, rec }) => {
    await t.rejects(re.run(() => ca(pstat, { potentialV: 11, durationS: 1, recordEveryS: 0.1 })), InvalidInputError);
    t.equal(rec.of('start').length, 0, 'no run was opened');
  });
  t.equal(sim.calls.length, n, 'nothing reached the instrument');
});
t.test('wrong device section: typed error naming what the device list has', async (t) => {
  const sim = createGamrySim({ sections: ['IFC1010-1'] });
  t.teardown(() => sim.release());
  const pstat = new PotentiostatChannel('pstat', new GamryBackend(sim, { section: 'IFC1010-2' }));
  const err = await pstat.connect().then(() => undefined, (e: unknown) => e);
  t.type(err, DeviceError);
  t.match((err as Error).message, /no device section IFC1010-2.*IFC1010-1/);
});
t.test('overload is data: CA on a 1 µA fixed range flags every point whose current exceeds it', async (t) => {
  const { pstat } = await open(t);
  await withEngine(t, {}, async ({ re, rec }) => {
    await re.run(ca(pstat, { potentialV: 0.8, durationS: 2, recordEveryS: 0.1, currentRange: 1e-6 }, { pollS: 0.02 }));
    const rows = rowsOf(rec.docs, rec.of('start')[0].uid);
    t.equal(rows.length, 20);
    t.ok(rows.every((r) => r['pstat-overload'] === OVERLOAD_CURRENT && Math.abs(r['pstat-i']!) <= 1e-6), 'clipped at the range, flagged');
    t.equal(rec.of('stop')[0].exit_status, 'success', 'an overload does not end the run');
  });
});
t.test('connection lost mid-CV: the run ends with fail, every event measured before is kept', async (t) => {
  const { sim, pstat } = await open(t, { speed: 20 });
  await withEngine(t, {}, async ({ re, rec }) => {
    let seen = 0;
    re.subscribe((name, doc: any) => {
      if (name === 'event_page') seen += doc.seq_num.length;
      if (seen > 50 && seen < 1e9) {
        seen = 1e9;
        sim.disconnect();
      }
    });
    const r = await re.run(cv(pstat, SEQ.cv, { pollS: 0.02 }));
    t.equal(r.exitStatus, 'fail');
    t.type(r.exception, DisconnectedError, 'the plan failed with a DisconnectedError');
    const stop = rec.of('stop')[0];
    t.equal(stop.exit_status, 'fail');
    t.match(stop.reason, /disconnected/i);
    const rows = rowsOf(rec.docs, rec.of('start')[0].uid);
    t.ok(rows.length > 50 && rows.length < 800, `${rows.length} events kept, seq_num contiguous`);
    t.equal(stop.num_events.primary, rows.length, 'run_stop counts them all');
  });
});
