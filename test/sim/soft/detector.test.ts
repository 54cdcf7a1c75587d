import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import { CanceledError, InvalidInputError } from '../../../src/core/errors.js';
import { isReadable, isTriggerable } from '../../../src/core/protocols.js';
import { SoftMotor } from '../../../src/sim/soft/motor.js';
import { SoftPointDetector, gaussianPeak, seededNormal, seededRandom } from '../../../src/sim/soft/detector.js';

t.test('the reading peaks at the center as the motor scans', (t) =>
  withLeakGuard(async () => {
  const motor = new SoftMotor('mot', { velocity: 50, acceleration: 5000, timeScale: 50, tickMs: 2 });
  t.teardown(() => motor.stop());
  const det = new SoftPointDetector('det', { position: motor, center: 1.5, sigma: 0.5, amplitude: 100, background: 2 });
  t.ok(isTriggerable(det) && isReadable(det));
  const scan: Array<[number, number]> = [];
  for (let i = 0; i <= 12; i++) {
    const x = -1.5 + i * 0.5;
    await motor.set(x).wait(5000);
    await det.trigger();
    scan.push([x, (await det.read())['det']!.value as number]);
  }
  const best = scan.reduce((a, b) => (b[1] > a[1] ? b : a));
  t.equal(best[0], 1.5, 'maximum at the center');
  t.equal(best[1], 102, 'amplitude plus background at the center');
  const left = scan.filter(([x]) => x <= 1.5).map(([, v]) => v);
  const right = scan.filter(([x]) => x >= 1.5).map(([, v]) => v);
  t.ok(left.every((v, i) => i === 0 || v > left[i - 1]!), 'rises up to the center');
  t.ok(right.every((v, i) => i === 0 || v < right[i - 1]!), 'falls after it');
  t.equal(scan[0]![1], gaussianPeak(-1.5, { center: 1.5, sigma: 0.5, amplitude: 100, background: 2 }));
  }));

t.test('with no exposure, trigger() returns an already finished Status', (t) =>
  withLeakGuard(async () => {
  let x = 0;
  const det = new SoftPointDetector('d0', { position: () => x });
  const st = det.trigger();
  t.ok(st.done && st.success, 'finished synchronously');
  t.equal((await det.read())['d0']?.value, 1);
  x = 1;
  det.trigger();
  t.equal(await det.value.getValue(), Math.exp(-0.5));
  }));

t.test('an exposure keeps the Status pending; stop() cancels it', (t) =>
  withLeakGuard(async () => {
  const det = new SoftPointDetector('d1', { position: () => 0, exposureMs: 1000, timeScale: 100, amplitude: 7 });
  const st = det.trigger();
  t.notOk(st.done, 'pending during the exposure');
  await st.wait(5000);
  t.equal(await det.value.getValue(), 7);
  const st2 = det.trigger();
  det.stop();
  await t.rejects(st2.wait(), CanceledError);
  const st3 = det.trigger();
  const st4 = det.trigger();
  await t.rejects(st3.wait(), /superseded/);
  await st4.wait(5000);
  t.same(Object.keys(await det.readConfiguration()), ['d1-exposureMs']);
  t.same(det.hints, { fields: ['d1'] });
  }));

t.test('noise is reproducible from its seed', (t) =>
  withLeakGuard(async () => {
  const a = new SoftPointDetector('a', { position: () => 0, noise: 0.1, seed: 42 });
  const b = new SoftPointDetector('b', { position: () => 0, noise: 0.1, seed: 42 });
  const c = new SoftPointDetector('c', { position: () => 0, noise: 0.1, seed: 43 });
  const ra = [a.sample(0), a.sample(0), a.sample(0)];
  const rb = [b.sample(0), b.sample(0), b.sample(0)];
  const rc = [c.sample(0), c.sample(0), c.sample(0)];
  t.same(ra, rb, 'same seed, same readings');
  t.notSame(ra, rc, 'another seed, other readings');
  t.ok(ra.every((v) => v !== 1 && Math.abs(v - 1) < 1), 'noise is added around the clean value');
  const u = seededRandom(7);
  const us = Array.from({ length: 1000 }, u);
  t.ok(us.every((v) => v >= 0 && v < 1));
  const n = seededNormal(7);
  const ns = Array.from({ length: 4000 }, n);
  const mean = ns.reduce((s, v) => s + v, 0) / ns.length;
  const sd = Math.sqrt(ns.reduce((s, v) => s + (v - mean) ** 2, 0) / ns.length);
  t.ok(Math.abs(mean) < 0.1 && Math.abs(sd - 1) < 0.1, `standard normal (mean ${mean.toFixed(3)}, sd ${sd.toFixed(3)})`);
  t.throws(() => new SoftPointDetector('bad', { position: () => 0, sigma: 0 }), InvalidInputError);
  }));
