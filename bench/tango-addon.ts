/**
 * Tango native addon benchmark, against Debian's TangoTest and labrig's PyTango event server on
 * 127.0.0.1, all in the same run:
 *
 * 1. Sequential attribute reads per second (`double_scalar`, one read in flight at a time): the
 *    addon backend (`await backend.readAttributes([...])`) against PyTango in-process (a
 *    `/usr/bin/python3` loop timing `DeviceProxy.read_attribute`) on the same server. The two run
 *    in alternating rounds so both see the same machine load; the best round of each is reported
 *    and the ratio addon/PyTango (goal ≥ 1/1.2 ≈ 0.83).
 * 2. Change-event delivery latency: the event server's `counter` ticks every 20 ms; latency is the
 *    time a reading reaches the callback minus the server's timestamp of it (one machine, one
 *    clock), median and 95th percentile, for the addon and for a PyTango callback in a
 *    `/usr/bin/python3` process.
 *
 * `benchTangoAddon()` is what `npm run bench -- tango-addon` runs; it prints "skipped" with the
 * reason when the addon is not built or TangoTest is missing.
 */
import { spawn } from 'node:child_process';
import { fmtRate, header, row } from './util.js';

const ROUNDS = Number(process.env['LABRIG_BENCH_TANGO_ROUNDS'] ?? 4);
const ROUND_MS = Number(process.env['LABRIG_BENCH_TANGO_ROUND_MS'] ?? 1500);
const EVENTS = Number(process.env['LABRIG_BENCH_TANGO_EVENTS'] ?? 200);

const PY_READS = `
import sys, time, tango
d = tango.DeviceProxy(sys.argv[1])
d.set_timeout_millis(5000)
for _ in range(200): d.read_attribute('double_scalar')
n = 0
end = time.perf_counter() + float(sys.argv[2]) / 1000.0
t0 = time.perf_counter()
while True:
    for _ in range(50): d.read_attribute('double_scalar')
    n += 50
    if time.perf_counter() >= end: break
print(n / (time.perf_counter() - t0), flush=True)
`;

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
  const { tangoAddonAvailable, TangoAddonBackend, TANGO_ADDON_PATH } = await import('../src/drivers/tango/addon.js');
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
    // 1. sequential reads
    const b = new TangoAddonBackend({ timeoutMs: 5000 });
    backends.push(b);
    await b.connect(parseTangoAddress(tt.address), { timeoutMs: 20000 });
    for (let i = 0; i < 200; i++) await b.readAttributes(['double_scalar']);
    const addonRates: number[] = [];
    const pyRates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let n = 0;
      const t0 = performance.now();
      const end = t0 + ROUND_MS;
      while (performance.now() < end) {
        for (let i = 0; i < 50; i++) await b.readAttributes(['double_scalar']);
        n += 50;
      }
      addonRates.push((n * 1000) / (performance.now() - t0));
      pyRates.push(Number((await python(PY_READS, [tt.address, String(ROUND_MS)], 60000)).trim()));
    }
    const py = Math.max(...pyRates);
    const addon = Math.max(...addonRates);
    console.log(`  sequential reads of double_scalar, best of ${ROUNDS} alternating rounds of ${ROUND_MS} ms:`);
    row('PyTango in-process (DeviceProxy.read_attribute)', py);
    row('addon backend (readAttributes)', addon, 'PyTango', py);
    console.log(`  per read: addon ${(1e6 / addon).toFixed(0)} µs, PyTango ${(1e6 / py).toFixed(0)} µs; PyTango/addon time ratio ${(py / addon).toFixed(2)}× (goal ≤ 1.2×)`);
    console.log(`  all rounds: addon ${addonRates.map((x) => fmtRate(x)).join(', ')}; PyTango ${pyRates.map((x) => fmtRate(x)).join(', ')}`);

    // 2. event latency
    const e = new TangoAddonBackend({ timeoutMs: 5000 });
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
      const now = Date.now() / 1000;
      if (first) {
        first = false; // the current value at subscribe, not a pushed event
        return;
      }
      lat.push(now - x.reading.timestamp);
      if (lat.length >= EVENTS) resolveDone();
    });
    await e.command('Start');
    await Promise.race([done, new Promise((r) => setTimeout(r, 60000))]);
    await e.command('Stop');
    await unsub();
    const pyLat = (await python(PY_EVENTS, [ev.address, String(EVENTS)], 90000)).trim().split(/\s+/).filter(Boolean).map(Number);
    const ms = (x: number): string => `${(x * 1000).toFixed(2)} ms`;
    console.log(`  change-event latency (server timestamp → callback), ${lat.length} events at 20 ms:`);
    console.log(`    addon    median ${ms(quantile(lat, 0.5))}  p95 ${ms(quantile(lat, 0.95))}`);
    console.log(`    PyTango  median ${ms(quantile(pyLat, 0.5))}  p95 ${ms(quantile(pyLat, 0.95))}  (${pyLat.length} events)`);
    return {
      addonReadsPerSecond: addon,
      pytangoReadsPerSecond: py,
      eventLatencyMedianMs: quantile(lat, 0.5) * 1000,
      eventLatencyP95Ms: quantile(lat, 0.95) * 1000,
      pytangoEventLatencyMedianMs: quantile(pyLat, 0.5) * 1000,
    };
  } finally {
    await Promise.all(backends.map((x) => x.close()));
    await Promise.all([tt.close(), ev.close()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTangoAddon();
