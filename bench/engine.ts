/**
 * RunEngine benchmark (issue 3): messages/second for a plan of 100,000 `null` messages,
 * events/second for a count plan of 100,000 events with a soft detector (documents built and
 * delivered to one subscriber), peak memory, and a flat-memory check over 1,000,000 events.
 *
 * Runs alone with `node --import tsx bench/engine.ts` (add `--expose-gc` for exact heap figures);
 * `--floor` runs only the floor case, `--plan-kinds` only sync vs async generator plans.
 */
import { pathToFileURL } from 'node:url';
import { RunEngine } from '../src/core/engine/index.js';
import type { Msg } from '../src/core/engine/index.js';
import { Status } from '../src/core/status.js';
import { count } from '../src/core/plans/index.js';
import { newUid } from '../src/core/documents/compose.js';
import type { DataKeys, Readings } from '../src/core/protocols.js';
import { fmtRate, header } from './util.js';

/** bluesky 1.14 reference, documented in issue 3 (not measured here): µs per `null` message. */
export const BLUESKY_US_PER_NULL_MSG = 8.8;
/** bluesky 1.14 reference, documented in issue 3 (not measured here): µs per `count` event (soft detector). */
export const BLUESKY_US_PER_COUNT_EVENT = 830;

const gc = (globalThis as { gc?: () => void }).gc;
const heapMiB = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** A soft detector: trigger() returns an already-finished Status, read() is synchronous. */
function softDetector(name: string) {
  let n = 0;
  const keys: DataKeys = { [name]: { source: `soft://${name}`, dtype: 'number', shape: [] } };
  return {
    name,
    trigger: (): Status<unknown> => Status.finished<unknown>(undefined, `${name}.trigger`),
    read: (): Readings => ({ [name]: { value: n++, timestamp: Date.now() / 1000 } }),
    describe: (): DataKeys => keys,
  };
}

function* nullPlan(n: number): Generator<Msg, void, unknown> {
  for (let i = 0; i < n; i++) yield { command: 'null' };
}

/** The messages of bluesky's `count([det], num)`, built inline. */
function* countPlan(det: ReturnType<typeof softDetector>, num: number): Generator<Msg, void, unknown> {
  yield { command: 'stage', obj: det as never };
  yield { command: 'open_run', md: { plan_name: 'count', num_points: num } };
  yield { command: 'declare_stream', name: 'primary', objs: [det] };
  for (let i = 0; i < num; i++) {
    yield { command: 'checkpoint' };
    const group = `trigger-${i}`;
    yield { command: 'trigger', obj: det, group };
    yield { command: 'wait', group };
    yield { command: 'create', name: 'primary' };
    yield { command: 'read', obj: det };
    yield { command: 'save' };
  }
  yield { command: 'close_run' };
  yield { command: 'unstage', obj: det as never };
}

function line(label: string, value: string): void {
  console.log(`  ${label.padEnd(52)} ${value}`);
}

/** Measure the RunEngine; returns the figures by name. */
export async function benchEngine(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const re = new RunEngine();
  let docs = 0;
  re.subscribe(() => {
    docs++;
  });

  header('engine: null messages (plan of 100,000 `null`)');
  await re.run(nullPlan(100_000)); // warm-up
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    await re.run(nullPlan(100_000));
    best = Math.min(best, performance.now() - t0);
  }
  const usPerMsg = (best * 1000) / 100_000;
  out['nullMsgsPerSecond'] = 1e6 / usPerMsg;
  out['usPerNullMsg'] = usPerMsg;
  out['nullSpeedupVsBluesky'] = BLUESKY_US_PER_NULL_MSG / usPerMsg;
  line('messages/second', fmtRate(out['nullMsgsPerSecond']));
  line('µs per message', usPerMsg.toFixed(3));
  line(`vs bluesky 1.14 reference ${BLUESKY_US_PER_NULL_MSG} µs/msg (documented)`, `${out['nullSpeedupVsBluesky'].toFixed(1)}x faster (goal ≥ 10x)`);

  header('engine: count([det], 100000) with a soft detector, documents to one subscriber');
  for (let k = 0; k < 2; k++) await re.run(countPlan(softDetector('det'), 100_000)); // warm-up
  best = Infinity;
  for (let k = 0; k < 3; k++) {
    docs = 0;
    const t0 = performance.now();
    const r = await re.run(countPlan(softDetector('det'), 100_000));
    const dt = performance.now() - t0;
    if (r.exitStatus !== 'success' || docs !== 100_003) throw new Error(`count run went wrong: ${r.exitStatus} ${r.reason}, ${docs} documents`);
    best = Math.min(best, dt);
  }
  const usPerEvent = (best * 1000) / 100_000;
  out['countEventsPerSecond'] = 1e6 / usPerEvent;
  out['usPerCountEvent'] = usPerEvent;
  out['countSpeedupVsBluesky'] = BLUESKY_US_PER_COUNT_EVENT / usPerEvent;
  line('events/second', fmtRate(out['countEventsPerSecond']));
  line('µs per event (6 messages + event document)', usPerEvent.toFixed(2));
  line(`vs bluesky 1.14 reference ${BLUESKY_US_PER_COUNT_EVENT} µs/event (documented)`, `${out['countSpeedupVsBluesky'].toFixed(0)}x faster (goal ≥ 50x)`);

  header('engine: floor — a bare loop building the same event documents vs count([det]) (best of 25 x 20,000 events)');
  const floor = await benchFloor();
  Object.assign(out, floor);
  line('bare loop: µs per event (uid, time, data, timestamps, seq_num)', floor['usPerEventFloorLoop']!.toFixed(3));
  line('labrig count([det], 20000): µs per event', floor['usPerEventFloorCount']!.toFixed(3));
  line('ratio loop/labrig (goal ≥ 0.4)', floor['floorRatio']!.toFixed(2));
  line('bare loop with labrig\'s newUid: µs per event', floor['usPerEventFloorLoopNewUid']!.toFixed(3));
  line('ratio loop (same uid function)/labrig', floor['floorRatioSameUid']!.toFixed(2));

  header('engine: the same count messages from a sync vs an async generator plan (decision 0011)');
  const kinds = await benchPlanKinds();
  Object.assign(out, kinds);
  line('sync generator plan: µs per event', kinds['usPerEventSyncPlan']!.toFixed(3));
  line('async generator plan: µs per event', kinds['usPerEventAsyncPlan']!.toFixed(3));
  line('async/sync', `${kinds['asyncPlanCostRatio']!.toFixed(1)}x`);

  header('engine: 1,000,000 events, flat memory check');
  const heap0 = heapMiB();
  const samples: Record<number, number> = {};
  const token = re.subscribe((_name, doc) => {
    const seq = (doc as { seq_num?: number }).seq_num;
    if (seq === 100_000 || seq === 1_000_000) samples[seq] = heapMiB();
  }, 'event');
  const t0 = performance.now();
  await re.run(countPlan(softDetector('det'), 1_000_000));
  const dt = performance.now() - t0;
  re.unsubscribe(token);
  out['millionEventsPerSecond'] = 1_000_000 / (dt / 1000);
  out['heapMiBBefore'] = heap0;
  out['heapMiBAfter100k'] = samples[100_000] ?? NaN;
  out['heapMiBAfter1M'] = samples[1_000_000] ?? NaN;
  out['heapGrowthMiB100kTo1M'] = out['heapMiBAfter1M'] - out['heapMiBAfter100k'];
  out['peakRssMiB'] = process.resourceUsage().maxRSS / 1024;
  out['heapMiBEnd'] = heapMiB();
  line('events/second over 1,000,000 events', fmtRate(out['millionEventsPerSecond']));
  line(`heap used after 100k events${gc ? '' : ' (no --expose-gc: approximate)'}`, `${out['heapMiBAfter100k'].toFixed(1)} MiB`);
  line('heap used after 1M events', `${out['heapMiBAfter1M'].toFixed(1)} MiB (growth ${out['heapGrowthMiB100kTo1M'].toFixed(1)} MiB)`);
  line('heap used after the run', `${out['heapMiBEnd'].toFixed(1)} MiB`);
  line('peak RSS of the process', `${out['peakRssMiB'].toFixed(0)} MiB`);
  return out;
}

/**
 * The floor under `count`: a bare loop that reads the same synchronous detector and builds the
 * same event documents (uid, time, data, timestamps, seq_num, descriptor, filled) for the same
 * kind of subscriber, timed next to labrig's `count` plan in the same process (best of 25
 * interleaved rounds of 20,000 events each, so both see the same machine load).
 */
export async function benchFloor(n = 20_000, rounds = 25): Promise<Record<string, number>> {
  let sink = 0;
  const subscriber = (_name: string, doc: unknown): void => {
    sink += (doc as { seq_num?: number }).seq_num ?? 0;
  };
  // `uid` makes the event uids: crypto.randomUUID() (the bare loop as issue 14 defines it), or
  // labrig's own pooled newUid (the same uid cost as labrig's, so the ratio shows only the engine).
  const loop = (uid: () => string): number => {
    const det = softDetector('det');
    const descriptor = uid();
    const t0 = performance.now();
    for (let seq = 1; seq <= n; seq++) {
      det.trigger();
      const r = det.read();
      const reading = r['det']!;
      const event = {
        uid: uid(),
        descriptor,
        seq_num: seq,
        time: Date.now() / 1000,
        data: { det: reading.value },
        timestamps: { det: reading.timestamp },
        filled: {},
      };
      subscriber('event', event);
    }
    return performance.now() - t0;
  };
  const re = new RunEngine();
  re.subscribe(subscriber);
  const labrig = async (): Promise<number> => {
    const t0 = performance.now();
    const r = await re.run(count([softDetector('det')], n));
    if (r.exitStatus !== 'success') throw new Error(`count failed: ${r.reason}`);
    return performance.now() - t0;
  };
  const webUid = (): string => crypto.randomUUID();
  loop(webUid);
  loop(newUid);
  await labrig();
  let bestLoop = Infinity;
  let bestLoopNewUid = Infinity;
  let bestCount = Infinity;
  // Best of many short interleaved rounds: on a loaded machine the minimum is the figure least
  // disturbed by other processes, for both sides alike.
  for (let k = 0; k < rounds; k++) {
    bestLoop = Math.min(bestLoop, loop(webUid));
    bestLoopNewUid = Math.min(bestLoopNewUid, loop(newUid));
    bestCount = Math.min(bestCount, await labrig());
  }
  if (sink === 0) throw new Error('subscriber saw nothing');
  const usLoop = (bestLoop * 1000) / n;
  const usLoopNewUid = (bestLoopNewUid * 1000) / n;
  const usCount = (bestCount * 1000) / n;
  return {
    usPerEventFloorLoop: usLoop,
    usPerEventFloorLoopNewUid: usLoopNewUid,
    usPerEventFloorCount: usCount,
    floorRatio: usLoop / usCount,
    floorRatioSameUid: usLoopNewUid / usCount,
  };
}

/** The messages of `count([det], num)` (as {@link countPlan}), from a sync or an async generator. */
function shotPlans(det: ReturnType<typeof softDetector>, num: number) {
  const shot: Msg[] = [
    { command: 'checkpoint' }, { command: 'checkpoint' }, { command: 'trigger', obj: det, group: 'g' }, { command: 'wait', group: 'g' },
    { command: 'create', name: 'primary' }, { command: 'read', obj: det }, { command: 'save' },
  ];
  const open: Msg = { command: 'open_run', md: { plan_name: 'count' } };
  const close: Msg = { command: 'close_run' };
  return {
    *sync(): Generator<Msg, void, unknown> {
      yield open;
      for (let i = 0; i < num; i++) for (let k = 0; k < shot.length; k++) yield shot[k]!;
      yield close;
    },
    async *async(): AsyncGenerator<Msg, void, unknown> {
      yield open;
      for (let i = 0; i < num; i++) for (let k = 0; k < shot.length; k++) yield shot[k]!;
      yield close;
    },
  };
}

/**
 * Cost of async generator plans (decision 0011): the same count messages from a sync and an
 * async generator, best of `rounds` interleaved rounds of `n` events.
 */
export async function benchPlanKinds(n = 20_000, rounds = 15): Promise<Record<string, number>> {
  const re = new RunEngine();
  let docs = 0;
  re.subscribe(() => {
    docs++;
  });
  let bestSync = Infinity;
  let bestAsync = Infinity;
  for (let k = 0; k <= rounds; k++) {
    let t0 = performance.now();
    const a = await re.run(shotPlans(softDetector('det'), n).sync());
    const dtSync = performance.now() - t0;
    t0 = performance.now();
    const b = await re.run(shotPlans(softDetector('det'), n).async());
    const dtAsync = performance.now() - t0;
    if (a.exitStatus !== 'success' || b.exitStatus !== 'success') throw new Error(`plan kinds: ${a.reason} ${b.reason}`);
    if (k === 0) continue; // warm-up
    bestSync = Math.min(bestSync, dtSync);
    bestAsync = Math.min(bestAsync, dtAsync);
  }
  if (docs === 0) throw new Error('subscriber saw nothing');
  const usSync = (bestSync * 1000) / n;
  const usAsync = (bestAsync * 1000) / n;
  return { usPerEventSyncPlan: usSync, usPerEventAsyncPlan: usAsync, asyncPlanCostRatio: usAsync / usSync };
}

if (process.argv.includes('--floor')) {
  const f = await benchFloor();
  console.log(`floor loop ${f['usPerEventFloorLoop']!.toFixed(3)} µs/event, labrig count ${f['usPerEventFloorCount']!.toFixed(3)} µs/event, ratio ${f['floorRatio']!.toFixed(2)}`
    + ` (loop with labrig's newUid ${f['usPerEventFloorLoopNewUid']!.toFixed(3)} µs/event, ratio ${f['floorRatioSameUid']!.toFixed(2)})`);
} else if (process.argv.includes('--plan-kinds')) {
  const k = await benchPlanKinds();
  console.log(`sync plan ${k['usPerEventSyncPlan']!.toFixed(3)} µs/event, async plan ${k['usPerEventAsyncPlan']!.toFixed(3)} µs/event, async/sync ${k['asyncPlanCostRatio']!.toFixed(1)}x`);
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchEngine();
}
