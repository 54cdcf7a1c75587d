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
  t.same(sim.calls.slice(f2).filter((c) => !/\.Cook\(/.test(c)), [
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
    'DtaqRcv.Run(true)',
    'pstat.SetCell(0)',
  ]);
  const f3 = sim.calls.length;
  await pstat.run({ kind: 'ocv', durationS: 0.3, recordEveryS: 0.1 });
  const ocvCalls = sim.calls.slice(f3);
  t.ok(ocvCalls.includes('SignalConst.Init(pstat, 0, 0.3, 0.1, 1)') && ocvCalls.includes('DtaqOcv.Init(pstat)'), 'OCV: Const signal at 0 V with DtaqOcv');
  t.equal(ocvCalls.filter((c) => c === 'pstat.SetCell(1)').length, 0, 'OCV never switches the cell on');
});

t.test('transcripts: CP, LSV, OCV and PEIS — the whole GamryCOM call sequence of each (gamry.md)', async (t) => {
  const { sim, pstat } = await open(t);
  const run = async (tech: Parameters<typeof pstat.run>[0]): Promise<string[]> => {
    const from = sim.calls.length;
    await pstat.run(tech);
    return sim.calls.slice(from).filter((c) => !/\.Cook\(/.test(c));
  };
  // CP: Const signal in amps under GstatMode, Chrono dtaq initialised ChronoPot.
  t.same(await run({ kind: 'cp', currentA: 1e-5, durationS: 0.3, recordEveryS: 0.1 }), [
    'pstat.SetIERangeMode(true)',
    `pstat.SetCtrlMode(${sim.constants.GstatMode})`,
    'CreateObject(GamryCOM.GamrySignalConst)',
    `SignalConst.Init(pstat, 0.00001, 0.3, 0.1, ${sim.constants.GstatMode})`,
    'pstat.SetSignal(SignalConst)',
    'CreateObject(GamryCOM.GamryDtaqChrono)',
    `DtaqChrono.Init(pstat, ${sim.constants.ChronoPot})`,
    'GetEvents(DtaqChrono)',
    `pstat.SetCell(${sim.constants.CellOn})`,
    'DtaqChrono.Run(true)',
    `pstat.SetCell(${sim.constants.CellOff})`,
  ], 'CP');
  // LSV: Ramp(Sinit, Sfinal, ScanRate, AcqInterval = dE / rate, PstatMode) with the Cpiv dtaq.
  t.same(await run({ kind: 'lsv', startV: 0, endV: 0.3, scanRateVPerS: 1, recordEveryV: 0.01 }), [
    'pstat.SetIERangeMode(true)',
    `pstat.SetCtrlMode(${sim.constants.PstatMode})`,
    'CreateObject(GamryCOM.GamrySignalRamp)',
    `SignalRamp.Init(pstat, 0, 0.3, 1, 0.01, ${sim.constants.PstatMode})`,
    'pstat.SetSignal(SignalRamp)',
    'CreateObject(GamryCOM.GamryDtaqCpiv)',
    'DtaqCpiv.Init(pstat)',
    'GetEvents(DtaqCpiv)',
    `pstat.SetCell(${sim.constants.CellOn})`,
    'DtaqCpiv.Run(true)',
    `pstat.SetCell(${sim.constants.CellOff})`,
  ], 'LSV');
  // OCV: Const at 0 V with DtaqOcv; the cell stays off.
  t.same(await run({ kind: 'ocv', durationS: 0.3, recordEveryS: 0.1 }), [
    'pstat.SetIERangeMode(true)',
    `pstat.SetCtrlMode(${sim.constants.PstatMode})`,
    'CreateObject(GamryCOM.GamrySignalConst)',
    `SignalConst.Init(pstat, 0, 0.3, 0.1, ${sim.constants.PstatMode})`,
    'pstat.SetSignal(SignalConst)',
    'CreateObject(GamryCOM.GamryDtaqOcv)',
    'DtaqOcv.Init(pstat)',
    'GetEvents(DtaqOcv)',
    `pstat.SetCell(${sim.constants.CellOff})`,
    'DtaqOcv.Run(true)',
    `pstat.SetCell(${sim.constants.CellOff})`,
  ], 'OCV');
  // PEIS: DC potential, cell on, one ReadZ (Init, SetSpeed, SetIdc(MeasureI())) measuring each
  // frequency in turn, the |Z| of each used as the estimate (SetZmod) of the next; results by getters.
  const peis = await run({ kind: 'peis', dcV: 0.2, amplitudeV: 0.01, frequencies: [1000, 100] });
  const results = ['ReadZ.Zreal()', 'ReadZ.Zimag()', 'ReadZ.Zfreq()', 'ReadZ.Vdc()', 'ReadZ.Idc()'];
  t.same(peis.map((c) => (/^ReadZ\.Set(Idc|Zmod)\(/.test(c) ? c.replace(/\(.*\)$/, '(<x>)') : c)), [
    'pstat.SetIERangeMode(true)',
    `pstat.SetCtrlMode(${sim.constants.PstatMode})`,
    'pstat.SetVoltage(0.2)',
    `pstat.SetCell(${sim.constants.CellOn})`,
    'CreateObject(GamryCOM.GamryReadZ)',
    'ReadZ.Init(pstat)',
    `ReadZ.SetSpeed(${sim.constants.ReadZSpeedNorm})`,
    'pstat.MeasureI()',
    'ReadZ.SetIdc(<x>)',
    'GetEvents(ReadZ)',
    'ReadZ.Measure(1000, 0.01)',
    ...results,
    'ReadZ.SetZmod(<x>)',
    'ReadZ.Measure(100, 0.01)',
    ...results,
    `pstat.SetCell(${sim.constants.CellOff})`,
  ], 'PEIS');
});
