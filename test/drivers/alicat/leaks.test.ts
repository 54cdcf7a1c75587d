/**
 * Nothing is left behind: a full simulator + driver cycle (connect, set, subscribe, e-stop,
 * faults, close) leaves no timer, socket, server or pending Status, over TCP and over a pty.
 */
import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import { openAlicat, openAlicatBus } from '../../../src/drivers/alicat/index.js';
import { startAlicatSim } from '../../../src/sim/alicat/index.js';
import { FaultInjector } from '../../../src/sim/faults.js';

for (const via of ['tcp', 'pty'] as const) {
  t.test(`${via}: a full cycle leaves nothing behind`, async (t) => {
    await withLeakGuard(
      async () => {
        const faults = new FaultInjector();
        const sim = await startAlicatSim({ units: ['A', 'B'], faults, ...(via === 'pty' ? { pty: true } : {}), defaults: { timeConstantMs: 20 } });
        try {
          const d = await openAlicat(sim.uri, { kind: 'controller', fullScale: 100, pollMs: 10, timeoutMs: 200 });
          const un = d.massFlow.subscribeValue(() => undefined);
          await d.set(20);
          un();
          faults.next('silent', 300);
          await d.commands.poll().catch(() => undefined);
          await new Promise((r) => setTimeout(r, 350));
          const moving = d.set(60);
          await d.stop({ success: false });
          await Promise.resolve(moving).catch(() => undefined);
          await d.close();
          const bus = await openAlicatBus(sim.lineUri, { timeoutMs: 200 });
          const b = await bus.unit({ unit: 'B', kind: 'controller', fullScale: 100 });
          await b.set(5);
          await b.close();
          await bus.close();
        } finally {
          await sim.close();
        }
      },
      { graceMs: 1500 },
    );
    t.pass('clean');
  });
}
