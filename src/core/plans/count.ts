/**
 * count: read detectors a number of times (or until stopped), with optional delays.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { Readable, Triggerable } from '../protocols.js';
import type { Msg } from '../engine/messages.js';
import { isTriggerable } from '../protocols.js';
import { repeat } from './stubs/acquire.js';
import { checkDetectors, rootAncestor, separateDevices } from './stubs/devices.js';
import { shortUid, type PlanGen, type Reply } from './stubs/replies.js';
import { stageAll, unstageAll } from './stubs/run.js';
import { defaultHint, exitOf, mergeMd, names, stagedRun, type RunPlan } from './wrap.js';

/** What count does at each shot (default: oneShot — checkpoint, then trigger and read the detectors). */
export type PerShot = (detectors: Readable[]) => PlanGen<unknown>;

/** Options of count beyond bluesky's positional arguments. */
export interface CountOptions {
  perShot?: PerShot;
}

/**
 * Take `num` readings of the detectors (forever when `num` is null, until the engine stops the
 * plan), `delaySeconds` apart: a number, or one value per gap. Emits one run with a `primary`
 * stream; returns the run uid.
 */
export function count(
  detectors: readonly Readable[],
  num: number | null = 1,
  delaySeconds?: number | readonly number[] | null,
  md?: Record<string, unknown>,
  options: CountOptions = {},
): RunPlan {
  const dets = checkDetectors(detectors);
  if (num !== null && (typeof num !== 'number' || !Number.isInteger(num) || num < 1)) {
    throw new InvalidInputError({ what: 'count num', value: num, reason: 'must be a whole number >= 1, or null to count until stopped' });
  }
  const delay = delaySeconds ?? 0;
  if (Array.isArray(delay)) {
    // bluesky: with num undefined the count stops when the delays run out; extra delays are unused.
    if (num === null) num = delay.length + 1;
    else if (delay.length < num - 1) throw new InvalidInputError({ what: 'count delaySeconds', value: delay.length, reason: `gives fewer than num - 1 = ${num - 1} delays` });
  }
  for (const d of typeof delay === 'number' ? [delay] : delay) {
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) throw new InvalidInputError({ what: 'count delaySeconds', value: d, reason: 'must be finite seconds >= 0' });
  }
  const defaults: Record<string, unknown> = {
    detectors: names(dets),
    num_points: num,
    num_intervals: num === null ? null : num - 1,
    plan_args: { detectors: names(dets), num, delay: delaySeconds ?? null },
    plan_name: 'count',
    hints: {},
  };
  const full = mergeMd(defaults, md);
  defaultHint(full, 'dimensions', [[['time'], 'primary']]);
  const perShot = options.perShot;
  if (perShot === undefined) return countFast(countShots(dets, full, num, delay));
  const body = repeat(() => perShot([...dets]), num, delay);
  return stagedRun(dets, full, () => body);
}

/** What {@link countFast} yields and tracks, built once per plan (see {@link countShots}). */
interface CountShots {
  readonly md: Record<string, unknown>;
  readonly num: number | null;
  readonly delay: number | readonly number[];
  /** Devices to stage and unstage (the detectors' root ancestors). */
  readonly staged: readonly Readable[];
  /** One shot's messages in order. */
  readonly shot: readonly Msg[];
  /** Positions of the shot's `read` messages: readFrom..readTo-1 (-1 when none). */
  readonly readFrom: number;
  readonly readTo: number;
  readonly drop: Msg;
  /** Whether shots are spaced by delays. */
  readonly timed: boolean;
  /** When the current shot started (seconds, performance clock; timed plans only). */
  startedS: number;
  /** Seconds left to sleep after the current shot. */
  leftS: number;
  /** Whether the devices are unstaged at the end (not when the plan is closed early). */
  cleanup: boolean;
}

/**
 * The messages of count's shots. They never change between shots, so they are built once: the
 * engine never mutates a message and a plan must not mutate one after yielding it (decision
 * 0006, 8). One trigger group serves every shot: each `wait` empties it before the next shot
 * files into it. A shot is [checkpoint, checkpoint, trigger..., wait, create, read..., save] (or
 * [checkpoint, checkpoint, null] with nothing to read).
 */
function countShots(dets: Readable[], md: Record<string, unknown>, num: number | null, delay: number | readonly number[]): CountShots {
  const staged = separateDevices(dets.map(rootAncestor));
  const readable = separateDevices(dets);
  const triggerable: Triggerable[] = [];
  for (const d of readable) if (isTriggerable(d)) triggerable.push(d);
  const group = shortUid('trigger');
  const CHECKPOINT: Msg = { command: 'checkpoint' };
  const shot: Msg[] = [CHECKPOINT, CHECKPOINT];
  let readFrom = -1;
  let readTo = -1;
  if (readable.length === 0) shot.push({ command: 'null' });
  else {
    if (triggerable.length > 0) {
      for (const obj of triggerable) shot.push({ command: 'trigger', obj, group });
      shot.push({ command: 'wait', group });
    }
    shot.push({ command: 'create', name: 'primary' });
    readFrom = shot.length;
    for (const obj of readable) shot.push({ command: 'read', obj });
    readTo = shot.length;
    shot.push({ command: 'save' });
  }
  return {
    md, num, delay, staged, shot, readFrom, readTo, drop: { command: 'drop' },
    timed: typeof delay !== 'number' || delay > 0, startedS: 0, leftS: 0, cleanup: false,
  };
}

/** Seconds left to sleep after shot `i` of a timed count. */
function delayLeft(c: CountShots, i: number): number {
  const d = typeof c.delay === 'number' ? c.delay : (c.delay[i] ?? 0);
  return d - (performance.now() / 1000 - c.startedS);
}

/** After an error thrown in at shot message `k`: drop the open event when at a read, close the run, rethrow. */
function* countFailed(c: CountShots, k: number, thrown: unknown): Generator<Msg, never, unknown> {
  let err = thrown;
  // An error at the drop replaces the first one.
  if (k >= c.readFrom && k < c.readTo) {
    try {
      yield c.drop;
    } catch (e) {
      err = e;
    }
  }
  const exit = exitOf(err);
  if (exit) yield { command: 'close_run', exitStatus: exit.exitStatus, reason: exit.reason };
  throw err;
}

/**
 * count with the default per-shot, written flat: the same messages as
 * `stagedRun(dets, md, () => repeat(() => oneShot(dets), num, delay))` (a test checks this),
 * without five levels of `yield*` per message — count is the engine's benchmark plan. Every
 * shot message is yielded from one site, in one try level, with four locals: a generator saves
 * and restores its locals and try levels at each `yield` (measured ~3 ns per message for 18
 * locals, and as much for three more levels of try), so the rest lives in `c`.
 */
function* countFast(c: CountShots): RunPlan {
  // `k`: the shot message being yielded (shot.length between shots; -1 outside the run).
  let k = -1;
  let i = 0;
  try {
    yield* stageAll(...c.staged);
    const uid = (yield { command: 'open_run', md: c.md }) as Reply<'open_run'>;
    k = c.shot.length;
    for (; c.num === null || i < c.num; i++) {
      if (c.timed) c.startedS = performance.now() / 1000;
      for (k = 0; k < c.shot.length; k++) yield c.shot[k]!;
      if (c.num !== null && i + 1 >= c.num) break;
      if (c.timed) {
        c.leftS = delayLeft(c, i);
        if (c.leftS > 0) yield { command: 'sleep', seconds: c.leftS };
      }
    }
    k = -1;
    yield { command: 'close_run' };
    c.cleanup = true;
    return uid;
  } catch (thrown) {
    c.cleanup = true;
    if (k < 0) throw thrown;
    return yield* countFailed(c, k, thrown);
  } finally {
    if (c.cleanup) yield* unstageAll(...[...c.staged].reverse());
  }
}
