/**
 * Fault matrix over TCP and a pty: disconnect mid-command, garbage, partial frames, silence, slow
 * replies, device restart. Each gives a typed error within the timeout (or, for partial frames
 * and slow-but-in-time replies, the right answer), the driver recovers by itself, nothing hangs.
 */
import t, { type Test } from 'tap';
import { DeviceError, DisconnectedError, InvalidInputError, LabrigError, TimeoutError } from '../../../src/core/errors.js';
import { openAlicat, type AlicatFlowController } from '../../../src/drivers/alicat/index.js';
import { FaultInjector } from '../../../src/sim/faults.js';
import type { AlicatSim } from '../../../src/sim/alicat/index.js';
import { simFor, sleep } from './helpers.js';

const TIMEOUT_MS = 200;
const HANG_GUARD_MS = 5000;

async function rig(t: Test, via: 'tcp' | 'pty', timeoutMs = TIMEOUT_MS): Promise<{ sim: AlicatSim; faults: FaultInjector; d: AlicatFlowController }> {
  const faults = new FaultInjector({ seed: 7 });
  const sim = await simFor(t, { faults, ...(via === 'pty' ? { pty: true } : {}), defaults: { timeConstantMs: 20 } });
  const d = await openAlicat(sim.uri, { kind: 'controller', fullScale: 100, timeoutMs, pollMs: 20 });
  t.teardown(() => d.close());
  return { sim, faults, d };
}

/** Run `p`, return its error (or undefined) and the time it took. */
async function timed(p: PromiseLike<unknown>): Promise<{ error: unknown; ms: number }> {
  const t0 = performance.now();
  const error = await Promise.resolve(p).then(() => undefined, (e: unknown) => e);
  return { error, ms: performance.now() - t0 };
}

/** Poll until the unit answers again (the channel reconnects by itself). */
async function recovers(d: AlicatFlowController): Promise<boolean> {
  const deadline = performance.now() + HANG_GUARD_MS;
  while (performance.now() < deadline) {
    try {
      const f = await d.commands.poll();
      if (f.unit === 'A') return true;
    } catch {
      await sleep(20);
    }
  }
  return false;
}

for (const via of ['tcp', 'pty'] as const) {
  t.test(`fault matrix over ${via}`, async (t) => {
    t.test('disconnect mid-command: DisconnectedError, then automatic reconnect', async (t) => {
      const { faults, d } = await rig(t, via);
      faults.next('disconnect');
      const r = await timed(d.commands.poll());
      t.type(r.error, DisconnectedError);
      t.ok(r.ms < HANG_GUARD_MS, 'no hang');
      t.ok(await recovers(d), 'the channel reconnected and the unit answers');
      faults.next('disconnect');
      const moving = await timed(d.set(20));
      t.type(moving.error, LabrigError, 'a set() caught by the drop fails with a typed error');
      t.ok(await recovers(d));
      await d.set(20);
      t.pass('set() works after the reconnect');
    });

    t.test('garbage: each garbled reply is a typed error or a frame, and the line recovers', async (t) => {
      const { faults, d } = await rig(t, via);
      let typed = 0;
      let frames = 0;
      for (let i = 0; i < 12; i++) {
        faults.next('garble');
        const r = await timed(d.commands.poll());
        if (r.error === undefined) frames++;
        else if (r.error instanceof InvalidInputError || r.error instanceof TimeoutError || r.error instanceof DeviceError) typed++;
        else t.fail(`untyped error: ${String(r.error)}`);
        t.ok(r.ms < HANG_GUARD_MS);
      }
      t.equal(typed + frames, 12, `${typed} typed errors, ${frames} frames that survived the garbling`);
      t.ok(await recovers(d));
      await d.set(30);
      t.ok(Math.abs((await d.readback.getValue()) - 30) <= 0.5, 'clean commands work after the garbage');
    });

    t.test('partial frames: a reply split in pieces is reassembled', async (t) => {
      const { faults, d } = await rig(t, via);
      await d.set(15);
      for (let i = 0; i < 5; i++) {
        faults.next('split', 15);
        const f = await d.commands.poll();
        t.equal(f.setpoint, 15);
        t.equal(f.gas, 'N2');
      }
    });

    t.test('silence: TimeoutError near the timeout while the unit is mute, answers afterwards', async (t) => {
      const { faults, d } = await rig(t, via);
      faults.next('silent', 600);
      const r = await timed(d.commands.poll());
      t.type(r.error, TimeoutError);
      t.ok(r.ms < HANG_GUARD_MS);
      const r2 = await timed(d.read());
      t.type(r2.error, TimeoutError, 'a device read during the silence fails too');
      t.ok(await recovers(d));
    });

    t.test('slow replies: in time they are fine, too late they time out and are not taken for the next reply', async (t) => {
      // Timeout 400 ms, so the channel's quiet window after a failure is 200 ms: a reply 100 ms
      // late falls in the middle of it.
      const { faults, d } = await rig(t, via, 400);
      faults.next('delay', 100);
      t.equal((await d.commands.poll()).unit, 'A');
      faults.next('delay', 500);
      const r = await timed(d.commands.poll());
      t.type(r.error, TimeoutError);
      // The next command waits for a quiet line (the late frame is discarded), so give it time for that.
      const f = await d.commands.setSetpoint(25, { timeoutMs: 1500 });
      t.equal(f.setpoint, 25, 'the setpoint echo is its own reply, not the late poll frame');
      t.equal(await d.commands.controlVariable(), 'mass-flow');
    });

    t.test('device restart: DisconnectedError, reconnect, the unit answers again', async (t) => {
      const { sim, faults, d } = await rig(t, via);
      await d.set(20);
      faults.next('restart', 300);
      const r = await timed(d.commands.poll());
      t.type(r.error, DisconnectedError);
      t.ok(r.ms < HANG_GUARD_MS);
      t.ok(await recovers(d), 'reconnected after the restart');
      if (via === 'tcp') t.equal(sim.model.unit('A').setpoint, 0, 'the unit came back at its power-up setpoint');
      await d.set(10);
      t.pass('set() works after the restart');
    });
  });
}
