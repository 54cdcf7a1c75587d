/**
 * `sim:nidaqmx` in a rig next to another device: the real driver loads labrig's simulator
 * library, reads, writes, flies; the rig e-stop stops a running acquisition and confirms it;
 * closing clears every task. `labrig sim nidaqmx` prints how to point programs at the library.
 */
import t from 'tap';
process.env['LABRIG_NIDAQMX_SIM'] = 'Dev1:ai=8,ao=2,ports=2,lines=8;Dev1/ai2=counter';
import type { NidaqmxDevice } from '../../../src/drivers/nidaqmx/index.js';
import { loadRig } from '../../../src/rig/index.js';
import { nidaqmxSimOpenTasks } from '../../../src/sim/nidaqmx/library.js';
import { simNidaqmxCli } from '../../../src/sim/nidaqmx/cli.js';
import { nidaqmxSim } from '../../helpers/nidaqmx-sim.js';

const { lib, build } = (() => {
  const b = nidaqmxSim();
  return { lib: b.lib, build: b.alias.replace(/\/libnidaqmx\.so$/, '') };
})();

t.test('a rig with sim:nidaqmx devices: open, read, loop back, fly, e-stop, close', async (t) => {
  const rig = await loadRig({
    name: 'daq-bench',
    devices: {
      cell: { uri: 'sim:nidaqmx?channels=Dev1/ai0,ai2', rate: 1000 },
      valve: { uri: 'sim:nidaqmx?channels=Dev1/ao0', min: 0, max: 5 },
      pump: { uri: 'sim:legato?link=tcp' },
    },
  });
  try {
    t.match(rig.member('cell').uri, new RegExp(`^nidaqmx://Dev1/ai0,ai2\\?lib=${encodeURIComponent(lib).replace(/[.]/g, '\\.')}$`), 'the driver URI points at the simulator library');
    const cell = rig.get('cell') as unknown as NidaqmxDevice;
    const valve = rig.get('valve') as unknown as NidaqmxDevice;
    await valve.set(2.5);
    t.equal((await cell.read())['cell-ai0']!.value, 2.5, 'AO looped back to AI through the rig');
    await cell.kickoff();
    await new Promise((r) => setTimeout(r, 200));
    t.equal(cell.busy, true, 'acquiring');
    const report = await rig.eStop();
    t.ok(report.ok, JSON.stringify(report.results));
    t.match(report.results['cell'], { ok: true });
    t.equal(cell.busy, false, 'the e-stop stopped the acquisition');
  } finally {
    await rig.close();
  }
  t.equal(nidaqmxSimOpenTasks(), 0, 'closing the rig cleared every task');
});

t.test('a bad sim:nidaqmx device spec is a typed error', async (t) => {
  const e = await loadRig({ cell: { uri: 'sim:nidaqmx?devices=Dev1:ai=x' } }).then(() => undefined, (err: unknown) => err);
  t.match(e, { message: /bad setting 'ai=x'/ }, String(e));
  t.equal(nidaqmxSimOpenTasks(), 0);
});

t.test('labrig sim nidaqmx prints the driver URI first, then how to use the library', async (t) => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  let code: number;
  try {
    code = await simNidaqmxCli(['--devices', 'Dev1:ai=4']);
  } finally {
    console.log = log;
  }
  t.equal(code, 0);
  t.equal(lines[0], `nidaqmx://Dev1/ai0?lib=${encodeURIComponent(lib)}`);
  const text = lines.join('\n');
  t.match(text, `LD_LIBRARY_PATH=${build}`);
  t.match(text, 'LABRIG_NIDAQMX_LIB=');
  t.match(text, 'find_library');
  t.match(text, "LABRIG_NIDAQMX_SIM='Dev1:ai=4'");
});
