/**
 * E-stop on the simulator: every moving axis stops and is powered off. The time from the request
 * to the last axis at rest (measured on the simulator's own clock) is printed, not asserted.
 */
import t from 'tap';
import { CanceledError } from '../../../src/core/errors.js';
import { openGalil } from '../../../src/drivers/galil/index.js';
import { startGalilSim } from '../../../src/sim/galil/index.js';

t.test('e-stop stops every moving axis and powers it off; time to all stopped is reported', async (t) => {
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: 4 });
  t.teardown(() => sim.close());
  const g = await openGalil(sim.uri, {
    name: 'stage',
    pollMs: 5,
    axes: {
      a: { axis: 'A', countsPerUnit: 1000, speed: 50 },
      b: { axis: 'B', countsPerUnit: 1000, speed: 50 },
      c: { axis: 'C', countsPerUnit: 1000, speed: 50 },
      d: { axis: 'D', countsPerUnit: 1000, speed: 50 },
    },
  });
  t.teardown(() => g.close());
  const axes = [...g.axes.values()];
  for (const a of axes) await a.motorOn.set(true);
  const moves = [axes[0]!.set(100), axes[1]!.set(-100)];
  await axes[2]!.jog(30);
  await axes[3]!.jog(-30);
  await new Promise((r) => setTimeout(r, 50));
  const now = sim.model.now();
  t.ok(sim.model.axes.every((a) => a.moving(now)), 'all four axes are moving');

  const requested = performance.now();
  await g.stop({ success: false });
  const resolved = performance.now();
  const stoppedAt = Math.max(...sim.model.axes.map((a) => a.stoppedAt));
  t.ok(sim.model.allStopped(), 'every axis at rest');
  t.ok(sim.model.axes.every((a) => a.motorOff), 'every axis powered off');
  t.same(sim.model.axes.map((a) => a.sc), [7, 7, 7, 7], 'stopped by AB');
  for (const m of moves) t.type(await m.then(() => undefined, (e: unknown) => e), CanceledError, 'running moves failed');
  const toStop = stoppedAt - requested;
  t.ok(toStop >= 0 && resolved - requested < 5000, 'within the hang guard');
  t.comment(`e-stop: request → all 4 axes stopped on the simulator: ${toStop.toFixed(2)} ms; stop() resolved after ${(resolved - requested).toFixed(2)} ms (AB, ST×4, MO)`);
});
