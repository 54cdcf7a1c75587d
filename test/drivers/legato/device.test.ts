/**
 * The same device tests on three tiers (STYLE rule 11): the mock tier (`connect({ mock: true })`
 * with the default mock behaviour), the wire simulator over TCP, and the wire simulator behind a
 * pty opened with serialport. Each tier supplies how to arrange a stall, a slow dispense and how
 * to count what was sent; the tests themselves are shared.
 */
import t from 'tap';
import type { Test } from 'tap';
import { CanceledError, DeviceError, InvalidInputError, LimitsError } from '../../../src/core/errors.js';
import { getMockPuts, mockBackendOf, setMockValue } from '../../../src/core/signal/mock.js';
import { createLegato, legatoFamily, type LegatoPump } from '../../../src/drivers/legato/index.js';
import { registerFamily } from '../../../src/drivers/registry.js';
import { createStream } from '../../../src/protocols/uri.js';
import { startLegatoSim, type LegatoSim } from '../../../src/sim/legato/index.js';
import { CountingStream } from '../galil/helpers.js';

// URI schemes are known once their family is registered (decision 0010).
registerFamily(legatoFamily);

interface Tier {
  pump: LegatoPump;
  /** The next dispense stalls part way. */
  stallNext(): void;
  /** The next dispense runs long enough to be stopped. */
  slowNext(): void;
  /** How much was sent so far (bytes on the wire, or writes to mock signals). */
  sent(): number;
  /** True when the pump's motor runs (from the simulator's model or the mock values). */
  running(): boolean;
}

const OPTIONS = { diameterMm: 4.6066, syringeVolume: '1 ml', pollMs: 5, timeoutMs: 500 } as const;

async function mockTier(t: Test): Promise<Tier> {
  const pump = createLegato({ ...OPTIONS, name: 'pump' });
  await pump.connect({ mock: true });
  t.teardown(() => pump.close());
  const removers: Array<() => void> = [];
  const once = (fn: () => void): void => {
    const remove = mockBackendOf(pump.runInfuse).onPut(() => {
      remove();
      fn();
    });
    removers.push(remove);
  };
  const signals = [pump.infuseRate, pump.withdrawRate, pump.targetVolume, pump.runInfuse, pump.runWithdraw, pump.diameter, pump.halt, pump.emergencyHalt];
  return {
    pump,
    stallNext: () => once(() => {
      setMockValue(pump.volume, 1);
      setMockValue(pump.targetReached, false);
      setMockValue(pump.running, false);
      setMockValue(pump.stalled, true);
      setMockValue(pump.state, 'stalled');
    }),
    slowNext: () => once(() => {
      setMockValue(pump.volume, 0);
      setMockValue(pump.targetReached, false);
      setMockValue(pump.running, true);
      setMockValue(pump.state, 'infusing');
    }),
    sent: () => signals.reduce((n, s) => n + getMockPuts(s as never).length, 0),
    running: () => mockBackendOf(pump.running).value,
  };
}

async function simTier(t: Test, over: 'tcp' | 'pty'): Promise<Tier & { sim: LegatoSim }> {
  const sim = await startLegatoSim(over === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true });
  t.teardown(() => sim.close());
  const stream = new CountingStream(createStream(sim.uri));
  const pump = createLegato({ ...OPTIONS, name: 'pump' }, { stream });
  t.teardown(() => pump.close());
  await pump.connect();
  const model = sim.model.at(0);
  return {
    sim,
    pump,
    stallNext: () => void (model.stallAfterUl = 1),
    slowNext: () => void (model.stallAfterUl = undefined),
    sent: () => stream.written,
    running: () => model.running,
  };
}

const TIERS: Record<string, (t: Test) => Promise<Tier>> = {
  mock: mockTier,
  'sim over tcp': (t) => simTier(t, 'tcp'),
  'sim over a pty': (t) => simTier(t, 'pty'),
};

const settle = <T>(s: PromiseLike<T>): Promise<T> => Promise.resolve(s);

for (const [tierName, make] of Object.entries(TIERS)) {
  t.test(tierName, async (t) => {
    t.test('rates with units: stored in ul/min', async (t) => {
      const { pump } = await make(t);
      await pump.setInfuseRate(1, 'ml/hr');
      t.ok(Math.abs((await pump.infuseRate.getValue()) - 1000 / 60) < 1e-3, '1 ml/hr = 16.667 ul/min');
      await pump.setWithdrawRate('10 ul/sec');
      t.equal(await pump.withdrawRate.getValue(), 600, '10 ul/sec = 600 ul/min');
      await pump.setInfuseRate(250);
      t.equal(await pump.infuseRate.getValue(), 250, 'a bare number is ul/min');
    });

    t.test('unknown units and out-of-range rates: typed errors, nothing sent', async (t) => {
      const { pump, sent } = await make(t);
      const before = sent();
      await t.rejects(pump.setInfuseRate(10, 'ul/week'), InvalidInputError);
      await t.rejects(pump.setInfuseRate('10 l/min'), InvalidInputError);
      await t.rejects(pump.setInfuseRate(10, 'ml/min'), LimitsError);
      const err = await pump.setInfuseRate(10, 'ml/min').catch((e: unknown) => e) as LimitsError;
      t.equal(err.units, 'ul/min');
      t.ok(err.high > 2600 && err.high < 2700, `limit from the 4.6066 mm bore: ${err.high.toFixed(1)} ul/min`);
      await t.rejects(settle(pump.dispense('2 ml')), LimitsError, 'more than the syringe holds');
      await t.rejects(settle(pump.dispense(5, '5 ul/fortnight')), InvalidInputError);
      t.equal(sent(), before, 'not a byte (or mock write) was sent');
    });

    t.test('dispense completes at the target, with progress', async (t) => {
      const { pump, running } = await make(t);
      const seen: number[] = [];
      const st = pump.dispense('3 ul', '1.2 ml/min');
      st.watch((p) => seen.push(p.current));
      await st;
      t.ok(st.success);
      t.ok(seen.length > 0 && seen.at(-1)! > 2.999, `progress up to ${seen.at(-1)} ul`);
      t.ok(Math.abs((await pump.infusedVolume.getValue()) - 3) < 1e-6, 'infused volume = 3 ul');
      t.equal(await pump.state.getValue(), 'target', 'prompt T*');
      t.equal(await pump.targetReached.getValue(), true);
      t.equal(running(), false);
    });

    t.test('set(volume) dispenses at the rate already set; negative withdraws', async (t) => {
      const { pump } = await make(t);
      await pump.setInfuseRate(1200);
      await pump.setWithdrawRate(1200);
      await pump.set(2);
      await pump.set(-1.5);
      t.ok(Math.abs((await pump.withdrawnVolume.getValue()) - 1.5) < 1e-6, 'withdrawn 1.5 ul');
      t.equal(await pump.direction.getValue(), 'withdraw');
    });

    t.test('dispense fails on a stall: DeviceError (stall), the pump is stopped', async (t) => {
      const { pump, stallNext, running } = await make(t);
      stallNext();
      const err = await settle(pump.dispense(5, '1.2 ml/min')).catch((e: unknown) => e);
      t.type(err, DeviceError);
      t.equal((err as DeviceError).kind, 'stall');
      t.equal(running(), false);
    });

    t.test('stop() cancels a dispense with CanceledError and stops the pump', async (t) => {
      const { pump, slowNext, running } = await make(t);
      slowNext();
      const st = pump.dispense(100, '60 ul/min');
      while (!st.progress) await new Promise((r) => setTimeout(r, 2));
      t.equal(pump.dispensing, true);
      await pump.stop();
      await t.rejects(settle(st), CanceledError);
      t.equal(running(), false);
      t.equal(pump.dispensing, false);
    });

    t.test('e-stop: stop({ success: false }) cancels and stops at once', async (t) => {
      const { pump, slowNext, running } = await make(t);
      slowNext();
      const st = pump.dispense(100, '60 ul/min');
      while (!st.progress) await new Promise((r) => setTimeout(r, 2));
      const t0 = performance.now();
      await pump.stop({ success: false });
      const ms = performance.now() - t0;
      t.comment(`e-stop (${tierName}): request to pump stopped in ${ms.toFixed(2)} ms`);
      t.equal(running(), false, 'stopped when stop() resolves');
      await t.rejects(settle(st), CanceledError);
    });

    t.test('read, describe and configuration carry units', async (t) => {
      const { pump } = await make(t);
      const d = await pump.describe();
      t.same(Object.keys(d).sort(), ['pump-infusedVolume', 'pump-withdrawnVolume']);
      t.equal(d['pump-infusedVolume']!.units, 'ul');
      const r = await pump.read();
      t.equal(typeof r['pump-infusedVolume']!.value, 'number');
      const c = await pump.describeConfiguration();
      t.equal(c['pump-infuseRate']!.units, 'ul/min');
      t.equal(c['pump-diameter']!.units, 'mm');
      t.equal((await pump.readConfiguration())['pump-diameter']!.value, 4.6066);
      t.same(pump.hints.fields, ['pump-infusedVolume', 'pump-withdrawnVolume']);
    });
  });
}

t.test('sim: prompt tracking follows every reply', async (t) => {
  const tier = await simTier(t, 'tcp');
  const states: string[] = [];
  tier.pump.onState((s) => states.push(s));
  tier.slowNext();
  await tier.pump.runInfuse.trigger();
  await tier.pump.halt.trigger();
  t.same(states, ['infusing', 'idle']);
  t.equal(tier.pump.commands.state, 'idle');
});

t.test('sim: a subscribed status signal follows the pump while it runs', async (t) => {
  const tier = await simTier(t, 'tcp');
  const volumes: number[] = [];
  const unsub = tier.pump.volume.subscribeValue((v) => volumes.push(v));
  await tier.pump.dispense(2, '1.2 ml/min');
  await new Promise((r) => setTimeout(r, 250));
  unsub();
  t.ok(volumes.length >= 2, `${volumes.length} readings`);
  t.ok(Math.abs(volumes.at(-1)! - 2) < 1e-6, 'ends at 2 ul');
});
