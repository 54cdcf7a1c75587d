/**
 * Fault matrix of the Legato driver on its simulator, over TCP and over a pty (faults from
 * src/sim/faults.ts act on everything the pumps send): disconnect mid-command, garbage, partial
 * frames, silence, slow replies, device restart, and a link lost during a dispense. Each: a typed
 * error within the timeout (or the right value when the fault is harmless), automatic recovery
 * (the next command succeeds, poll mode restored), no hang. Then a run in which the pump stalls
 * part way ends with run_stop `fail`, every earlier event kept.
 */
import t from 'tap';
import type { Test } from 'tap';
import { DisconnectedError, LabrigError, TimeoutError } from '../../../src/core/errors.js';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import { scan } from '../../../src/core/plans/scan.js';
import { createRequestChannel } from '../../../src/protocols/channel/channel.js';
import { LegatoFramer, LegatoIO, openLegato, type LegatoPump } from '../../../src/drivers/legato/index.js';
import { FaultInjector } from '../../../src/sim/faults.js';
import { startLegatoSim, type LegatoSim } from '../../../src/sim/legato/index.js';
import { TranscriptStream } from '../../helpers/transcript.js';
import { invalidDocuments } from '../../helpers/schemas.js';

// Long enough that a loaded machine answers a healthy command in time; faults exceed it on purpose.
const TIMEOUT_MS = 1000;
/** Hang guard: a typed error must come within the timeout plus this much. */
const SLACK_MS = 1500;

async function setup(t: Test, over: 'tcp' | 'pty'): Promise<{ sim: LegatoSim; pump: LegatoPump; faults: FaultInjector }> {
  const faults = new FaultInjector({ seed: 11 });
  const sim = await startLegatoSim({ ...(over === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }), faults });
  t.teardown(() => sim.close());
  const pump = await openLegato(sim.uri, { timeoutMs: TIMEOUT_MS, pollMs: 5, diameterMm: 4.6066 });
  t.teardown(() => pump.close());
  return { sim, pump, faults };
}

async function timed<T>(fn: () => PromiseLike<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    return { value: await fn(), ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

/** The next command succeeds by itself (reconnect and poll mode restored as needed). */
async function recovers(t: Test, sim: LegatoSim, pump: LegatoPump, timeoutMs = 3000): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    try {
      const d = await pump.commands.diameter({ timeoutMs: TIMEOUT_MS });
      t.equal(d, 4.6066, 'the next command succeeds');
      t.equal(sim.model.at(0).poll, true, 'the pump is in poll mode');
      return;
    } catch (e) {
      if (performance.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

for (const over of ['tcp', 'pty'] as const) {
  t.test(`fault matrix over ${over}`, async (t) => {
    t.test('disconnect in the middle of a command: DisconnectedError, then reconnect', async (t) => {
      const { sim, pump, faults } = await setup(t, over);
      faults.next('disconnect');
      const r = await timed(() => pump.infusedVolume.getValue());
      t.type(r.error, DisconnectedError, `got ${(r.error as Error)?.name}`);
      t.ok(r.ms < TIMEOUT_MS + SLACK_MS, `typed error after ${r.ms.toFixed(0)} ms`);
      await recovers(t, sim, pump);
    });

    t.test('garbage: a garbled reply gives a value or a typed error, never a hang; then recovery', async (t) => {
      const { sim, pump, faults } = await setup(t, over);
      for (let i = 0; i < 8; i++) {
        faults.next('garble');
        const r = await timed(() => pump.commands.status());
        if (r.error !== undefined) t.type(r.error, LabrigError, `typed: ${(r.error as Error).name}`);
        else t.equal(typeof r.value!.volumeUl, 'number', 'or a status (the protocol has no checksum)');
        t.ok(r.ms < TIMEOUT_MS + SLACK_MS, `settled after ${r.ms.toFixed(0)} ms`);
        await recovers(t, sim, pump);
      }
    });

    t.test('partial frames: a reply in pieces is put back together', async (t) => {
      const { pump, faults } = await setup(t, over);
      await pump.setInfuseRate(1234);
      for (let i = 0; i < 5; i++) {
        faults.next('split', 10);
        t.equal(await pump.infuseRate.getValue(), 1234);
      }
    });

    t.test('silence: TimeoutError within the timeout; the next command succeeds', async (t) => {
      const { sim, pump, faults } = await setup(t, over);
      faults.next('silent', 150);
      const r = await timed(() => pump.diameter.getValue());
      t.type(r.error, TimeoutError);
      t.ok(r.ms < TIMEOUT_MS + SLACK_MS, `after ${r.ms.toFixed(0)} ms`);
      await recovers(t, sim, pump);
    });

    t.test('slow replies: a short delay is fine; a long one times out and its late reply is discarded', async (t) => {
      const { pump, faults } = await setup(t, over);
      await pump.setInfuseRate(600);
      faults.next('delay', 60);
      t.equal(await pump.infuseRate.getValue(), 600, 'a 60 ms delay is within the timeout');
      faults.next('delay', TIMEOUT_MS + 500);
      const r = await timed(() => pump.infuseRate.getValue());
      t.type(r.error, TimeoutError);
      t.ok(r.ms < TIMEOUT_MS + SLACK_MS);
      t.equal(await pump.diameter.getValue(), 4.6066, 'the next reply is the diameter, not the late rate');
    });

    t.test('device restart: DisconnectedError, reconnect once it is back, poll mode set again', async (t) => {
      const { sim, pump, faults } = await setup(t, over);
      faults.next('restart', 250);
      const r = await timed(() => pump.commands.status());
      t.type(r.error, DisconnectedError);
      t.ok(r.ms < TIMEOUT_MS + SLACK_MS);
      await recovers(t, sim, pump, 4000);
    });

    t.test('e-stop while a slow reply is on the wire: the stop goes at once, the late reply is not taken for its answer', async (t) => {
      const { sim, pump, faults } = await setup(t, over);
      await pump.runInfuse.trigger();
      faults.next('delay', 200);
      const pending = timed(() => pump.commands.status({ timeoutMs: 1000 }));
      await new Promise((r) => setTimeout(r, 20));
      const t0 = performance.now();
      await pump.stop({ success: false });
      t.comment(`e-stop over ${over} with a delayed reply on the wire: ${(performance.now() - t0).toFixed(1)} ms until the stop's own reply`);
      t.equal(sim.model.at(0).running, false, 'the pump stopped');
      t.equal(pump.commands.state, 'idle', "the stop's own prompt, not the late status");
      const r = await pending;
      t.equal((r.error as Error)?.name, 'CanceledError', 'the displaced status request was canceled');
      await recovers(t, sim, pump);
    });

    t.test("e-stop right after a run command: the run's late '>' is not taken for the stop's answer", async (t) => {
      const { sim, pump, faults } = await setup(t, over);
      faults.next('delay', 200);
      const run = timed(() => pump.commands.run('infuse', { timeoutMs: 1000 }));
      await new Promise((r) => setTimeout(r, 20));
      t.equal(sim.model.at(0).running, true, 'the pump got the run command; its reply is still held back');
      await pump.stop({ success: false });
      t.equal(pump.commands.state, 'idle', "the stop's own prompt, not the run's late '>'");
      t.equal(sim.model.at(0).running, false, 'the pump had stopped when stop() resolved');
      t.equal(((await run).error as Error)?.name, 'CanceledError', 'the displaced run request was canceled');
      await recovers(t, sim, pump);
    });

    t.test('link lost during a dispense: the dispense fails with DisconnectedError; the pump can be stopped after', async (t) => {
      const { sim, pump, faults } = await setup(t, over);
      const st = pump.dispense(50, '60 ul/min', { timeoutMs: 10_000 });
      while (!st.progress) await new Promise((r) => setTimeout(r, 2));
      faults.next('disconnect');
      const r = await timed(() => st.wait(TIMEOUT_MS + SLACK_MS));
      t.type(r.error, DisconnectedError, `dispense failed: ${(r.error as Error)?.message}`);
      await recovers(t, sim, pump);
      await pump.stop();
      t.equal(sim.model.at(0).running, false, 'stopped through the new link');
    });
  });
}

t.test('partial frame then nothing: TimeoutError, the fragment is discarded, poll mode is set again, the next reply is clean', async (t) => {
  const stream = new TranscriptStream([
    ['poll on\r', '\n:\x11'],
    ['diameter\r', '\n4.60'],
    ['poll on\r', '\n:\x11'],
    ['force\r', '\n50%\r\n:\x11'],
  ]);
  const channel = createRequestChannel(stream, { framing: new LegatoFramer({ mode: 'xon' }), reconnect: false, timeoutMs: 200 });
  t.teardown(() => channel.close());
  await channel.open();
  const io = new LegatoIO(channel, { timeoutMs: 150, poll: true });
  const r = await timed(() => io.diameter());
  t.type(r.error, TimeoutError);
  t.equal(await io.force(), 50, 'not "4.60 50%"');
  stream.assertDone();
});

t.test('in a run: the pump stalls part way; run_stop is fail and every earlier event is kept', async (t) => {
  const sim = await startLegatoSim({ tcp: '127.0.0.1:0' });
  t.teardown(() => sim.close());
  const pump = await openLegato(sim.uri, { timeoutMs: 500, pollMs: 5, diameterMm: 4.6066, infuseRate: '1.2 ml/min' });
  t.teardown(() => pump.close());
  const re = new RunEngine({ cleanupTimeoutMs: 2000, onError: () => {} });
  const docs: Array<[string, Record<string, unknown>]> = [];
  re.subscribe((name, doc) => {
    docs.push([name, doc as unknown as Record<string, unknown>]);
    if (name === 'event' && (doc as { seq_num: number }).seq_num === 4) sim.model.at(0).stallAfterUl = 0.5;
  });
  const result = await re.run(() => scan([], pump, 1, 2, 8));
  t.equal(result.exitStatus, 'fail', `reason: ${result.reason}`);
  t.type(result.exception, LabrigError, `a typed error ended the run: ${result.exception?.name}`);
  const events = docs.filter(([n]) => n === 'event').map(([, d]) => d);
  t.equal(events.length, 4, 'four events before the stall');
  t.same(events.map((e) => e['seq_num']), [1, 2, 3, 4], 'every earlier event kept, in order');
  const vols = events.map((e) => (e['data'] as Record<string, number>)['pump-infusedVolume']!);
  const want = [1, 1 + 1 / 7, 1 + 2 / 7, 1 + 3 / 7];
  t.ok(vols.every((v, i) => Math.abs(v - want[i]!) < 1e-4), `each step dispensed its volume: ${vols.join(', ')} ul`);
  const stops = docs.filter(([n]) => n === 'stop').map(([, d]) => d);
  t.equal(stops.length, 1);
  t.equal(stops[0]!['exit_status'], 'fail');
  t.same((stops[0]!['num_events'] as Record<string, number>)['primary'], 4);
  t.same(invalidDocuments(docs as never), [], 'documents validate against the event-model schemas');
  t.equal(sim.model.at(0).running, false, 'the pump is not left running');
});
