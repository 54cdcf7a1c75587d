/**
 * What the engine does to devices and runs around interruptions and at the end of a plan
 * (internal): quiesce on pause/suspend, resume after, the suspension frame, and the cleanup that
 * always runs — stop what moved, stop monitors, collect flyers, unstage, close open runs.
 * Every device call here is bounded by `cleanupTimeoutMs`; failures are reported, never raised.
 * @module
 */
import { TimeoutError, toError } from '../errors.js';
import { deviceName } from '../protocols.js';
import type { Msg } from './messages.js';
import type { Execution } from './execution.js';
import type { HandlerContext } from './host.js';
import { genFrame, internalMsg } from './frames.js';
import type { GenFrame } from './frames.js';
import { collectFrom } from './collect.js';
import { setLongTimeout, type LongTimer } from '../timers.js';

/** Call `fn` (a device verb), waiting at most cleanupTimeoutMs for what it returns; report failures. */
export async function bounded(exec: HandlerContext, what: string, fn: () => unknown): Promise<void> {
  const ms = exec.host.cleanupTimeoutMs;
  let timer: LongTimer | undefined;
  try {
    const r = fn();
    if (r === null || (typeof r !== 'object' && typeof r !== 'function') || typeof (r as PromiseLike<unknown>).then !== 'function') return;
    await Promise.race([
      Promise.resolve(r as PromiseLike<unknown>),
      new Promise((_, reject) => {
        timer = setLongTimeout(() => reject(new TimeoutError({ operation: what, afterMs: ms })), ms);
      }),
    ]);
  } catch (e) {
    exec.host.report(toError(e), what);
  } finally {
    timer?.clear();
  }
}

function safe(exec: HandlerContext, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    exec.host.report(toError(e), what);
  }
}

const isPausable = (o: object): o is { pause(): unknown; resume(): unknown } =>
  typeof (o as { pause?: unknown }).pause === 'function' && typeof (o as { resume?: unknown }).resume === 'function';

/** Call stop() on everything the plan moved (`set`, `kickoff`). */
export async function stopMoved(exec: Execution): Promise<void> {
  for (const obj of exec.moved) {
    const stop = (obj as { stop?: (o?: { success?: boolean }) => unknown }).stop;
    if (typeof stop !== 'function') continue;
    await bounded(exec, `${deviceName(obj)}.stop()`, () => stop.call(obj, { success: true }));
  }
}

/** Bring devices to rest for a pause or suspension: record it, stop monitors, stop motion, pause. */
export async function quiesce(exec: Execution, kind: 'pause' | 'suspend'): Promise<void> {
  for (const run of exec.runs.values()) safe(exec, `record ${kind}`, () => run.recordInterruption(kind));
  safe(exec, 'flush event page', () => exec.emitter.flush());
  for (const run of exec.runs.values()) safe(exec, 'suspend monitors', () => run.suspendMonitors());
  exec.groups.clear();
  exec.asyncErrors.length = 0;
  await stopMoved(exec);
  for (const obj of exec.seen) {
    if (isPausable(obj)) await bounded(exec, `${deviceName(obj)}.pause()`, () => obj.pause());
  }
}

/** Undo {@link quiesce}'s device effects: resume pausable devices and restart monitors. */
export async function resumeDevices(exec: HandlerContext): Promise<void> {
  for (const obj of exec.seen) {
    if (isPausable(obj)) await bounded(exec, `${deviceName(obj)}.resume()`, () => obj.resume());
  }
  for (const run of exec.runs.values()) safe(exec, 'restore monitors', () => run.restoreMonitors());
}

function* suspensionPlan(exec: Execution): Generator<Msg, void, unknown> {
  const started: Array<(typeof exec.host.trips)[number]> = [];
  for (;;) {
    for (const s of exec.host.trips) {
      if (started.includes(s)) continue;
      started.push(s);
      if (s.prePlan) yield internalMsg('__push_plan', { plan: s.prePlan });
    }
    if (exec.host.trips.length === 0) break;
    yield internalMsg('__suspend_wait');
  }
  yield internalMsg('__suspend_resume');
  for (let i = started.length - 1; i >= 0; i--) {
    const post = started[i]!.postPlan;
    if (post) yield internalMsg('__push_plan', { plan: post });
  }
  yield internalMsg('__suspend_done');
}

/**
 * The frame a suspension runs: each tripped suspender's pre-plan (in trip order), a wait until
 * all are released (new trips run their pre-plan too), device resume, post-plans in reverse
 * order, then back to `running`.
 */
export function suspensionFrame(exec: Execution): GenFrame {
  return genFrame(suspensionPlan(exec), false);
}

/**
 * Close every generator on the frame stack, innermost first, so the plan's `finally` blocks run
 * (bluesky throws GeneratorExit into a halted plan). Messages a `finally` yields are not run:
 * the generator is asked to return again (at most 100 times), and a failure is reported.
 */
export async function closeFrames(exec: Execution): Promise<void> {
  const frames = exec.frames.splice(0);
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i]!;
    if (f.replay !== undefined) continue;
    const gen = f.gen;
    await bounded(exec, 'close the plan (halt)', () => {
      if (!f.async) {
        let r = (gen as Generator<Msg, unknown, unknown>).return(undefined);
        for (let n = 0; r.done !== true && n < 100; n++) r = (gen as Generator<Msg, unknown, unknown>).return(undefined);
        return undefined;
      }
      const agen = gen as AsyncGenerator<Msg, unknown, unknown>;
      const loop = async (): Promise<void> => {
        let r = await agen.return(undefined);
        for (let n = 0; r.done !== true && n < 100; n++) r = await agen.return(undefined);
      };
      return loop();
    });
  }
}

/** Clean up after the plan, whatever happened, then go idle and settle the final result. */
export async function finishExecution(exec: Execution): Promise<void> {
  exec.beginFinishing();
  await stopMoved(exec);
  for (const run of exec.runs.values()) {
    safe(exec, 'stop monitors', () => run.clearMonitors());
    for (const obj of [...run.uncollected]) {
      await bounded(exec, `collect ${deviceName(obj)} (cleanup)`, () => collectFrom(exec, run, obj, {}));
    }
  }
  const staged = [...exec.staged].reverse();
  exec.staged.clear();
  for (const obj of staged) {
    await bounded(exec, `${deviceName(obj)}.unstage()`, () => (obj as { unstage(): unknown }).unstage());
  }
  for (const run of [...exec.runs.values()]) {
    exec.runs.delete(run.key);
    safe(exec, `close run ${run.uid}`, () => run.close(exec.exitStatus, exec.reason));
  }
  safe(exec, 'flush event page', () => exec.emitter.flush());
  exec.planSubs.unsubscribeAll();
  exec.host.transition('idle');
  exec.settle();
}
