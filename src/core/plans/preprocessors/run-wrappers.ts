/**
 * Wrappers around runs: open/close a run, stage devices, baseline readings, document
 * subscriptions, suspenders, extra start metadata, monitors.
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import type { Readable, Subscribable } from '../../protocols.js';
import type { Msg, Plan, SuspenderLike } from '../../engine/messages.js';
import { triggerAndRead } from '../stubs/acquire.js';
import { rootAncestor, separateDevices } from '../stubs/devices.js';
import { stageAll, unstageAll } from '../stubs/run.js';
import type { Reply } from '../stubs/replies.js';
import { exitOf } from '../wrap.js';
import { drive, emit, emitAll, isClosing, relay, type PlanResult, type Proc, type SameKind } from './core.js';
import { finalizeProc } from './finalize.js';
import { msgMutator, mutateProc, pchain, singleGen } from './mutate.js';

/**
 * Enclose `plan` in a run: open_run with `md`, the plan, close_run — with the failure's exit
 * status and reason if the plan throws (the error goes on). Returns the run uid, as bluesky.
 */
export function runWrapper<P extends Plan>(plan: P, md?: Record<string, unknown>): SameKind<P, Reply<'open_run'>> {
  function* proc(): Proc<Reply<'open_run'>> {
    const uid = (yield* emit(md === undefined ? { command: 'open_run' } : { command: 'open_run', md })) as Reply<'open_run'>;
    try {
      yield* relay(plan, emit);
    } catch (err) {
      if (isClosing(err)) throw err;
      const exit = exitOf(err);
      if (exit) yield* emit({ command: 'close_run', exitStatus: exit.exitStatus, reason: exit.reason });
      throw err;
    }
    yield* emit({ command: 'close_run' });
    return uid;
  }
  return drive<P>(proc() as Proc<never>, plan) as SameKind<P, Reply<'open_run'>>;
}

/**
 * Stage `devices` (root ancestors, once each; non-Stageable ones skipped) before `plan` and
 * unstage them in reverse order after it, also on error.
 */
export function stageWrapper<P extends Plan>(plan: P, devices: readonly unknown[]): SameKind<P> {
  const devs = separateDevices(devices.map(rootAncestor));
  function* proc(): Proc<unknown> {
    yield* emitAll(stageAll(...devs));
    return yield* relay(plan, emit);
  }
  return drive<P>(finalizeProc(drive(proc(), plan) as Plan, () => unstageAll(...[...devs].reverse())) as Proc<PlanResult<P>>, plan);
}

/**
 * Read `devices` into the stream `name` (default `baseline`) right after each open_run and
 * right before each close_run.
 */
export function baselineWrapper<P extends Plan>(plan: P, devices: readonly Readable[], name = 'baseline'): SameKind<P> {
  const devs = separateDevices(devices.map(rootAncestor));
  if (devs.length === 0) return plan as SameKind<P>;
  return drive<P>(mutateProc(plan, (m) => {
    if (m.command === 'open_run') return [null, triggerAndRead(devs, name)];
    if (m.command === 'close_run') return [pchain(triggerAndRead(devs, name), singleGen(m))];
    return undefined;
  }) as Proc<PlanResult<P>>, plan);
}

/** Document callbacks: one for every document, a list, or per document name. */
export type Subs =
  | ((name: string, doc: unknown) => void)
  | Array<(name: string, doc: unknown) => void>
  | Record<string, ((name: string, doc: unknown) => void) | Array<(name: string, doc: unknown) => void>>;

/** Subscribe callbacks for the duration of `plan` and unsubscribe them afterwards, also on error. */
export function subsWrapper<P extends Plan>(plan: P, subs: Subs): SameKind<P> {
  const pairs: Array<[string, (name: string, doc: unknown) => void]> = [];
  const add = (name: string, f: unknown): void => {
    if (typeof f !== 'function') throw new InvalidInputError({ what: `subsWrapper ${name}`, value: f, reason: 'must be a callback (name, doc) => void' });
    pairs.push([name, f as (name: string, doc: unknown) => void]);
  };
  if (typeof subs === 'function') add('all', subs);
  else if (Array.isArray(subs)) for (const f of subs) add('all', f);
  else for (const [name, fs] of Object.entries(subs)) for (const f of Array.isArray(fs) ? fs : [fs]) add(name, f);
  const tokens: number[] = [];
  function* proc(): Proc<unknown> {
    for (const [name, callback] of pairs) {
      const token = (yield* emit({ command: 'subscribe', name, callback })) as Reply<'subscribe'>;
      if (token !== undefined) tokens.push(token);
    }
    return yield* relay(plan, emit);
  }
  function* unsubscribeAll(): Generator<Msg, void, unknown> {
    for (const token of tokens) yield { command: 'unsubscribe', token };
  }
  return drive<P>(finalizeProc(drive(proc(), plan) as Plan, unsubscribeAll) as Proc<PlanResult<P>>, plan);
}

/** Install suspenders for the duration of `plan` and remove them afterwards, also on error. */
export function suspendWrapper<P extends Plan>(plan: P, suspenders: SuspenderLike | readonly SuspenderLike[]): SameKind<P> {
  const list = Array.isArray(suspenders) ? [...suspenders] : [suspenders as SuspenderLike];
  function* proc(): Proc<unknown> {
    for (const suspender of list) yield* emit({ command: 'install_suspender', suspender });
    return yield* relay(plan, emit);
  }
  function* removeAll(): Generator<Msg, void, unknown> {
    for (const suspender of list) yield { command: 'remove_suspender', suspender };
  }
  return drive<P>(finalizeProc(drive(proc(), plan) as Plan, removeAll) as Proc<PlanResult<P>>, plan);
}

/** Add metadata to every open_run of `plan` (keys the plan sets itself win). */
export function injectMdWrapper<P extends Plan>(plan: P, md: Record<string, unknown>): SameKind<P> {
  return msgMutator(plan, (m) => (m.command === 'open_run' ? { ...m, md: { ...md, ...m.md } } : m));
}

/** Monitor `signals` from each open_run until its close_run. */
export function monitorDuringWrapper<P extends Plan>(plan: P, signals: readonly Subscribable[]): SameKind<P> {
  function* monitorAll(): Generator<Msg, void, unknown> {
    for (const obj of signals) yield { command: 'monitor', obj };
  }
  function* unmonitorAll(): Generator<Msg, void, unknown> {
    for (const obj of signals) yield { command: 'unmonitor', obj };
  }
  return drive<P>(mutateProc(plan, (m) => {
    if (m.command === 'open_run') return [null, monitorAll()];
    if (m.command === 'close_run') return [pchain(unmonitorAll(), singleGen(m))];
    return undefined;
  }) as Proc<PlanResult<P>>, plan);
}

/**
 * Run `plan` with rewinding allowed or not (bluesky's rewindable_wrapper): with `false`, a pause
 * resumes where it stopped instead of replaying from the last checkpoint (for devices or steps
 * that must not be repeated). The previous setting is restored afterwards.
 */
export function rewindableWrapper<P extends Plan>(plan: P, rewindable: boolean): SameKind<P> {
  if (typeof rewindable !== 'boolean') throw new InvalidInputError({ what: 'rewindableWrapper rewindable', value: rewindable, reason: 'must be a boolean' });
  function* proc(): Proc<PlanResult<P>> {
    const was = (yield* emit({ command: 'rewindable' })) as boolean | undefined;
    if (was === rewindable) return (yield* relay(plan, emit)) as PlanResult<P>;
    yield* emit({ command: 'rewindable', allow: rewindable });
    try {
      return (yield* relay(plan, emit)) as PlanResult<P>;
    } finally {
      if (was !== undefined) yield* emit({ command: 'rewindable', allow: was });
    }
  }
  return drive<P>(proc(), plan);
}

/**
 * Fly `flyers` during each run of `plan` (bluesky's fly_during_wrapper): kickoff and wait after
 * `open_run`; complete, wait and collect before `close_run`.
 */
export function flyDuringWrapper<P extends Plan>(plan: P, flyers: readonly object[]): SameKind<P> {
  if (!Array.isArray(flyers)) throw new InvalidInputError({ what: 'flyDuringWrapper flyers', value: flyers, reason: 'must be an array of flyers' });
  function* kickoffAll(): Generator<Msg, void, unknown> {
    const group = `fly-kickoff-${flyerGroup++}`;
    for (const obj of flyers) yield { command: 'kickoff', obj, group } as Msg;
    yield { command: 'wait', group };
  }
  function* completeAll(): Generator<Msg, void, unknown> {
    const group = `fly-complete-${flyerGroup++}`;
    for (const obj of flyers) yield { command: 'complete', obj, group } as Msg;
    yield { command: 'wait', group };
    for (const obj of flyers) yield { command: 'collect', obj } as Msg;
  }
  return drive<P>(mutateProc(plan, (m) => {
    if (m.command === 'open_run') return [null, kickoffAll()];
    if (m.command === 'close_run') return [pchain(completeAll(), singleGen(m))];
    return undefined;
  }) as Proc<PlanResult<P>>, plan);
}
let flyerGroup = 0;

/**
 * Stage each device the first time a message of `plan` names it, and unstage them all (in
 * reverse order) when the plan ends, however it ends (bluesky's lazily_stage_wrapper).
 */
export function lazilyStageWrapper<P extends Plan>(plan: P): SameKind<P> {
  const staged: object[] = [];
  const isStageable = (o: unknown): o is object =>
    typeof (o as { stage?: unknown } | null)?.stage === 'function' && typeof (o as { unstage?: unknown }).unstage === 'function';
  function* unstageAll(): Generator<Msg, void, unknown> {
    while (staged.length > 0) yield { command: 'unstage', obj: staged.pop()! } as Msg;
  }
  const inner = mutateProc(plan, (m) => {
    const obj = (m as { obj?: unknown }).obj;
    if (m.command === 'stage' || m.command === 'unstage' || !isStageable(obj) || staged.includes(obj)) return undefined;
    staged.push(obj);
    return [pchain(singleGen({ command: 'stage', obj } as Msg), singleGen(m))];
  });
  const mutated = drive<P>(inner as Proc<PlanResult<P>>, plan);
  return drive<P>(finalizeProc(mutated as Plan, () => unstageAll()) as Proc<PlanResult<P>>, plan);
}
