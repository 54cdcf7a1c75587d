/**
 * Plan stubs for flow control: checkpoints, sleeping, waiting, pausing, suspenders, input.
 * @module
 */
import { InvalidInputError } from '../../errors.js';
import type { SuspenderLike } from '../../engine/messages.js';
import type { PlanGen, Reply } from './replies.js';

/** Mark a point the engine may rewind to on resume after a pause. */
export function* checkpoint(): PlanGen<void> {
  yield { command: 'checkpoint' };
}

/** Forget the last checkpoint: a pause after this cannot be resumed until the next one. */
export function* clearCheckpoint(): PlanGen<void> {
  yield { command: 'clear_checkpoint' };
}

/** Sleep `seconds` (bluesky's unit for plan-level sleep); other work (moves, monitors) goes on. */
export function* sleep(seconds: number): PlanGen<void> {
  if (typeof seconds !== 'number' || !(seconds >= 0) || !Number.isFinite(seconds)) {
    throw new InvalidInputError({ what: 'sleep seconds', value: seconds, reason: 'must be a finite number >= 0' });
  }
  yield { command: 'sleep', seconds };
}

/** Options of {@link wait}. */
export interface WaitOptions {
  /** Bound on the wait, in ms. */
  timeoutMs?: number;
  /** When false, a timeout lets the plan go on (the stub returns false) instead of failing (bluesky's `error_on_timeout`). */
  errorOnTimeout?: boolean;
}

/**
 * Wait for every Status of `group` (all pending ones when omitted); `timeoutMs` bounds the
 * wait; with `moveOn` (or `{errorOnTimeout: false}`) a timeout lets the plan carry on instead
 * of failing. Returns whether the group finished.
 */
export function wait(group?: string, options?: WaitOptions): PlanGen<boolean>;
export function wait(group?: string, timeoutMs?: number, moveOn?: boolean): PlanGen<boolean>;
export function* wait(group?: string, a?: number | WaitOptions, moveOn?: boolean): PlanGen<boolean> {
  let timeoutMs: number | undefined;
  if (typeof a === 'object' && a !== null) {
    timeoutMs = a.timeoutMs;
    if (a.errorOnTimeout !== undefined) moveOn = !a.errorOnTimeout;
  } else timeoutMs = a;
  if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new InvalidInputError({ what: 'wait timeoutMs', value: timeoutMs, reason: 'must be >= 0' });
  const m: { command: 'wait'; group?: string; timeoutMs?: number; moveOn?: boolean } = { command: 'wait' };
  if (group !== undefined) m.group = group;
  if (timeoutMs !== undefined) m.timeoutMs = timeoutMs;
  if (moveOn !== undefined) m.moveOn = moveOn;
  const r = (yield m) as Reply<'wait'>;
  return r !== false;
}

/** Pause the run at once (the engine waits for resume, stop or abort). */
export function* pause(): PlanGen<void> {
  yield { command: 'pause', defer: false };
}

/** Pause at the next checkpoint. */
export function* deferredPause(): PlanGen<void> {
  yield { command: 'pause', defer: true };
}

/** Yield a message that does nothing (for benchmarks and placeholders). */
export function* nullStub(): PlanGen<void> {
  yield { command: 'null' };
}
export { nullStub as null };

/** Ask the user for input; returns what they typed. */
export function* input(prompt = ''): PlanGen<Reply<'input'>> {
  return (yield { command: 'input', prompt }) as Reply<'input'>;
}

/**
 * Wait until every awaitable settles (each is a function returning a promise, called by the
 * engine); `timeoutMs` bounds the wait. Returns one settled result per awaitable (a rejection
 * does not fail the plan; inspect `status`), as bluesky returns the finished tasks.
 */
export function* waitFor(awaitables: Array<() => PromiseLike<unknown>>, timeoutMs?: number): PlanGen<Reply<'wait_for'>> {
  if (!Array.isArray(awaitables) || awaitables.some((a) => typeof a !== 'function')) {
    throw new InvalidInputError({ what: 'waitFor awaitables', value: awaitables, reason: 'must be an array of functions returning promises' });
  }
  return (yield timeoutMs === undefined ? { command: 'wait_for', awaitables } : { command: 'wait_for', awaitables, timeoutMs }) as Reply<'wait_for'>;
}

/** Install a suspender for the rest of the plan (or until removed). */
export function* installSuspender(suspender: SuspenderLike): PlanGen<void> {
  yield { command: 'install_suspender', suspender };
}

/** Remove a suspender installed earlier. */
export function* removeSuspender(suspender: SuspenderLike): PlanGen<void> {
  yield { command: 'remove_suspender', suspender };
}

/** Allow (or forbid) rewinding to checkpoints for the messages that follow. */
export function* rewindable(allow: boolean): PlanGen<void> {
  yield { command: 'rewindable', allow };
}

/** Subscribe a document callback for `name` ('all' for every document); returns a token. */
export function* subscribe(name: string, callback: (name: string, doc: unknown) => void): PlanGen<Reply<'subscribe'>> {
  return (yield { command: 'subscribe', name, callback }) as Reply<'subscribe'>;
}

/** Remove a document callback by the token `subscribe` returned. */
export function* unsubscribe(token: number): PlanGen<void> {
  yield { command: 'unsubscribe', token };
}
