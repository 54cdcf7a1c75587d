/**
 * The simulator library tested by C code that is not labrig's: native/nidaqmx-sim/examples.c
 * follows NI's published C call sequences (continuous acquisition with an EveryNSamples
 * callback on the internal clock, finite acquisition, analog output, digital lines, error codes)
 * and is linked against the simulator as `libnidaqmx.so`, as an NI-DAQmx program would be.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { nidaqmxSim } from '../../helpers/nidaqmx-sim.js';

const exe = nidaqmxSim().examples;
{
  t.test('NI-style C client against the simulator library', async (t) => {
    const r = spawnSync(exe, [], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, LABRIG_NIDAQMX_SIM: 'Dev1:ai=4,ao=2,ports=2,lines=8;Dev1/ai2=counter;Dev1/ai3=constant:2.5' },
    });
    t.equal(r.status, 0, `exit status (stderr: ${r.stderr})`);
    const lines = r.stdout.trim().split('\n');
    t.same(lines.filter((l) => l.startsWith('FAIL')), [], 'no step failed');
    t.ok(lines.filter((l) => l.startsWith('ok')).length >= 70, 'every step ran');
    for (const expected of [
      'ok   DAQmxCreateAIVoltageChan(Dev1/ai99) -> -200170',
      'ok   DAQmxReadAnalogF64(4 samples, 0 s timeout) -> -200284',
      'ok   DAQmxReadAnalogF64 after falling behind -> -200279',
      'ok   DAQmxStartTask(NULL) -> -200088',
      'ok   callbacks ran on the library\'s own thread',
      'ok   the counter channel has no gap',
      'ok   ai0 reads back ao0 (3.25 V)',
      'ok   no task left open',
    ]) t.ok(lines.includes(expected), expected);
    t.equal(lines.at(-1), 'PASS: 0 failure(s)');
  });
}
