/**
 * The client side of bench/serve.ts, in a worker thread so the load does not share the server's
 * event loop: open-loop and closed-loop HTTP GETs, and websocket clients counting their messages.
 * Commands arrive as messages; each is answered with `{ id, result }` or `{ id, error }`.
 */
import http from 'node:http';
import { parentPort } from 'node:worker_threads';
import { connectWs, type WsClient } from '../src/server/ws.js';

/** Latency percentiles of sorted samples, ms. */
function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
}

/** GET `url` `rate` times per second for `seconds` (open loop); every request bounded by 10 s. */
export async function openLoop(agent: http.Agent, url: string, rate: number, seconds: number): Promise<LoadResult> {
  const lat: number[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const pending = new Set<Promise<void>>();
  const one = (): void => {
    sent++;
    const t0 = performance.now();
    const p = new Promise<void>((resolve) => {
      const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) {
            ok++;
            lat.push(performance.now() - t0);
          } else failed++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failed++;
        resolve();
      });
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };
  const start = performance.now();
  const end = start + seconds * 1000;
  // Every 10 ms, send what the schedule says is due: a late timer catches up rather than dropping.
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) one();
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all([...pending]);
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { sent, ok, failed, rps: ok / elapsed, p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99) };
}

/** Keep `inFlight` requests going for `seconds`; return requests answered 200 per second. */
export async function closedLoop(agent: http.Agent, url: string, inFlight: number, seconds: number): Promise<number> {
  let ok = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await new Promise<void>((resolve) => {
        const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) ok++;
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return ok / ((performance.now() - start) / 1000);
}


const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
let sockets: WsClient[] = [];
let counts: number[] = [];

async function handle(msg: { cmd: string; [k: string]: any }): Promise<unknown> {
  switch (msg.cmd) {
    case 'ws':
      counts = new Array<number>(msg['clients']).fill(0);
      sockets = await Promise.all(counts.map((_, i) => connectWs(msg['url'], {}, 30_000, () => void counts[i]!++)));
      return sockets.length;
    case 'counts':
      return counts;
    case 'open':
      return openLoop(agent, msg['url'], msg['rate'], msg['seconds']);
    case 'closed':
      return closedLoop(agent, msg['url'], msg['inFlight'], msg['seconds']);
    case 'close':
      for (const ws of sockets) ws.close();
      agent.destroy();
      setImmediate(() => parentPort!.close());
      return true;
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

parentPort!.on('message', (msg: { id: number; cmd: string }) => {
  handle(msg).then((result) => parentPort!.postMessage({ id: msg.id, result }), (e: unknown) => parentPort!.postMessage({ id: msg.id, error: String((e as Error)?.message ?? e) }));
});
