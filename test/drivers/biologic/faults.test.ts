import t from 'tap';
import { DeviceError, DisconnectedError, UnsupportedError } from '../../../src/core/errors.js';
import { createBiologic } from '../../../src/drivers/biologic/device.js';
import { loadEClib } from '../../../src/drivers/biologic/io.js';
import { cv } from '../../../src/drivers/potentiostat/plans.js';
import { withEngine } from '../../core/engine/engine-fixtures.js';
import { rowsOf } from '../potentiostat/helpers.js';
import { buildEclibSim } from './build.js';

const built = buildEclibSim(t);
if (!built) {
  t.plan(0, 'no C compiler: eclib-sim cannot be built');
} else {
  const SEQ = {
    cv: { startV: 0, vertex1V: 0.6, vertex2V: -0.2, endV: 0, scanRateVPerS: 0.1, cycles: 1, recordEveryV: 0.001 },
  };
  const lib = loadEClib(built.lib);
  const configure = lib.lib.bind<(speed: number, rs: number, rct: number, cdl: number, e0: number, n: number) => void>('void SIM_Configure(double speed, double rs, double rct, double cdl, double e0, int32_t n)');
  const cut = lib.lib.bind<(id: number) => void>('void SIM_CutConnection(int32_t id)');

  t.test('faults: wrong channel, unreachable instrument, unsupported technique, connection lost mid-CV', async (t) => {
    configure(20, 50, 500, 20e-6, 0.2, 1);
    const wrong = createBiologic('p9', lib, { address: '192.168.200.240', channel: 9 });
    const e1 = await wrong.connect().then(() => undefined, (e: unknown) => e);
    t.type(e1, DeviceError);
    t.match((e1 as Error).message, /channel 9 is not plugged/);
    const far = createBiologic('far', lib, { address: '10.255.0.1', channel: 1 });
    const e2 = await far.connect().then(() => undefined, (e: unknown) => e);
    t.type(e2, DisconnectedError, 'ERR_COMM_CONNECTIONFAILED (-201) is a DisconnectedError');
    t.match((e2 as Error).message, /cannot establish connection/, 'text from BL_GetErrorMsg');
    const pstat = createBiologic('pstat', lib, { address: '192.168.200.240', channel: 1 });
    await pstat.connect();
    t.teardown(() => pstat.close());
    // Every technique of the vocabulary maps to EClib now; a frequency list beyond the queue is not supported.
    const long = Array.from({ length: 101 }, (_, k) => 10 + k);
    t.throws(() => pstat.check({ kind: 'peis', dcV: 0, amplitudeV: 0.01, frequencies: long }), UnsupportedError);
    t.throws(() => pstat.check({ kind: 'peis', dcV: 0, amplitudeV: 0.01, frequencies: long }), /more than 100 frequencies/);
    t.doesNotThrow(() => pstat.check({ kind: 'cp', currentA: 1e-6, durationS: 1, recordEveryS: 0.1 }), 'CP is supported');
    t.doesNotThrow(() => pstat.check({ kind: 'peis', dcV: 0, amplitudeV: 0.01, frequencies: [1000, 10] }), 'a short frequency list is supported');
    await withEngine(t, {}, async ({ re, rec }) => {
      let seen = 0;
      re.subscribe((name, doc: any) => {
        if (name === 'event_page') seen += doc.seq_num.length;
        if (seen > 50 && seen < 1e9) {
          seen = 1e9;
          cut(0);
          cut(1);
        }
      });
      const r = await re.run(cv(pstat, SEQ.cv, { pollS: 0.02 }));
      t.equal(r.exitStatus, 'fail');
      t.type(r.exception, DisconnectedError);
      const stop = rec.of('stop')[0];
      t.match(stop.reason, /communication failed/);
      const rows = rowsOf(rec.docs, rec.of('start')[0].uid);
      t.ok(rows.length > 50, `${rows.length} events kept`);
      t.equal(stop.num_events.primary, rows.length);
    });
  });
}
