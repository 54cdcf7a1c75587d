/**
 * C-API transcripts: NI's documented call sequences as [call, arguments, expected status]
 * steps, played through labrig's koffi declarations (DaqmxLibrary.raw, no status checking)
 * against the simulator library. They pin the binding to the ABI (argument order and types,
 * out-pointers, buffers) and the status codes NI documents, independently of the device code.
 */
import t from 'tap';
process.env['LABRIG_NIDAQMX_SIM'] = 'Dev1:ai=4,ao=2,ports=2,lines=8;Dev1/ai1=counter;Dev1/ai2=constant:-2.5';
import { DAQMX, openDaqmx } from '../../../src/drivers/nidaqmx/index.js';
import { nidaqmxSim } from '../../helpers/nidaqmx-sim.js';

const d = openDaqmx({ lib: nidaqmxSim().lib });
const raw = d.raw;
type Step = [call: string, run: () => number, expected: number];

/** Play `steps` in order; stop at the first step whose status differs. */
function play(t: { equal(a: unknown, b: unknown, m: string): unknown }, steps: Step[]): void {
  for (const [call, run, expected] of steps) {
    const got = run();
    t.equal(got, expected, `${call} -> ${expected}`);
    if (got !== expected) break;
  }
}

t.test('finite acquisition (NI: create, AI voltage channel, sample clock, start, read, wait, stop, clear)', async (t) => {
  const task: unknown[] = [null];
  const data = new Float64Array(2 * 100);
  const read = [0];
  const done = [0];
  play(t, [
    ['DAQmxCreateTask("fin")', () => raw.CreateTask('fin', task), 0],
    ['DAQmxCreateAIVoltageChan(Dev1/ai1:2, Diff, -10, 10, Volts)', () => raw.CreateAIVoltageChan(task[0], 'Dev1/ai1:2', '', DAQMX.Diff, -10, 10, DAQMX.Volts, null), 0],
    ['DAQmxCfgSampClkTiming("", 1000, Rising, FiniteSamps, 100)', () => raw.CfgSampClkTiming(task[0], '', 1000, DAQMX.Rising, DAQMX.FiniteSamps, 100), 0],
    ['DAQmxStartTask', () => raw.StartTask(task[0]), 0],
    ['DAQmxReadAnalogF64(100, 10 s, GroupByChannel)', () => raw.ReadAnalogF64(task[0], 100, 10, DAQMX.GroupByChannel, data, data.length, read, null), 0],
    ['DAQmxWaitUntilTaskDone(10 s)', () => raw.WaitUntilTaskDone(task[0], 10), 0],
    ['DAQmxIsTaskDone', () => raw.IsTaskDone(task[0], done), 0],
    ['DAQmxStopTask', () => raw.StopTask(task[0]), 0],
    ['DAQmxClearTask', () => raw.ClearTask(task[0]), 0],
    ['DAQmxStartTask on the cleared handle', () => raw.StartTask(task[0]), -200088],
  ]);
  t.equal(read[0], 100, 'sampsPerChanRead');
  t.equal(done[0], 1, 'isTaskDone');
  t.same([...data.subarray(0, 5)], [0, 1, 2, 3, 4], 'ai1 (counter) first: grouped by channel');
  t.same([...data.subarray(100, 103)], [-2.5, -2.5, -2.5], 'then ai2');
});

t.test('analog output and digital lines on demand, with NI error codes for bad input', async (t) => {
  const ao: unknown[] = [null];
  const dout: unknown[] = [null];
  const written = [0];
  const lines = new Uint8Array(8);
  const got = [0];
  const bytes = [0];
  play(t, [
    ['DAQmxCreateTask("")', () => raw.CreateTask('', ao), 0],
    ['DAQmxCreateAOVoltageChan(Dev1/ao9)', () => raw.CreateAOVoltageChan(ao[0], 'Dev1/ao9', '', -10, 10, DAQMX.Volts, null), -200170],
    ['DAQmxCreateAOVoltageChan(Dev1/ao0, -12, 12)', () => raw.CreateAOVoltageChan(ao[0], 'Dev1/ao0', '', -12, 12, DAQMX.Volts, null), -200077],
    ['DAQmxCreateAOVoltageChan(Dev1/ao0, -5, 5)', () => raw.CreateAOVoltageChan(ao[0], 'Dev1/ao0', '', -5, 5, DAQMX.Volts, null), 0],
    ['DAQmxWriteAnalogF64(1, autoStart=0) before start', () => raw.WriteAnalogF64(ao[0], 1, 0, 10, DAQMX.GroupByChannel, new Float64Array([1]), written, null), -200802],
    ['DAQmxWriteAnalogF64(1, autoStart=1, 6 V)', () => raw.WriteAnalogF64(ao[0], 1, 1, 10, DAQMX.GroupByChannel, new Float64Array([6]), written, null), -200561],
    ['DAQmxWriteAnalogF64(1, autoStart=1, 1.5 V)', () => raw.WriteAnalogF64(ao[0], 1, 1, 10, DAQMX.GroupByChannel, new Float64Array([1.5]), written, null), 0],
    ['DAQmxClearTask', () => raw.ClearTask(ao[0]), 0],
    ['DAQmxCreateTask("")', () => raw.CreateTask('', dout), 0],
    ['DAQmxCreateDOChan(Dev1/port0/line0:7, ChanForAllLines)', () => raw.CreateDOChan(dout[0], 'Dev1/port0/line0:7', '', DAQMX.ChanForAllLines), 0],
    ['DAQmxWriteDigitalLines(1, autoStart=1)', () => raw.WriteDigitalLines(dout[0], 1, 1, 10, DAQMX.GroupByChannel, Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 1]), written, null), 0],
    ['DAQmxReadDigitalLines (output lines read back)', () => raw.ReadDigitalLines(dout[0], 1, 10, DAQMX.GroupByChannel, lines, 8, got, bytes, null), 0],
    ['DAQmxClearTask', () => raw.ClearTask(dout[0]), 0],
  ]);
  t.equal(written[0], 1);
  t.equal(bytes[0], 8, 'numBytesPerSamp');
  t.same([...lines], [1, 1, 0, 0, 0, 0, 0, 1]);
});

t.test('error text: a size-0 query returns the size; the extended info names the failing channel', async (t) => {
  const need = raw.GetErrorString(-200279, null, 0);
  t.ok(need > 1);
  const buf = Buffer.alloc(need);
  t.equal(raw.GetErrorString(-200279, buf, need), 0);
  t.match(buf.toString('utf8', 0, buf.indexOf(0)), /overwritten/);
  const task: unknown[] = [null];
  raw.CreateTask('', task);
  t.equal(raw.CreateAIVoltageChan(task[0], 'Dev1/ai7', '', DAQMX.RSE, -10, 10, DAQMX.Volts, null), -200170);
  t.match(d.errorText(-200170), /Dev1\/ai7.*Status Code: -200170/);
  raw.ClearTask(task[0]);
});
