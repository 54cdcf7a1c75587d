import t from 'tap';
import { InvalidInputError, UnsupportedError } from '../../../src/core/errors.js';
import { Status } from '../../../src/core/status.js';
import { SRLatch } from '../../../src/core/engine/latch.js';
import type { Readings } from '../../../src/core/protocols.js';
import { attempt, makeDet, now, withEngine } from './engine-fixtures.js';
import type { Attempt } from './engine-fixtures.js';

const errOf = (a: Attempt): unknown => (a.ok ? undefined : a.error);

function makeCache(name: string, stashMs = 0) {
  const stored: Readings[] = [];
  let clears = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (fn: () => void): Status<unknown> => {
    const st = new Status<unknown>({ name: `${name}.op` });
    if (!stashMs) {
      fn();
      st.setFinished();
      return st;
    }
    const tm = setTimeout(() => {
      timers.delete(tm);
      fn();
      st.setFinished();
    }, stashMs);
    timers.add(tm);
    return st;
  };
  return {
    name,
    stored,
    clears: () => clears,
    stash: (r: Readings) => later(() => stored.push(r)),
    clear: () => later(() => {
      stored.length = 0;
      clears++;
    }),
  };
}

t.test('stash and clear_cache: Statuses join their group and are waited for', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const cache = makeCache('cache', 5);
    const d = makeDet('d');
    const seen: Record<string, unknown> = {};
    await re.run(function* () {
      const readings = (yield { command: 'read', obj: d }) as Readings;
      const st = yield { command: 'stash', obj: cache, readings, group: 'st' };
      seen['status'] = st;
      seen['beforeWait'] = cache.stored.length;
      yield { command: 'wait', group: 'st' };
      seen['afterWait'] = cache.stored.length;
      yield { command: 'stash', obj: cache, readings: { x: { value: 1, timestamp: now() } }, group: 'st' };
      yield { command: 'clear_cache', obj: cache, group: 'cl' };
      yield { command: 'wait' };
      seen['afterClear'] = cache.stored.length;
      seen['noStash'] = yield* attempt({ command: 'stash', obj: d as never, readings: {} });
      seen['noClear'] = yield* attempt({ command: 'clear_cache', obj: d as never });
      seen['badReadings'] = yield* attempt({ command: 'stash', obj: cache, readings: null as never });
    });
    t.type(seen['status'], Status);
    t.equal(seen['beforeWait'], 0, 'stash is asynchronous');
    t.equal(seen['afterWait'], 1);
    t.same(cache.stored.length, 0);
    t.equal(seen['afterClear'], 0);
    t.equal(cache.clears(), 1);
    t.match((errOf(seen['noStash'] as Attempt) as UnsupportedError).message, /d does not support 'stash'/);
    t.match((errOf(seen['noClear'] as Attempt) as UnsupportedError).message, /d does not support 'clear'/);
    t.type(errOf(seen['badReadings'] as Attempt), InvalidInputError);
  });
});

t.test('wait_for_actions: returns [name, latch] of the latch that changed, or undefined on timeout', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const start = new SRLatch();
    const snap = new SRLatch();
    const events = { start, snap };
    setTimeout(() => snap.set(), 10);
    const seen: unknown[] = [];
    await re.run(function* () {
      seen.push(yield { command: 'wait_for_actions', events, timeoutMs: 1000 });
      seen.push(yield { command: 'wait_for_actions', events, timeoutMs: 0 });
      snap.reset();
      seen.push(yield { command: 'wait_for_actions', events, timeoutMs: 5 });
      setTimeout(() => start.set(), 5);
      seen.push(yield { command: 'wait_for_actions', events });
      seen.push(yield { command: 'wait_for_actions', events: { start }, waitFor: 'reset', timeoutMs: 5 });
      setTimeout(() => start.reset(), 5);
      seen.push(yield { command: 'wait_for_actions', events: { start }, waitFor: 'reset', timeoutMs: 1000 });
      seen.push(yield* attempt({ command: 'wait_for_actions', events: { bad: 3 as never } }));
      seen.push(yield* attempt({ command: 'wait_for_actions', events, waitFor: 'maybe' as never }));
    });
    t.same(seen[0], ['snap', snap], 'the latch set 10 ms later');
    t.same(seen[1], ['snap', snap], 'already set: returns at once');
    t.equal(seen[2], undefined, 'timeout: undefined');
    t.same(seen[3], ['start', start], 'no timeout: waits');
    t.equal(seen[4], undefined, 'waitFor reset times out while set');
    t.same(seen[5], ['start', start], 'waitFor reset');
    t.type(errOf(seen[6] as Attempt), InvalidInputError);
    t.type(errOf(seen[7] as Attempt), InvalidInputError);
  });
});

t.test('a wait_for_actions without timeout is cut short by stop (no timer or listener left)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const latch = new SRLatch();
    const p = re.run(function* () {
      yield { command: 'wait_for_actions', events: { latch } };
    });
    await new Promise((r) => setTimeout(r, 5));
    const r = await re.stop();
    t.same(await p, r);
    t.equal(r.exitStatus, 'success');
    t.equal(r.interrupted, true);
  });
});
