/**
 * Plain-object devices and helpers for the RunEngine tests (no dependency on src/core/device or
 * src/core/signal). Every timer a fixture starts is cleared by stop() or by completion.
 */
import { Status } from '../../../src/core/status.js';
import type { DataKeys, Readings } from '../../../src/core/protocols.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import type { RunEngine } from '../../../src/core/engine/run-engine.js';
import { invalidDocuments } from '../../helpers/schemas.js';

export const now = (): number => Date.now() / 1000;

/** A soft detector: trigger() finishes at once (or after `triggerMs`), read() is synchronous. */
export function makeDet(name = 'det', o: { triggerMs?: number; failOnRead?: number; failOnTrigger?: number } = {}) {
  let n = 0;
  let triggers = 0;
  const timers = new Map<ReturnType<typeof setTimeout>, Status<unknown>>();
  return {
    name,
    reads: () => n,
    triggers: () => triggers,
    read(): Readings {
      n++;
      if (o.failOnRead !== undefined && n >= o.failOnRead) throw new Error(`${name} read failed`);
      return { [name]: { value: n, timestamp: now() } };
    },
    describe(): DataKeys {
      return { [name]: { source: `sim://${name}`, dtype: 'number', shape: [] } };
    },
    trigger(): Status<unknown> {
      triggers++;
      if (o.failOnTrigger !== undefined && triggers >= o.failOnTrigger) return Status.failed(new Error(`${name} trigger failed`), `${name}.trigger`);
      if (!o.triggerMs) return Status.finished<unknown>(undefined, `${name}.trigger`);
      const st = new Status<unknown>({ name: `${name}.trigger` });
      const t = setTimeout(() => {
        timers.delete(t);
        st.setFinished();
      }, o.triggerMs);
      timers.set(t, st);
      return st;
    },
    /** Cancel pending triggers and their timers (test teardown). */
    dispose(): void {
      for (const [t, st] of timers) {
        clearTimeout(t);
        st.cancel('disposed');
      }
      timers.clear();
    },
  };
}

/** A soft motor: set(v) moves at once (moveMs 0) or after moveMs; stop() cancels a pending move. */
export function makeMotor(name = 'motor', o: { moveMs?: number; failOnSet?: number } = {}) {
  let position = 0;
  let sets = 0;
  const stops: Array<{ success?: boolean } | undefined> = [];
  let pending: { st: Status<unknown>; timer: ReturnType<typeof setTimeout> } | undefined;
  return {
    name,
    get position() {
      return position;
    },
    stops,
    sets: () => sets,
    set(v: unknown): Status<unknown> {
      sets++;
      if (o.failOnSet !== undefined && sets >= o.failOnSet) return Status.failed(new Error(`${name} set failed`), `${name}.set`);
      const target = Number(v);
      if (!o.moveMs) {
        position = target;
        return Status.finished<unknown>(undefined, `${name}.set`);
      }
      const st = new Status<unknown>({ name: `${name}.set(${target})` });
      const timer = setTimeout(() => {
        pending = undefined;
        position = target;
        st.setFinished();
      }, o.moveMs);
      pending = { st, timer };
      return st;
    },
    stop(opts?: { success?: boolean }): void {
      stops.push(opts);
      if (pending) {
        clearTimeout(pending.timer);
        pending.st.cancel(`${name} stopped`);
        pending = undefined;
      }
    },
    read(): Readings {
      return { [name]: { value: position, timestamp: now() } };
    },
    describe(): DataKeys {
      return { [name]: { source: `sim://${name}`, dtype: 'number', shape: [] } };
    },
    locate() {
      return { setpoint: position, readback: position };
    },
  };
}

/** A signal-like source for monitors and suspenders. */
export function makeSignal(name: string, initial: unknown) {
  let value = initial;
  const subs = new Set<(r: Readings) => void>();
  const readings = (): Readings => ({ [name]: { value, timestamp: now() } });
  return {
    name,
    subs,
    get value() {
      return value;
    },
    put(v: unknown): void {
      value = v;
      const r = readings();
      for (const cb of [...subs]) cb(r);
    },
    subscribe(cb: (r: Readings) => void): void {
      subs.add(cb);
      cb(readings());
    },
    clearSub(cb: (r: Readings) => void): void {
      subs.delete(cb);
    },
    read: readings,
    describe(): DataKeys {
      return { [name]: { source: `sim://${name}`, dtype: typeof initial === 'number' ? 'number' : 'boolean', shape: [] } };
    },
  };
}

/** Record every document the engine emits. */
export function record(re: RunEngine): { docs: Array<[string, any]>; names(): string[]; of(name: string): any[]; token: number } {
  const docs: Array<[string, any]> = [];
  const token = re.subscribe((name, doc) => {
    docs.push([name, doc]);
  });
  return {
    docs,
    token,
    names: () => docs.map(([n]) => n),
    of: (name: string) => docs.filter(([n]) => n === name).map(([, d]) => d),
  };
}

/** Schema errors of recorded documents (empty when all are valid). */
export function schemaProblems(docs: Array<[string, unknown]>): string[] {
  return invalidDocuments(docs);
}

/** A plan from a list of messages. */
export function* planOf(msgs: Msg[]): Generator<Msg, void, unknown> {
  for (const m of msgs) yield m;
}

/** A count-like plan: open_run, then for each point checkpoint/trigger/wait/create/read/save. */
export function* countPlan(dets: Array<ReturnType<typeof makeDet>>, n: number, md: Record<string, unknown> = {}): Generator<Msg, string[], unknown> {
  const uids: string[] = [];
  yield { command: 'open_run', md: { plan_name: 'count', ...md } };
  for (let i = 0; i < n; i++) {
    yield { command: 'checkpoint' };
    const g = `trigger-${i}`;
    for (const d of dets) yield { command: 'trigger', obj: d, group: g };
    yield { command: 'wait', group: g };
    yield { command: 'create', name: 'primary' };
    for (const d of dets) yield { command: 'read', obj: d };
    yield { command: 'save' };
  }
  yield { command: 'close_run' };
  return uids;
}

/** Wait until `cond` holds (polling every 2 ms), at most `ms`. */
export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

import type { Test } from 'tap';
import { RunEngine as Engine } from '../../../src/core/engine/run-engine.js';
import type { RunEngineOptions } from '../../../src/core/engine/types.js';
import { leakGuard } from '../../../src/testing/leak-guard.js';

/** What {@link withEngine} hands a test. */
export interface EngineKit {
  re: Engine;
  rec: ReturnType<typeof record>;
  /** Errors the engine reported (not raised). */
  reported: Array<{ err: Error; context: string }>;
}

/**
 * Run `fn` with a fresh RunEngine and a document recorder, then check the engine is idle, every
 * emitted document validates, and no timer, handle or Status was left behind.
 */
export async function withEngine(t: Test, opts: RunEngineOptions, fn: (kit: EngineKit) => Promise<void>): Promise<void> {
  const guard = leakGuard();
  const reported: EngineKit['reported'] = [];
  const re = new Engine({ onError: (err, context) => reported.push({ err, context }), ...opts });
  const rec = record(re);
  try {
    await fn({ re, rec, reported });
    t.equal(re.state, 'idle', 'the engine ends idle');
    t.same(schemaProblems(rec.docs), [], 'every document validates against the event-model schemas');
  } finally {
    re.clearSuspenders();
    await guard.assertClean({ graceMs: 300 });
  }
}

/** Outcome of one message inside a plan: its response, or the error thrown into the plan. */
export type Attempt = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Yield `m` and catch what the engine throws back. */
export function* attempt(m: Msg): Generator<Msg, Attempt, unknown> {
  try {
    return { ok: true, value: yield m };
  } catch (error) {
    return { ok: false, error };
  }
}
