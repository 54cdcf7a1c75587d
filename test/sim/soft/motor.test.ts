import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import { CanceledError, InvalidInputError, LimitsError } from '../../../src/core/errors.js';
import { getMockPuts, holdPuts, releasePuts } from '../../../src/core/signal/mock.js';
import type { StatusProgress } from '../../../src/core/status.js';
import { SoftMotor, planMove, planStop, sampleProfile, type MotionProfile } from '../../../src/sim/soft/motor.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function samples(p: MotionProfile, n = 400): Array<{ position: number; velocity: number }> {
  return Array.from({ length: n + 1 }, (_, i) => sampleProfile(p, (p.duration * i) / n));
}

t.test('planMove: trapezoid with cruise, exact durations and end', (t) =>
  withLeakGuard(async () => {
  // 10 units at 2 units/s, 1 unit/s²: 2 s up (2 units), 3 s cruise (6 units), 2 s down (2 units).
  const p = planMove(0, 0, 10, 2, 1);
  t.equal(p.segments.length, 3);
  t.equal(p.duration, 7);
  t.same(sampleProfile(p, 2), { position: 2, velocity: 2 });
  t.same(sampleProfile(p, 5), { position: 8, velocity: 2 });
  t.same(sampleProfile(p, 7), { position: 10, velocity: 0 });
  t.equal(sampleProfile(p, 100).position, 10);
  const xs = samples(p).map((s) => s.position);
  t.ok(xs.every((x, i) => i === 0 || x >= xs[i - 1]!), 'position never goes back');
  t.ok(samples(p).every((s) => s.velocity <= 2 + 1e-12), 'speed never exceeds vmax');
  }));

t.test('planMove: short moves are triangles, negative moves mirror', (t) =>
  withLeakGuard(async () => {
  // 1 unit at 1 unit/s²: peak speed 1 unit/s after 1 s, total 2 s; vmax 5 never reached.
  const p = planMove(3, 0, 2, 5, 1);
  t.equal(p.segments.length, 2);
  t.equal(p.duration, 2);
  t.equal(sampleProfile(p, 1).position, 2.5);
  t.equal(sampleProfile(p, 1).velocity, -1);
  t.equal(sampleProfile(p, 2).position, 2);
  t.equal(planMove(4, 0, 4, 1, 1).duration, 0, 'no move when already there');
  }));

t.test('planMove from motion: brake when heading away, then come back; planStop decelerates', (t) =>
  withLeakGuard(async () => {
  const p = planMove(0, 2, -1, 2, 1); // moving +2 units/s, target behind
  t.equal(p.segments[0]!.a, -1, 'first segment brakes');
  t.equal(p.segments[0]!.dt, 2);
  const turn = sampleProfile(p, 2);
  t.equal(turn.position, 2, 'stops 2 units ahead');
  t.equal(turn.velocity, 0);
  t.equal(sampleProfile(p, p.duration).position, -1);
  const s = planStop(5, -3, 1.5);
  t.equal(s.duration, 2);
  t.equal(s.end, 2);
  t.equal(sampleProfile(s, 1).velocity, -1.5);
  }));

t.test('SoftMotor: a move ends exactly at the target and progress rises monotonically', (t) =>
  withLeakGuard(async () => {
  const m = new SoftMotor('m1', { velocity: 10, acceleration: 100, timeScale: 20, tickMs: 2, units: 'mm' });
  t.teardown(() => m.stop());
  const positions: number[] = [];
  const off = m.readback.subscribeValue((v) => positions.push(v));
  const st = m.set(3.7);
  const progress: StatusProgress[] = [];
  st.watch((p) => progress.push(p));
  await st.wait(5000);
  off();
  t.equal(await m.readback.getValue(), 3.7, 'readback exactly at the target');
  t.equal(m.position, 3.7);
  t.equal(await m.setpoint.getValue(), 3.7);
  t.equal(await m.moving.getValue(), false);
  t.ok(progress.length >= 3, `several progress reports (${progress.length})`);
  const fractions = progress.map((p) => p.fraction);
  t.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]!), 'progress never goes back');
  t.equal(fractions.at(-1), 1);
  t.ok(positions.every((x, i) => i === 0 || x >= positions[i - 1]!), 'readback never goes back');
  t.equal(progress.at(-1)?.units, 'mm');
  // And back down.
  await m.set(-1.25).wait(5000);
  t.equal(await m.readback.getValue(), -1.25);
  }));

t.test('SoftMotor: stop() mid-move decelerates and the set Status fails with CanceledError', (t) =>
  withLeakGuard(async () => {
  const m = new SoftMotor('m2', { velocity: 2, acceleration: 20, timeScale: 10, tickMs: 2 });
  t.teardown(() => m.stop());
  const st = m.set(100);
  // Wait until it is clearly moving.
  await new Promise<void>((resolve) => {
    const off = m.readback.subscribeValue((v) => {
      if (v > 0.5) {
        queueMicrotask(off);
        resolve();
      }
    });
  });
  await m.stop();
  const err = await st.then(() => undefined, (e: unknown) => e);
  t.type(err, CanceledError);
  const where = await m.readback.getValue();
  t.ok(where > 0.5 && where < 100, `halted part-way (${where})`);
  t.equal(m.position, where, 'at rest where the readback says');
  t.equal(await m.moving.getValue(), false);
  t.notOk(m.moveInProgress);
  }));

t.test('SoftMotor in mock mode: limits refuse a target before any put', (t) =>
  withLeakGuard(async () => {
  const m = new SoftMotor('m3', { limits: { low: -5, high: 5 }, timeScale: 100 });
  await m.connect({ mock: true });
  await t.rejects(m.set(6).wait(), LimitsError);
  t.same(getMockPuts(m.setpoint), [], 'the setpoint backend never saw a put');
  await t.rejects(m.set(Number.NaN).wait(), InvalidInputError);
  t.same(getMockPuts(m.setpoint), []);
  }));

t.test('SoftMotor in mock mode: a held setpoint put keeps the move pending until released', (t) =>
  withLeakGuard(async () => {
  const m = new SoftMotor('m4', { velocity: 5, acceleration: 50, timeScale: 50, tickMs: 2 });
  t.teardown(() => m.stop());
  await m.connect({ mock: true });
  holdPuts(m.setpoint);
  const st = m.set(1);
  await flush();
  await flush();
  t.notOk(st.done, 'pending while the put is held');
  t.equal(m.position, 0, 'motion not started');
  t.same(getMockPuts(m.setpoint), [{ value: 1, wait: true }]);
  releasePuts(m.setpoint);
  await st.wait(5000);
  t.ok(st.success);
  t.equal(m.position, 1);
  }));

t.test('SoftMotor: read/describe/hints/configuration and names', (t) =>
  withLeakGuard(async () => {
  const m = new SoftMotor('x', { units: 'deg', precision: 2, velocity: 3, acceleration: 9 });
  t.same(Object.keys(await m.read()).sort(), ['x', 'x-setpoint']);
  const d = await m.describe();
  t.equal(d['x']?.units, 'deg');
  t.equal(d['x']?.precision, 2);
  t.same(m.hints, { fields: ['x'] });
  const c = await m.readConfiguration();
  t.same(Object.keys(c).sort(), ['x-acceleration', 'x-velocity']);
  t.equal(c['x-velocity']?.value, 3);
  t.equal((await m.describeConfiguration())['x-velocity']?.units, 'deg/s');
  m.setName('theta');
  t.same(m.hints, { fields: ['theta'] });
  t.equal(m.velocity.name, 'theta-velocity');
  t.throws(() => new SoftMotor('bad', { velocity: 0 }), InvalidInputError);
  }));
