/**
 * The same device tests over the mock tier and over the wire simulator (TCP and a pty opened
 * through serialport).
 */
import t, { type Test } from 'tap';
import { CanceledError, DeviceError, InvalidInputError, LimitsError, UnsupportedError } from '../../../src/core/errors.js';
import { createAlicat, openAlicat, type AlicatFlowController, type AlicatFlowMeter, type OpenAlicatOptions } from '../../../src/drivers/alicat/index.js';
import { getMockPuts } from '../../../src/core/signal/mock.js';
import type { AlicatSim } from '../../../src/sim/alicat/index.js';
import { simFor } from './helpers.js';

type Tier = 'mock' | 'tcp' | 'pty';
const TIERS: Tier[] = ['mock', 'tcp', 'pty'];

interface Rig {
  d: AlicatFlowController;
  sim: AlicatSim | undefined;
}

async function controller(t: Test, tier: Tier, options: OpenAlicatOptions = {}, timeConstantMs = 20): Promise<Rig> {
  const config: OpenAlicatOptions = { fullScale: 100, pollMs: 10, totalizer: true, name: 'mfc1', ...options };
  if (tier === 'mock') {
    const d = createAlicat({ ...config, kind: 'controller' });
    await d.connect({ mock: true });
    return { d, sim: undefined };
  }
  const sim = await simFor(t, { ...(tier === 'pty' ? { pty: true } : {}), defaults: { timeConstantMs, totalizer: true } });
  const d = await openAlicat(sim.uri, { ...config, kind: 'controller' });
  t.teardown(() => d.close());
  return { d, sim };
}

const failure = (p: PromiseLike<unknown>): Promise<unknown> => Promise.resolve(p).then(() => undefined, (e: unknown) => e);

for (const tier of TIERS) {
  t.test(`controller over ${tier}`, async (t) => {
    t.test('describe and read: readback named after the device, one value per field and flag', async (t) => {
      const { d } = await controller(t, tier);
      const keys = Object.keys(await d.describe());
      t.ok(keys.includes('mfc1'), 'readback data key is the device name');
      for (const k of ['mfc1-setpoint', 'mfc1-massFlow', 'mfc1-pressure', 'mfc1-totalizer', 'mfc1-status', 'mfc1-flags-hold', 'mfc1-flags-locked']) t.ok(keys.includes(k), k);
      const r = await d.read();
      t.same(Object.keys(r).sort(), keys.sort());
      t.same(d.hints.fields, ['mfc1']);
      const dk = (await d.describe())['mfc1-massFlow']!;
      t.equal(dk.units, 'SLPM');
      t.equal(dk.dtype, 'number');
      if (tier !== 'mock') t.match(dk.source, /^alicat\+(tcp|serial):\/\/.+\/A\/massFlow$/);
    });

    t.test('set() completes at the setpoint; locate() reports both', async (t) => {
      const { d } = await controller(t, tier);
      await d.set(25);
      const rb = await d.readback.getValue();
      t.ok(Math.abs(rb - 25) <= 0.5, `readback ${rb} within 0.5 of 25`);
      const loc = await d.locate();
      t.equal(loc.setpoint, 25);
      await d.set(10);
      t.ok(Math.abs((await d.massFlow.getValue()) - 10) <= 0.5);
    });

    t.test('limits and bad input are typed errors before anything moves', async (t) => {
      const { d } = await controller(t, tier);
      const e = await failure(d.set(150));
      t.type(e, LimitsError);
      t.equal((e as LimitsError).high, 100);
      t.type(await failure(d.set(-0.1)), LimitsError);
      t.type(await failure(d.selectGas('Unobtainium')), InvalidInputError);
      t.type(await failure(d.selectGas(31)), InvalidInputError);
      if (tier === 'mock') t.same(getMockPuts(d.setpoint), [], 'no setpoint write reached the mock');
    });

    t.test('gas selection by name and by number', async (t) => {
      const { d } = await controller(t, tier);
      await d.selectGas('Ar');
      t.equal(await d.gas.getValue(), 'Ar');
      await d.selectGas('He');
      t.equal(await d.gas.getValue(), 'He');
      if (tier !== 'mock') {
        await d.selectGas(11);
        t.equal(await d.gas.getValue(), 'O2', 'numbers select too (the mock stores the text it was given)');
      }
    });

    t.test('valve hold: HLD readable, a set() while held fails with DeviceError HLD, cancel resumes', async (t) => {
      const { d } = await controller(t, tier, { settleTimeoutMs: 5000 });
      await d.set(20);
      await d.hold();
      t.equal(await d.flags.hold.getValue(), true);
      t.match(await d.status.getValue(), /HLD/);
      const e = await failure(d.set(40));
      t.type(e, DeviceError);
      t.equal((e as DeviceError).vendorCode, 'HLD');
      await d.cancelHold();
      t.equal(await d.flags.hold.getValue(), false);
      await d.set(40);
      t.ok(Math.abs((await d.readback.getValue()) - 40) <= 0.5);
      t.type(await failure(d.holdClosed()), UnsupportedError, 'the legacy dialect has no hold-closed command');
    });

    t.test('lock / unlock and totalizer reset', async (t) => {
      const { d } = await controller(t, tier);
      await d.lock();
      t.equal(await d.flags.locked.getValue(), true);
      await d.unlock();
      t.equal(await d.flags.locked.getValue(), false);
      await d.set(50);
      await d.resetTotalizer();
      t.ok((await d.totalizer.getValue()) < 0.5, 'totalizer back near zero');
      await failure(d.tareFlow());
      await d.tarePressure();
    });

    t.test('control variable: volumetric flow is read back and settled on', async (t) => {
      const { d } = await controller(t, tier);
      await d.setControlVariable('volumetric-flow');
      t.equal(d.currentControlVariable, 'volumetric-flow');
      if (tier !== 'mock') t.equal(await d.controlVariable.getValue(), 'volumetric-flow');
      await d.set(30);
      t.ok(Math.abs((await d.volumetricFlow.getValue()) - 30) <= 0.5);
      await d.setControlVariable('mass-flow');
    });

    t.test('e-stop: a running set() fails with CanceledError and the valve is held', async (t) => {
      const { d, sim } = await controller(t, tier, { settleTimeoutMs: 10_000 });
      const moving = d.set(80);
      const t0 = performance.now();
      await d.stop({ success: false });
      const ms = performance.now() - t0;
      const e = await failure(moving);
      t.type(e, CanceledError);
      t.match((e as Error).message, /emergency stop/);
      if (sim) {
        t.not(sim.model.unit('A').valve, 'auto', 'the simulated valve is held');
        t.comment(`e-stop over ${tier}: ${ms.toFixed(2)} ms from request to valve held on the simulator`);
      }
      t.equal(await d.flags.hold.getValue(), true);
      await d.cancelHold();
    });

    if (tier !== 'mock') {
      t.test('e-stop in mid-ramp: the legacy hold ($$H) freezes the valve where it is', async (t) => {
        const { d, sim } = await controller(t, tier, { settleTimeoutMs: 10_000 }, 300);
        const moving = d.set(80);
        const deadline = performance.now() + 5000;
        while ((await d.massFlow.getValue()) < 5 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        await d.stop({ success: false });
        t.type(await failure(moving), CanceledError);
        t.equal(sim!.model.unit('A').valve, 'hold');
        const frozen = await d.massFlow.getValue();
        await new Promise((r) => setTimeout(r, 100));
        const later = await d.massFlow.getValue();
        t.ok(frozen >= 5 && frozen < 79, `flow frozen at ${frozen} on the way to 80`);
        t.ok(Math.abs(later - frozen) < 0.02, `and still ${later} 100 ms later`);
        await d.cancelHold();
      });
    }

    t.test('primer dialect: e-stop holds the valve closed and the flow decays to zero', async (t) => {
      const { d, sim } = await controller(t, tier, { dialect: 'primer', settleTimeoutMs: 5000 });
      await d.set(20);
      await d.stop({ success: false });
      if (sim) t.equal(sim.model.unit('A').valve, 'closed');
      const deadline = performance.now() + 3000;
      while ((await d.massFlow.getValue()) > 0.05 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      t.ok((await d.massFlow.getValue()) <= 0.05, 'flow decayed to zero');
      await d.cancelHold();
      await d.holdClosed();
      t.equal(await d.flags.hold.getValue(), true);
      await d.cancelHold();
    });

    t.test('subscriptions deliver changes while the flow moves (one poll feeds every signal)', async (t) => {
      const { d } = await controller(t, tier);
      const seen: number[] = [];
      const holds: boolean[] = [];
      const un1 = d.massFlow.subscribeValue((v) => seen.push(v));
      const un2 = d.flags.hold.subscribeValue((v) => holds.push(v));
      await d.set(60);
      un1();
      un2();
      t.ok(seen.length >= 2, `got ${seen.length} readings`);
      t.ok(Math.abs(seen[seen.length - 1]! - 60) <= 0.5, 'the last reading is at the setpoint');
      t.same(holds.slice(0, 1), [false]);
    });
  });
}

t.test('meter over mock and tcp', async (t) => {
  for (const tier of ['mock', 'tcp'] as const) {
    t.test(tier, async (t) => {
      let m: AlicatFlowMeter;
      if (tier === 'mock') {
        m = createAlicat({ kind: 'meter', name: 'mfm' });
        await m.connect({ mock: true });
      } else {
        const sim = await simFor(t, { units: [{ id: 'A', kind: 'meter' }] });
        m = await openAlicat(sim.uri, { kind: 'meter', name: 'mfm' });
        t.teardown(() => m.close());
      }
      t.same(m.hints.fields, ['mfm']);
      const r = await m.read();
      t.ok('mfm' in r && 'mfm-pressure' in r && !('mfm-setpoint' in r));
      await m.lock();
      t.equal(await m.flags.locked.getValue(), true);
      await m.unlock();
      await m.selectGas('CO2');
      t.equal(await m.gas.getValue(), 'CO2');
      t.notOk('set' in m, 'a meter is not movable');
    });
  }
});

t.test('a meter is refused as a controller, and a controller unit id nobody has fails to connect', async (t) => {
  const sim = await simFor(t, { units: [{ id: 'A', kind: 'meter' }] });
  const e = await failure(openAlicat(sim.uri, { kind: 'controller' }));
  t.match((e as Error).message, /meter's data frame/);
  const e2 = await failure(openAlicat(`${sim.lineUri}?unit=Q`, { kind: 'controller', timeoutMs: 150 }));
  t.match((e2 as Error).message, /timed out/);
});
