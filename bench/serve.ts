/**
 * `labrig serve` under load, on loopback: 200 websocket clients stream the live position of a
 * Galil axis (simulator over TCP) that keeps moving, while an open-loop client sends 1,000 reads
 * per second of that axis (`GET /api/devices/stage/read?path=A`) for LABRIG_BENCH_SERVE_SECONDS
 * (default 10; STATUS reports a 60 s run). Printed: requests/s achieved, latency p50/p95/p99, the
 * requests that failed or got no answer (must be 0), whether every websocket client received
 * every live value (each client's count equals an in-process subscriber's), the device reads
 * the coalescing saved; then the most requests/s at 32 in flight. The same two loads run first
 * against a bare fastify handler answering a constant reading of the same shape, in the same
 * process, as the baseline. Run alone: `node --import tsx bench/serve.ts`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoadResult } from './serve-client.js';
import { header, row, withCleanup } from './util.js';

const CLIENT_LOADER = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.module);
})();
`;

function report(label: string, r: LoadResult): void {
  console.log(`  ${label.padEnd(44)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p95 ${r.p95.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  failed ${r.failed}/${r.sent}`);
}

/** Run the serve benchmark; returns its figures by name. */
export async function benchServe(options: { seconds?: number; clients?: number; rate?: number } = {}): Promise<Record<string, number>> {
  const seconds = options.seconds ?? Number(process.env['LABRIG_BENCH_SERVE_SECONDS'] ?? 10);
  const clients = options.clients ?? 200;
  const rate = options.rate ?? 1000;
  const Fastify = (await import('fastify')).default;
  const { loadRig } = await import('../src/rig/index.js');
  const { createServer } = await import('../src/server/index.js');
  const { liveSignalOf, nodeOf } = await import('../src/server/device-ops.js');
  header(`serve: ${clients} websocket clients + ${rate} reads/s for ${seconds} s on loopback (Galil simulator over TCP; clients in a worker thread)`);
  return withCleanup(async (defer) => {
    // An eval worker registers tsx first when running from the sources (as bench/channel.ts does).
    const here = new URL(import.meta.url);
    const fromTs = here.pathname.endsWith('.ts');
    const module = new URL(fromTs ? './serve-client.ts' : './serve-client.js', here).href;
    const tsxApi = fromTs ? pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : undefined;
    const worker = new Worker(CLIENT_LOADER, { eval: true, workerData: { module, tsxApi } });
    const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
    let nextId = 0;
    worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.result);
    });
    worker.on('error', (e) => {
      for (const w of waiting.values()) w.reject(e);
      waiting.clear();
    });
    const ask = <T>(cmd: Record<string, unknown>, timeoutMs: number): Promise<T> => new Promise<T>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`serve bench: ${String(cmd['cmd'])} gave no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
      worker.postMessage({ id, ...cmd });
    });
    defer(async () => {
      await ask({ cmd: 'close' }, 10_000).catch(() => undefined);
      await worker.terminate();
    });

    const bare = Fastify({ logger: false });
    bare.get('/read', async () => ({ device: 'stage', path: 'A', readings: { 'stage-A': { value: Math.random(), timestamp: Date.now() / 1000 } } }));
    await bare.listen({ host: '127.0.0.1', port: 0 });
    defer(() => bare.close());
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/read`;

    const rig = await loadRig({ stage: { uri: 'sim:galil', enableOnConnect: true, pollMs: 5, axes: { A: { countsPerUnit: 1000, units: 'mm', limits: [-50, 50], speed: 20 } } } });
    defer(() => rig.close());
    const server = await createServer({ rig });
    defer(() => server.close());
    const readUrl = `${server.url}/api/devices/stage/read?path=A`;

    // The clients subscribe to the axis position; an in-process subscriber counts the reference.
    await ask({ cmd: 'ws', url: `${server.url.replace('http', 'ws')}/ws/live?signals=stage:A`, clients }, 60_000);
    const counts = (): Promise<number[]> => ask<number[]>({ cmd: 'counts' }, 30_000);
    const waitUntil = async (cond: () => Promise<boolean>, ms: number, what: string): Promise<void> => {
      const end = performance.now() + ms;
      while (!(await cond())) {
        if (performance.now() > end) throw new Error(`serve bench: ${what} not within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitUntil(async () => (await counts()).every((c) => c >= 1), 30_000, 'every client got the first value');
    const signal = liveSignalOf(await nodeOf(rig.member('stage'), 'A'));
    let reference = 0;
    const unsubscribe = signal.subscribe(() => void reference++);
    defer(async () => unsubscribe());

    // Keep the axis moving between 0 and 10 mm through the server's own set route. A failed
    // request of the mover (a keep-alive socket closed under load) is counted and retried.
    let moving = true;
    let moverErrors = 0;
    const mover = (async () => {
      let target = 10;
      while (moving) {
        try {
          const res = await fetch(`${server.url}/api/devices/stage/set`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'A', value: target }) });
          const { id } = (await res.json()) as { id: string };
          for (;;) {
            const st = (await (await fetch(`${server.url}/api/sets/${id}`)).json()) as { state: string };
            if (st.state !== 'running') break;
            await new Promise((r) => setTimeout(r, 50));
          }
          target = target === 10 ? 0 : 10;
        } catch {
          moverErrors++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();

    const loadMs = (seconds + 30) * 1000;
    await ask({ cmd: 'open', url: bareUrl, rate, seconds: 1 }, 60_000);
    await ask({ cmd: 'open', url: readUrl, rate, seconds: 1 }, 60_000);
    const bareOpen = await ask<LoadResult>({ cmd: 'open', url: bareUrl, rate, seconds }, loadMs);
    const deviceReads0 = server.stats.deviceReads;
    const requests0 = server.stats.readRequests;
    const served = await ask<LoadResult>({ cmd: 'open', url: readUrl, rate, seconds }, loadMs);
    const deviceReads = server.stats.deviceReads - deviceReads0;
    const readRequests = server.stats.readRequests - requests0;
    moving = false;
    await mover;
    // Quiet: the axis is at rest; every value sent has arrived when the counts stop changing.
    let last = -1;
    await waitUntil(async () => {
      const sum = (await counts()).reduce((a, b) => a + b, 0);
      const still = sum === last;
      last = sum;
      return still;
    }, 60_000, 'websocket traffic settling');
    const final = await counts();
    const expected = reference; // the current value, then every change (as each client got them)
    const short = final.filter((c) => c !== expected).length;
    const liveMessages = final.reduce((a, b) => a + b, 0);

    report('bare fastify handler (baseline)', bareOpen);
    report('labrig serve: device read over HTTP', served);
    console.log(`  websocket clients: ${clients}, live values each ${expected} (${liveMessages} received in all), clients with a different count: ${short}`);
    if (moverErrors > 0) console.log(`  (the mover's own requests failed ${moverErrors} times and were retried)`);
    console.log(`  device reads: ${deviceReads} for ${readRequests} read requests (coalescing saved ${(100 * (1 - deviceReads / Math.max(1, readRequests))).toFixed(1)} %)`);
    const bareMax = await ask<number>({ cmd: 'closed', url: bareUrl, inFlight: 32, seconds: 3 }, 60_000);
    const servedMax = await ask<number>({ cmd: 'closed', url: readUrl, inFlight: 32, seconds: 3 }, 60_000);
    row('most req/s, 32 in flight: bare fastify', bareMax);
    row('most req/s, 32 in flight: labrig read', servedMax, 'bare fastify', bareMax);
    if (served.failed > 0 || served.ok < served.sent || short > 0) console.log('  FAILED: requests or live values were dropped');
    return {
      'serve.read.rps': served.rps, 'serve.read.p50.ms': served.p50, 'serve.read.p95.ms': served.p95, 'serve.read.p99.ms': served.p99,
      'serve.read.failed': served.failed, 'serve.bare.rps': bareOpen.rps, 'serve.bare.p50.ms': bareOpen.p50, 'serve.bare.p99.ms': bareOpen.p99,
      'serve.ws.clients': clients, 'serve.ws.short': short, 'serve.ws.messages': liveMessages,
      'serve.device.reads': deviceReads, 'serve.read.requests': readRequests,
      'serve.max.rps': servedMax, 'serve.bare.max.rps': bareMax, 'serve.ratio.max': servedMax / bareMax,
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchServe();
}
