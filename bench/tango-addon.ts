/**
 * Tango native addon benchmark, against Debian's TangoTest and labrig's PyTango event server on
 * 127.0.0.1, all in the same run:
 *
 * 1. Sequential attribute reads per second (`double_scalar`, one read in flight at a time): the
 *    addon backend (`await backend.readAttributes([...])`, reads on the JS thread while the worker
 *    is idle), the same with `syncReadMs: 0` (every read through the worker thread) and PyTango
 *    in-process (a `/usr/bin/python3` loop timing `DeviceProxy.read_attribute`) on the same
 *    server, in alternating slices so all see the same machine load; rates over all slices and
 *    the ratio addon/PyTango (goal ≥ 1/1.2 ≈ 0.83), then where a read's time goes by the addon's
 *    own clock (`timing()`).
 * 2. Change-event delivery latency: the event server's `counter` ticks every 20 ms; latency is the
 *    time a reading reaches the callback minus the server's timestamp of it (one machine, one
 *    clock), median and 95th percentile, for the addon through its event host (the default: a
 *    child process, one IPC hop), the addon subscribing in-process (`events: 'inprocess'`), in
 *    alternating rounds, and for a PyTango callback in a `/usr/bin/python3` process.
 *
 * `benchTangoAddon()` is what `npm run bench -- tango-addon` runs; it prints "skipped" with the
 * reason when the addon is not built or TangoTest is missing.
 */
import { spawn } from 'node:child_process';
import { header, row } from './util.js';

const READ_MS = Number(process.env['LABRIG_BENCH_TANGO_READ_MS'] ?? 6000);
const SLICE = 200;
const EVENTS = Number(process.env['LABRIG_BENCH_TANGO_EVENTS'] ?? 200);

const PY_READS = `
import sys, time, tango
d = tango.DeviceProxy(sys.argv[1])
d.set_timeout_millis(5000)
for _ in range(200): d.read_attribute('double_scalar')
print('ready', flush=True)
for line in sys.stdin:
    n = int(line)
    t0 = time.perf_counter()
    for _ in range(n): d.read_attribute('double_scalar')
    print(time.perf_counter() - t0, flush=True)
`;

/** A PyTango process reading `double_scalar` in slices on request: `slice(n)` → seconds taken inside Python. */
async function pyReader(address: string): Promise<{ slice(n: number): Promise<number>; close(): void }> {
  const c = spawn('/usr/bin/python3', ['-c', PY_READS, address], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buf = '';
  let err = '';
  const waiters: Array<(line: string) => void> = [];
  c.stderr.on('data', (b: Buffer) => (err += b.toString()));
  c.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiters.shift()?.(line);
    }
  });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PyTango reader gave no answer in 60 s: ${err.slice(-500)}`)), 60000);
      waiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  const ready = await next();
  if (ready !== 'ready') throw new Error(`PyTango reader: ${ready} ${err.slice(-500)}`);
  return {
    async slice(n: number): Promise<number> {
      const p = next();
      c.stdin.write(`${n}\n`);
      return Number(await p);
    },
    close: () => {
      c.stdin.end();
      c.kill('SIGKILL');
    },
  };
}

const PY_EVENTS = `
import sys, time, threading, tango
d = tango.DeviceProxy(sys.argv[1])
want = int(sys.argv[2])
lat = []
done = threading.Event()
def cb(ev):
    if ev.err or ev.attr_value is None: return
    now = time.time()
    lat.append(now - ev.attr_value.time.totime())
    if len(lat) >= want + 1: done.set()
d.command_inout('Stop'); d.write_attribute('period_ms', 20.0)
eid = d.subscribe_event('counter', tango.EventType.CHANGE_EVENT, cb)
d.command_inout('Start')
ok = done.wait(60)
d.command_inout('Stop')
d.unsubscribe_event(eid)
print(' '.join('%.9f' % x for x in lat[1:]), flush=True)
`;

/** Run a python snippet with args; resolves with its stdout (bounded by `limitMs`). */
function python(code: string, args: string[], limitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/python3', ['-c', code, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), limitMs);
    c.once('error', reject);
    c.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`python exited ${code}: ${err.slice(-500)}`));
    });
  });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

/** Run the benchmark (see the module notes); resolves with the figures, or undefined when skipped. */
export async function benchTangoAddon(): Promise<Record<string, number> | undefined> {
  header('Tango native addon (TangoTest / labrig event server on 127.0.0.1)');
  const { loadTangoAddon, tangoAddonAvailable, TangoAddonBackend, TANGO_ADDON_PATH } = await import('../src/drivers/tango/addon.js');
  const { parseTangoAddress } = await import('../src/drivers/tango/backend.js');
  const { startTangoEventServer, startTangoTest, tangoTestAvailable } = await import('../src/sim/tango/index.js');
  if (!tangoTestAvailable()) {
    console.log('  skipped: TangoTest is not installed (apt-get install tango-test python3-tango)');
    return undefined;
  }
  if (!tangoAddonAvailable()) {
    console.log(`  skipped: the addon is not built (${TANGO_ADDON_PATH}; install libtango-dev, npm run build:native)`);
    return undefined;
  }
  const [tt, ev] = await Promise.all([startTangoTest(), startTangoEventServer()]);
  const backends: Array<InstanceType<typeof TangoAddonBackend>> = [];
  try {
    // 1. sequential reads: the default backend (reads on the JS thread while the worker is idle)
    // and one with syncReadMs 0 (every read through the worker thread), on the same server.
    const b = new TangoAddonBackend({ timeoutMs: 5000 });
    const w = new TangoAddonBackend({ timeoutMs: 5000, syncReadMs: 0 });
    backends.push(b, w);
    await b.connect(parseTangoAddress(tt.address), { timeoutMs: 20000 });
    await w.connect(parseTangoAddress(tt.address), { timeoutMs: 20000 });
    for (let i = 0; i < 200; i++) await b.readAttributes(['double_scalar']);
    for (let i = 0; i < 200; i++) await w.readAttributes(['double_scalar']);
    b.timing(true);
    w.timing(true);
    // Alternating slices of SLICE reads (addon, addon through the worker, PyTango, echo) for
    // READ_MS: all see the same load.
    const py = await pyReader(tt.address);
    let addonS = 0;
    let workerS = 0;
    let pyS = 0;
    let reads = 0;
    let echoS = 0;
    const ratios: number[] = [];
    // The floor of any worker call: a request to the worker thread and its reply through the
    // thread-safe function, with no Tango call (the native `echo`).
    let settle: (() => void) | undefined;
    const raw = new (loadTangoAddon().Device)(() => settle?.());
    raw.ref();
    const echo = (): Promise<void> =>
      new Promise<void>((r) => {
        settle = r;
        raw.echo(0);
      });
    try {
      const end = performance.now() + READ_MS;
      while (performance.now() < end) {
        const t0 = performance.now();
        for (let i = 0; i < SLICE; i++) await b.readAttributes(['double_scalar']);
        const a = (performance.now() - t0) / 1000;
        const t2 = performance.now();
        for (let i = 0; i < SLICE; i++) await w.readAttributes(['double_scalar']);
        workerS += (performance.now() - t2) / 1000;
        const p = await py.slice(SLICE);
        const t1 = performance.now();
        for (let i = 0; i < SLICE; i++) await echo();
        echoS += (performance.now() - t1) / 1000;
        addonS += a;
        pyS += p;
        reads += SLICE;
        ratios.push(a / p);
      }
    } finally {
      py.close();
      raw.close(0);
    }
    const addon = reads / addonS;
    const worker = reads / workerS;
    const pyRate = reads / pyS;
    const bt = b.timing()!;
    const wt = w.timing()!;
    const us = (ns: number, n: number): string => (n > 0 ? (ns / n / 1000).toFixed(1) : '-');
    console.log(`  sequential reads of double_scalar, ${reads} each in alternating slices of ${SLICE}:`);
    row('PyTango in-process (DeviceProxy.read_attribute)', pyRate);
    row('addon backend (readAttributes)', addon, 'PyTango', pyRate);
    row('addon backend, every read through the worker (syncReadMs 0)', worker, 'PyTango', pyRate);
    row('addon thread round trip, no Tango call (echo)', reads / echoS);
    console.log(
      `  per read: addon ${(1e6 / addon).toFixed(0)} µs, PyTango ${(1e6 / pyRate).toFixed(0)} µs; addon/PyTango time ${(pyRate / addon).toFixed(2)}×, median slice ${quantile(ratios, 0.5).toFixed(2)}× (goal ≤ 1.2×)`,
    );
    console.log(
      `  addon: ${bt.syncCalls} of ${bt.syncCalls + bt.calls} reads on the JS thread (moved to the worker: ${bt.syncTimeouts} budget timeouts, ${bt.syncSlowOffs} slow medians); cppTango call ${us(bt.syncCall, bt.syncCalls)} µs, JS values ${us(bt.syncBuild, bt.syncCalls)} µs, the rest (JS wrapper, await) ${bt.calls === 0 ? `${(1e6 / addon - (bt.syncCall + bt.syncBuild) / Math.max(1, bt.syncCalls) / 1000).toFixed(1)} µs` : 'n/a (some reads went through the worker)'}`,
    );
    const wSum = (wt.queued + wt.call + wt.copy + wt.deliver + wt.build + wt.dispatch) / Math.max(1, wt.calls) / 1000;
    console.log(
      `  through the worker ${(1e6 / worker).toFixed(0)} µs per read: queued ${us(wt.queued, wt.calls)}, cppTango call ${us(wt.call, wt.calls)}, copy ${us(wt.copy, wt.calls)}, back to the JS thread ${us(wt.deliver, wt.calls)}, JS values ${us(wt.build, wt.calls)}, dispatch ${us(wt.dispatch, wt.calls)}, JS wrapper and await ${(1e6 / worker - wSum).toFixed(1)} µs`,
    );
    console.log(`  the worker's floor per call (hand-off and thread-safe-function wake-up, no Tango call): ${((echoS / reads) * 1e6).toFixed(0)} µs`);

    // 2. event latency: through the event host (the default, a child process) and in-process
    // (events: 'inprocess', no IPC hop), alternating rounds so both see the same load.
    const latency = async (events: 'host' | 'inprocess', n: number): Promise<number[]> => {
      const e = new TangoAddonBackend({ timeoutMs: 5000, events });
      backends.push(e);
      await e.connect(parseTangoAddress(ev.address), { timeoutMs: 20000 });
      await e.command('Stop');
      await e.writeAttribute('period_ms', 20);
      const lat: number[] = [];
      let first = true;
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const unsub = await e.subscribe('counter', (x) => {
        if (!x.reading) return;
        // Wall clock with sub-millisecond resolution (Date.now() has 1 ms steps, too coarse here).
        const now = (performance.timeOrigin + performance.now()) / 1000;
        if (first) {
          first = false; // the current value at subscribe, not a pushed event
          return;
        }
        lat.push(now - x.reading.timestamp);
        if (lat.length >= n) resolveDone();
      });
      await e.command('Start');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 60000)))]);
      clearTimeout(timer);
      await e.command('Stop');
      await unsub();
      await e.close();
      return lat;
    };
    const lat: number[] = [];
    const inLat: number[] = [];
    const ROUNDS = 4;
    for (let i = 0; i < ROUNDS; i++) {
      lat.push(...(await latency('host', Math.ceil(EVENTS / ROUNDS))));
      inLat.push(...(await latency('inprocess', Math.ceil(EVENTS / ROUNDS))));
    }
    const pyLat = (await python(PY_EVENTS, [ev.address, String(EVENTS)], 90000)).trim().split(/\s+/).filter(Boolean).map(Number);
    const ms = (x: number): string => `${(x * 1000).toFixed(2)} ms`;
    console.log(`  change-event latency (server timestamp → callback), ${lat.length} events at 20 ms:`);
    console.log(`    addon (event host)  median ${ms(quantile(lat, 0.5))}  p95 ${ms(quantile(lat, 0.95))}  (${lat.length} events)`);
    console.log(`    addon in-process    median ${ms(quantile(inLat, 0.5))}  p95 ${ms(quantile(inLat, 0.95))}  (${inLat.length} events)`);
    console.log(`    PyTango             median ${ms(quantile(pyLat, 0.5))}  p95 ${ms(quantile(pyLat, 0.95))}  (${pyLat.length} events)`);
    return {
      addonReadsPerSecond: addon,
      addonWorkerReadsPerSecond: worker,
      addonEchoMicros: (echoS / reads) * 1e6,
      pytangoReadsPerSecond: pyRate,
      eventLatencyMedianMs: quantile(lat, 0.5) * 1000,
      eventLatencyP95Ms: quantile(lat, 0.95) * 1000,
      inprocessEventLatencyMedianMs: quantile(inLat, 0.5) * 1000,
      pytangoEventLatencyMedianMs: quantile(pyLat, 0.5) * 1000,
    };
  } finally {
    await Promise.all(backends.map((x) => x.close()));
    await Promise.all([tt.close(), ev.close()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTangoAddon();
