/**
 * Wrappers about positions: relative sets, putting motors back, count time.
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import { deviceName, isMovable } from '../../protocols.js';
import type { Movable } from '../../protocols.js';
import type { Msg, MsgOf, Plan } from '../../engine/messages.js';
import { currentSetpoint, mv } from '../stubs/motion.js';
import { shortUid, type PlanGen } from '../stubs/replies.js';
import { drive, type PlanResult, type Proc, type SameKind } from './core.js';
import { finalizeProc } from './finalize.js';
import { mutateProc, pchain, singleGen } from './mutate.js';

/**
 * Read every eligible device's setpoint (with `locate`) just before its first set, into
 * `initial`, and return the mutating procedure.
 */
function recordInitial(plan: Plan, devices: readonly unknown[] | undefined, initial: Map<Movable, number>, rewrite: boolean): Proc<unknown> {
  const eligible = devices === undefined ? undefined : new Set<unknown>(devices);
  const rewritten = new WeakSet<Msg>();
  return mutateProc(plan, (m) => {
    if (m.command !== 'set' || rewritten.has(m)) return undefined;
    if (eligible && !eligible.has(m.obj)) return undefined;
    if (!rewrite) return initial.has(m.obj) ? undefined : [pchain(stashPosition(m.obj, initial), singleGen(m))];
    return [relativeHead(m, initial, rewritten)];
  });
}

function* stashPosition(obj: Movable, initial: Map<Movable, number>): PlanGen<void> {
  if (initial.has(obj)) return;
  initial.set(obj, yield* currentSetpoint(obj));
}

function* relativeHead(m: MsgOf<'set'>, initial: Map<Movable, number>, rewritten: WeakSet<Msg>): PlanGen<unknown> {
  if (typeof m.value !== 'number' || !Number.isFinite(m.value)) {
    throw new InvalidInputError({ what: `relative set of ${deviceName(m.obj)}`, value: m.value, reason: 'must be a finite number' });
  }
  yield* stashPosition(m.obj, initial);
  const abs: MsgOf<'set'> = { ...m, value: (initial.get(m.obj) as number) + m.value };
  rewritten.add(abs);
  return yield abs;
}

/**
 * Make every set of `devices` (every moved device when omitted) relative to where the device
 * was at its first set: the wrapper locates it just before, then adds the offset.
 */
export function relativeSetWrapper<P extends Plan>(plan: P, devices?: readonly Movable[]): SameKind<P> {
  return drive<P>(recordInitial(plan, devices, new Map(), true) as Proc<PlanResult<P>>, plan);
}

/** Move every device the plan moved back to where it was before, at the end (also on error). */
export function resetPositionsWrapper<P extends Plan>(plan: P, devices?: readonly Movable[]): SameKind<P> {
  const initial = new Map<Movable, number>();
  const mutated = drive(recordInitial(plan, devices, initial, false), plan) as Plan;
  function* reset(): PlanGen<void> {
    if (initial.size === 0) return;
    const group = shortUid('reset');
    for (const [obj, value] of initial) yield { command: 'set', obj, value, group };
    yield { command: 'wait', group };
  }
  return drive<P>(finalizeProc(mutated, reset) as Proc<PlanResult<P>>, plan);
}

/**
 * Set the `countTime` of every device the plan uses (devices with a Movable `countTime`) to
 * `seconds` before its first use, and put the old value back at the end. Null: no change.
 */
export function configureCountTimeWrapper<P extends Plan>(plan: P, seconds: number | null | undefined): SameKind<P> {
  if (seconds === null || seconds === undefined) return plan as SameKind<P>;
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new InvalidInputError({ what: 'count time', value: seconds, reason: 'must be finite seconds > 0' });
  const seen = new Set<unknown>();
  const original = new Map<Movable, number>();
  function* setCountTime(ct: Movable): PlanGen<void> {
    original.set(ct, yield* currentSetpoint(ct));
    yield* mv(ct, seconds);
  }
  const mutated = drive(mutateProc(plan, (m) => {
    const obj = (m as { obj?: unknown }).obj;
    if (obj === undefined || seen.has(obj)) return undefined;
    seen.add(obj);
    const ct = (obj as { countTime?: unknown }).countTime;
    if (!isMovable(ct) || ct === obj || original.has(ct)) return undefined;
    seen.add(ct);
    return [pchain(setCountTime(ct), singleGen(m))];
  }), plan) as Plan;
  function* reset(): PlanGen<void> {
    for (const [ct, value] of original) yield* mv(ct, value);
  }
  return drive<P>(finalizeProc(mutated, reset) as Proc<PlanResult<P>>, plan);
}
