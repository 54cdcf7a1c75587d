/**
 * NI-DAQmx benchmark, against labrig's simulator library (the same file for every client):
 *
 * 1. Continuous analog input, 8 channels × 250 kS/s (2 MS/s aggregate) for LABRIG_BENCH_DAQ_SECONDS
 *    (default 5; the issue's figure is 60), with a 4 s buffer (NI's default at this rate, 0.4 s,
 *    overflowed once on this shared 2-core machine at load ~30 while the JS thread was not
 *    scheduled for longer than that): labrig's driver (EveryNSamples callbacks marshalled to
 *    the JS thread, scans appended to a .npy stream file) against a C client doing the same reads
 *    (native/nidaqmx-sim/cbench.c), in the same run. Reported: achieved rate, the ratio of
 *    labrig's to C's, gaps in the simulator's sample counter (ai0), overflow, and the CPU share of
 *    one core each process used (the simulator's sample-clock thread included in both).
 * 2. On-demand single reads per second of one channel: labrig's `device.read()` and the bound
 *    DAQmxReadAnalogF64 through koffi, against the same call in a C loop.
 *
 * Run alone: `npm run bench -- nidaqmx`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtRate, header, row } from './util.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SIM = 'Dev1:ai=8,ao=2,ports=2,lines=8;Dev1/ai0=counter';
const RATE = 250_000;
const CHANNELS = 8;

interface CResult { samples: number; seconds: number; rate: number; cpu: number; gaps: number; status: number }

function cbench(args: string[]): CResult {
  const exe = join(ROOT, 'native', 'nidaqmx-sim', 'build', 'nidaqmx-cbench');
  const r = spawnSync(exe, args, { encoding: 'utf8', env: { ...process.env, LABRIG_NIDAQMX_SIM: SIM }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`nidaqmx-cbench ${args.join(' ')}: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as CResult;
}

/** Run labrig's fly scan for `seconds`; return rate, CPU share, gaps and the fault if any. */
async function labrigContinuous(lib: string, seconds: number): Promise<{ rate: number; cpu: number; gaps: number; rows: number; error?: string }> {
  const { openNidaqmx } = await import('../src/drivers/nidaqmx/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'labrig-bench-daq-'));
  const ai = await openNidaqmx(`nidaqmx://Dev1/ai0:${CHANNELS - 1}?lib=${encodeURIComponent(lib)}`, { name: 'daq', rate: RATE, directory: dir, bufferSize: RATE * 4 });
  try {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await ai.kickoff();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    let error: string | undefined;
    try {
      await ai.complete();
    } catch (e) {
      error = (e as Error).message;
    }
    const elapsed = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const docs = ai.collectAssetDocs?.() ?? [];
    const resource = docs.find(([n]) => n === 'stream_resource')?.[1] as { uri: string } | undefined;
    let gaps = 0;
    const rows = ai.getIndex();
    if (resource) {
      const bytes = readFileSync(fileURLToPath(resource.uri));
      const data = new Float64Array(bytes.buffer, bytes.byteOffset + 128, (bytes.length - 128) / 8);
      for (let i = 0; i < rows; i++) if (data[i * CHANNELS] !== i) gaps++;
    }
    return { rate: (rows * CHANNELS) / elapsed, cpu: (c.user + c.system) / 1e6 / elapsed, gaps, rows, ...(error ? { error } : {}) };
  } finally {
    await ai.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Benchmark entry point (see the module notes). */
export async function benchNidaqmx(): Promise<void> {
  const built = spawnSync(process.execPath, [join(ROOT, 'native', 'build.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`native build failed: ${built.stderr}`);
  process.env['LABRIG_NIDAQMX_SIM'] = SIM; // read by the library when it is first used
  const { NIDAQMX_SIM_LIB } = await import('../src/sim/nidaqmx/library.js');
  const seconds = Number(process.env['LABRIG_BENCH_DAQ_SECONDS'] ?? 5);

  header(`nidaqmx: continuous AI, ${CHANNELS} ch × ${RATE / 1000} kS/s = ${(RATE * CHANNELS) / 1e6} MS/s for ${seconds} s (simulator library)`);
  const c = cbench(['cont', String(seconds), String(RATE), String(CHANNELS)]);
  const l = await labrigContinuous(NIDAQMX_SIM_LIB, seconds);
  row('C client (EveryNSamples + DAQmxReadAnalogF64)', c.rate);
  row('labrig fly scan → .npy stream file', l.rate, 'C client', c.rate);
  console.log(`  C:      ${c.samples} samples, gaps ${c.gaps}, status ${c.status}, CPU ${(c.cpu * 100).toFixed(1)}% of one core`);
  console.log(`  labrig: ${l.rows * CHANNELS} samples, gaps ${l.gaps}, ${l.error ? `FAULT ${l.error}` : 'no overflow'}, CPU ${(l.cpu * 100).toFixed(1)}% of one core (target < 50%)`);

  header('nidaqmx: on-demand single reads of one channel');
  const cOn = cbench(['ondemand', '1000']);
  const { openNidaqmx } = await import('../src/drivers/nidaqmx/index.js');
  const ai = await openNidaqmx(`nidaqmx://Dev1/ai1?lib=${encodeURIComponent(NIDAQMX_SIM_LIB)}`, { name: 'one' });
  try {
    const time = async (fn: () => unknown, ms: number): Promise<number> => {
      for (let i = 0; i < 200; i++) await fn();
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < ms) {
        for (let i = 0; i < 100; i++) await fn();
        n += 100;
      }
      return (n * 1000) / (performance.now() - t0);
    };
    const task = ai.task!;
    const direct = await time(() => task.readAnalog(), 1000);
    const viaRead = await time(() => ai.read(), 1000);
    row('C loop (DAQmxReadAnalogF64, 1 sample)', cOn.rate);
    row('labrig DaqTask.readAnalog (koffi, checked)', direct, 'C loop', cOn.rate);
    row('labrig device.read() (signal, reading)', viaRead, 'C loop', cOn.rate);
  } finally {
    await ai.close();
  }
  console.log(`  (${fmtRate(cOn.rate)} in C used ${(cOn.cpu * 100).toFixed(0)}% of a core on this shared machine)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchNidaqmx();
