import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import {
  CanceledError, DeviceError, InvalidInputError, InvalidStateError, LimitsError, TimeoutError, isCanceled,
} from '../../../src/core/errors.js';
import { StandardMovable, moveTimeoutMs } from '../../../src/core/device/standard-movable.js';
import { softSignalRAndSetter, softSignalRW } from '../../../src/core/signal/factories.js';
import { getMockPuts } from '../../../src/core/signal/mock.js';
import type { SignalR } from '../../../src/core/signal/signal.js';
import { isCheckable, isLocatable, isMovable, isReadable, isStoppable } from '../../../src/core/protocols.js';
import type { StatusProgress } from '../../../src/core/status.js';
import { flush } from '../signal/fake-backend.js';

/** A pump whose motion the test drives by hand: advance() moves the readback, arrive() ends the move. */
class HandPump extends StandardMovable {
  readonly setpoint = softSignalRW(0, { units: 'mL' });
  readonly readback: SignalR<number>;
  readonly moves: number[] = [];
  stops = 0;
  #setReadback: (v: number) => void;
  #pending: { target: number; resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(name: string, opts: { limits?: { low: number; high: number }; speed?: number } = {}) {
    super(name);
    [this.readback, this.#setReadback] = softSignalRAndSetter(0, { units: 'mL' });
    this.addReadables([this.readback], 'hinted');
    this.setMoveLogic({
      readback: this.readback,
      setpoint: this.setpoint,
      units: 'mL',
      move: async (target, signal) => {
        this.moves.push(target);
        await this.setpoint.set(target);
        return new Promise<void>((resolve, reject) => {
          this.#pending = { target, resolve, reject };
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      },
      stop: async () => {
        this.stops++;
      },
      limits: () => opts.limits,
      speed: () => opts.speed,
    });
    this.setName(name);
  }
  advance(v: number): void {
    this.#setReadback(v);
  }
  arrive(): void {
    const p = this.#pending!;
    this.#setReadback(p.target);
    p.resolve();
  }
  fail(e: Error): void {
    this.#pending!.reject(e);
  }
}

t.test('a target outside the limits is refused before anything reaches the backend', (t) =>
  withLeakGuard(async () => {
  const pump = new HandPump('pump', { limits: { low: 0, high: 10 } });
  await pump.connect({ mock: true });
  const err = await pump.set(50).then(() => undefined, (e: unknown) => e);
  t.type(err, LimitsError);
  t.match((err as LimitsError).message, /pump: 50 mL is outside the limits \[0 mL, 10 mL\]/);
  t.same(pump.moves, [], "the logic's move was never called");
  t.same(getMockPuts(pump.setpoint), [], 'the mock backend saw no put');
  t.equal(pump.stops, 0);
  await t.rejects(pump.checkValue(-1), LimitsError);
  await pump.checkValue(10);
  }));

t.test('progress follows the readback and the move completes', (t) =>
  withLeakGuard(async () => {
  const pump = new HandPump('p');
  const st = pump.set(10);
  const seen: StatusProgress[] = [];
  st.watch((p) => seen.push(p));
  await flush();
  pump.advance(2.5);
  pump.advance(5);
  pump.arrive();
  await st;
  t.ok(st.success);
  t.same(seen.map((p) => p.fraction), [0, 0.25, 0.5, 1]);
  t.same(seen.map((p) => p.current), [0, 2.5, 5, 10]);
  t.ok(seen.every((p) => p.initial === 0 && p.target === 10 && p.units === 'mL'));
  t.notOk(pump.readback.subscribed, 'the progress subscription is removed after the move');
  t.same(await pump.locate(), { setpoint: 10, readback: 10 });
  t.notOk(pump.moveInProgress);
  }));

t.test('stop() mid-move fails the pending Status with CanceledError and halts', (t) =>
  withLeakGuard(async () => {
  const pump = new HandPump('p');
  const st = pump.set(10);
  await flush();
  pump.advance(3);
  await pump.stop();
  const err = await st.then(() => undefined, (e: unknown) => e);
  t.type(err, CanceledError);
  t.ok(isCanceled(err));
  t.match((err as Error).message, /move to 10 stopped/);
  t.equal(pump.stops, 1);
  t.notOk(pump.moveInProgress);
  await pump.stop({ success: false });
  t.equal(pump.stops, 2, 'stop reaches the hardware even when idle');
  }));

t.test('a failing move fails the Status with its error and stops the device', (t) =>
  withLeakGuard(async () => {
  const pump = new HandPump('p');
  const st = pump.set(10);
  await flush();
  pump.fail(new DeviceError({ device: 'p', vendorMessage: 'stall detected', vendorCode: 'E7' }));
  const err = await st.then(() => undefined, (e: unknown) => e);
  t.type(err, DeviceError);
  await flush();
  t.equal(pump.stops, 1, 'stopped on failure');
  }));

t.test('an explicit timeout fails with TimeoutError and stops the device', (t) =>
  withLeakGuard(async () => {
  const pump = new HandPump('p');
  const err = await pump.set(10, { timeoutMs: 30 }).then(() => undefined, (e: unknown) => e);
  t.type(err, TimeoutError);
  t.equal((err as TimeoutError).afterMs, 30);
  await flush();
  t.equal(pump.stops, 1);
  t.notOk(pump.readback.subscribed);
  }));

t.test('the default timeout is estimated from distance and speed', (t) =>
  withLeakGuard(async () => {
  t.equal(moveTimeoutMs({ distance: 10, speed: 2, accelerationTimeMs: 500, marginMs: 1000 }), 7000);
  t.equal(moveTimeoutMs({ distance: -10, speed: 2, marginMs: 0 }), 5000);
  t.equal(moveTimeoutMs({ distance: 10, speed: undefined, marginMs: 0, fallbackMs: 123 }), 123);
  // A very fast device with no margin gets a tiny limit, which a move that never ends trips.
  const pump = new HandPump('fast', { speed: 1e9 });
  pump.timeoutMarginMs = 0;
  const err = await pump.set(10).then(() => undefined, (e: unknown) => e);
  t.type(err, TimeoutError);
  t.ok((err as TimeoutError).afterMs < 1, 'the estimate, not a default, was used');
  }));

t.test('a new set supersedes a running one without stopping the hardware', (t) =>
  withLeakGuard(async () => {
  const pump = new HandPump('p');
  const first = pump.set(5);
  await flush();
  const second = pump.set(8);
  const err = await first.then(() => undefined, (e: unknown) => e);
  t.type(err, CanceledError);
  t.match((err as Error).message, /superseded by set\(8\)/);
  await flush();
  pump.arrive();
  await second;
  t.ok(second.success);
  t.equal(pump.stops, 0);
  t.same(pump.moves, [5, 8]);
  }));

t.test('bad input and missing logic are typed errors; protocols are implemented', (t) =>
  withLeakGuard(async () => {
  const pump = new HandPump('p');
  await t.rejects(pump.set(Number.NaN).wait(), InvalidInputError);
  const bare = new StandardMovable('bare');
  await t.rejects(bare.set(1).wait(), InvalidStateError);
  t.ok(isMovable(pump) && isLocatable(pump) && isStoppable(pump) && isCheckable(pump) && isReadable(pump));
  t.same(Object.keys(await pump.read()), ['p-readback']);
  }));

t.test('a stop that fails after a failed or timed-out move is reported on the move error (stopError), never printed', (t) =>
  withLeakGuard(async () => {
    const printed: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    t.teardown(() => void (console.error = original));
    const { stopErrorOf } = await import('../../../src/core/device/standard-movable.js');
    const haltError = new DeviceError({ device: 'm', vendorMessage: 'link lost during halt', kind: 'halt' });
    class Stuck extends StandardMovable {
      readonly readback = softSignalRW(0, { name: 'm' });
      constructor(fail: boolean) {
        super('m');
        this.setMoveLogic({
          readback: this.readback,
          move: (_target, signal) => new Promise<void>((_resolve, reject) => {
            if (fail) setTimeout(() => reject(new DeviceError({ device: 'm', vendorMessage: 'stalled', kind: 'stall' })), 5);
            signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
          }),
          stop: async () => {
            throw haltError;
          },
        });
      }
    }
    const timedOut = await new Stuck(false).set(1, { timeoutMs: 30 }).then(() => undefined, (e: unknown) => e);
    t.ok(timedOut instanceof TimeoutError, 'the move still fails with its own error');
    t.equal(stopErrorOf(timedOut), haltError, 'the failed halt rides on it as stopError');
    t.match((timedOut as Error).message, /stopping afterwards also failed/);
    const failed = await new Stuck(true).set(1, { timeoutMs: 10_000 }).then(() => undefined, (e: unknown) => e);
    t.ok(failed instanceof DeviceError, 'a failed move keeps its error');
    t.equal(stopErrorOf(failed), haltError);
    t.same(printed, [], 'nothing printed on the console');
  }));

t.test('the move logic may give its own time limit and progress source', (t) =>
  withLeakGuard(async () => {
    const [pumped, setPumped] = softSignalRAndSetter(0, { name: 'volume' });
    let limitAsked: [number, number] | undefined;
    class Pump extends StandardMovable {
      readonly readback = softSignalRW(7, { name: 'p' });
      constructor() {
        super('p');
        this.setMoveLogic({
          readback: this.readback,
          move: async (target) => {
            setPumped(target / 2);
            await new Promise((r) => setTimeout(r, 5));
            setPumped(target);
          },
          stop: async () => undefined,
          timeoutMs: (target, initial) => {
            limitAsked = [target, initial];
            return 20_000;
          },
          progress: (target) => ({ source: pumped, initial: 0, target }),
        });
      }
    }
    const seen: StatusProgress[] = [];
    const st = new Pump().set(10);
    st.watch((p: StatusProgress) => seen.push(p));
    await st;
    t.same(limitAsked, [10, 7], 'the hook got the target and the initial readback');
    t.ok(seen.length > 0, 'progress was reported');
    t.ok(seen.every((p) => p.initial === 0 && p.target === 10), 'progress runs from 0 to the target, not from the readback');
    t.same(seen.map((p) => p.current).slice(-1), [10], 'from the progress source');
  }));
