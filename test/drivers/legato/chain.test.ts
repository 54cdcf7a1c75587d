/**
 * Daisy chain: two pumps (addresses 0 and 1) on one line — one pty, or one TCP gateway — driven
 * through one shared channel, in the manual's `NNcmd` form and in HELAO's `NN@cmd` form. Each
 * pump's replies reach its own driver; both can dispense at the same time.
 */
import t from 'tap';
import { TimeoutError } from '../../../src/core/errors.js';
import { createLegato, legatoChannel, legatoFamily, openLegatoChain } from '../../../src/drivers/legato/index.js';
import { registerFamily } from '../../../src/drivers/registry.js';
import { createStream } from '../../../src/protocols/uri.js';
import { startLegatoSim } from '../../../src/sim/legato/index.js';

// URI schemes are known once their family is registered (decision 0010).
registerFamily(legatoFamily);

for (const over of ['tcp', 'pty'] as const) {
  for (const form of ['plain', 'at'] as const) {
    t.test(`two pumps on one line over ${over}, ${form} form: concurrent dispenses`, async (t) => {
      const sim = await startLegatoSim({ ...(over === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }), pumps: [{ address: 0 }, { address: 1, fillUl: 500 }] });
      t.teardown(() => sim.close());
      const chain = await openLegatoChain(`${sim.lineUri}?form=${form}`, [
        { address: 0, name: 'a', diameterMm: 4.6066, pollMs: 5, timeoutMs: 500 },
        { address: 1, name: 'b', diameterMm: 8.5, pollMs: 5, timeoutMs: 500 },
      ]);
      t.teardown(() => chain.close());
      const [a, b] = chain.pumps as [typeof chain.pumps[0], typeof chain.pumps[0]];
      t.equal(a.commands.form, form);
      t.equal(sim.model.at(1).diameterMm, 8.5, 'pump 1 got its own syringe');
      t.equal(sim.model.at(0).diameterMm, 4.6066);
      await Promise.all([a.dispense(2, '1.2 ml/min'), b.dispense(-3, '1.8 ml/min')]);
      t.ok(Math.abs(sim.model.at(0).pumped.infuse.ul - 2) < 1e-6, 'pump 0 infused 2 ul');
      t.ok(Math.abs(sim.model.at(1).pumped.withdraw.ul - 3) < 1e-6, 'pump 1 withdrew 3 ul');
      t.equal(sim.model.at(0).pumped.withdraw.ul, 0, 'nothing crossed over');
      t.equal(await a.state.getValue(), 'target');
      t.equal(await b.direction.getValue(), 'withdraw');
      t.equal(sim.model.at(0).poll && sim.model.at(1).poll, true, 'each pump was put in poll mode');
    });
  }
}

t.test('a pump missing from the chain: TimeoutError, and the other pump keeps working', async (t) => {
  const sim = await startLegatoSim({ tcp: '127.0.0.1:0', addresses: [0, 1] });
  t.teardown(() => sim.close());
  const channel = legatoChannel(createStream(sim.lineUri), 300);
  t.teardown(() => channel.close());
  await channel.open();
  const ghost = createLegato({ address: 7, timeoutMs: 150 }, { channel });
  const real = createLegato({ address: 1, timeoutMs: 300 }, { channel });
  await t.rejects(ghost.commands.status(), TimeoutError);
  t.equal((await real.commands.status()).state, 'idle');
  t.equal(sim.model.at(1).poll, true, 'pump 1 switched to poll mode before its first command');
});
