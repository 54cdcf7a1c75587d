/**
 * Several unit ids on one line (a pty, like an RS-485 bus): one channel, one device per unit,
 * interleaved requests each get their own unit's reply; a unit nobody has times out without
 * disturbing the others.
 */
import t from 'tap';
import { NotConnectedError, TimeoutError } from '../../../src/core/errors.js';
import { openAlicatBus } from '../../../src/drivers/alicat/index.js';
import { simFor } from './helpers.js';

for (const via of ['pty', 'tcp'] as const) {
  t.test(`units A and B on one ${via} line`, async (t) => {
    const sim = await simFor(t, { units: ['A', 'B'], ...(via === 'pty' ? { pty: true } : {}), defaults: { timeConstantMs: 20 } });
    // Timeouts include the queue wait: 40 requests queued at once need room.
    const bus = await openAlicatBus(sim.lineUri, { timeoutMs: 2000 });
    t.teardown(() => bus.close());
    const a = await bus.unit({ unit: 'A', kind: 'controller', fullScale: 100, pollMs: 10, name: 'mfcA' });
    const b = await bus.unit({ unit: 'B', kind: 'controller', fullScale: 100, pollMs: 10, name: 'mfcB' });

    await Promise.all([a.set(10), b.set(40)]);
    t.ok(Math.abs((await a.readback.getValue()) - 10) <= 0.5, 'A settled at its own setpoint');
    t.ok(Math.abs((await b.readback.getValue()) - 40) <= 0.5, 'B settled at its own setpoint');
    t.equal(sim.model.unit('A').setpoint, 10);
    t.equal(sim.model.unit('B').setpoint, 40);

    const frames = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a.commands.poll() : b.commands.poll())));
    t.same(frames.map((f) => f.unit), Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'A' : 'B')), 'each interleaved request got its own unit reply');
    t.same([...new Set(frames.map((f) => Math.round(f.setpoint!)))].sort(), [10, 40]);

    await a.hold();
    t.equal(await a.flags.hold.getValue(), true);
    t.equal(await b.flags.hold.getValue(), false, 'a hold on A does not touch B');
    await a.cancelHold();

    const t0 = performance.now();
    const ghost = await bus.unit({ unit: 'C', kind: 'controller', timeoutMs: 150 }).then(() => undefined, (e: unknown) => e);
    t.type(ghost, NotConnectedError, 'unit C does not answer');
    t.type((ghost as NotConnectedError).errors.get('unit'), TimeoutError);
    t.ok(performance.now() - t0 < 3000, 'within its timeout (hang guard)');
    t.equal((await a.commands.poll()).unit, 'A', 'the line still works for A');
    t.equal((await b.commands.poll()).unit, 'B', 'and for B');

    await a.close();
    t.equal((await b.commands.poll()).unit, 'B', "closing A's device leaves the shared line open");
  });
}
