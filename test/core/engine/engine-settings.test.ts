/** One settings object (issue 8): `re.settings` reads them, `re.configure(patch)` checks and changes them. */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { RunEngine } from '../../../src/core/engine/index.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { countPlan, makeDet, withEngine } from './engine-fixtures.js';

t.test('settings lists every setting with its default, as a frozen copy', async (t) => {
  const re = new RunEngine();
  const s = re.settings;
  t.same(Object.keys(s).sort(), [
    'cleanupTimeoutMs', 'eventPageSize', 'inputProvider', 'mdNormalizer', 'mdValidator', 'msgHook', 'recordInterruptions',
    'rewindable', 'scanIdSource', 'stateHook', 'timeouts', 'waitingHook', 'yieldEveryMs',
  ]);
  t.equal(s.eventPageSize, 1);
  t.equal(s.cleanupTimeoutMs, 10_000);
  t.equal(s.rewindable, true);
  t.equal(s.msgHook, undefined);
  t.ok(Object.isFrozen(s));
  t.throws(() => {
    (s as { rewindable: boolean }).rewindable = false;
  }, TypeError, 'the copy cannot be written');
  t.equal(re.settings.rewindable, true, 'only configure changes a setting');
});

t.test('configure checks every value first: a bad or unknown one throws InvalidInputError naming it and changes nothing', async (t) => {
  const re = new RunEngine({ yieldEveryMs: 7 });
  const hook = (): void => {};
  for (const [patch, name] of [
    [{ eventPageSize: 0 }, 'eventPageSize'],
    [{ yieldEveryMs: -1 }, 'yieldEveryMs'],
    [{ rewindable: 'yes' }, 'rewindable'],
    [{ msgHook: 42 }, 'msgHook'],
    [{ scanIdSource: undefined }, 'scanIdSource'],
    [{ timeouts: { readMs: Number.NaN } }, 'timeouts.readMs'],
    [{ rewindabel: false }, 'RunEngine setting'],
  ] as const) {
    const err = t.throws(() => re.configure({ msgHook: hook, ...(patch as object) }), InvalidInputError) as Error;
    t.match(err.message, name, `${JSON.stringify(patch)} is named`);
    t.equal(re.settings.msgHook, undefined, `${JSON.stringify(patch)}: the valid msgHook beside it was not applied`);
  }
  t.throws(() => re.configure(null as never), InvalidInputError);
  t.equal(re.settings.yieldEveryMs, 7);
  re.configure({ yieldEveryMs: 3, msgHook: hook, timeouts: { waitMs: 50 } });
  t.equal(re.settings.yieldEveryMs, 3);
  t.equal(re.settings.msgHook, hook);
  t.equal(re.settings.timeouts.waitMs, 50);
  re.configure({ msgHook: undefined });
  t.equal(re.settings.msgHook, undefined, 'undefined removes a hook');
});

t.test('a setting configured between runs applies to the next run (msgHook, rewindable, eventPageSize)', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const seen: string[] = [];
    const pages: string[] = [];
    re.subscribe((name) => pages.push(name));
    re.configure({ msgHook: (m: Msg) => seen.push(m.command), eventPageSize: 2 });
    const r = await re.run(() => countPlan([makeDet('d')], 2));
    t.equal(r.exitStatus, 'success');
    t.ok(seen.includes('save'), 'msgHook saw the messages');
    t.ok(pages.includes('event_page'), 'events came as pages');
    t.notOk(pages.includes('event'));
  });
});
