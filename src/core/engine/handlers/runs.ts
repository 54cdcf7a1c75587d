/**
 * Handlers of runs and bundling: open_run, close_run, declare_stream, create, read, save, drop,
 * and the plan-scoped document subscriptions subscribe/unsubscribe.
 * @module
 */
import { InvalidInputError, InvalidStateError, UnsupportedError } from '../../errors.js';
import type { DocumentName } from '../../documents/types.js';
import type { DocumentSubscriber } from '../../documents/dispatcher.js';
import type { Readings } from '../../protocols.js';
import { deviceName } from '../../protocols.js';
import { RunBundler } from '../bundler.js';
import { verbTimeout } from './deadline.js';
import { checkMs, withTimeout } from './motion.js';
import type { HandlerContext } from '../host.js';
import { mdToObject } from '../md-store.js';
import { checkRunStartMetadata, deepCopy } from '../md-check.js';
import type { MsgOf } from '../messages.js';

/** open_run: compute the scan_id, merge and check metadata, emit run_start; returns its uid. */
export function openRun(msg: MsgOf<'open_run'>, ctx: HandlerContext): string | Promise<string> {
  if (ctx.runs.has(msg.run)) throw new InvalidStateError(`'open_run' while run ${runLabel(msg.run)} is still open (missing 'close_run')`);
  const id = ctx.host.scanIdSource(mdToObject(ctx.host.md));
  if (id instanceof Promise) return id.then((v) => startRun(msg, ctx, v));
  return startRun(msg, ctx, id);
}

function startRun(msg: MsgOf<'open_run'>, ctx: HandlerContext, scanId: unknown): string {
  if (typeof scanId !== 'number' || !Number.isFinite(scanId)) throw new InvalidInputError({ what: 'scanIdSource() result', value: scanId, reason: 'must be a finite number' });
  if (ctx.runs.has(msg.run)) throw new InvalidStateError(`'open_run' while run ${runLabel(msg.run)} is still open (missing 'close_run')`);
  ctx.host.md.set('scan_id', scanId);
  let md: Record<string, unknown> = { ...mdToObject(ctx.host.md), plan_type: ctx.planType };
  if (ctx.planName) md['plan_name'] = ctx.planName;
  Object.assign(md, msg.md, ctx.callMd);
  md = deepCopy(md, 'run metadata') as Record<string, unknown>;
  ctx.host.mdValidator?.(md);
  const normalizer = ctx.host.mdNormalizer;
  if (normalizer) {
    md = normalizer({ ...md });
    if (typeof md !== 'object' || md === null) throw new InvalidInputError({ what: 'mdNormalizer() result', value: md, reason: 'must be a metadata object' });
  }
  checkRunStartMetadata(md);
  const run = new RunBundler(ctx, md, msg.run, ctx.host.recordInterruptions);
  ctx.runs.set(msg.run, run);
  ctx.runStartUids.push(run.uid);
  return run.uid;
}

const runLabel = (key: string | undefined): string => (key === undefined ? '(default)' : `'${key}'`);

/**
 * close_run: emit run_stop with the given (or success) exit status; returns the run_start uid.
 * Implies a checkpoint: nothing before it may be replayed into a closed run.
 */
export function closeRun(msg: MsgOf<'close_run'>, ctx: HandlerContext): string {
  const run = ctx.requireRun(msg.run, 'close_run');
  ctx.runs.delete(msg.run);
  run.close(msg.exitStatus ?? 'success', msg.reason ?? '');
  ctx.implicitCheckpoint();
  return run.uid;
}

/** declare_stream: describe the objects now and emit the stream's descriptor; returns it. */
export async function declareStream(msg: MsgOf<'declare_stream'>, ctx: HandlerContext): Promise<unknown> {
  const run = ctx.requireRun(msg.run, 'declare_stream');
  if (typeof msg.name !== 'string' || msg.name === '') throw new InvalidInputError({ what: 'declare_stream name', value: msg.name, reason: 'must be a non-empty string' });
  if (!Array.isArray(msg.objs) || msg.objs.length === 0) throw new InvalidInputError({ what: 'declare_stream objs', value: msg.objs, reason: 'must list at least one device' });
  if (run.streams.has(msg.name)) throw new InvalidStateError(`stream '${msg.name}' already exists in run ${run.uid}`);
  for (const obj of msg.objs) await run.describeAndConfig(obj, msg.collect === true);
  const info = run.addStream(msg.name, msg.collect ? 'collect' : 'event', msg.objs, run.describedKeys(msg.objs));
  return info.bundle.descriptor;
}

/** create: open an event of stream `name` (default `primary`). */
export function create(msg: MsgOf<'create'>, ctx: HandlerContext): void {
  ctx.requireRun(msg.run, 'create').create(msg.name ?? 'primary');
}

/** read: read a device; inside create/save, add its readings to the event. Returns the readings. */
export function read(msg: MsgOf<'read'>, ctx: HandlerContext): unknown {
  const obj = msg.obj;
  if (typeof obj?.read !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: 'read' });
  if (msg.timeoutMs !== undefined) checkMs('read timeoutMs', msg.timeoutMs);
  const list = ctx.runs.list;
  const run = list.length === 1 && list[0]!.key === msg.run ? list[0] : ctx.runs.get(msg.run);
  const epoch = run === undefined ? 0 : run.bundleEpoch;
  const r = obj.read();
  if (r instanceof Promise) {
    const ms = verbTimeout(ctx, obj, 'readMs', msg.timeoutMs);
    const p = ms === undefined ? r : withTimeout(r, ms, `read of ${deviceName(obj)}`, ctx.signal);
    // The run may have closed (or another opened) while the read was pending: look it up again.
    return p.then((v) => afterRead(msg, ctx.runs.get(msg.run), v, epoch));
  }
  return afterRead(msg, run, r, epoch);
}

function afterRead(msg: MsgOf<'read'>, run: RunBundler | undefined, readings: Readings, epoch: number): Readings | Promise<Readings> {
  if (readings === null || typeof readings !== 'object') {
    throw new InvalidStateError(`${deviceName(msg.obj)}.read() returned ${String(readings)}; it must return readings`);
  }
  // A read that settles after a pause rewound its event belongs to no event any more.
  if (run !== undefined && run.bundling && run.bundleEpoch === epoch) {
    const p = run.addReading(msg.obj, readings);
    if (p !== undefined) return p.then(() => readings);
  }
  return readings;
}

/** save: emit the open event (and the stream's descriptor the first time). */
export function save(msg: MsgOf<'save'>, ctx: HandlerContext): void {
  ctx.requireRun(msg.run, 'save').save();
}

/** drop: discard the open event. */
export function drop(msg: MsgOf<'drop'>, ctx: HandlerContext): void {
  ctx.requireRun(msg.run, 'drop').drop();
}

/** subscribe: add a document callback for the rest of this plan; returns its token. */
export function subscribe(msg: MsgOf<'subscribe'>, ctx: HandlerContext): number {
  const token = ctx.planSubs.subscribe(msg.callback as DocumentSubscriber, (msg.name ?? 'all') as DocumentName | 'all');
  ctx.implicitCheckpoint();
  return token;
}

/** unsubscribe: remove a callback added by `subscribe`. */
export function unsubscribe(msg: MsgOf<'unsubscribe'>, ctx: HandlerContext): boolean {
  const ok = ctx.planSubs.unsubscribe(msg.token);
  ctx.implicitCheckpoint();
  return ok;
}
