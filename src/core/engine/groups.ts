/**
 * Status groups: the Statuses a plan started with `set`, `trigger`, `kickoff`, `stash`... filed
 * under the group it named, and the `wait` that blocks until a group is done.
 *
 * Hot path: a Status that is already finished successfully when it is added is not filed at all
 * (a `wait` on it would return at once), so a soft detector costs no bookkeeping.
 * @module
 */
import { WaitTimeoutError, toError } from '../errors.js';
import { Status, isStatus } from '../status.js';
import { setLongTimeout, type LongTimer } from '../timers.js';

/** Receives Statuses of this plan that failed before anyone waited for them. */
export type StatusFailureListener = (status: Status<unknown>) => void;

/** Called when the engine starts (with the Statuses) or stops (undefined) waiting. */
export type WaitingListener = (statuses: readonly Status<unknown>[] | undefined) => void;

const ALL = Symbol('all groups');

/** Turn what a device verb returned into a Status (a promise or nothing becomes one). */
export function asStatus(ret: unknown, name: string): Status<unknown> {
  if (isStatus(ret)) return ret;
  if (ret instanceof Promise) return Status.wrap(() => ret as Promise<unknown>, { name });
  return Status.finished(ret, name);
}

/** Statuses filed by group, with waits that are bounded and interruptible. */
export class StatusGroups {
  readonly #groups = new Map<string | undefined, Status<unknown>[]>();
  #epoch = 0;
  readonly #onFailure: StatusFailureListener;
  readonly #keepDone: () => boolean;

  /** `keepDone`: whether Statuses already finished are filed too (so a waiting hook sees them, as bluesky's). */
  constructor(onFailure: StatusFailureListener, keepDone: () => boolean = () => false) {
    this.#onFailure = onFailure;
    this.#keepDone = keepDone;
  }

  /** File `status` under `group`; a failure before any wait is reported to the failure listener. */
  add(status: Status<unknown>, group: string | undefined): void {
    if (status.done) {
      if (status.success) {
        if (this.#keepDone()) this.#file(status, group);
        return;
      }
      this.#file(status, group);
      this.#onFailure(status);
      return;
    }
    this.#file(status, group);
    const epoch = this.#epoch;
    status.addCallback((s) => {
      if (epoch === this.#epoch && !s.success) this.#onFailure(s);
    });
  }

  /** Number of groups holding Statuses. */
  get size(): number {
    return this.#groups.size;
  }

  /** Every filed Status that is not done yet. */
  pending(): Status<unknown>[] {
    const out: Status<unknown>[] = [];
    for (const list of this.#groups.values()) for (const s of list) if (!s.done) out.push(s);
    return out;
  }

  /** Forget every filed Status and ignore their later failures (a pause, or the end of a plan). */
  clear(): void {
    this.#epoch++;
    this.#groups.clear();
  }

  /**
   * Wait until every Status of `group` (of all groups when undefined) is done. Returns `true`
   * synchronously when nothing is pending; otherwise a promise. Rejects with the first failure, or
   * with WaitTimeoutError after `timeoutMs` (then the Statuses stay filed); with `moveOn` a
   * timeout resolves `false` instead. `signal` ends the wait quietly (the engine moved on).
   * `consumed` receives each failed Status whose error the wait reports.
   */
  wait(
    group: string | undefined,
    options: {
      timeoutMs?: number | undefined;
      moveOn?: boolean | undefined;
      signal?: (() => AbortSignal) | undefined;
      onWaiting?: WaitingListener | undefined;
      consumed?: (s: Status<unknown>) => void;
    } = {},
  ): boolean | Promise<boolean> {
    const key = group === undefined ? ALL : group;
    const list = this.#take(key);
    if (list === undefined) return true;
    let pending: Status<unknown>[] | undefined;
    for (const s of list) {
      if (!s.done) (pending ??= []).push(s);
      else if (!s.success) {
        options.consumed?.(s);
        throw s.exception() ?? new Error(`${s.name} failed`);
      }
    }
    if (pending === undefined) {
      const hook = options.onWaiting;
      if (hook !== undefined) {
        hook(list);
        hook(undefined);
      }
      return true;
    }
    return this.#waitFor(key, list, pending, options);
  }

  #waitFor(
    key: string | typeof ALL,
    list: Status<unknown>[],
    pending: Status<unknown>[],
    o: { timeoutMs?: number | undefined; moveOn?: boolean | undefined; signal?: (() => AbortSignal) | undefined; onWaiting?: WaitingListener | undefined; consumed?: (s: Status<unknown>) => void },
  ): Promise<boolean> {
    const hook = o.onWaiting;
    if (hook) hook(pending);
    const signal = o.signal?.();
    return new Promise<boolean>((resolve, reject) => {
      let left = pending.length;
      let settled = false;
      let timer: LongTimer | undefined;
      const end = (): void => {
        settled = true;
        timer?.clear();
        signal?.removeEventListener('abort', onAbort);
        if (hook) hook(undefined);
      };
      const onAbort = (): void => {
        if (settled) return;
        end();
        this.#refile(key, list);
        resolve(false);
      };
      const onDone = (s: Status<unknown>): void => {
        if (settled) return;
        if (!s.success) {
          end();
          o.consumed?.(s);
          reject(s.exception() ?? new Error(`${s.name} failed`));
        } else if (--left === 0) {
          end();
          resolve(true);
        }
      };
      if (o.timeoutMs !== undefined) {
        const ms = o.timeoutMs;
        timer = setLongTimeout(() => {
          if (settled) return;
          end();
          this.#refile(key, list);
          if (o.moveOn) resolve(false);
          else {
            const late = pending.filter((s) => !s.done).map((s) => s.name);
            reject(new WaitTimeoutError({ operation: `wait for ${key === ALL ? 'all groups' : `group '${key}'`} (pending: ${late.join(', ')})`, afterMs: ms }));
          }
        }, ms);
      }
      if (signal) {
        if (signal.aborted) {
          onAbort();
          return;
        }
        signal.addEventListener('abort', onAbort, { once: true });
      }
      for (const s of pending) s.addCallback(onDone);
    });
  }

  #take(key: string | typeof ALL): Status<unknown>[] | undefined {
    if (key !== ALL) {
      const list = this.#groups.get(key);
      if (list !== undefined) this.#groups.delete(key);
      return list;
    }
    if (this.#groups.size === 0) return undefined;
    const all: Status<unknown>[] = [];
    for (const l of this.#groups.values()) for (const s of l) all.push(s);
    this.#groups.clear();
    return all;
  }

  #refile(key: string | typeof ALL, list: Status<unknown>[]): void {
    const k = key === ALL ? undefined : key;
    for (const s of list) this.#file(s, k);
  }

  #file(status: Status<unknown>, group: string | undefined): void {
    const list = this.#groups.get(group);
    if (list === undefined) this.#groups.set(group, [status]);
    else list.push(status);
  }
}

/** Throw-safe call of a hook: report and swallow what it throws. */
export function callHook<A extends unknown[]>(hook: ((...a: A) => void) | undefined, report: (err: Error) => void, ...args: A): void {
  if (hook === undefined) return;
  try {
    hook(...args);
  } catch (e) {
    report(toError(e));
  }
}
