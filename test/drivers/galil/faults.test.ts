/**
 * Fault matrix for the Galil driver on its simulator (faults from src/sim/faults.ts on the
 * replies): disconnect mid-command, garbage, partial frames, silence, slow replies, device
 * restart. Each: a typed error within the timeout (or the right value when the fault is
 * harmless), automatic recovery (the next command succeeds), no hang. Then a run: a scan over a
 * Galil axis whose controller goes away mid-run ends with run_stop `fail`, every earlier event kept.
 */
import t, { type Test } from 'tap';
import { DisconnectedError, LabrigError, TimeoutError, InvalidInputError } from '../../../src/core/errors.js';
import { FaultInjector } from '../../../src/sim/faults.js';
import { startGalilSim, type GalilSim } from '../../../src/sim/galil/index.js';
import { createGalil, openGalil, type GalilController } from '../../../src/drivers/galil/index.js';
import { createRequestChannel } from '../../../src/protocols/channel/channel.js';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import { scan } from '../../../src/core/plans/scan.js';
import { TranscriptStream } from '../../helpers/transcript.js';
import { invalidDocuments } from '../../helpers/schemas.js';

const TIMEOUT_MS = 300;
/** Hang guard: a typed error must come within the timeout plus this much. */
const SLACK_MS = 1500;

async function setup(t: Test): Promise<{ sim: GalilSim; g: GalilController; faults: FaultInjector }> {
  const faults = new FaultInjector({ seed: 7 });
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: 2, faults });
  t.teardown(() => sim.close());
  const g = await openGalil(sim.uri, { name: 'stage', timeoutMs: TIMEOUT_MS, pollMs: 5, axes: { x: { axis: 'A', countsPerUnit: 1000 } }, io: { analogInputs: [1] } });
  t.teardown(() => g.close());
  return { sim, g, faults };
}

/** Run `fn`, returning its value or error and how long it took. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

/** The next command must succeed (the channel recovered by itself). */
async function recovers(t: Test, g: GalilController, timeoutMs = TIMEOUT_MS): Promise<void> {
  const counts = await g.commands.tellPosition('A', { timeoutMs });
  t.equal(typeof counts, 'number', 'the next command succeeds');
}

t.test('disconnect in the middle of a command: DisconnectedError, then reconnect', async (t) => {
  const { g, faults } = await setup(t);
  faults.next('disconnect');
  const r = await timed(() => g.axis('x').readback.getValue());
  t.type(r.error, DisconnectedError);
  t.ok(r.ms < TIMEOUT_MS + SLACK_MS, `typed error after ${r.ms.toFixed(0)} ms`);
  await recovers(t, g, 2000);
});

t.test('disconnect during a move: the move fails with DisconnectedError; the axis can be stopped after reconnect', async (t) => {
  const { sim, g, faults } = await setup(t);
  const x = g.axis('x');
  await x.motorOn.set(true);
  await x.velocity.set(10); // 10 mm/s: a 5 mm move lasts 0.5 s
  const move = x.set(5);
  await new Promise((r) => setTimeout(r, 80));
  faults.next('disconnect');
  const r = await timed(() => move.wait(TIMEOUT_MS + SLACK_MS));
  t.type(r.error, DisconnectedError, `move failed: ${(r.error as Error)?.message}`);
  await recovers(t, g, 2000);
  await x.stop();
  for (let i = 0; i < 200 && sim.model.axes[0]!.moving(sim.model.now()); i++) await new Promise((res) => setTimeout(res, 5));
  t.equal(sim.model.axes[0]!.moving(sim.model.now()), false, 'stopped through the new connection');
});

t.test('garbage: a garbled reply gives a value or a typed error, never a hang; then recovery', async (t) => {
  const { g, faults } = await setup(t);
  for (let i = 0; i < 8; i++) {
    faults.next('garble');
    const r = await timed(() => g.axis('x').readback.getValue());
    if (r.error !== undefined) t.type(r.error, LabrigError, `typed: ${(r.error as Error).name}`);
    else t.equal(typeof r.value, 'number', 'or a number (the Galil protocol has no checksum)');
    t.ok(r.ms < TIMEOUT_MS + SLACK_MS, `settled after ${r.ms.toFixed(0)} ms`);
    await recovers(t, g, 1000);
  }
});

t.test('partial frames: a reply in pieces is put back together', async (t) => {
  const { sim, g, faults } = await setup(t);
  sim.model.axes[0]!.define(12_345, sim.model.now());
  for (let i = 0; i < 5; i++) {
    faults.next('split', 10);
    t.equal(await g.axis('x').readback.getValue(), 12.345);
  }
});

t.test('partial frame then nothing: TimeoutError, the fragment is discarded, the next reply is clean', async (t) => {
  const stream = new TranscriptStream([['TPA\r', ' 10'], ['MG 1000\r', ' 1000.0000\r\n:'], ['TPA\r', ' 7\r\n:']]);
  const channel = createRequestChannel(stream, { framing: { mode: 'galil' }, reconnect: false, timeoutMs: 200 });
  t.teardown(() => channel.close());
  await channel.open();
  const g = createGalil({ timeoutMs: 200, axes: { x: { axis: 'A' } } }, { channel });
  const r = await timed(() => g.commands.tellPosition('A'));
  t.type(r.error, TimeoutError);
  t.equal(await g.commands.tellPosition('A'), 7, 'not " 10 7"');
  stream.assertDone();
});

t.test('silence: TimeoutError within the timeout; afterwards the next command succeeds', async (t) => {
  const { g, faults } = await setup(t);
  faults.next('silent', 150);
  const r = await timed(() => g.axis('x').readback.getValue());
  t.type(r.error, TimeoutError);
  t.ok(r.ms < TIMEOUT_MS + SLACK_MS, `after ${r.ms.toFixed(0)} ms`);
  await recovers(t, g);
});

t.test('slow replies: a short delay is fine; a long one times out and its late reply is discarded', async (t) => {
  const { g, faults } = await setup(t);
  const x = g.axis('x');
  faults.next('delay', 60);
  t.equal(await x.readback.getValue(), 0, 'a 60 ms delay is within the timeout');
  faults.next('delay', TIMEOUT_MS + 200);
  const r = await timed(() => x.readback.getValue());
  t.type(r.error, TimeoutError);
  t.ok(r.ms < TIMEOUT_MS + SLACK_MS);
  t.equal(await x.velocity.getValue(), 25, 'the next reply is the speed, not the late position');
});

t.test('device restart: DisconnectedError, reconnect once it is back, controller state reset', async (t) => {
  const { g, faults } = await setup(t);
  const x = g.axis('x');
  await x.motorOn.set(true);
  faults.next('restart', 250);
  const r = await timed(() => x.readback.getValue());
  t.type(r.error, DisconnectedError);
  t.ok(r.ms < TIMEOUT_MS + SLACK_MS);
  await recovers(t, g, 3000);
  t.equal(await x.motorOn.getValue(), false, 'the restarted controller powered up with motors off');
});

t.test('a bad command spec is an InvalidInputError before anything is sent', async (t) => {
  const { g } = await setup(t);
  await t.rejects(g.commands.command('TPA;BGA'), InvalidInputError);
  await recovers(t, g);
});

t.test('in a run: a scan over a Galil axis whose controller goes away ends with run_stop fail, earlier events kept', async (t) => {
  const { sim, g } = await setup(t);
  const x = g.axis('x');
  await x.motorOn.set(true);
  const re = new RunEngine({ cleanupTimeoutMs: 2000, onError: () => {} });
  const docs: Array<[string, Record<string, unknown>]> = [];
  re.subscribe((name, doc) => {
    docs.push([name, doc as unknown as Record<string, unknown>]);
    if (name === 'event' && (doc as { seq_num: number }).seq_num === 4) sim.restart(30_000);
  });
  const result = await re.run(() => scan([g.io!], x, 0, 10, 11));
  t.equal(result.exitStatus, 'fail', `reason: ${result.reason}`);
  t.type(result.exception, LabrigError, 'a typed error ended the run');
  const events = docs.filter(([n]) => n === 'event').map(([, d]) => d);
  t.ok(events.length >= 4, `${events.length} events before the fault`);
  t.same(events.map((e) => e['seq_num']), events.map((_, i) => i + 1), 'every earlier event kept, in order');
  const stops = docs.filter(([n]) => n === 'stop').map(([, d]) => d);
  t.equal(stops.length, 1);
  t.equal(stops[0]!['exit_status'], 'fail');
  t.same((stops[0]!['num_events'] as Record<string, number>)['primary'], events.length);
  t.same(invalidDocuments(docs as never), [], 'documents validate against the event-model schemas');
});
