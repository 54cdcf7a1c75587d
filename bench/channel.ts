/**
 * Request channel benchmark: request/reply round trips per second through the request channel,
 * over a pty (serialport on the slave path) and over TCP on loopback, each as a ratio to a bare
 * request/reply loop on the same kind of stream in the same run (goal ≥ 0.9).
 *
 * The peer runs in a worker thread, so only the client's work is on the measured thread. Bare and
 * channel rounds alternate in pairs (each round on a freshly opened stream to the same peer, the
 * order flipping every pair); the ratio is the median of the pair ratios and the rates are the
 * medians of the rounds, which keeps drift from other load on a shared machine out of the ratio.
 *
 * Run alone: `node --import tsx bench/channel.ts`.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestChannel } from '../src/protocols/channel/index.js';
import type { ByteStream } from '../src/protocols/contracts.js';
import { SerialStream } from '../src/protocols/stream/serial.js';
import { TcpStream } from '../src/protocols/stream/tcp.js';
import { header, row } from './util.js';

const COMMAND = Buffer.from('MEAS?\n');
/** Pairs of rounds and the length of one round, in ms, per transport. */
const PLAN = { tcp: { pairs: 7, roundMs: 250 }, pty: { pairs: 9, roundMs: 500 } } as const;

/** One measured round: round trips per second and CPU time of the whole process per round trip. */
interface Round {
  rate: number;
  cpuUs: number;
}

/** Run `batch` round trips at a time for about `ms` (after a warm-up); measure rate and CPU. */
async function measure(fn: (n: number) => Promise<void>, ms: number, batch = 100): Promise<Round> {
  for (let i = 0; i < 3; i++) await fn(batch);
  let ops = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn(batch);
    ops += batch;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return { rate: (ops * 1000) / (now - start), cpuUs: (cpu.user + cpu.system) / ops };
}

// The peer: answers every '\n'-terminated command with one reply line. Plain JS (eval'd worker);
// the pty variant registers tsx in the worker (loader hooks are per thread) to import serveOnPty.
const PEER = `
const { parentPort, workerData } = require('node:worker_threads');
const REPLY = Buffer.from('+1.234567E+00\\n');
function answer(chunk) {
  let n = 0;
  for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  return n === 1 ? REPLY : n === 0 ? undefined : Buffer.concat(Array(n).fill(REPLY));
}
(async () => {
  if (workerData.kind === 'tcp') {
    const net = require('node:net');
    const server = net.createServer({ noDelay: true }, (s) => {
      s.on('data', (d) => { const r = answer(d); if (r) s.write(r); });
      s.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
    parentPort.on('message', () => { server.close(); process.exit(0); });
  } else {
    if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
    const { serveOnPty } = await import(workerData.ptyModule);
    const pty = serveOnPty(answer);
    parentPort.postMessage({ path: pty.path });
    parentPort.on('message', () => { pty.close(); process.exit(0); });
  }
})();
`;

interface Peer {
  info: { port?: number; path?: string };
  stop(): Promise<void>;
}

async function startPeer(kind: 'tcp' | 'pty'): Promise<Peer> {
  const here = new URL(import.meta.url);
  const ptyModule = new URL(here.pathname.endsWith('.ts') ? '../src/sim/pty.ts' : '../src/sim/pty.js', here).href;
  const tsxApi = here.pathname.endsWith('.ts') ? pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : undefined;
  const worker = new Worker(PEER, { eval: true, workerData: { kind, ptyModule, tsxApi } });
  const info = await new Promise<Peer['info']>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    info,
    stop: async () => {
      worker.postMessage('stop');
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

/** Measure a bare loop: write, wait for a chunk holding '\n', repeat. */
async function bareRate(stream: ByteStream, ms: number): Promise<Round> {
  let wake: (() => void) | undefined;
  const off = stream.onData((chunk) => {
    if (chunk.indexOf(10) >= 0 && wake) {
      const w = wake;
      wake = undefined;
      w();
    }
  });
  try {
    return await measure(async (n) => {
      for (let i = 0; i < n; i++) {
        const p = new Promise<void>((r) => (wake = r));
        stream.write(COMMAND);
        await p;
      }
    }, ms);
  } finally {
    off();
  }
}

/** Measure round trips through a request channel on the stream. */
async function channelRate(stream: ByteStream, ms: number): Promise<Round> {
  const ch = createRequestChannel(stream, { framing: { mode: 'terminator', terminators: ['\n'] }, timeoutMs: 2000 });
  return measure(async (n) => {
    for (let i = 0; i < n; i++) await ch.request(COMMAND);
  }, ms);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function round(makeStream: () => ByteStream, rate: (s: ByteStream, ms: number) => Promise<Round>, ms: number): Promise<Round> {
  const s = makeStream();
  await s.open();
  try {
    return await rate(s, ms);
  } finally {
    await s.close();
  }
}

interface Comparison {
  bare: number;
  channel: number;
  ratio: number;
  bareCpuUs: number;
  channelCpuUs: number;
}

async function compare(label: string, plan: { pairs: number; roundMs: number }, makeStream: () => ByteStream): Promise<Comparison> {
  const bare: Round[] = [];
  const channel: Round[] = [];
  const ratios: number[] = [];
  for (let k = 0; k < plan.pairs; k++) {
    let b: Round;
    let c: Round;
    if (k % 2 === 0) {
      b = await round(makeStream, bareRate, plan.roundMs);
      c = await round(makeStream, channelRate, plan.roundMs);
    } else {
      c = await round(makeStream, channelRate, plan.roundMs);
      b = await round(makeStream, bareRate, plan.roundMs);
    }
    bare.push(b);
    channel.push(c);
    ratios.push(c.rate / b.rate);
  }
  const result: Comparison = {
    bare: median(bare.map((r) => r.rate)),
    channel: median(channel.map((r) => r.rate)),
    ratio: median(ratios),
    bareCpuUs: median(bare.map((r) => r.cpuUs)),
    channelCpuUs: median(channel.map((r) => r.cpuUs)),
  };
  row(`baseline: bare request/reply loop (${label})`, result.bare);
  row(`request channel (${label})`, result.channel);
  const pad = ''.padEnd(46);
  console.log(`${pad}median pair ratio ${result.ratio.toFixed(3)} (pairs: ${ratios.map((r) => r.toFixed(2)).join(' ')})`);
  console.log(`${pad}CPU per round trip, whole process: bare ${result.bareCpuUs.toFixed(1)} µs, channel ${result.channelCpuUs.toFixed(1)} µs (ratio ${(result.bareCpuUs / result.channelCpuUs).toFixed(3)})`);
  return result;
}

/** An in-memory stream whose device answers on the next microtask: no I/O, only JS cost. */
class EchoStream implements ByteStream {
  readonly address = 'memory://bench';
  readonly isOpen = true;
  private listener: ((chunk: Uint8Array) => void) | undefined;
  private static readonly REPLY = Buffer.from('+1.234567E+00\n');
  async open(): Promise<void> {}
  write(): void {
    queueMicrotask(() => this.listener?.(Buffer.from(EchoStream.REPLY)));
  }
  onData(l: (chunk: Uint8Array) => void): () => void {
    this.listener = l;
    return () => (this.listener = undefined);
  }
  onClose(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

/** Measure the channel's own cost per request on an in-memory stream, in µs (channel minus bare). */
async function overheadUs(): Promise<{ bareUs: number; channelUs: number }> {
  const bare: number[] = [];
  const chan: number[] = [];
  for (let k = 0; k < 5; k++) {
    bare.push(1e6 / (await bareRate(new EchoStream(), 150)).rate);
    chan.push(1e6 / (await channelRate(new EchoStream(), 150)).rate);
  }
  return { bareUs: median(bare), channelUs: median(chan) };
}

/** Measure request channel round trips over TCP and a pty; returns rates and ratios by name. */
export async function benchChannel(): Promise<Record<string, number>> {
  header(`channel: request/reply round trips (node ${process.version}; peer in a worker thread)`);
  const out: Record<string, number> = {};
  const o = await overheadUs();
  console.log(`  in-memory stream (JS cost only): bare loop ${o.bareUs.toFixed(2)} µs/request, channel ${o.channelUs.toFixed(2)} µs/request`);
  Object.assign(out, { memBareUs: o.bareUs, memChannelUs: o.channelUs });
  const tcpPeer = await startPeer('tcp');
  try {
    const port = tcpPeer.info.port!;
    const r = await compare('tcp loopback', PLAN.tcp, () => new TcpStream({ host: '127.0.0.1', port }));
    Object.assign(out, { tcpBare: r.bare, tcpChannel: r.channel, tcpRatio: r.ratio, tcpBareCpuUs: r.bareCpuUs, tcpChannelCpuUs: r.channelCpuUs });
  } finally {
    await tcpPeer.stop();
  }
  const ptyPeer = await startPeer('pty');
  try {
    const path = ptyPeer.info.path!;
    const r = await compare('pty + serialport', PLAN.pty, () => new SerialStream({ path, baudRate: 115200 }));
    Object.assign(out, { ptyBare: r.bare, ptyChannel: r.channel, ptyRatio: r.ratio, ptyBareCpuUs: r.bareCpuUs, ptyChannelCpuUs: r.channelCpuUs });
  } finally {
    await ptyPeer.stop();
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`node ${process.version}`);
  const r = await benchChannel();
  console.log(`\n  round trips/s ratio: tcp ${r.tcpRatio!.toFixed(3)}, pty ${r.ptyRatio!.toFixed(3)} (goal ≥ 0.9)`);
  console.log(`  CPU-time ratio:      tcp ${(r.tcpBareCpuUs! / r.tcpChannelCpuUs!).toFixed(3)}, pty ${(r.ptyBareCpuUs! / r.ptyChannelCpuUs!).toFixed(3)}`);
}
