/**
 * Test harness for plan tests: plain-object devices and a tiny stand-in for the RunEngine that
 * drives a plan message by message, calls the devices, records messages and bundles events.
 * Not a test file itself (no `.test.ts`).
 */
import { Status } from '../../../src/core/status.js';
import type { Location, Readings } from '../../../src/core/protocols.js';
import type { Msg, Plan } from '../../../src/core/engine/messages.js';
import type { SRLatch } from '../../../src/core/engine/latch.js';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import type { RunEngineResult } from '../../../src/core/engine/types.js';

/** A soft motor: set moves at once; records calls. */
export interface TestMotor {
  name: string;
  position: number;
  hints: { fields: string[] };
  calls: string[];
  limits?: [number, number];
  set(value: unknown): Status<unknown>;
  read(): Readings;
  describe(): Record<string, { source: string; dtype: 'number'; shape: number[] }>;
  locate(): Location<number>;
  stage(): void;
  unstage(): void;
  checkValue?(value: unknown): void;
}

/** Make a soft motor. */
export function makeMotor(name: string, init = 0, extra: Partial<TestMotor> = {}): TestMotor {
  const m: TestMotor = {
    name,
    position: init,
    hints: { fields: [name] },
    calls: [],
    set(value: unknown) {
      m.calls.push(`set ${String(value)}`);
      m.position = value as number;
      return Status.finished<unknown>();
    },
    read() {
      return { [name]: { value: m.position, timestamp: 1 } };
    },
    describe() {
      return { [name]: { source: `soft://${name}`, dtype: 'number' as const, shape: [] } };
    },
    locate() {
      return { setpoint: m.position, readback: m.position };
    },
    stage() {
      m.calls.push('stage');
    },
    unstage() {
      m.calls.push('unstage');
    },
    ...extra,
  };
  return m;
}

/** A soft detector whose value comes from `value()`; counts triggers. */
export interface TestDetector {
  name: string;
  triggers: number;
  calls: string[];
  fail?: boolean;
  trigger(): Status<unknown>;
  read(): Readings;
  describe(): Record<string, { source: string; dtype: 'number'; shape: number[] }>;
  stage(): void;
  unstage(): void;
}

/** Make a soft detector. */
export function makeDetector(name: string, value: () => number = () => 1): TestDetector {
  const d: TestDetector = {
    name,
    triggers: 0,
    calls: [],
    trigger() {
      d.triggers++;
      return Status.finished<unknown>();
    },
    read() {
      if (d.fail) throw new Error(`${name} read failed`);
      return { [name]: { value: value(), timestamp: 1 } };
    },
    describe() {
      return { [name]: { source: `soft://${name}`, dtype: 'number' as const, shape: [] } };
    },
    stage() {
      d.calls.push('stage');
    },
    unstage() {
      d.calls.push('unstage');
    },
  };
  return d;
}

/** One saved event: stream name and merged readings' values. */
export interface SavedEvent {
  stream: string;
  data: Record<string, unknown>;
}

/** A message rendered compactly for sequence assertions: `set m1 1`, `read det`, `wait`. */
export function show(m: Msg): string {
  const r = m as Msg & { obj?: { name?: string }; objs?: Array<{ name?: string }>; value?: unknown; name?: string };
  const parts: string[] = [m.command];
  if (r.obj !== undefined) parts.push(r.obj?.name ?? '?');
  if (r.objs !== undefined) parts.push(r.objs.map((o) => o.name ?? '?').join(','));
  if (m.command === 'set') parts.push(String(r.value));
  if (m.command === 'create' || m.command === 'declare_stream') parts.push(r.name ?? '');
  if (m.command === 'sleep') parts.push('s');
  return parts.join(' ');
}

/** What {@link engineRun} saw of a plan run through the real RunEngine. */
export interface EngineRunLog<R> {
  result: RunEngineResult<R>;
  /** Every message the engine processed, in order (its msgHook). */
  log: Msg[];
  /** Events, with the name of their stream. */
  events: SavedEvent[];
  /** Each run: start uid and exit status. */
  runs: Array<{ uid: string; exitStatus: string | undefined }>;
  /** Every document the engine emitted, as [name, doc]. */
  docs: Array<[string, Record<string, unknown>]>;
}

/**
 * Run `plan` through a real RunEngine, recording messages, events by stream and run outcomes.
 * `onMsg` sees each message before the engine processes it (may fire actions or throw).
 */
export async function engineRun<R>(plan: Plan<R>, onMsg?: (m: Msg) => void): Promise<EngineRunLog<R>> {
  const log: Msg[] = [];
  const events: SavedEvent[] = [];
  const runs: Array<{ uid: string; exitStatus: string | undefined }> = [];
  const streams = new Map<string, string>();
  const docs: Array<[string, Record<string, unknown>]> = [];
  const re = new RunEngine({
    msgHook: (m) => {
      log.push(m);
      onMsg?.(m);
    },
  });
  re.subscribe((name, doc) => {
    docs.push([name, doc as unknown as Record<string, unknown>]);
    if (name === 'start') runs.push({ uid: doc.uid, exitStatus: undefined });
    else if (name === 'stop') {
      const run = runs.find((r) => r.uid === doc.run_start);
      if (run) run.exitStatus = doc.exit_status;
    } else if (name === 'descriptor') streams.set(doc.uid, doc.name);
    else if (name === 'event') events.push({ stream: streams.get(doc.descriptor) ?? '?', data: { ...doc.data } });
  });
  const result = await re.run(plan);
  return { result, log, events, runs, docs };
}

/**
 * Like {@link engineRun}, with a synchronous plan enclosed in open_run ... close_run, for stubs
 * that only make sense inside a run (create/save). The log leaves out those two messages; the
 * result's planResult is what `plan` returned.
 */
export async function engineRunInRun<R>(plan: Generator<Msg, R, unknown>, onMsg?: (m: Msg) => void): Promise<EngineRunLog<R>> {
  function* inRun(): Generator<Msg, R, unknown> {
    yield { command: 'open_run' };
    const r = yield* plan;
    yield { command: 'close_run' };
    return r;
  }
  const out = await engineRun(inRun(), onMsg);
  return { ...out, log: out.log.filter((m) => m.command !== 'open_run' && m.command !== 'close_run') };
}

/** A minimal engine stand-in: replies to messages by calling the devices. */
export class FakeEngine {
  readonly log: Msg[] = [];
  readonly events: SavedEvent[] = [];
  readonly runs: Array<{ uid: string; md: Record<string, unknown> | undefined; exitStatus?: string; reason?: string }> = [];
  readonly groups = new Map<string, Status<unknown>[]>();
  readonly tokens: number[] = [];
  /** Called before each message is handled (may fire actions, throw, ...). */
  onMsg: ((m: Msg, engine: FakeEngine) => void) | undefined;
  #bundle: SavedEvent | undefined;
  #uid = 0;

  /** Handle one message synchronously; returns the reply (throws the device's error). */
  handle(m: Msg): unknown {
    this.log.push(m);
    this.onMsg?.(m, this);
    switch (m.command) {
      case 'open_run': {
        const uid = `uid-${++this.#uid}`;
        this.runs.push({ uid, md: m.md });
        return uid;
      }
      case 'close_run': {
        const run = [...this.runs].reverse().find((r) => r.exitStatus === undefined);
        if (run) {
          run.exitStatus = m.exitStatus ?? 'success';
          if (m.reason !== undefined) run.reason = m.reason;
        }
        return run?.uid;
      }
      case 'set':
      case 'trigger': {
        const st = m.command === 'set' ? m.obj.set(m.value) : m.obj.trigger();
        if (m.group !== undefined) this.#add(m.group, st as Status<unknown>);
        return st;
      }
      case 'stash': case 'clear_cache': {
        const st = m.command === 'stash' ? m.obj.stash(m.readings) : m.obj.clear();
        if (m.group !== undefined) this.#add(m.group, st);
        return st;
      }
      case 'wait':
        for (const st of m.group === undefined ? [...this.groups.values()].flat() : (this.groups.get(m.group) ?? [])) {
          if (!st.done) throw new Error(`status ${st.name} not done in the sync harness`);
          if (!st.success) throw st.exception();
        }
        if (m.group !== undefined) this.groups.delete(m.group);
        return undefined;
      case 'create':
        this.#bundle = { stream: m.name ?? 'primary', data: {} };
        return undefined;
      case 'read': {
        const r = m.obj.read() as Readings;
        if (this.#bundle) for (const [k, v] of Object.entries(r)) this.#bundle.data[k] = v.value;
        return r;
      }
      case 'save':
        if (this.#bundle) this.events.push(this.#bundle);
        this.#bundle = undefined;
        return undefined;
      case 'drop':
        this.#bundle = undefined;
        return undefined;
      case 'locate': {
        const locs = m.objs.map((o) => o.locate() as Location);
        return m.squeeze !== false && locs.length === 1 ? locs[0] : locs;
      }
      case 'stage': case 'unstage': {
        const f = (m.obj as unknown as Record<string, () => unknown>)[m.command];
        return f?.call(m.obj);
      }
      case 'subscribe':
        this.tokens.push(this.tokens.length + 1);
        return this.tokens.length;
      default:
        return undefined;
    }
  }

  #add(group: string, st: Status<unknown>): void {
    const list = this.groups.get(group) ?? [];
    list.push(st);
    this.groups.set(group, list);
  }

  /** Drive a synchronous plan to its end, throwing device errors into it; returns its result. */
  run<R>(plan: Generator<Msg, R, unknown>): R {
    let r = plan.next();
    while (!r.done) {
      let reply: unknown;
      try {
        reply = this.handle(r.value);
      } catch (err) {
        r = plan.throw(err);
        continue;
      }
      r = plan.next(reply);
    }
    return r.value;
  }

  /**
   * Drive any plan asynchronously: like run(), plus real `sleep` (ms-scale in tests) and
   * `wait_for_actions` (first latch to change, or undefined after timeoutMs).
   */
  async runAsync<R>(plan: Plan<R>, limit = 100_000): Promise<R> {
    let r = await plan.next();
    for (let n = 0; !r.done; n++) {
      if (n > limit) throw new Error('harness: message limit reached');
      let reply: unknown;
      try {
        reply = await this.#handleAsync(r.value);
      } catch (err) {
        r = await plan.throw(err);
        continue;
      }
      r = await plan.next(reply);
    }
    return r.value;
  }

  async #handleAsync(m: Msg): Promise<unknown> {
    if (m.command === 'sleep') {
      this.log.push(m);
      await new Promise((res) => setTimeout(res, m.seconds * 1000));
      return undefined;
    }
    if (m.command === 'wait_for_actions') {
      this.log.push(m);
      this.onMsg?.(m, this);
      return waitForLatches(m.events, m.timeoutMs, m.waitFor ?? 'set');
    }
    if (m.command === 'wait_for') {
      this.log.push(m);
      return Promise.all(m.awaitables.map((f) => f()));
    }
    return this.handle(m);
  }
}

/** Resolve with the first latch to reach the state, or undefined after timeoutMs. */
export async function waitForLatches(events: Record<string, SRLatch>, timeoutMs: number | undefined, state: 'set' | 'reset'): Promise<[string, SRLatch] | undefined> {
  const ac = new AbortController();
  const waits = Object.entries(events).map(([name, latch]) =>
    (state === 'set' ? latch.waitForSet(undefined, ac.signal) : latch.waitForReset(undefined, ac.signal)).then(() => [name, latch] as [string, SRLatch]));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((res) => {
    timer = setTimeout(() => res(undefined), timeoutMs ?? 1);
  });
  try {
    return await Promise.race([...waits, timeout]);
  } finally {
    clearTimeout(timer);
    ac.abort(new Error('done'));
    await Promise.allSettled(waits);
  }
}

/** Commands of a message list, for sequence assertions. */
export function commands(log: readonly Msg[]): string[] {
  return log.map((m) => m.command);
}
