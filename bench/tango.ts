/**
 * Tango benchmark, against Debian's TangoTest and labrig's event server on 127.0.0.1 (no database):
 *
 * 1. Sequential attribute reads per second (`double_scalar`): PyTango in-process (a Python loop
 *    timing `DeviceProxy.read_attribute`, the baseline, measured before and after labrig's loops
 *    and averaged) against labrig's sidecar backend (`readAttributes`) and a TangoDevice signal
 *    (`getValue`, the same through the bridge). Goal: sidecar ≤ 100 µs per read. The native addon
 *    row says "not built" until `native/tango` exists. A JSON line echoed by a Python process over
 *    stdio (no Tango) shows the floor a pipe sidecar cannot go below on this machine.
 * 2. Sidecar startup: spawn → PyTango imported, and spawn → device described (connect).
 * 3. Change-event delivery latency: the event server's `counter` ticking every 20 ms; latency =
 *    arrival time − the event's server timestamp (same host clock), for PyTango's callback
 *    in-process and for a labrig listener (through the sidecar and the subscription manager).
 *
 * Run alone: `npm run bench -- tango`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { header, row } from './util.js';

const PY = '/usr/bin/python3';

function pyReads(address: string, seconds: number): number {
  const code = `
import tango, time, json
d = tango.DeviceProxy(${JSON.stringify(address)})
for _ in range(200): d.read_attribute('double_scalar')
n = 0; t0 = time.perf_counter(); end = t0 + ${seconds}
while True:
    for _ in range(100): d.read_attribute('double_scalar')
    n += 100
    now = time.perf_counter()
    if now >= end: break
print(json.dumps({'rate': n / (now - t0)}))
`;
  const r = spawnSync(PY, ['-c', code], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`PyTango read loop: ${r.stderr || r.error}`);
  return (JSON.parse(r.stdout) as { rate: number }).rate;
}

function pyEventLatency(address: string, events: number): number[] {
  const code = `
import tango, time, json, threading
d = tango.DeviceProxy(${JSON.stringify(address)})
lat = []; done = threading.Event()
def cb(ev):
    if ev.err: return
    lat.append(time.time() - ev.attr_value.time.totime())
    if len(lat) >= ${events} + 1: done.set()
d.write_attribute('period_ms', 20.0)
d.Reset()
i = d.subscribe_event('counter', tango.EventType.CHANGE_EVENT, cb)
d.Start(); done.wait(60); d.Stop(); d.unsubscribe_event(i)
print(json.dumps(lat[1:]))
`;
  const r = spawnSync(PY, ['-c', code], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`PyTango event loop: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as number[];
}

/** Round trips per second of one JSON line through a Python echo process over stdio (the sidecar's IPC floor). */
async function pipeEchoRate(seconds: number): Promise<number> {
  const code = 'import sys\ni=sys.stdin.buffer; o=sys.stdout.buffer\nwhile True:\n    l=i.readline()\n    if not l: break\n    o.write(l); o.flush()\n';
  const c = spawn(PY, ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let wake: () => void = () => undefined;
  c.stdout!.on('data', () => wake());
  const once = (): Promise<void> =>
    new Promise((r) => {
      wake = r;
      c.stdin!.write('{"id":1,"op":"read","timeoutMs":3000,"names":["double_scalar"]}\n');
    });
  try {
    return await loopRate(once, seconds);
  } finally {
    const gone = new Promise((r) => c.once('exit', r));
    c.stdin!.end();
    await gone;
  }
}

function stats(xs: number[]): { median: number; p99: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function loopRate(fn: () => Promise<unknown>, seconds: number): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let now = t0;
  while (now < end) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
    now = performance.now();
  }
  return (n * 1000) / (now - t0);
}

/** Benchmark entry point (see the module notes). */
export async function benchTango(): Promise<void> {
  const { startTangoEventServer, startTangoTest, tangoTestAvailable } = await import('../src/sim/tango/index.js');
  if (!tangoTestAvailable()) {
    console.log('\ntango: skipped (TangoTest not installed: apt-get install tango-test python3-tango)');
    return;
  }
  const { parseTangoAddress } = await import('../src/drivers/tango/backend.js');
  const { TangoSidecarBackend } = await import('../src/drivers/tango/sidecar.js');
  const { connectTangoDevice } = await import('../src/drivers/tango/device.js');
  const { addonAvailable } = await import('../src/drivers/tango/addon.js');
  const seconds = Number(process.env['LABRIG_BENCH_TANGO_SECONDS'] ?? 3);
  const [tt, ev] = await Promise.all([startTangoTest(), startTangoEventServer()]);
  const closers: Array<() => Promise<void>> = [() => tt.close(), () => ev.close()];
  try {
    header(`tango: sequential reads of double_scalar from TangoTest (${seconds} s per loop)`);
    const py1 = pyReads(tt.address, seconds);
    const b = new TangoSidecarBackend({ timeoutMs: 5000 });
    closers.unshift(() => b.close());
    await b.connect(parseTangoAddress(tt.address), { timeoutMs: 30000 });
    const sidecar = await loopRate(() => b.readAttributes(['double_scalar']), seconds);
    const dev = await connectTangoDevice(new TangoSidecarBackend({ timeoutMs: 5000 }), parseTangoAddress(tt.address), undefined, { connectTimeoutMs: 30000 });
    closers.unshift(() => dev.close());
    const sig = dev.signals['double_scalar']!;
    const signal = await loopRate(() => sig.getValue(), seconds);
    const py2 = pyReads(tt.address, seconds);
    const echo = await pipeEchoRate(seconds);
    const py = (py1 + py2) / 2;
    row('PyTango in-process read_attribute (baseline)', py);
    row('labrig sidecar readAttributes', sidecar, 'PyTango', py);
    row('labrig TangoDevice signal getValue (sidecar)', signal, 'PyTango', py);
    row('pipe echo node ↔ python (IPC floor, no Tango)', echo, 'PyTango', py);
    console.log(`  ${'addon'.padEnd(44)} ${addonAvailable() ? 'built but not benchmarked here' : 'not built (native/tango)'}`);
    console.log(`  per read: PyTango ${(1e6 / py).toFixed(1)} µs (runs ${(1e6 / py1).toFixed(1)}, ${(1e6 / py2).toFixed(1)}), sidecar ${(1e6 / sidecar).toFixed(1)} µs, signal ${(1e6 / signal).toFixed(1)} µs, pipe echo ${(1e6 / echo).toFixed(1)} µs; goal sidecar ≤ 100 µs: ${1e6 / sidecar <= 100 ? 'met' : 'NOT met'}`);

    header('tango: sidecar startup (3 starts)');
    const spawnMs: number[] = [];
    const connectMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = new TangoSidecarBackend({ timeoutMs: 5000 });
      const t0 = performance.now();
      await s.connect(parseTangoAddress(tt.address), { timeoutMs: 30000 });
      connectMs.push(performance.now() - t0);
      spawnMs.push(s.lastStartup!.spawnMs);
      await s.close();
    }
    console.log(`  spawn → PyTango imported: median ${stats(spawnMs).median.toFixed(0)} ms; spawn → TangoTest described: median ${stats(connectMs).median.toFixed(0)} ms (${connectMs.map((x) => x.toFixed(0)).join(', ')})`);

    header('tango: change-event delivery latency (counter every 20 ms, 200 events)');
    const pyLat = stats(pyEventLatency(ev.address, 200));
    const evDev = await connectTangoDevice(new TangoSidecarBackend({ timeoutMs: 5000 }), parseTangoAddress(ev.address), undefined, { connectTimeoutMs: 30000 });
    closers.unshift(() => evDev.close());
    await evDev.signals['period_ms']!.backend.put(20, true);
    await evDev.commands['Reset']!();
    const lat: number[] = [];
    let first = true;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('fewer than 200 events within 60 s')), 60_000);
      void evDev.subscriptions
        .add('counter', (e) => {
          if (!e.reading) return;
          if (first) {
            first = false; // the current value at subscription, not a pushed change
            return;
          }
          lat.push(Date.now() / 1000 - e.reading.timestamp);
          if (lat.length >= 200) {
            clearTimeout(timer);
            resolve();
          }
        })
        .then(() => evDev.commands['Start']!(), reject);
    });
    await evDev.commands['Stop']!();
    const l = stats(lat);
    const ms = (x: number): string => `${(x * 1000).toFixed(2)} ms`;
    console.log(`  ${'PyTango callback in-process (baseline)'.padEnd(44)} median ${ms(pyLat.median)}, p99 ${ms(pyLat.p99)}`);
    console.log(`  ${'labrig listener (sidecar + manager)'.padEnd(44)} median ${ms(l.median)}, p99 ${ms(l.p99)}; ratio of medians ${(l.median / pyLat.median).toFixed(2)}`);
  } finally {
    for (const c of closers) await c().catch(() => undefined);
  }
}
