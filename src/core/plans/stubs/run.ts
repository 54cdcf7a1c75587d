/**
 * Plan stubs for runs, event bundling, staging, configuration, fly scans and monitors.
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import { isStageable } from '../../protocols.js';
import type { Collectable, Configurable, Flyable, Preparable, Readable, Stageable, Stoppable, Subscribable } from '../../protocols.js';
import { isStatus } from '../../status.js';
import type { ExitStatus } from '../../engine/messages.js';
import { separateDevices, rootAncestor } from './devices.js';
import { shortUid, type PlanGen, type Reply } from './replies.js';

/** Options of stubs that start an operation tracked by a Status. */
export interface GroupOptions {
  /** Group to add the Status to, for a later `wait(group)`. */
  group?: string;
  /** Wait for the Status before returning. */
  wait?: boolean;
}

/** Open a run with metadata `md`; returns the run start uid. */
export function* openRun(md?: Record<string, unknown>): PlanGen<Reply<'open_run'>> {
  return (yield md === undefined ? { command: 'open_run' } : { command: 'open_run', md }) as Reply<'open_run'>;
}

/** Close the open run, with an exit status (default success) and reason. */
export function* closeRun(exitStatus?: ExitStatus, reason?: string): PlanGen<Reply<'close_run'>> {
  const m: { command: 'close_run'; exitStatus?: ExitStatus; reason?: string } = { command: 'close_run' };
  if (exitStatus !== undefined) m.exitStatus = exitStatus;
  if (reason !== undefined) m.reason = reason;
  return (yield m) as Reply<'close_run'>;
}

/** Declare a stream and the objects whose readings it holds, before any event of it. */
export function* declareStream(objs: Readable[], name: string, collect = false): PlanGen<unknown> {
  if (typeof name !== 'string' || name === '') throw new InvalidInputError({ what: 'declareStream name', value: name, reason: 'must be a non-empty string' });
  return yield { command: 'declare_stream', objs, name, collect };
}

/** Start bundling readings into one event of stream `name`. */
export function* create(name = 'primary'): PlanGen<void> {
  yield { command: 'create', name };
}

/** Emit the event being bundled. */
export function* save(): PlanGen<void> {
  yield { command: 'save' };
}

/** Discard the event being bundled. */
export function* drop(): PlanGen<void> {
  yield { command: 'drop' };
}

/** Stage a device (prepare it for a run); waits for a returned Status unless `wait` is false. */
export function* stage(obj: Stageable, options: GroupOptions = {}): PlanGen<unknown> {
  const group = options.group ?? shortUid('stage');
  const ret = yield { command: 'stage', obj, group };
  if (options.wait !== false && isStatus(ret)) yield { command: 'wait', group };
  return ret;
}

/** Unstage a device; waits for a returned Status unless `wait` is false. */
export function* unstage(obj: Stageable, options: GroupOptions = {}): PlanGen<unknown> {
  const group = options.group ?? shortUid('unstage');
  const ret = yield { command: 'unstage', obj, group };
  if (options.wait !== false && isStatus(ret)) yield { command: 'wait', group };
  return ret;
}

function* broadcastStage(command: 'stage' | 'unstage', objs: unknown[], group?: string): PlanGen<void> {
  const grp = group ?? shortUid(command);
  let any = false;
  for (const obj of objs) {
    if (!isStageable(obj)) continue;
    const ret = yield { command, obj, group: grp };
    if (isStatus(ret)) any = true;
  }
  if (any) yield { command: 'wait', group: grp };
}

/**
 * Stage every Stageable device among `objs` (root ancestors, duplicates removed) in one group,
 * then wait if any returned a Status. Devices that are not Stageable are skipped.
 */
export function* stageAll(...objs: unknown[]): PlanGen<void> {
  yield* broadcastStage('stage', separateDevices(objs.map(rootAncestor)));
}

/** Unstage every Stageable device among `objs`, in the order given, then wait if needed. */
export function* unstageAll(...objs: unknown[]): PlanGen<void> {
  yield* broadcastStage('unstage', separateDevices(objs.map(rootAncestor)));
}

/** Change a device's configuration; returns `[old, new]` configuration readings. */
export function* configure(obj: Configurable, values: Record<string, unknown>): PlanGen<Reply<'configure'>> {
  return (yield { command: 'configure', obj, values }) as Reply<'configure'>;
}

/** Start a fly scan on `obj`; returns its Status. */
export function* kickoff(obj: Flyable, options: GroupOptions = {}): PlanGen<Reply<'kickoff'>> {
  return yield* groupOp('kickoff', obj, options);
}

/** Ask a flyer to complete; returns its Status. */
export function* complete(obj: Flyable, options: GroupOptions = {}): PlanGen<Reply<'complete'>> {
  return yield* groupOp('complete', obj, options);
}

/** Prepare a device with `value` (e.g. a fly-scan trajectory); returns its Status. */
export function* prepare(obj: Preparable, value: unknown, options: GroupOptions = {}): PlanGen<Reply<'prepare'>> {
  const group = options.group ?? (options.wait ? shortUid('prepare') : undefined);
  const st = (yield group === undefined ? { command: 'prepare', obj, value } : { command: 'prepare', obj, value, group }) as Reply<'prepare'>;
  if (options.wait) yield { command: 'wait', group: group as string };
  return st;
}

function* groupOp(command: 'kickoff' | 'complete', obj: Flyable, options: GroupOptions): PlanGen<Reply<'kickoff'>> {
  const group = options.group ?? (options.wait ? shortUid(command) : undefined);
  const st = (yield group === undefined ? { command, obj } : { command, obj, group }) as Reply<'kickoff'>;
  if (options.wait) yield { command: 'wait', group: group as string };
  return st;
}

/** Collect what a flyer or external writer gathered, into stream `name` when given. */
export function* collect(
  obj: Collectable,
  options: { stream?: boolean; name?: string; returnPayload?: boolean } = {},
): PlanGen<unknown> {
  const m: { command: 'collect'; obj: Collectable; stream?: boolean; name?: string; returnPayload?: boolean } = { command: 'collect', obj };
  if (options.stream !== undefined) m.stream = options.stream;
  if (options.name !== undefined) m.name = options.name;
  if (options.returnPayload !== undefined) m.returnPayload = options.returnPayload;
  return yield m;
}

/** Start emitting events for each change of `obj`, in stream `name` (default `<obj>_monitor`). */
export function* monitor(obj: Subscribable, name?: string): PlanGen<void> {
  yield name === undefined ? { command: 'monitor', obj } : { command: 'monitor', obj, name };
}

/** Stop monitoring `obj`. */
export function* unmonitor(obj: Subscribable): PlanGen<void> {
  yield { command: 'unmonitor', obj };
}

/** Stop a device (motion or acquisition). */
export function* stop(obj: Stoppable): PlanGen<void> {
  yield { command: 'stop', obj };
}
