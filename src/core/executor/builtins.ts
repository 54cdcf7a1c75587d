/**
 * Built-in actions, as HELAO's action servers expose them: move and home an axis, set a flow,
 * dispense, read signals, run a plan. They work on any device with the right verbs (structural,
 * no driver imports); the device is looked up by name through the executor's `resolve`.
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../errors.js';
import { isMovable, isReadable, isStoppable } from '../protocols.js';
import type { RunEngine } from '../engine/index.js';
import type { Plan } from '../engine/index.js';
import { count, gridScan } from '../plans/index.js';
import type { ParamSchema } from './params.js';
import type { ActionContext, ActionDefinition } from './types.js';

/** Define an action with parameters typed from its schema (the identity, for type inference). */
export function defineAction<const S extends ParamSchema>(def: ActionDefinition<S>): ActionDefinition<S> {
  return def;
}

/** A running job's completion, checkable from poll without awaiting. */
interface Job {
  done: boolean;
  error: unknown;
  value: unknown;
}

function track(work: unknown): Job {
  const job: Job = { done: false, error: undefined, value: undefined };
  Promise.resolve(work as PromiseLike<unknown>).then(
    (v) => Object.assign(job, { done: true, value: v }),
    (e: unknown) => Object.assign(job, { done: true, error: e ?? new Error('failed') }),
  );
  return job;
}

function pollJob(ctx: ActionContext<any>): boolean {
  const job = ctx.state['job'] as Job;
  if (job.done && job.error !== undefined) throw job.error;
  return job.done;
}

/** The device named by `device` (and its axis `axis` when given). */
function target(ctx: ActionContext<{ device: string; axis?: string }>): unknown {
  const dev = ctx.device<Record<string, unknown>>(ctx.params.device);
  if (ctx.params.axis === undefined || ctx.params.axis === '') return dev;
  if (typeof dev?.['axis'] !== 'function') throw new UnsupportedError({ device: ctx.params.device, verb: 'axis' });
  return (dev['axis'] as (n: string) => unknown).call(dev, ctx.params.axis);
}

async function stopTarget(ctx: ActionContext<any>): Promise<void> {
  const t = ctx.state['target'];
  if (isStoppable(t)) await t.stop({ success: false });
}

function flatValues(reading: Record<string, { value: unknown }>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(reading).map(([k, r]) => [k, r.value]));
}

const deviceParam = { type: 'string', doc: 'device name in the rig' } as const;
const axisParam = { type: 'string', required: false, doc: 'axis of the device (Galil: A, B, ...)' } as const;

/** Options of {@link builtinActions}. */
export interface BuiltinActionOptions {
  /** The engine `plan.run` runs plans on. */
  engine?: RunEngine;
  /** Plans `plan.run` may run, by name: each builds a plan from its arguments and a device resolver. */
  plans?: Record<string, (args: Record<string, unknown>, device: (name: string) => unknown) => Plan>;
}

/**
 * Plans `plan.run` can run by name: `grid_scan` ({ detectors: [device], axes: [{ device, axis?,
 * start, stop, num }], snake? }) and `count` ({ detectors: [device], num? }).
 */
export function builtinPlans(): NonNullable<BuiltinActionOptions['plans']> {
  const find = (device: (n: string) => unknown, d: unknown, what: string): unknown => {
    if (typeof d === 'string') return device(d);
    const o = d as { device?: unknown; axis?: unknown };
    if (typeof o?.device !== 'string') throw new InvalidInputError({ what, value: d, reason: 'expected a device name or { device, axis }' });
    const dev = device(o.device) as Record<string, unknown>;
    if (o.axis === undefined) return dev;
    if (typeof dev?.['axis'] !== 'function') throw new UnsupportedError({ device: o.device, verb: 'axis' });
    return (dev['axis'] as (n: unknown) => unknown).call(dev, o.axis);
  };
  const detectors = (args: Record<string, unknown>, device: (n: string) => unknown): never[] => {
    if (!Array.isArray(args['detectors'])) throw new InvalidInputError({ what: 'plan detectors', value: args['detectors'], reason: 'expected a list of device names' });
    return args['detectors'].map((d, i) => find(device, d, `plan detector ${i}`)) as never[];
  };
  return {
    grid_scan(args, device) {
      const axes = args['axes'];
      if (!Array.isArray(axes) || axes.length === 0) throw new InvalidInputError({ what: 'grid_scan axes', value: axes, reason: 'expected a non-empty list of { device, axis, start, stop, num }' });
      const flat = axes.flatMap((a: Record<string, unknown>, i) => [find(device, a, `grid_scan axis ${i}`), a['start'], a['stop'], a['num']]);
      return gridScan(detectors(args, device), ...(flat as never[]), Boolean(args['snake']));
    },
    count(args, device) {
      return count(detectors(args, device), (args['num'] as number | undefined) ?? 1);
    },
  };
}

/** The built-in actions: axis.move, axis.home, flow.set, pump.dispense, signals.read, plan.run, device.stop. */
export function builtinActions(options: BuiltinActionOptions = {}): ActionDefinition<any>[] {
  const move = defineAction({
    name: 'axis.move', doc: 'move an axis (or any movable) to a position and wait until it is there',
    params: { device: deviceParam, axis: axisParam, position: { type: 'number', doc: 'target position, device units' } },
    concurrent: false, group: 'motion', pollRateMs: 20,
    exec(ctx) {
      const t = target(ctx);
      if (!isMovable(t)) throw new UnsupportedError({ device: ctx.params.device, verb: 'set' });
      ctx.state['target'] = t;
      ctx.state['job'] = track(t.set(ctx.params.position));
    },
    poll: pollJob,
    manualStop: stopTarget,
    async postExec(ctx) {
      const t = ctx.state['target'];
      if (isReadable(t)) ctx.emit(flatValues(await t.read() as never));
    },
  });
  const home = defineAction({
    name: 'axis.home', doc: 'home (reference) an axis: search HM, FE or FI and define the position there',
    params: { device: deviceParam, axis: axisParam, mode: { type: 'string', default: 'HM', choices: ['HM', 'FE', 'FI'] } },
    concurrent: false, group: 'motion', pollRateMs: 20,
    exec(ctx) {
      const t = target(ctx) as Record<string, unknown>;
      if (typeof t?.['reference'] !== 'function') throw new UnsupportedError({ device: ctx.params.device, verb: 'reference' });
      ctx.state['target'] = t;
      ctx.state['job'] = track((t['reference'] as (o: unknown) => unknown).call(t, { mode: ctx.params.mode }));
    },
    poll: pollJob,
    manualStop: stopTarget,
  });
  const flow = defineAction({
    name: 'flow.set', doc: 'set a flow controller\'s setpoint and wait until the flow reached it',
    params: { device: deviceParam, setpoint: { type: 'number', min: 0, doc: 'setpoint, the device\'s units' } },
    pollRateMs: 20,
    exec(ctx) {
      const t = target(ctx);
      if (!isMovable(t)) throw new UnsupportedError({ device: ctx.params.device, verb: 'set' });
      ctx.state['target'] = t;
      ctx.state['job'] = track(t.set(ctx.params.setpoint));
    },
    poll: pollJob,
    manualStop: stopTarget,
    async postExec(ctx) {
      const t = ctx.state['target'];
      if (isReadable(t)) ctx.emit(flatValues(await t.read() as never));
    },
  });
  const dispense = defineAction({
    name: 'pump.dispense', doc: 'dispense a volume with a syringe pump (optionally at a rate) and wait until done',
    params: { device: deviceParam, volume: { type: 'number', doc: 'volume, the pump\'s volume units (negative withdraws)' }, rate: { type: 'number', required: false, min: 0 } },
    concurrent: false, group: 'pump', pollRateMs: 20,
    exec(ctx) {
      const t = target(ctx) as Record<string, unknown>;
      ctx.state['target'] = t;
      if (typeof t?.['dispense'] === 'function') ctx.state['job'] = track((t['dispense'] as (v: number, r?: number) => unknown).call(t, ctx.params.volume, ctx.params.rate));
      else if (isMovable(t)) ctx.state['job'] = track(t.set(ctx.params.volume));
      else throw new UnsupportedError({ device: ctx.params.device, verb: 'dispense' });
    },
    poll: pollJob,
    manualStop: stopTarget,
  });
  const read = defineAction({
    name: 'signals.read', doc: 'read a device `count` times, every `intervalMs`, streaming each reading',
    params: {
      device: deviceParam, axis: axisParam,
      count: { type: 'integer', default: 1, min: 1 }, intervalMs: { type: 'integer', default: 100, min: 0 },
    },
    pollRateMs: 0,
    exec(ctx) {
      const t = target(ctx);
      if (!isReadable(t)) throw new UnsupportedError({ device: ctx.params.device, verb: 'read' });
      ctx.state['target'] = t;
      ctx.state['n'] = 0;
      ctx.state['next'] = 0;
    },
    async poll(ctx) {
      if (Date.now() < (ctx.state['next'] as number)) return false;
      const t = ctx.state['target'] as { read(): Promise<Record<string, { value: unknown }>> };
      ctx.emit(flatValues(await t.read()));
      ctx.state['next'] = Date.now() + ctx.params.intervalMs;
      ctx.state['n'] = (ctx.state['n'] as number) + 1;
      return (ctx.state['n'] as number) >= ctx.params.count;
    },
  });
  const plan = defineAction({
    name: 'plan.run', doc: 'run a named plan on the run engine and wait until it ends',
    params: { plan: { type: 'string', ...(options.plans ? { choices: Object.keys(options.plans) } : {}) }, args: { type: 'object', default: {} } },
    concurrent: false, group: 'engine', pollRateMs: 20,
    exec(ctx) {
      const engine = options.engine;
      const make = options.plans?.[ctx.params.plan];
      if (!engine || !make) throw new InvalidInputError({ what: 'plan.run plan', value: ctx.params.plan, reason: engine ? `unknown plan (known: ${Object.keys(options.plans ?? {}).join(', ')})` : 'no run engine given to the built-in actions' });
      ctx.state['job'] = track(engine.run(make(ctx.params.args, (n) => ctx.device(n))).then((r) => {
        if (r.exitStatus !== 'success') throw r.exception ?? new Error(`plan ${ctx.params.plan} ended ${r.exitStatus}: ${r.reason}`);
        ctx.emit({ run_uids: r.runStartUids });
        return r;
      }));
    },
    poll: pollJob,
    async manualStop() {
      const engine = options.engine!;
      if (engine.state !== 'idle') await engine.abort('plan.run stopped');
    },
  });
  const stop = defineAction({
    name: 'device.stop', doc: 'stop a device (or one of its axes) now',
    params: { device: deviceParam, axis: axisParam },
    async exec(ctx) {
      const t = target(ctx);
      if (!isStoppable(t)) throw new UnsupportedError({ device: ctx.params.device, verb: 'stop' });
      await t.stop({ success: true });
    },
  });
  return [move, home, flow, dispense, read, plan, stop];
}
