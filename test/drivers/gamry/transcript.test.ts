import t from 'tap';
import { open } from './setup.js';

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
