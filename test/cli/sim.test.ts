/**
 * `labrig sim <kind>`: a child process prints the simulator's URI on its first line, answers
 * the real driver there, and exits 0 on SIGTERM; unknown kinds and bad options are usage errors.
 */
import t, { type Test } from 'tap';
import { simCli, simKinds } from '../../src/cli/sim.js';
import { openGalil } from '../../src/drivers/galil/index.js';
import { startSimChild, type SimChild } from '../helpers/sim-child.js';

/** Start `labrig sim <args>` in a child process; resolve with the child and its first stdout line. */
const startChild = (t: Test, args: string[]): Promise<SimChild> => startSimChild(t, args, { timeoutMs: 20_000 });

t.test('labrig sim galil prints its URI first, serves the driver, and exits 0 on SIGTERM', async (t) => {
  const { child, first, exited } = await startChild(t, ['galil', '--tcp', '127.0.0.1:0', '--axes', '2', '--faults', 'delay:1']);
  t.match(first, /^galil\+tcp:\/\/127\.0\.0\.1:\d+$/, 'the first line is the driver URI');
  const g = await openGalil(first, { axes: { x: { axis: 'A' } } });
  t.teardown(() => g.close());
  t.equal(await g.axis('x').readback.getValue(false), 0, 'the driver talks to the child simulator');
  await g.close();
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit code 0 after SIGTERM');
});

t.test('unknown kinds and bad options are usage errors', async (t) => {
  t.same(Object.keys(simKinds()), ['galil', 'alicat', 'legato', 'modbus', 'opcua', 'gamry', 'biologic', 'nidaqmx', 'tango'], 'the registered simulators, in the built-in order');
  const errors: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  t.teardown(() => {
    console.error = error;
  });
  t.equal(await simCli(['teapot']), 2);
  t.match(errors.pop(), /unknown simulator 'teapot'.*galil, alicat, legato, modbus, opcua/);
  t.equal(await simCli([]), 2);
  t.match(errors.pop(), /usage: labrig sim </);
  t.equal(await simCli(['alicat', '--units', 'A,7']), 2, 'the kind parses its own options');
  t.equal(await simCli(['legato', '--frob']), 2);
});
