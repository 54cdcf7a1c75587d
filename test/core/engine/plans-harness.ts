/**
 * Test harness for plan tests: plain-object devices, and helpers that drive a plan through a
 * real RunEngine recording its messages, events, runs and documents. Tests about which messages
 * a plan yields use the dry-run walker (src/core/plans/dry-run.ts) instead.
 * Not a test file itself (no `.test.ts`).
 */
import { Status } from '../../../src/core/status.js';
import type { Location, Readings } from '../../../src/core/protocols.js';
import type { Msg, Plan } from '../../../src/core/engine/messages.js';
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
