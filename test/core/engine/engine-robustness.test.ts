/**
 * Issue 14, robustness: what a hostile user can do to the engine — devices that never answer,
 * readings that do not match their data keys, async subscribers that reject, huge durations.
 */
import t from 'tap';
import { InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { Status } from '../../../src/core/status.js';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import type { DataKeys, Readings } from '../../../src/core/protocols.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { count } from '../../../src/core/plans/count.js';
import { setLongTimeout } from '../../../src/core/timers.js';
import { countPlan, makeDet, makeMotor, now, until, withEngine } from './engine-fixtures.js';

/** A device whose verbs never finish (no timers: nothing to leak). */
function stuck(name: string) {
  const pending: Status<unknown>[] = [];
  return {
    name,
    read: () => new Promise<never>(() => {}),
    describe: (): DataKeys => ({ [name]: { source: `sim://${name}`, dtype: 'number', shape: [] } }),
    trigger: () => {
      const st = new Status<unknown>({ name: `${name}.trigger` });
      pending.push(st);
      return st;
    },
    set: () => {
      const st = new Status<unknown>({ name: `${name}.set` });
      pending.push(st);
      return st;
    },
    stop: () => {
      for (const st of pending.splice(0)) st.cancel(`${name} stopped`);
    },
  };
}

t.test('a read that never resolves fails the run after the engine read timeout, naming the device', async (t) => {
  await withEngine(t, { timeouts: { readMs: 30 } }, async ({ re, rec }) => {
    const r = await re.run([{ command: 'open_run' }, { command: 'create' }, { command: 'read', obj: stuck('hung') }, { command: 'save' }, { command: 'close_run' }] as Msg[]);
    t.equal(r.exitStatus, 'fail');
    t.type(r.exception, TimeoutError);
    t.match(r.reason, /read of hung: timed out after 30 ms/);
    t.equal(rec.of('stop')[0].exit_status, 'fail');
  });
  // Per device and per message bounds take precedence.
  await withEngine(t, { timeouts: { readMs: 60_000, devices: { hung: { readMs: 20 } } } }, async ({ re }) => {
    const r = await re.run([{ command: 'read', obj: stuck('hung') }] as Msg[]);
    t.match(r.reason, /read of hung: timed out after 20 ms/);
    const r2 = await re.run([{ command: 'read', obj: stuck('other'), timeoutMs: 10 }] as Msg[]);
    t.match(r2.reason, /read of other: timed out after 10 ms/);
  });
});

t.test('a trigger or set that never finishes fails the run at its wait after the engine timeout, naming the device', async (t) => {
  await withEngine(t, { timeouts: { triggerMs: 20, setMs: 25 } }, async ({ re }) => {
    const det = stuck('cam');
    const r = await re.run(() => countPlan([det as never], 1));
    t.equal(r.exitStatus, 'fail');
    t.match(r.reason, /trigger of cam: timed out after 20 ms/);
    det.stop(); // the engine gives up on the acquisition; the device still owns its Status
    const m = stuck('stage');
    const r2 = await re.run([{ command: 'set', obj: m, value: 1, group: 'g' }, { command: 'wait', group: 'g' }] as Msg[]);
    t.equal(r2.exitStatus, 'fail');
    t.match(r2.reason, /set of stage: timed out after 25 ms/);
  });
});

t.test('the engine wait timeout bounds every wait without its own, naming what is pending', async (t) => {
  await withEngine(t, { timeouts: { waitMs: 20 } }, async ({ re }) => {
    const m = stuck('slowpoke');
    const r = await re.run([{ command: 'set', obj: m, value: 1, group: 'g' }, { command: 'wait', group: 'g' }] as Msg[]);
    t.equal(r.exitStatus, 'fail');
    t.match(r.reason, /pending: slowpoke\.set.*timed out after 20 ms/);
  });
});

t.test('bad timeout settings are refused with a typed error', async (t) => {
  t.throws(() => new RunEngine({ timeouts: { readMs: -1 } }), { name: 'InvalidInputError', what: 'timeouts.readMs' });
  t.throws(() => new RunEngine({ timeouts: { devices: { m: { setMs: Number.NaN } } } }), { name: 'InvalidInputError', what: 'timeouts.devices.m.setMs' });
  const re = new RunEngine();
  t.throws(() => re.configure({ timeouts: { waitMs: Infinity } }), InvalidInputError);
  re.configure({ timeouts: { waitMs: 5 } });
  t.equal(re.settings.timeouts.waitMs, 5);
});

t.test('readings are checked against their data keys: undefined, a function or an object under a number fail the run', async (t) => {
  const bad: Array<[string, unknown]> = [['undefined', undefined], ['a function', () => 1], ['an object', { x: 1 }], ['a string', '3']];
  for (const [label, value] of bad) {
    await withEngine(t, {}, async ({ re, rec }) => {
      let n = 0;
      const det = {
        name: 'det',
        describe: (): DataKeys => ({ det: { source: 'sim://det', dtype: 'number', shape: [] } }),
        read: () => ({ det: { value: ++n === 1 ? 1 : value, timestamp: now() } }),
      };
      const r = await re.run(count([det], 3));
      t.equal(r.exitStatus, 'fail', `${label}: the run fails`);
      t.type(r.exception, InvalidInputError);
      t.match(r.reason, /reading 'det' of det \(stream 'primary'\).*must be a number/, `${label}: the reason names the key and the dtype`);
      t.equal(rec.of('event').length, 1, `${label}: the good event was kept`);
    });
  }
  await withEngine(t, {}, async ({ re, rec }) => {
    const det = {
      name: 'det',
      describe: (): DataKeys => ({ det: { source: 'sim://det', dtype: 'integer', shape: [] } }),
      read: () => ({ det: { value: 1.5, timestamp: now() } }),
    };
    t.match((await re.run(count([det], 1))).reason, /must be an integer/);
    t.equal(rec.of('event').length, 0);
  });
});

t.test('a reading whose keys differ from its data keys fails the run: an extra, a missing or a renamed key, or another device\'s key', async (t) => {
  const keys: DataKeys = {
    a: { source: 'sim://a', dtype: 'number', shape: [] },
    b: { source: 'sim://b', dtype: 'number', shape: [] },
  };
  const cases: Array<[string, Record<string, number>, RegExp]> = [
    ['an extra key', { a: 1, b: 2, c: 3 }, /'c'/],
    ['a missing key', { a: 1 }, /'b'/],
    ['a renamed key', { a: 1, c: 2 }, /'[bc]'/],
  ];
  for (const [label, later, why] of cases) {
    await withEngine(t, {}, async ({ re, rec }) => {
      let n = 0;
      const det = {
        name: 'det',
        describe: (): DataKeys => keys,
        read: () => {
          const values = ++n === 1 ? { a: 1, b: 2 } : later;
          const out: Record<string, { value: number; timestamp: number }> = {};
          for (const [k, v] of Object.entries(values)) out[k] = { value: v, timestamp: now() };
          return out;
        },
      };
      const r = await re.run(count([det], 3));
      t.equal(r.exitStatus, 'fail', `${label}: the run fails`);
      t.type(r.exception, InvalidInputError, `${label}: InvalidInputError`);
      t.match(r.reason, why, `${label}: the reason names the key`);
      const events = rec.of('event');
      t.equal(events.length, 1, `${label}: the good event was kept`);
      t.same(Object.keys(events[0]!.data).sort(), ['a', 'b'], `${label}: the kept event has the descriptor's keys`);
    });
  }
  // Two devices in one event: the first reads the second's key instead of its own.
  await withEngine(t, {}, async ({ re, rec }) => {
    let n = 0;
    const one = {
      name: 'one',
      describe: (): DataKeys => ({ x: { source: 'sim://x', dtype: 'number', shape: [] } }),
      read: (): Readings => (++n === 1 ? { x: { value: 1, timestamp: now() } } : { y: { value: 1, timestamp: now() } }),
    };
    const two = {
      name: 'two',
      describe: (): DataKeys => ({ y: { source: 'sim://y', dtype: 'number', shape: [] } }),
      read: () => ({ y: { value: 2, timestamp: now() } }),
    };
    const r = await re.run(count([one, two], 3));
    t.equal(r.exitStatus, 'fail', 'another device\'s key: the run fails');
    t.match(r.reason, /'x'/, 'the reason names the missing key');
    t.equal(rec.of('event').length, 1, 'the good event was kept');
  });
});

t.test('NaN and Infinity under a number data key are kept as numbers (event-model dtype number)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const values = [Number.NaN, Infinity, -Infinity];
    let i = 0;
    const det = {
      name: 'det',
      describe: (): DataKeys => ({ det: { source: 'sim://det', dtype: 'number', shape: [] } }),
      read: () => ({ det: { value: values[i++], timestamp: now() } }),
    };
    const r = await re.run(count([det], 3));
    t.equal(r.exitStatus, 'success');
    t.same(rec.of('event').map((e) => e.data.det), values);
  });
});

t.test('an async subscriber that rejects fails the run like a throwing one (stop document, devices stopped), never an unhandled rejection', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => {
    unhandled.push(e);
  };
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  await withEngine(t, {}, async ({ re, rec }) => {
    const m = makeMotor('m', { moveMs: 30 });
    re.subscribe(async (name) => {
      if (name === 'event') throw new Error('database down');
    });
    const r = await re.run(function* (): Generator<Msg> {
      yield* countPlan([makeDet('d')], 1);
      yield { command: 'open_run' };
      yield { command: 'set', obj: m, value: 1, group: 'g' };
      yield { command: 'wait', group: 'g' };
      yield { command: 'set', obj: m, value: 2, group: 'g' };
      yield { command: 'wait', group: 'g' };
      yield { command: 'close_run' };
    });
    t.equal(r.exitStatus, 'fail');
    t.match(r.reason, /database down/);
    t.equal(rec.of('stop').at(-1).exit_status, 'fail', 'the open run was closed');
    t.ok(m.stops.length >= 1, 'what moved was stopped');
  });
  await withEngine(t, { ignoreCallbackExceptions: true }, async ({ re, reported }) => {
    re.subscribe(async () => {
      throw new Error('ignored');
    });
    const r = await re.run(() => countPlan([makeDet('d')], 2));
    t.equal(r.exitStatus, 'success');
    await until(() => reported.length >= 5);
    t.match(reported[0]!.err.message, /ignored/);
  });
  await new Promise((r) => setImmediate(r));
  t.same(unhandled, [], 'no unhandled rejection');
});

t.test('a huge sleep sleeps (chunked timers, no TimeoutOverflowWarning) and ends on abort', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w);
  };
  process.on('warning', onWarning);
  t.teardown(() => {
    process.off('warning', onWarning);
  });
  await withEngine(t, {}, async ({ re }) => {
    let after = false;
    const p = re.run(function* (): Generator<Msg> {
      yield { command: 'sleep', seconds: 1e10 };
      after = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    t.equal(after, false, 'still sleeping');
    t.equal(re.state, 'running');
    await re.abort('enough');
    t.equal((await p).exitStatus, 'abort');
  });
  const st = new Status<unknown>({ name: 'dispense 1e9 ul', timeoutMs: 9_000_000_005_000 });
  await new Promise((r) => setTimeout(r, 30));
  t.equal(st.done, false, 'a Status timeout above 2^31-1 ms does not fire at once');
  st.cancel('test over');
  const w = st.wait(2 ** 40).catch((e: unknown) => e);
  t.match(await w, { name: 'CanceledError' });
  t.same(warnings.filter((x) => x.name === 'TimeoutOverflowWarning'), []);
});

t.test('setLongTimeout fires after short delays, never for Infinity, and clear() cancels', async (t) => {
  const fired: string[] = [];
  setLongTimeout(() => fired.push('short'), 5);
  const inf = setLongTimeout(() => fired.push('infinite'), Infinity);
  const cancelled = setLongTimeout(() => fired.push('cancelled'), 5);
  cancelled.clear();
  inf.clear();
  await new Promise((r) => setTimeout(r, 40));
  t.same(fired, ['short']);
});
