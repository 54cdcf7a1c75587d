/**
 * The RunEngine's states and the transitions allowed between them, declared as a table
 * (bluesky's state machine, plus two labrig additions noted below).
 * @module
 */
import { InvalidStateError } from '../errors.js';

/** Every state a RunEngine can be in. */
export type RunEngineState =
  | 'idle' | 'running' | 'pausing' | 'paused' | 'halting' | 'stopping' | 'aborting' | 'suspending' | 'panicked';

/** All states, in declaration order. */
export const RUN_ENGINE_STATES: readonly RunEngineState[] = [
  'idle', 'running', 'pausing', 'paused', 'halting', 'stopping', 'aborting', 'suspending', 'panicked',
];

/**
 * Allowed transitions: from-state → states it may move to.
 * Same as bluesky's, except that a suspended engine may also be paused or stopped by the user,
 * or end (a failing pre-plan) — labrig stays in `suspending` for the whole suspension, where
 * bluesky drops back to `running` — and a stop or abort whose plan cleanup hangs may still be halted.
 */
export const STATE_TRANSITIONS: Readonly<Record<RunEngineState, readonly RunEngineState[]>> = {
  idle: ['running', 'panicked'],
  running: ['idle', 'pausing', 'halting', 'stopping', 'aborting', 'suspending', 'panicked'],
  pausing: ['paused', 'idle', 'halting', 'aborting', 'panicked'],
  suspending: ['running', 'idle', 'pausing', 'halting', 'stopping', 'aborting', 'panicked'],
  paused: ['idle', 'running', 'halting', 'stopping', 'aborting', 'panicked'],
  halting: ['idle', 'panicked'],
  stopping: ['idle', 'halting', 'panicked'],
  aborting: ['idle', 'halting', 'panicked'],
  panicked: [],
};

/** Tell whether the table allows moving from `from` to `to`. */
export function canTransition(from: RunEngineState, to: RunEngineState): boolean {
  return STATE_TRANSITIONS[from].includes(to);
}

/** Listener told of every state change, as bluesky's `state_hook(new, old)`. */
export type StateListener = (next: RunEngineState, previous: RunEngineState) => void;

/** Hold a RunEngine state and move it only along the declared table. */
export class StateMachine {
  #state: RunEngineState = 'idle';
  readonly #onChange: StateListener | undefined;

  constructor(onChange?: StateListener) {
    this.#onChange = onChange;
  }

  /** The current state. */
  get state(): RunEngineState {
    return this.#state;
  }

  /** Tell whether moving to `next` is allowed now. */
  can(next: RunEngineState): boolean {
    return canTransition(this.#state, next);
  }

  /** Move to `next`; throw InvalidStateError when the table forbids it. */
  to(next: RunEngineState): void {
    const prev = this.#state;
    if (!canTransition(prev, next)) {
      throw new InvalidStateError(`RunEngine cannot go from '${prev}' to '${next}'`);
    }
    this.#state = next;
    this.#onChange?.(next, prev);
  }
}
