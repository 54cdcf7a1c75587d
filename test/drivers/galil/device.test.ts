/**
 * Galil devices: ONE test body run over two tiers (STYLE rule 11) — the mock tier (the controller
 * connected with `{ mock: true }`, default mock behaviour) and the wire simulator over TCP
 * loopback (the real driver, real bytes).
 */
import t, { type Test } from 'tap';
import { CanceledError, DeviceError, InvalidInputError, LimitsError } from '../../../src/core/errors.js';
import type { Device } from '../../../src/core/device/device.js';
import { Signal } from '../../../src/core/signal/signal.js';
import { getMockPuts, holdPuts, onPut, releasePuts, setMockValue } from '../../../src/core/signal/mock.js';
import { createGalil, galilFamily, openGalil, type GalilController, type OpenGalilOptions } from '../../../src/drivers/galil/index.js';
import { registerFamily } from '../../../src/drivers/registry.js';
import { startGalilSim } from '../../../src/sim/galil/index.js';
import { createStream } from '../../../src/protocols/uri.js';
import { CountingStream, until } from './helpers.js';

// URI schemes are known once their family is registered (decision 0010).
registerFamily(galilFamily);

const CONFIG: OpenGalilOptions = {
  name: 'stage',
  pollMs: 5,
  axes: {
    x: { axis: 'A', countsPerUnit: 1000, limits: [-40, 40], speed: 100, acceleration: 2000, deceleration: 2000, limitDeceleration: 20_000 },
    y: { axis: 'B', countsPerUnit: 100, units: 'deg', speed: 200, acceleration: 4000, deceleration: 4000 },
  },
  io: { digitalInputs: [1, 2], digitalOutputs: [1, 2], analogInputs: [1] },
};

/** What a tier gives the shared test body. */
interface Tier {
  g: GalilController;
  /** Writes so far: bytes on the wire (sim) or recorded puts (mock). */
  writes(): number;
  /** Make the next move of x end on the forward limit switch (the sim has one at 30 mm). */
  armForwardLimit(): void;
  /** Keep x's next motion from arriving until `release()` (the sim's moves take time anyway). */
  hold(): () => void;
  setInput(n: number, high: boolean): void;
  setAnalog(n: number, volts: number): void;
}

type MakeTier = (t: Test) => Promise<Tier>;

function signalsOf(d: Device): Array<Signal<unknown>> {
  if (d instanceof Signal) return [d as Signal<unknown>];
  return d.children().flatMap(([, c]) => signalsOf(c));
}

const mockTier: MakeTier = async () => {
  const g = createGalil(CONFIG);
  await g.connect({ mock: true });
  const x = g.axis('x');
  return {
    g,
    writes: () => signalsOf(g).reduce((n, s) => n + getMockPuts(s).length, 0),
    armForwardLimit() {
      const remove = onPut(x.begin, () => {
        remove();
        setMockValue(x.readback, 30.2);
        setMockValue(x.stopCode, 2);
        setMockValue(x.forwardLimit, true);
      });
      onPut(x.distance, () => setMockValue(x.forwardLimit, false));
    },
    hold() {
      holdPuts(x.setpoint);
      return () => releasePuts(x.setpoint);
    },
    setInput: (n, high) => setMockValue(g.io!.inputs.get(n)!, high),
    setAnalog: (n, v) => setMockValue(g.io!.analog.get(n)!, v),
  };
};

const simTier: MakeTier = async (t) => {
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: [{ forwardLimit: 30_000, home: 5000 }, {}] });
  t.teardown(() => sim.close());
  const stream = new CountingStream(createStream(sim.uri));
  const g = await openGalil({ stream }, CONFIG);
  t.teardown(() => g.close());
  return {
    g,
    writes: () => stream.written,
    armForwardLimit() {},
    hold: () => () => {},
    setInput: (n, high) => sim.model.setInput(n, high),
    setAnalog: (n, v) => sim.model.setAnalog(n, v),
  };
};

const near = (t: Test, actual: number, expected: number, what: string, tol = 0.0011): void => {
  t.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} ≈ ${expected}`);
};

/** The device tests, written once. */
function deviceTests(tierName: string, make: MakeTier): void {
  t.test(`[${tierName}] readings and data keys in engineering units`, async (t) => {
    const { g } = await make(t);
    const r = await g.read();
    t.same(Object.keys(r).filter((k) => !k.includes('-io-')).sort(), ['stage-x', 'stage-y']);
    const d = await g.describe();
    t.equal(d['stage-x']!.units, 'mm');
    t.equal(d['stage-y']!.units, 'deg');
    t.equal(d['stage-x']!.precision, 3);
    t.same(g.hints.fields, ['stage-x', 'stage-y']);
  });

  t.test(`[${tierName}] a move with the motor off fails with DeviceError 20`, async (t) => {
    const { g } = await make(t);
    const err = await g.axis('x').set(1).then(() => undefined, (e: unknown) => e);
    t.type(err, DeviceError);
    t.equal((err as DeviceError).vendorCode, 20);
    t.match((err as DeviceError).message, /Begin not valid with motor off/);
  });

  t.test(`[${tierName}] absolute and relative moves arrive, with progress and stop code 1`, async (t) => {
    const { g } = await make(t);
    const x = g.axis('x');
    await x.motorOn.set(true);
    t.equal(await x.motorOn.getValue(), true);
    const st = x.set(5);
    await st;
    near(t, await x.readback.getValue(), 5, 'at 5 mm');
    t.equal(await x.stopCode.getValue(), 1);
    t.equal(await x.moving.getValue(), false);
    t.ok(st.progress, 'progress reported on the move Status');
    t.equal(st.progress!.units, 'mm');
    await x.moveBy(-2);
    near(t, await x.readback.getValue(), 3, 'relative -2 mm');
    near(t, (await x.locate()).setpoint, 3, 'setpoint follows');
  });

  t.test(`[${tierName}] software limits refuse a target before anything is written`, async (t) => {
    const tier = await make(t);
    const x = tier.g.axis('x');
    await x.motorOn.set(true);
    const before = tier.writes();
    const err = await x.set(41).then(() => undefined, (e: unknown) => e);
    t.type(err, LimitsError);
    t.match(err, { value: 41, low: -40, high: 40, units: 'mm' });
    t.equal(tier.writes(), before, 'not a single byte (or put) was written');
    // Every tier: the core Signal checks the limits before the backend sees the value (decision 0013).
    await t.rejects(x.setpoint.set(-41).wait(), LimitsError, 'the setpoint signal checks the limits too');
    t.equal(tier.writes(), before, 'nothing written or recorded');
    await t.rejects(x.velocity.set('fast' as unknown as number).wait(), InvalidInputError, 'a wrong type is refused too');
    t.equal(tier.writes(), before);
  });

  t.test(`[${tierName}] jog, then stop: stop code 4`, async (t) => {
    const { g } = await make(t);
    const y = g.axis('y');
    await y.motorOn.set(true);
    await y.jog(-50);
    t.equal(await y.moving.getValue(), true, 'jogging');
    await y.stop();
    for (let i = 0; i < 200 && (await y.moving.getValue()); i++) await new Promise((r) => setTimeout(r, 5));
    t.equal(await y.moving.getValue(), false);
    t.equal(await y.stopCode.getValue(), 4);
  });

  t.test(`[${tierName}] stop() during a move fails its Status with CanceledError`, async (t) => {
    const tier = await make(t);
    const x = tier.g.axis('x');
    await x.motorOn.set(true);
    const release = tier.hold();
    const st = x.set(35);
    await new Promise((r) => setTimeout(r, 60));
    await x.stop();
    release();
    const err = await st.then(() => undefined, (e: unknown) => e);
    t.type(err, CanceledError);
    const pos = await x.readback.getValue();
    t.ok(pos < 35, `did not arrive (${pos})`);
  });

  t.test(`[${tierName}] a move into the forward limit switch fails with kind "limit"; moving away works`, async (t) => {
    const tier = await make(t);
    const x = tier.g.axis('x');
    await x.motorOn.set(true);
    tier.armForwardLimit();
    const err = await x.set(35).then(() => undefined, (e: unknown) => e);
    t.type(err, DeviceError);
    t.equal((err as DeviceError).kind, 'limit');
    t.equal(await x.forwardLimit.getValue(), true, 'the switch reads active');
    await x.moveBy(-10);
    t.equal(await x.forwardLimit.getValue(), false);
  });

  t.test(`[${tierName}] reference (HM, back-off, slow search, offset, DP) ends at 0`, async (t) => {
    const { g } = await make(t);
    const x = g.axis('x');
    await x.motorOn.set(true);
    await x.set(-3);
    await x.reference({ backoff: -1, slowSpeed: 10, offset: 2 });
    near(t, await x.readback.getValue(), 0, 'position defined as 0');
    t.equal(await x.moving.getValue(), false);
  });

  t.test(`[${tierName}] e-stop: every axis stops, powers off, and running moves fail`, async (t) => {
    const tier = await make(t);
    const g = tier.g;
    const [x, y] = [g.axis('x'), g.axis('y')];
    await x.motorOn.set(true);
    await y.motorOn.set(true);
    await y.jog(100);
    const release = tier.hold();
    const move = x.set(-39);
    await new Promise((r) => setTimeout(r, 20));
    await g.stop({ success: false });
    release();
    const err = await move.then(() => undefined, (e: unknown) => e);
    t.type(err, CanceledError, 'the running move failed');
    t.match((err as Error).message, /emergency stop/);
    for (const a of [x, y]) {
      t.equal(await a.moving.getValue(), false, `${a.name} stopped`);
      t.equal(await a.motorOn.getValue(), false, `${a.name} powered off`);
    }
    t.equal(await y.stopCode.getValue(), 7, 'AB stop code');
  });

  t.test(`[${tierName}] I/O: inputs, outputs, analog, pulses`, async (t) => {
    const tier = await make(t);
    const io = tier.g.io!;
    tier.setInput(2, false);
    t.equal(await io.inputs.get(2)!.getValue(), false);
    tier.setInput(2, true);
    t.equal(await io.inputs.get(2)!.getValue(), true);
    tier.setAnalog(1, 1.25);
    near(t, await io.analog.get(1)!.getValue(), 1.25, 'analog input, V', 0.0005);
    await io.setBit(1);
    t.equal(await io.outputs.get(1)!.getValue(), true);
    await io.clearBit(1);
    t.equal(await io.outputs.get(1)!.getValue(), false);
    const pulse = io.pulse(2, 40);
    await until(() => false, 15).catch(() => undefined);
    t.equal(await io.outputs.get(2)!.getValue(), true, 'high during the pulse');
    await pulse;
    t.equal(await io.outputs.get(2)!.getValue(), false, 'low after it');
    const long = io.pulse(2, 60_000);
    for (let i = 0; i < 100 && !(await io.outputs.get(2)!.getValue()); i++) await new Promise((r) => setTimeout(r, 5));
    long.cancel('test');
    await t.rejects(long.wait(), CanceledError);
    for (let i = 0; i < 100 && (await io.outputs.get(2)!.getValue()); i++) await new Promise((r) => setTimeout(r, 5));
    t.equal(await io.outputs.get(2)!.getValue(), false, 'a canceled pulse restores the output');
  });
}

deviceTests('mock', mockTier);
deviceTests('sim', simTier);
