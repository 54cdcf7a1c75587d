import t, { type Test } from 'tap';
import { DeviceError, DisconnectedError, InvalidInputError, UnsupportedError } from '../../../src/core/errors.js';
import { GamryBackend } from '../../../src/drivers/gamry/backend.js';
import { PotentiostatChannel } from '../../../src/drivers/potentiostat/channel.js';
import { ca, cv, ocvCvPeis } from '../../../src/drivers/potentiostat/plans.js';
import { OVERLOAD_CURRENT } from '../../../src/drivers/potentiostat/backend.js';
import { createGamrySim, type GamrySimOptions } from '../../../src/sim/gamry/objects.js';
import { withEngine } from '../../core/engine/engine-fixtures.js';
import { checkPhysics, rowsOf } from './helpers.js';

const CELL = { randles: { rs: 50, rct: 500, cdl: 20e-6 }, redox: { e0: 0.2, n: 1 } };
const SEQ = {
  ocv: { durationS: 5, recordEveryS: 0.1 },
  cv: { startV: 0, vertex1V: 0.6, vertex2V: -0.2, endV: 0, scanRateVPerS: 0.1, cycles: 1, recordEveryV: 0.001 },
  peis: { dcV: 0.2, amplitudeV: 0.01, frequencies: { startHz: 1e5, endHz: 0.1, pointsPerDecade: 5 } },
};

async function open(t: Test, o: GamrySimOptions = {}) {
  const sim = createGamrySim({ speed: 100, cell: CELL, ...o });
  const pstat = new PotentiostatChannel('pstat', new GamryBackend(sim, { pollMs: 20 }));
  await pstat.connect();
  t.teardown(() => pstat.close());
  return { sim, pstat };
}

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

t.test('transcripts: the exact GamryCOM call sequence of CA, CV and OCV (gamry.md, HELAO)', async (t) => {
  const { sim, pstat } = await open(t);
  const from = sim.calls.length;
  await pstat.run({ kind: 'ca', potentialV: 0.5, durationS: 0.5, recordEveryS: 0.1 });
  const calls = sim.calls.slice(from).filter((c) => !/\.Cook\(/.test(c));
  t.same(calls, [
    'pstat.SetIERangeMode(true)',
    'pstat.SetCtrlMode(1)',
    'CreateObject(GamryCOM.GamrySignalConst)',
    'SignalConst.Init(pstat, 0.5, 0.5, 0.1, 1)',
    'pstat.SetSignal(SignalConst)',
    'CreateObject(GamryCOM.GamryDtaqChrono)',
    'DtaqChrono.Init(pstat, 0)',
    'GetEvents(DtaqChrono)',
    'pstat.SetCell(1)',
    'DtaqChrono.Run(true)',
    'pstat.SetCell(0)',
  ]);
  const f2 = sim.calls.length;
  await pstat.run({ kind: 'cv', startV: 0, vertex1V: 0.5, vertex2V: -0.1, endV: 0, scanRateVPerS: 1, cycles: 2, recordEveryV: 0.01, currentRange: 1e-3 });
  t.same(sim.calls.slice(f2).filter((c) => !/\.Cook\(/.test(c)).slice(0, 10), [
    'pstat.SetIERangeMode(false)',
    'pstat.SetIERange(0.001)',
    'pstat.SetCtrlMode(1)',
    'CreateObject(GamryCOM.GamrySignalRupdn)',
    'SignalRupdn.Init(pstat, 0, 0.5, -0.1, 0, 1, 1, 1, 0, 0, 0, 0.01, 2, 1)',
    'pstat.SetSignal(SignalRupdn)',
    'CreateObject(GamryCOM.GamryDtaqRcv)',
    'DtaqRcv.Init(pstat)',
    'GetEvents(DtaqRcv)',
    'pstat.SetCell(1)',
  ]);
  const f3 = sim.calls.length;
  await pstat.run({ kind: 'ocv', durationS: 0.3, recordEveryS: 0.1 });
  const ocvCalls = sim.calls.slice(f3);
  t.ok(ocvCalls.includes('SignalConst.Init(pstat, 0, 0.3, 0.1, 1)') && ocvCalls.includes('DtaqOcv.Init(pstat)'), 'OCV: Const signal at 0 V with DtaqOcv');
  t.equal(ocvCalls.filter((c) => c === 'pstat.SetCell(1)').length, 0, 'OCV never switches the cell on');
});

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
