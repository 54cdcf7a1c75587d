import t from 'tap';
import { checkLimits, listMessages, printSummaryWrapper, summarizePlan, summarizePlanAsync, PlanSimulator } from '../../../src/core/plans/dry-run.js';
import { count, gridScan, relScan, scan } from '../../../src/core/plans/index.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { baselineWrapper } from '../../../src/core/plans/preprocessors/index.js';
import { LimitsError } from '../../../src/core/errors.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { engineRun, makeDetector, makeMotor } from './plans-harness.js';

const OPEN = '=================================== Open Run ===================================';
const CLOSE = '================================== Close Run ===================================';

t.test('summarizePlan prints bluesky-style lines for a scan', (t) => {
  const m = makeMotor('motor');
  const det = makeDetector('det');
  const printed: string[] = [];
  const lines = summarizePlan(scan([det], m, -1, 1, 3), { print: (l) => printed.push(l) });
  t.same(lines, [
    OPEN,
    'motor -> -1.0', "  Read ['det', 'motor']",
    'motor -> 0.0', "  Read ['det', 'motor']",
    'motor -> 1.0', "  Read ['det', 'motor']",
    CLOSE,
  ]);
  t.same(printed, lines);
  t.equal(OPEN.length, 80);
  t.equal(CLOSE.length, 80);
  t.equal(m.position, 0, 'no hardware was touched');
  t.equal(det.triggers, 0);
  t.end();
});

t.test('summarizePlan resolves relative moves against the simulated positions', (t) => {
  const m = makeMotor('motor', 123);
  const det = makeDetector('det');
  const lines = summarizePlan(relScan([det], m, -1, 1, 2), { positions: [[m, 10]] });
  t.same(lines.filter((l) => l.includes('->')), ['motor -> 9.0', 'motor -> 11.0', 'motor -> 10.0']);
  t.equal(m.position, 123);
  t.end();
});

t.test('summarizePlan shows every run of a multi-run plan, with baseline reads', (t) => {
  const det = makeDetector('det');
  const temp = makeDetector('temp');
  function* twoRuns(): Generator<Msg, void, unknown> {
    yield* count([det]);
    yield* count([det]);
  }
  const lines = summarizePlan(baselineWrapper(twoRuns(), [temp]));
  t.same(lines, [
    OPEN, "  Read ['temp']", "  Read ['det']", "  Read ['temp']", CLOSE,
    OPEN, "  Read ['temp']", "  Read ['det']", "  Read ['temp']", CLOSE,
  ]);
  t.end();
});

t.test('summarizePlan stops a never-ending plan at maxMessages', (t) => {
  const det = makeDetector('det');
  const lines = summarizePlan(count([det], null), { maxMessages: 50 });
  t.equal(lines[0], OPEN);
  t.match(lines[lines.length - 1], /stopped after 50 messages/);
  t.end();
});

t.test('summarizePlanAsync handles async plans; printSummaryWrapper prints while running', async (t) => {
  const m = makeMotor('m');
  async function* p(): AsyncGenerator<Msg, void, unknown> {
    yield* bps.mv(m, 2);
  }
  t.same(await summarizePlanAsync(p()), ['m -> 2.0']);
  const printed: string[] = [];
  const e = await engineRun(printSummaryWrapper(scan([makeDetector('d')], m, 0, 1, 2), (l) => printed.push(l)));
  t.equal(e.result.exitStatus, 'success', e.result.reason);
  t.same(printed.filter((l) => l.includes('->')), ['m -> 0.0', 'm -> 1.0']);
  t.equal(m.position, 1, 'the wrapped plan really ran');
});

t.test('the simulator replies like an engine without hardware', (t) => {
  const m = makeMotor('m');
  const sim = new PlanSimulator([[m, 4]]);
  t.same(sim.reply({ command: 'locate', objs: [m], squeeze: true }), { setpoint: 4, readback: 4 });
  t.match(sim.reply({ command: 'read', obj: m }), { m: { value: 4 } });
  const st = sim.reply({ command: 'set', obj: m, value: 7 }) as { done: boolean; success: boolean };
  t.ok(st.done && st.success);
  t.same(sim.reply({ command: 'locate', objs: [m, m] }), [{ setpoint: 7, readback: 7 }, { setpoint: 7, readback: 7 }]);
  t.equal(sim.reply({ command: 'open_run' }), 'dry-run-1');
  t.equal(sim.reply({ command: 'close_run' }), 'dry-run-1');
  t.equal(m.position, 0);
  const msgs = listMessages(bps.rd(m));
  t.same(msgs.map((x) => x.command), ['locate'], 'rd of a Locatable asks for its location (bluesky)');
  t.end();
});

t.test('checkLimits throws the first violation (checkValue) for an out-of-limits scan', async (t) => {
  const checked: unknown[] = [];
  const m = makeMotor('m', 0, {
    checkValue(v: unknown) {
      checked.push(v);
      if ((v as number) > 5) throw new LimitsError({ device: 'm', value: v as number, low: -5, high: 5, units: 'mm' });
    },
  });
  const det = makeDetector('det');
  await t.rejects(checkLimits(scan([det], m, 0, 10, 11)), { name: 'LimitsError', value: 6, low: -5, high: 5 });
  t.same(checked, [0, 1, 2, 3, 4, 5, 6], 'stops at the first violation');
  t.equal(m.position, 0, 'nothing moved');
  const ok = await checkLimits(scan([det], m, -5, 5, 3));
  t.same(ok, { checked: 3, unchecked: [] });
});

t.test('checkLimits uses a limits property and resolves relative plans', async (t) => {
  const m = makeMotor('m', 0, { limits: [0, 10] });
  const det = makeDetector('det');
  await t.rejects(checkLimits(relScan([det], m, -1, 1, 3), { positions: [[m, 0]] }), LimitsError);
  const res = await checkLimits(relScan([det], m, -1, 1, 3), { positions: [[m, 5]] });
  t.equal(res.checked, 4, 'three points and the move back');
  const y = makeMotor('y', 0, { limits: [0, 1] });
  await t.rejects(checkLimits(gridScan([det], y, 0, 2, 3, m, 0, 1, 2)), { name: 'LimitsError', value: 2, high: 1 });
});

t.test('checkLimits lists devices it cannot check', async (t) => {
  const plain = { name: 'plain', set: () => undefined as never };
  const res = await checkLimits(bps.mv(plain, 1e9));
  t.same(res, { checked: 0, unchecked: ['plain'] });
});
