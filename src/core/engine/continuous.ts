/**
 * Continuous plans and in-flight actions (redsun, seed 001).
 *
 * A continuous plan runs until it is stopped (a live view, a monitor loop). While it runs, the
 * user may fire {@link Action}s — named, user-triggerable side effects — which the plan awaits
 * through each action's {@link SRLatch} (`waitForActions` / `readWhileWaiting` stubs).
 *
 * ```ts
 * const snap = new Action({ name: 'snap', description: 'Save one frame' });
 * const live = continuous(function* (dets: Readable[]) {
 *   for (;;) {
 *     const [name, latch] = yield* readWhileWaiting(dets, snap.eventMap);
 *     if (name === 'snap') { yield* triggerAndRead(dets, 'snaps'); latch.reset(); }
 *   }
 * }, { pausable: true });
 * snap.fire(); // from the UI, while the plan runs
 * ```
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { SRLatch } from './latch.js';

/** Fields of an Action. */
export interface ActionInit {
  /** Name of the action (the key in its event map). */
  name: string;
  /** Short description, for a UI tooltip. */
  description?: string;
  /** Whether the action toggles on and off (a switch) rather than firing once (a button). */
  togglable?: boolean;
  /** Labels of the on and off states of a togglable action (default `['On', 'Off']`). */
  toggleStates?: readonly [string, string];
}

/**
 * A user-triggerable side effect of a running continuous plan. Its SRLatch is created on first
 * use of {@link Action.eventMap}, so actions can be declared before any plan runs.
 * Subclass it to carry domain-specific fields.
 */
export class Action {
  /** Name of the action. */
  readonly name: string;
  /** Short description, for a UI tooltip. */
  readonly description: string;
  /** Whether the action toggles on and off. */
  readonly togglable: boolean;
  /** Labels of the on and off states (used when togglable). */
  readonly toggleStates: readonly [string, string];
  #latch: SRLatch | undefined;

  constructor(init: ActionInit) {
    if (typeof init?.name !== 'string' || init.name === '') throw new InvalidInputError({ what: 'Action name', value: init?.name, reason: 'must be a non-empty string' });
    this.name = init.name;
    this.description = init.description ?? '';
    this.togglable = init.togglable ?? false;
    this.toggleStates = init.toggleStates ?? ['On', 'Off'];
  }

  /** The action's latch as a one-entry map keyed by its name (what waitForActions takes). */
  get eventMap(): Record<string, SRLatch> {
    this.#latch ??= new SRLatch();
    return { [this.name]: this.#latch };
  }

  /** The action's latch (created on first use). */
  get latch(): SRLatch {
    this.#latch ??= new SRLatch();
    return this.#latch;
  }

  /** Fire the action: set its latch (a plan waiting for it wakes up). */
  fire(): void {
    this.latch.set();
  }

  /** Flip a togglable action: set the latch if reset, reset it if set. Returns the new state (true = on). */
  toggle(): boolean {
    if (!this.togglable) throw new InvalidInputError({ what: `Action ${this.name}`, value: 'toggle', reason: 'is not togglable; use fire()' });
    if (this.latch.isSet()) this.latch.reset();
    else this.latch.set();
    return this.latch.isSet();
  }

  /** Whether the action is on (its latch is set). */
  get isOn(): boolean {
    return this.#latch?.isSet() ?? false;
  }

  /** Label of the current toggle state. */
  get stateLabel(): string {
    return this.isOn ? this.toggleStates[0] : this.toggleStates[1];
  }
}

/** Merge the event maps of several actions (names must differ). */
export function eventMapOf(actions: readonly Action[]): Record<string, SRLatch> {
  const out: Record<string, SRLatch> = {};
  for (const a of actions) {
    if (a.name in out) throw new InvalidInputError({ what: 'actions', value: a.name, reason: 'two actions have the same name' });
    Object.assign(out, a.eventMap);
  }
  return out;
}

/** Capabilities of a continuous plan. */
export interface ContinuousFlags {
  /** The plan loops until stopped; a UI shows a start/stop toggle (default true). */
  togglable?: boolean;
  /** The plan can be paused and resumed (default false). */
  pausable?: boolean;
}

/** A plan function marked as continuous, carrying its capabilities. */
export type ContinuousPlan<F extends (...args: never[]) => unknown> = F & { readonly togglable: boolean; readonly pausable: boolean; readonly continuous: true };

/**
 * Mark a plan function as continuous (redsun's `continous` decorator, spelled right): the
 * function is returned unchanged, with `continuous`, `togglable` and `pausable` attached for
 * UIs and plan specs to read.
 */
export function continuous<F extends (...args: never[]) => unknown>(fn: F, flags: ContinuousFlags = {}): ContinuousPlan<F> {
  if (typeof fn !== 'function') throw new InvalidInputError({ what: 'continuous', value: fn, reason: 'must be a plan function' });
  Object.defineProperties(fn, {
    continuous: { value: true, enumerable: true },
    togglable: { value: flags.togglable ?? true, enumerable: true },
    pausable: { value: flags.pausable ?? false, enumerable: true },
  });
  return fn as ContinuousPlan<F>;
}

/** Tell whether a plan function was marked with {@link continuous}. */
export function isContinuous(fn: unknown): fn is ContinuousPlan<(...args: never[]) => unknown> {
  return typeof fn === 'function' && (fn as { continuous?: unknown }).continuous === true;
}
