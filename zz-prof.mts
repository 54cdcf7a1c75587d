import { Worker } from 'node:worker_threads';
import { createRequestChannel } from '/work/main/src/protocols/channel/index.ts';
import { TcpStream } from '/work/main/src/protocols/stream/tcp.ts';
const PEER = `
const { parentPort } = require('node:worker_threads');
const net = require('node:net');
const REPLY = Buffer.from('+1.234567E+00\\n');
const server = net.createServer({ noDelay: true }, (s) => { s.on('data', (d) => s.write(REPLY)); });
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => process.exit(0));
`;
const w = new Worker(PEER, { eval: true });
const { port } = await new Promise<any>((r) => w.once('message', r));
const CMD = Buffer.from('MEAS?\n');
const N = 5000;
async function run(mode: string) {
  const s = new TcpStream({ host: '127.0.0.1', port });
  await s.open();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode.startsWith('bare')) {
    let wake: any;
    const timer = mode === 'bare+timer';
    const persistent = setTimeout(() => {}, 100000); persistent.unref();
    const refunref = mode === 'bare+ref';
    const now = mode === 'bare+now';
    s.onData((c) => { if (c.indexOf(10) >= 0) wake(); });
    for (let i = 0; i < N; i++) { const p = new Promise<void>((r) => (wake = r)); const tm = timer ? setTimeout(() => {}, 1000) : undefined; if (refunref) persistent.ref(); if (now) performance.now(); s.write(CMD); await p; if (tm) clearTimeout(tm); if (refunref) persistent.unref(); }
    clearTimeout(persistent);
  } else {
    const ch = createRequestChannel(s, { framing: { mode: 'terminator', terminators: ['\n'] } });
    for (let i = 0; i < N; i++) await ch.request(CMD);
  }
  const dt = performance.now() - t0; const cpu = process.cpuUsage(c0);
  await s.close();
  return [N / dt * 1000, (cpu.user + cpu.system) / N];
}
const res: Record<string, number[][]> = {};
for (let k = 0; k < 8; k++) for (const m of ['bare', 'bare+timer', 'bare+ref', 'bare+now']) (res[m] ??= []).push(await run(m));
for (const [m, v] of Object.entries(res)) { const r = v.map(x => x[0]).sort((a,b)=>a-b); const c = v.map(x=>x[1]).sort((a,b)=>a-b); console.log(m.padEnd(12), 'median rate', r[4].toFixed(0), 'median cpu µs/op (both threads)', c[4].toFixed(1)); }
w.postMessage('x'); process.exit(0);
