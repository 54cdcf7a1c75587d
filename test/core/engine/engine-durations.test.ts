/**
 * Durations in messages (issue 14): NaN, negative or infinite seconds/ms are refused with an
 * InvalidInputError naming the field before the device is called; a long one (above setTimeout's
 * 2^31-1 ms) is timed in chunks (engine-robustness.test.ts checks that it really waits).
 */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { attempt, makeDet, makeMotor, withEngine } from './engine-fixtures.js';
import type { Attempt } from './engine-fixtures.js';

t.test('sleep of NaN, negative or infinite seconds is refused with InvalidInputError (bluesky raises on them too)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const out: Attempt[] = [];
    const r = await re.run(function* (): Generator<Msg, void, unknown> {
      for (const seconds of [Number.NaN, -1, Number.POSITIVE_INFINITY, '1' as unknown as number]) out.push(yield* attempt({ command: 'sleep', seconds }));
      out.push(yield* attempt({ command: 'sleep', seconds: 0 }));
    });
    t.equal(r.exitStatus, 'success');
    for (const a of out.slice(0, 4)) {
      t.equal(a.ok, false);
      if (!a.ok) {
        t.type(a.error, InvalidInputError);
        t.match((a.error as Error).message, /sleep seconds/);
      }
    }
    t.same(out[4], { ok: true, value: undefined }, 'sleep 0 is fine');
  });
});

t.test('a NaN or negative timeoutMs on wait, wait_for, set, trigger or read is refused before the device is called', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const det = makeDet('det');
    const motor = makeMotor('m');
    let triggers = 0;
    let reads = 0;
    let sets = 0;
    const counted = {
      ...det,
      name: 'det',
      trigger: () => {
        triggers++;
        return det.trigger();
      },
      read: () => {
        reads++;
        return det.read();
      },
    };
    const movable = {
      ...motor,
      name: 'm',
      set: (v: unknown) => {
        sets++;
        return motor.set(v as number);
      },
    };
    const out: Array<[string, Attempt]> = [];
    const r = await re.run(function* (): Generator<Msg, void, unknown> {
      for (const ms of [Number.NaN, -5]) {
        out.push([`wait ${ms}`, yield* attempt({ command: 'wait', timeoutMs: ms })]);
        out.push([`wait_for ${ms}`, yield* attempt({ command: 'wait_for', awaitables: [async () => 1], timeoutMs: ms })]);
        out.push([`set ${ms}`, yield* attempt({ command: 'set', obj: movable as never, value: 1, timeoutMs: ms })]);
        out.push([`trigger ${ms}`, yield* attempt({ command: 'trigger', obj: counted as never, timeoutMs: ms })]);
        out.push([`read ${ms}`, yield* attempt({ command: 'read', obj: counted as never, timeoutMs: ms })]);
      }
    });
    t.equal(r.exitStatus, 'success');
    for (const [what, a] of out) {
      t.equal(a.ok, false, `${what} refused`);
      if (!a.ok) {
        t.type(a.error, InvalidInputError, what);
        t.match((a.error as Error).message, /timeoutMs/, `${what}: the error names timeoutMs`);
      }
    }
    t.same([sets, triggers, reads], [0, 0, 0], 'no device verb was called');
    t.teardown(() => det.dispose?.());
  });
});
