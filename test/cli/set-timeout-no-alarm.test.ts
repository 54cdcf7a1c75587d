/**
 * Issue 15 bullet: `labrig set --timeout-ms 300` on a moving Galil axis that does stop fails with
 * the move's TimeoutError and prints no false alarm (library code reports through Status and
 * errors, never the console).
 */
import t from 'tap';
import { setCli, type CliIO } from '../../src/cli/read-set.js';
import { startGalilSim } from '../../src/sim/galil/index.js';

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), progress: { isTTY: false, write: () => true } as never };
}

t.test('labrig set --timeout-ms 300 on a long move: TimeoutError, the axis stopped, nothing printed by the library', async (t) => {
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{ motorOn: true }, {}] });
  t.teardown(() => sim.close());
  const printed: unknown[][] = [];
  const original = console.error;
  const originalWarn = console.warn;
  console.error = (...args: unknown[]) => void printed.push(args);
  console.warn = (...args: unknown[]) => void printed.push(args);
  t.teardown(() => {
    console.error = original;
    console.warn = originalWarn;
  });
  const io = capture();
  // 2,000,000 counts at the simulator's default speed takes far longer than 300 ms.
  const code = await setCli([sim.uri, 'A', '2000000', '--timeout-ms', '300'], io);
  t.equal(code, 1, 'the set failed');
  t.match(io.errors.join('\n'), /timed out after 300 ms/, 'with the move timeout');
  t.notMatch(io.errors.join('\n'), /also failed/, 'no report of a failed stop: the axis did stop');
  t.same(printed, [], 'nothing printed on the console by the library');
  const axis = sim.model.axes[0]!;
  // ST decelerates: wait (bounded) for the simulated axis to come to rest.
  const end = performance.now() + 10_000;
  while (axis.moving(sim.model.now()) && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  t.notOk(axis.moving(sim.model.now()), 'the simulated axis came to rest: the stop worked');
});
