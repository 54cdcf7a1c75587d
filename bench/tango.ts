/**
 * Tango benchmark, against Debian's TangoTest and labrig's event server on 127.0.0.1 (no database):
 *
 * 1. Sequential attribute reads per second (`double_scalar`): PyTango in-process (a Python
 *    process timing `DeviceProxy.read_attribute` loops on command, the baseline) against labrig's
 *    sidecar backend (`readAttributes`: FIFO transport with the default `syncReadMs` 20, i.e. the
 *    reply awaited on the JS thread; the same waiting in poll(2) only, `syncSpinUs` 0; the same
 *    with `syncReadMs` 0, every reply through the event
 *    loop; stdio, always through the event loop) and a TangoDevice signal (`getValue`, the
 *    default backend through the bridge). Goal: sidecar ≤ 100 µs per read. A JSON
 *    line echoed by a Python process (no Tango) over stdio (Node's socketpair) and over two FIFOs
 *    shows the IPC floor a pipe sidecar cannot go below on this machine. The rows are measured
 *    in interleaved rounds (each row once per round, each round starting one row later), and each
 *    row reports the median round, so that load from other processes hits every row alike; the load average is
 *    printed with the figures, and so is the Node process's CPU time per read (the synchronous
 *    wait spins for up to 2 ms before it sleeps: faster, at the price of a busy core).
 * 2. Sidecar startup: spawn → PyTango imported, and spawn → device described (connect).
 * 3. Change-event delivery latency: the event server's `counter` ticking every 20 ms; latency =
 *    arrival time − the event's server timestamp (same host clock), for PyTango's callback
 *    in-process and for a labrig listener (through the sidecar and the subscription manager).
 *
 * Run alone: `npm run bench -- tango`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { constants as fsc, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { header, row } from './util.js';

const PY = '/usr/bin/python3';

/** A Python process that times `n` sequential reads of `double_scalar` whenever asked (PyTango in-process); `run` gives µs per read. */
async function pyReader(address: string): Promise<{ run(n: number): Promise<number>; close(): Promise<void> }> {
  const code = `
import sys, time, tango
d = tango.DeviceProxy(${JSON.stringify(address)})
for _ in range(200): d.read_attribute('double_scalar')
print('ready', flush=True)
for line in sys.stdin:
    n = int(line); t0 = time.perf_counter()
    for _ in range(n): d.read_attribute('double_scalar')
    print(time.perf_counter() - t0, flush=True)
`;
  const c = spawn(PY, ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  c.stdout!.setEncoding('utf8');
  let buf = '';
  let wake: ((line: string) => void) | undefined;
  c.stdout!.on('data', (d: string) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl >= 0 && wake) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = wake;
      wake = undefined;
      w(line);
    }
  });
  const next = (send?: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('PyTango read loop: no answer within 120 s')), 120_000);
      wake = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
      if (send) c.stdin!.write(send);
    });
  const ready = await next();
  if (ready !== 'ready') throw new Error(`PyTango read loop said ${ready}`);
  return {
    run: async (n) => (Number(await next(`${n}\n`)) * 1e6) / n,
    close: async () => {
      const gone = new Promise((r) => c.once('exit', r));
      c.stdin!.end();
      await gone;
    },
  };
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

const ECHO_LINE = '{"id":1,"op":"read","timeoutMs":3000,"names":["double_scalar"]}\n';

/**
 * A Python process echoing each line back (no Tango), over stdio (Node's socketpair) or over two
 * FIFOs (made by the process in a temp dir, as the sidecar's fifo transport does): `once()` is one
 * round trip.
 */
async function pyEcho(transport: 'stdio' | 'fifo'): Promise<{ once(): Promise<void>; close(): Promise<void> }> {
  const dir = transport === 'fifo' ? mkdtempSync(join(tmpdir(), 'labrig-echo-')) : undefined;
  const code = dir
    ? `import os, sys, threading
d = sys.argv[1]
os.mkfifo(d + '/q'); os.mkfifo(d + '/r')
q = os.open(d + '/q', os.O_RDWR); r = os.open(d + '/r', os.O_RDWR)
def life():
    while os.read(0, 4096): pass
    os._exit(0)
threading.Thread(target=life, daemon=True).start()
os.write(1, b'ready\\n')
i = os.fdopen(q, 'rb')
while True:
    os.write(r, i.readline())
`
    : `import os, sys
os.write(1, b'ready\\n')
i = sys.stdin.buffer
while True:
    l = i.readline()
    if not l: break
    os.write(1, l)
`;
  const c = spawn(PY, ['-c', code, ...(dir ? [dir] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  let wake: () => void = () => undefined;
  const sockets: Socket[] = [];
  let out: NodeJS.WritableStream = c.stdin!;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('echo process: no ready within 30 s')), 30_000);
      c.stdout!.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (dir) {
      // The process made and opened both FIFOs before it said ready.
      const q = new Socket({ fd: openSync(join(dir, 'q'), fsc.O_RDWR | fsc.O_NONBLOCK), readable: false, writable: true });
      const r = new Socket({ fd: openSync(join(dir, 'r'), fsc.O_RDWR | fsc.O_NONBLOCK), readable: true, writable: false });
      sockets.push(q, r);
      r.on('data', () => wake());
      out = q;
    } else c.stdout!.on('data', () => wake());
  } catch (e) {
    c.kill('SIGKILL');
    throw e;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  return {
    once: () =>
      new Promise<void>((r) => {
        wake = r;
        out.write(ECHO_LINE);
      }),
    close: async () => {
      const gone = new Promise((r) => c.once('exit', r));
      c.stdin!.end();
      await gone;
      for (const s of sockets) s.destroy();
    },
  };
}

/** Microseconds per call of `n` sequential awaited calls of `fn`. */
async function usPer(fn: () => Promise<unknown>, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - t0) * 1000) / n;
}

function stats(xs: number[]): { median: number; p99: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
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
    const rounds = Math.max(3, Math.round(seconds * 3));
    const n = 2000;
    header(`tango: sequential reads of double_scalar from TangoTest (${rounds} interleaved rounds of ${n} reads per row; load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
    const py = await pyReader(tt.address);
    closers.unshift(() => py.close());
    const backends = {
      fifo: new TangoSidecarBackend({ timeoutMs: 5000, transport: 'fifo' }),
      poll: new TangoSidecarBackend({ timeoutMs: 5000, transport: 'fifo', syncSpinUs: 0 }),
      async: new TangoSidecarBackend({ timeoutMs: 5000, transport: 'fifo', syncReadMs: 0 }),
      stdio: new TangoSidecarBackend({ timeoutMs: 5000, transport: 'stdio' }),
    };
    for (const b of Object.values(backends)) {
      closers.unshift(() => b.close());
      await b.connect(parseTangoAddress(tt.address), { timeoutMs: 30000 });
    }
    const devBackend = new TangoSidecarBackend({ timeoutMs: 5000 });
    const dev = await connectTangoDevice(devBackend, parseTangoAddress(tt.address), undefined, { connectTimeoutMs: 30000 });
    closers.unshift(() => dev.close());
    const sig = dev.signals['double_scalar']!;
    const echoes = { stdio: await pyEcho('stdio'), fifo: await pyEcho('fifo') };
    for (const e of Object.values(echoes)) closers.unshift(() => e.close());
    const rows: Array<[string, (n: number) => Promise<number>]> = [
      ['PyTango in-process read_attribute (baseline)', (k) => py.run(k)],
      ['labrig sidecar read (fifo, sync wait)', (k) => usPer(() => backends.fifo.readAttributes(['double_scalar']), k)],
      ['labrig sidecar read (fifo, sync, poll only)', (k) => usPer(() => backends.poll.readAttributes(['double_scalar']), k)],
      ['labrig sidecar read (fifo, syncReadMs 0)', (k) => usPer(() => backends.async.readAttributes(['double_scalar']), k)],
      ['labrig sidecar read (stdio)', (k) => usPer(() => backends.stdio.readAttributes(['double_scalar']), k)],
      ['labrig TangoDevice signal getValue (fifo)', (k) => usPer(() => sig.getValue(), k)],
      ['pipe echo node ↔ python, stdio (no Tango)', (k) => usPer(() => echoes.stdio.once(), k)],
      ['pipe echo node ↔ python, fifo (no Tango)', (k) => usPer(() => echoes.fifo.once(), k)],
    ];
    const per: number[][] = rows.map(() => []);
    const cpu: number[][] = rows.map(() => []);
    for (const [, f] of rows) await f(300); // warm-up
    for (const b of [backends.fifo, backends.poll, devBackend]) b.syncStats(true);
    // Each round starts one row later, so no row always follows the same one.
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < rows.length; j++) {
        const i = (j + r) % rows.length;
        const c0 = process.cpuUsage();
        per[i]!.push(await rows[i]![1](n));
        const c = process.cpuUsage(c0);
        cpu[i]!.push((c.user + c.system) / n);
      }
    }
    const med = per.map((xs) => stats(xs).median);
    const cpuMed = cpu.map((xs) => stats(xs).median);
    const base = 1e6 / med[0]!;
    for (const [i, [name]] of rows.entries()) row(name, 1e6 / med[i]!, i === 0 ? undefined : 'PyTango', i === 0 ? undefined : base);
    console.log(`  ${'addon'.padEnd(44)} ${addonAvailable() ? 'built: see npm run bench -- tango-addon' : 'not built (native/tango)'}`);
    const us = (i: number): string => `${med[i]!.toFixed(1)} µs`;
    const sidecarUs = med[1]!;
    const sync = backends.fifo.syncStats();
    const syncSig = devBackend.syncStats();
    console.log(
      `  per read (median round): PyTango ${us(0)}, sidecar fifo ${us(1)} (poll only: ${us(2)}, syncReadMs 0: ${us(3)}), stdio ${us(4)}, signal ${us(5)}; echo stdio ${us(6)}, fifo ${us(7)}; ` +
        `above PyTango + fifo echo: ${(sidecarUs - med[0]! - med[7]!).toFixed(1)} µs; goal sidecar ≤ 100 µs: ${sidecarUs <= 100 ? 'met' : 'NOT met'}; load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    );
    console.log(
      `  Node CPU per read (median round): sidecar fifo sync wait ${cpuMed[1]!.toFixed(1)} µs, poll only ${cpuMed[2]!.toFixed(1)} µs, syncReadMs 0 ${cpuMed[3]!.toFixed(1)} µs; ` +
        `sync path: ${sync.syncReads} reads, ${sync.syncMisses} over budget, ${sync.slowOffs} slow-device offs, ending ${sync.spinning ? 'spinning' : 'in poll(2)'} after ${sync.styleSwitches} style switches ` +
        `(signal's backend: ${syncSig.syncReads} / ${syncSig.syncMisses} / ${syncSig.slowOffs}, ${syncSig.spinning ? 'spinning' : 'poll'}, ${syncSig.styleSwitches})`,
    );

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
          // Sub-millisecond wall clock (Date.now() has 1 ms steps, too coarse here).
          lat.push((performance.timeOrigin + performance.now()) / 1000 - e.reading.timestamp);
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
