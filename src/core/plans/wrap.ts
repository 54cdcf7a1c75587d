/**
 * The frame every built-in plan runs in: stage the devices, open a run, do the work, close the
 * run (success, or the failure's exit status and reason), unstage — bluesky's stage_decorator
 * around run_decorator, written as try/finally in a synchronous generator.
 * @module
 */
import { isCanceled } from '../errors.js';
import { deviceName } from '../protocols.js';
import type { ExitStatus, Msg } from '../engine/messages.js';
import { rootAncestor, separateDevices } from './stubs/devices.js';
import { stageAll, unstageAll } from './stubs/run.js';
import type { PlanGen, Reply } from './stubs/replies.js';

/**
 * Tell how a run ends when the plan throws `err`: an error carrying an `exitStatus` of
 * 'success' or 'abort' (bluesky's RequestStop/RequestAbort) closes the run with it; a
 * CanceledError (the RunEngine's stop/abort interrupt) returns undefined — the plan then leaves
 * the run open and the engine's cleanup closes it with the status it knows; anything else is a
 * failure with the error's message as reason.
 */
export function exitOf(err: unknown): { exitStatus: ExitStatus; reason: string } | undefined {
  const e = err as { exitStatus?: unknown; message?: unknown; reason?: unknown };
  const reason = typeof e?.reason === 'string' ? e.reason : typeof e?.message === 'string' ? e.message : String(err);
  if (e?.exitStatus === 'success' || e?.exitStatus === 'abort' || e?.exitStatus === 'fail') return { exitStatus: e.exitStatus, reason };
  if (isCanceled(err)) return undefined;
  return { exitStatus: 'fail', reason };
}

/**
 * Run `body` inside one run with metadata `md`: open_run, body, close_run. If the body throws,
 * the run is closed with the failure's exit status (see exitOf) and the error goes on. Returns the run uid.
 * If the engine closes the generator (`return()`), nothing more is yielded: the engine's own
 * cleanup closes the run, as with bluesky's GeneratorExit.
 */
export function* inRun(md: Record<string, unknown>, body: () => PlanGen<unknown>): PlanGen<Reply<'open_run'>> {
  const uid = (yield { command: 'open_run', md }) as Reply<'open_run'>;
  try {
    yield* body();
  } catch (err) {
    const exit = exitOf(err);
    if (exit) yield { command: 'close_run', exitStatus: exit.exitStatus, reason: exit.reason };
    throw err;
  }
  yield { command: 'close_run' };
  return uid;
}

/**
 * Stage `devices` (root ancestors, duplicates removed, non-Stageable skipped), run `body`, and
 * unstage them in reverse order — also when the body throws, but not when the engine closes
 * the generator (then the engine unstages).
 */
export function* staged<R>(devices: readonly unknown[], body: () => PlanGen<R>): PlanGen<R> {
  const devs = separateDevices(devices.map(rootAncestor));
  let cleanup = false;
  try {
    yield* stageAll(...devs);
    const r = yield* body();
    cleanup = true;
    return r;
  } catch (err) {
    cleanup = true;
    throw err;
  } finally {
    if (cleanup) yield* unstageAll(...[...devs].reverse());
  }
}

/** Stage `devices` and run `body` in a run with `md` (the frame of every built-in plan). */
export function stagedRun(devices: readonly unknown[], md: Record<string, unknown>, body: () => PlanGen<unknown>): PlanGen<Reply<'open_run'>> {
  return staged(devices, () => inRun(md, body));
}

/** Return device names (for JSON metadata: names, never objects). */
export function names(devices: readonly unknown[]): string[] {
  return devices.map(deviceName);
}

/**
 * Merge plan metadata: the user's `md` over the plan's defaults, with `hints` merged key by key
 * (the user's hints win).
 */
export function mergeMd(defaults: Record<string, unknown>, md: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults, ...md };
  const dh = defaults['hints'];
  const uh = md?.['hints'];
  if (isRecord(dh) || isRecord(uh)) out['hints'] = { ...(isRecord(dh) ? dh : {}), ...(isRecord(uh) ? uh : {}) };
  return out;
}

/** Set `md.hints[key]` unless it is already set. */
export function defaultHint(md: Record<string, unknown>, key: string, value: unknown): void {
  const hints = isRecord(md['hints']) ? { ...md['hints'] } : {};
  if (hints[key] === undefined) hints[key] = value;
  md['hints'] = hints;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A message sequence of a plan, as a type for plans that return the run uid. */
export type RunPlan = Generator<Msg, Reply<'open_run'>, unknown>;
