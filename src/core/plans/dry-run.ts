/**
 * Dry-run tools: walk a plan without hardware, answering each message the way the engine
 * would (a finished Status for a set, simulated readings for a read, positions from a table
 * for locate), to print a summary (`summarizePlan`) or check every move against the devices'
 * limits (`checkLimits`). Relative plans resolve against the simulated position table, which
 * starts from `positions` (default 0 for every device).
 * @module
 */
import { LimitsError } from '../errors.js';
import { deviceName, isCheckable } from '../protocols.js';
import type { Location, Readings } from '../protocols.js';
import { Status } from '../status.js';
import type { Msg, Plan } from '../engine/messages.js';
import { hintedFields } from './stubs/devices.js';
import { msgMutator } from './preprocessors/mutate.js';
import type { SameKind } from './preprocessors/core.js';

/** Options of a dry run. */
export interface DryRunOptions {
  /** Starting setpoints of devices (default 0). */
  positions?: Iterable<readonly [unknown, unknown]>;
  /** Stop walking after this many messages (default 1,000,000), e.g. for continuous plans. */
  maxMessages?: number;
}

/** Answer plan messages like an engine that has no hardware behind it. */
export class PlanSimulator {
  /** Simulated setpoint of each device moved or given in `positions`. */
  readonly positions: Map<unknown, unknown>;
  #runs = 0;
  #tokens = 0;
  #openRuns: string[] = [];

  constructor(positions?: Iterable<readonly [unknown, unknown]>) {
    this.positions = new Map(positions ?? []);
  }

  /** Return the simulated reply to `msg` (and update the position table for sets). */
  reply(msg: Msg): unknown {
    switch (msg.command) {
      case 'open_run': {
        const uid = `dry-run-${++this.#runs}`;
        this.#openRuns.push(uid);
        return uid;
      }
      case 'close_run':
        return this.#openRuns.pop();
      case 'set':
        this.positions.set(msg.obj, msg.value);
        return Status.finished(undefined, `dry-run set ${deviceName(msg.obj)}`);
      case 'trigger': case 'kickoff': case 'complete': case 'prepare': case 'stash': case 'clear_cache':
        return Status.finished(undefined, `dry-run ${msg.command}`);
      case 'read':
        return this.readingOf(msg.obj);
      case 'locate': {
        const locs = msg.objs.map((o) => this.locationOf(o));
        return msg.squeeze !== false && locs.length === 1 ? locs[0] : locs;
      }
      case 'configure':
        return [{}, {}];
      case 'subscribe':
        return ++this.#tokens;
      case 'input':
        return '';
      case 'collect':
        return [];
      default:
        return undefined;
    }
  }

  /** Simulated location of a device: its table position (0 if unknown) as setpoint and readback. */
  locationOf(obj: unknown): Location {
    const p = this.positions.get(obj) ?? 0;
    return { setpoint: p, readback: p };
  }

  /** Simulated readings of a device: one field (its hinted field or its name) holding its table position. */
  readingOf(obj: unknown): Readings {
    const key = hintedFields(obj)?.[0] ?? deviceName(obj);
    return { [key]: { value: this.positions.get(obj) ?? 0, timestamp: Date.now() / 1000 } };
  }
}

/** What a walk over a plan saw. */
export interface WalkResult {
  /** Number of messages walked. */
  messages: number;
  /** True if the walk stopped at `maxMessages` before the plan ended. */
  truncated: boolean;
  /** The plan's return value (undefined if truncated). */
  result: unknown;
}

/** Walk a synchronous plan, calling `visit` on each message before simulating its reply. */
export function walkPlan(plan: Generator<Msg, unknown, unknown>, visit: (msg: Msg) => void, options: DryRunOptions = {}): WalkResult {
  const sim = new PlanSimulator(options.positions);
  const max = options.maxMessages ?? 1_000_000;
  let reply: unknown;
  for (let n = 0; ; n++) {
    if (n >= max) {
      plan.return(undefined);
      return { messages: n, truncated: true, result: undefined };
    }
    const r = plan.next(reply);
    if (r.done) return { messages: n, truncated: false, result: r.value };
    visit(r.value);
    reply = sim.reply(r.value);
  }
}

/** Walk any plan (sync or async), awaiting `visit` on each message before simulating its reply. */
export async function walkPlanAsync(plan: Plan, visit: (msg: Msg) => unknown, options: DryRunOptions = {}): Promise<WalkResult> {
  const sim = new PlanSimulator(options.positions);
  const max = options.maxMessages ?? 1_000_000;
  let reply: unknown;
  for (let n = 0; ; n++) {
    if (n >= max) {
      await plan.return(undefined);
      return { messages: n, truncated: true, result: undefined };
    }
    const r = await plan.next(reply);
    if (r.done) return { messages: n, truncated: false, result: r.value };
    await visit(r.value);
    reply = sim.reply(r.value);
  }
}

/** List the messages of a synchronous plan, walked without hardware. */
export function listMessages(plan: Generator<Msg, unknown, unknown>, options: DryRunOptions = {}): Msg[] {
  const out: Msg[] = [];
  walkPlan(plan, (m) => out.push(m), options);
  return out;
}

/** Format a value as Python prints it in bluesky's summaries (whole floats as `1.0`). */
function pyValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function banner(text: string): string {
  const pad = Math.max(0, 80 - text.length);
  const left = Math.floor(pad / 2);
  return '='.repeat(left) + text + '='.repeat(pad - left);
}

/** Turn messages into bluesky-style summary lines (stateful: remembers reads since `create`). */
export function summaryLines(): (msg: Msg) => string | undefined {
  let reads: string[] = [];
  return (m) => {
    switch (m.command) {
      case 'open_run': return banner(' Open Run ');
      case 'close_run': return banner(' Close Run ');
      case 'set': return `${deviceName(m.obj)} -> ${pyValue(m.value)}`;
      case 'create': reads = []; return undefined;
      case 'read': reads.push(deviceName(m.obj)); return undefined;
      case 'save': return `  Read [${reads.map((r) => `'${r}'`).join(', ')}]`;
      default: return undefined;
    }
  };
}

/**
 * Summarise a synchronous plan without hardware, as bluesky's summarize_plan: a banner at each
 * open_run and close_run, `motor -> value` for each set, `  Read ['det', 'motor']` for each
 * saved event. Returns the lines; `print` receives each line as well.
 */
export function summarizePlan(plan: Generator<Msg, unknown, unknown>, options: DryRunOptions & { print?: (line: string) => void } = {}): string[] {
  const lines: string[] = [];
  const line = summaryLines();
  const r = walkPlan(plan, (m) => {
    const l = line(m);
    if (l !== undefined) {
      lines.push(l);
      options.print?.(l);
    }
  }, options);
  if (r.truncated) {
    const l = `... stopped after ${r.messages} messages`;
    lines.push(l);
    options.print?.(l);
  }
  return lines;
}

/** Summarise any plan (sync or async) without hardware; see summarizePlan. */
export async function summarizePlanAsync(plan: Plan, options: DryRunOptions & { print?: (line: string) => void } = {}): Promise<string[]> {
  const lines: string[] = [];
  const line = summaryLines();
  const r = await walkPlanAsync(plan, (m) => {
    const l = line(m);
    if (l !== undefined) {
      lines.push(l);
      options.print?.(l);
    }
  }, options);
  if (r.truncated) lines.push(`... stopped after ${r.messages} messages`);
  return lines;
}

/** Print a summary line for each message as the plan runs (bluesky's print_summary_wrapper). */
export function printSummaryWrapper<P extends Plan>(plan: P, print: (line: string) => void = console.log): SameKind<P> {
  const line = summaryLines();
  return msgMutator(plan, (m) => {
    const l = line(m);
    if (l !== undefined) print(l);
    return m;
  });
}

/** Limits a device may declare: `[low, high]` or `{ low, high }` (plus optional units). */
function declaredLimits(obj: unknown): { low: number; high: number; units?: string } | undefined {
  const l = (obj as { limits?: unknown } | null)?.limits;
  const units = (obj as { units?: unknown } | null)?.units;
  const u = typeof units === 'string' ? { units } : {};
  if (Array.isArray(l) && typeof l[0] === 'number' && typeof l[1] === 'number') return { low: l[0], high: l[1], ...u };
  if (typeof l === 'object' && l !== null) {
    const { low, high } = l as { low?: unknown; high?: unknown };
    if (typeof low === 'number' && typeof high === 'number') return { low, high, ...u };
  }
  return undefined;
}

/** What checkLimits found. */
export interface CheckLimitsResult {
  /** Number of sets checked. */
  checked: number;
  /** Names of moved devices that have neither checkValue nor limits (not checked). */
  unchecked: string[];
}

/**
 * Walk a plan without hardware and check every set: with the device's `checkValue` when it is
 * Checkable, else against a `limits` property (`[low, high]` or `{ low, high }`). Throws the
 * first violation (a LimitsError). Devices that can be checked neither way are listed in
 * `unchecked`. Relative moves resolve against `positions` (default 0).
 */
export async function checkLimits(plan: Plan, options: DryRunOptions = {}): Promise<CheckLimitsResult> {
  const unchecked = new Set<string>();
  let checked = 0;
  await walkPlanAsync(plan, async (m) => {
    if (m.command !== 'set') return;
    const obj: unknown = m.obj;
    if (isCheckable(obj)) {
      checked++;
      await obj.checkValue(m.value);
      return;
    }
    const lim = declaredLimits(obj);
    if (lim && typeof m.value === 'number') {
      checked++;
      if (!(m.value >= lim.low && m.value <= lim.high)) throw new LimitsError({ device: deviceName(obj), value: m.value, low: lim.low, high: lim.high, units: lim.units });
      return;
    }
    unchecked.add(deviceName(obj));
  }, options);
  return { checked, unchecked: [...unchecked] };
}
