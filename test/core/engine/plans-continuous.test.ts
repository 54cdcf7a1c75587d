import t from 'tap';
import { Action, continuous, eventMapOf, isContinuous } from '../../../src/core/engine/continuous.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import type { Readable } from '../../../src/core/protocols.js';
import { engineRun, makeDetector } from './plans-harness.js';

t.test('Action: fields, lazy latch, event map, fire and toggle', (t) => {
  const a = new Action({ name: 'snap', description: 'Save one frame' });
  t.equal(a.description, 'Save one frame');
  t.equal(a.togglable, false);
  t.same(a.toggleStates, ['On', 'Off']);
  t.equal(a.isOn, false, 'no latch yet, off');
  const map = a.eventMap;
  t.same(Object.keys(map), ['snap']);
  t.equal(map['snap'], a.eventMap['snap'], 'the same latch every time');
  a.fire();
  t.ok(map['snap']?.isSet());
  t.throws(() => a.toggle(), InvalidInputError);
  const rec = new Action({ name: 'record', togglable: true, toggleStates: ['Recording', 'Idle'] });
  t.equal(rec.stateLabel, 'Idle');
  t.equal(rec.toggle(), true);
  t.equal(rec.stateLabel, 'Recording');
  t.equal(rec.toggle(), false);
  t.throws(() => new Action({ name: '' }), InvalidInputError);
  t.throws(() => eventMapOf([a, new Action({ name: 'snap' })]), InvalidInputError);
  t.same(Object.keys(eventMapOf([a, rec])), ['snap', 'record']);
  t.end();
});

t.test('continuous marks a plan function and leaves it callable', (t) => {
  function* live(): Generator<Msg, void, unknown> {
    yield { command: 'null' };
  }
  const marked = continuous(live, { pausable: true });
  t.equal(marked, live);
  t.ok(isContinuous(marked));
  t.equal(marked.togglable, true);
  t.equal(marked.pausable, true);
  t.notOk(isContinuous(function* other() {}));
  t.same([...marked()].map((m) => m.command), ['null']);
  t.end();
});

/**
 * A live view: read the detector continuously; on 'snap', save one event to the 'snaps' stream
 * and re-arm; on 'stop', leave the loop and close the run.
 */
const liveView = continuous(function* liveView(dets: Readable[], snap: Action, stop: Action): Generator<Msg, number, unknown> {
  const events = eventMapOf([snap, stop]);
  let snaps = 0;
  yield* bps.openRun({ plan_name: 'live_view' });
  for (;;) {
    const [name, latch] = yield* bps.readWhileWaiting(dets, events, { refreshPeriodMs: 2 });
    if (name === 'stop') break;
    yield* bps.triggerAndRead(dets, 'snaps');
    snaps++;
    latch.reset();
  }
  yield* bps.closeRun();
  return snaps;
}, { togglable: true, pausable: true });

t.test('a continuous plan reads while waiting and reacts to actions fired while it runs', async (t) => {
  let v = 0;
  const det = makeDetector('cam', () => ++v);
  const snap = new Action({ name: 'snap' });
  const stop = new Action({ name: 'stop' });
  let primary = 0;
  // Fire actions from "outside", driven by progress rather than by wall-clock time.
  const e = await engineRun(liveView([det], snap, stop), (m) => {
    if (m.command !== 'save') return;
    if (primary === 3 || primary === 6) snap.fire();
    if (primary === 9) stop.fire();
    primary++;
  });
  t.equal(e.result.exitStatus, 'success', e.result.reason);
  const snaps = e.result.planResult;
  t.equal(snaps, 2);
  const streams = e.events.map((ev) => ev.stream);
  t.equal(streams.filter((s) => s === 'snaps').length, 2);
  t.ok(streams.filter((s) => s === 'primary').length >= 9, 'kept reading while waiting');
  t.notOk(snap.isOn, 'the plan re-armed the snap action');
  t.same(e.runs.map((r) => r.exitStatus), ['success']);
  t.ok(e.log.some((m) => m.command === 'wait_for_actions' && m.timeoutMs === 2));
  // Each snap follows a primary reading of the round in which the action fired.
  const firstSnap = streams.indexOf('snaps');
  t.equal(streams[firstSnap - 1], 'primary');
});

t.test('waitForActions with waitFor reset wakes when a toggled action is switched off', async (t) => {
  const rec = new Action({ name: 'record', togglable: true });
  rec.toggle();
  const seen: Array<string | undefined> = [];
  const plan = (function* (): Generator<Msg, void, unknown> {
    for (let i = 0; i < 3; i++) {
      const r = yield* bps.waitForActions(rec.eventMap, 2, 'reset');
      seen.push(r?.[0]);
      if (i === 1) rec.toggle();
    }
  })();
  const e = await engineRun(plan);
  t.equal(e.result.exitStatus, 'success', e.result.reason);
  t.same(seen, [undefined, undefined, 'record']);
});
