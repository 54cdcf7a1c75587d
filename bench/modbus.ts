/**
 * Modbus benchmark.
 *
 * 1. Server requests per second: labrig's ModbusServer against modbus-serial's ServerTCP, each in
 *    its own worker thread, driven by the same lean load generator on the main thread (raw
 *    sockets, pre-encoded MBAP frames, CONNS connections each keeping WINDOW requests in flight,
 *    a fixed mix of function 3 / 6 / 3 / 1), so the server is the bottleneck. Rounds alternate
 *    between the two servers; rates are medians and the ratio is the median of the round ratios
 *    (robust against other load on a shared machine). Then one connection with one request at a
 *    time, the latency a simple polling client sees.
 * 2. Client reads per second against Debian's pymodbus server (python3-pymodbus): labrig's
 *    ModbusTcpClient and modbus-serial's client, one request at a time and 16 concurrent,
 *    in alternating rounds (medians).
 * 3. The same two clients against labrig's server in a worker, where the client is the
 *    bottleneck (the figures behind docs/decisions/0003-modbus.md).
 *
 * Run alone: `node --import tsx bench/modbus.ts`.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ModbusTcpClient } from '../src/protocols/modbus/client-tcp.js';
import { TcpStream } from '../src/protocols/stream/tcp.js';
import { fmtRate, header, row } from './util.js';

const CONNS = 4;
const WINDOW = 32;
const ROUND_MS = 600;
const ROUNDS = 5;
const CLIENT_MS = 400;
const CLIENT_ROUNDS = 3;

const require = createRequire(import.meta.url);

// Servers under test, each alone in a worker thread. Both hold 200 holding registers and coils.
const SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.kind === 'labrig') {
    if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
    const { ModbusServer, RegisterStore } = await import(workerData.modbusModule);
    const server = new ModbusServer({ store: new RegisterStore({ holding: 200, input: 200, coil: 200, discrete: 200 }) });
    const { port } = await server.listenTcp();
    parentPort.postMessage({ port });
    parentPort.on('message', async () => { await server.close(); process.exit(0); });
  } else {
    const { ServerTCP } = require(workerData.modbusSerial);
    const regs = new Uint16Array(200);
    const coils = new Uint8Array(200);
    const vector = {
      getHoldingRegister: (a) => regs[a],
      getMultipleHoldingRegisters: (a, n) => Array.from(regs.subarray(a, a + n)),
      getInputRegister: () => 0,
      getMultipleInputRegisters: (a, n) => new Array(n).fill(0),
      getCoil: (a) => coils[a] === 1,
      getDiscreteInput: () => false,
      setRegister: (a, v) => { regs[a] = v; },
      setCoil: (a, v) => { coils[a] = v ? 1 : 0; },
    };
    const server = new ServerTCP(vector, { host: '127.0.0.1', port: workerData.port, unitID: 1 });
    server.on('initialized', () => parentPort.postMessage({ port: server._server.address().port }));
    server.on('socketError', () => {});
    parentPort.on('message', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500); });
  }
})();
`;

interface Peer {
  port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function startServer(kind: 'labrig' | 'modbus-serial'): Promise<Peer> {
  const here = new URL(import.meta.url);
  const ts = here.pathname.endsWith('.ts');
  const modbusModule = new URL(ts ? '../src/protocols/modbus/index.ts' : '../src/protocols/modbus/index.js', here).href;
  const tsxApi = ts ? pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : undefined;
  const port = kind === 'modbus-serial' ? await freePort() : 0; // ServerTCP treats port 0 as "use 502"
  const worker = new Worker(SERVER, { eval: true, workerData: { kind, modbusModule, tsxApi, port, modbusSerial: require.resolve('modbus-serial') } });
  const info = await new Promise<{ port: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    port: info.port,
    stop: async () => {
      worker.postMessage('stop');
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

/** Pre-encoded request frames (all 12 bytes): read 10 holding, write 1 holding, read 10 holding, read 16 coils. */
function requestFrames(count: number): Buffer {
  const pdus = ['03 0000 000A', '06 0005 1234', '03 000A 000A', '01 0000 0010'].map((h) => Buffer.from(h.replace(/ /g, ''), 'hex'));
  const out = Buffer.alloc(12 * count);
  for (let i = 0; i < count; i++) {
    const pdu = pdus[i % pdus.length]!;
    out.writeUInt16BE(i & 0xffff, 12 * i);
    out.writeUInt16BE(0, 12 * i + 2);
    out.writeUInt16BE(6, 12 * i + 4);
    out[12 * i + 6] = 1;
    pdu.copy(out, 12 * i + 7);
  }
  return out;
}

/** Drive a server with `conns` connections keeping `window` requests in flight each for `ms`; return answered requests per second. */
async function blast(port: number, ms: number, conns = CONNS, window = WINDOW): Promise<{ rate: number; errors: number }> {
  const frames = requestFrames(WINDOW * 8);
  let counting = false;
  let answered = 0;
  let errors = 0;
  const socks: net.Socket[] = [];
  for (let c = 0; c < conns; c++) {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    s.on('error', () => {});
    socks.push(s);
    let rest: Buffer | undefined;
    let next = 0;
    const send = (n: number): void => {
      if (next + n > frames.length / 12) next = 0;
      s.write(frames.subarray(12 * next, 12 * (next + n)));
      next += n;
    };
    s.on('data', (chunk: Buffer) => {
      let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
      rest = undefined;
      let at = 0;
      let done = 0;
      while (buf.length - at >= 6) {
        const end = at + 6 + buf.readUInt16BE(at + 4);
        if (end > buf.length) break;
        if ((buf[at + 7]! & 0x80) !== 0) errors++;
        done++;
        at = end;
      }
      if (at < buf.length) rest = Buffer.from(buf.subarray(at));
      if (counting) answered += done;
      if (done) send(done);
      buf = Buffer.alloc(0);
    });
    send(window);
  }
  await new Promise((r) => setTimeout(r, 200)); // warm-up
  counting = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const rate = (answered * 1000) / (performance.now() - start);
  counting = false;
  for (const s of socks) s.destroy();
  return { rate, errors };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Reads per second of `read` for `ms`, with `concurrency` loops each awaiting its reads. */
async function readRate(read: () => Promise<unknown>, concurrency: number, ms: number): Promise<number> {
  let n = 0;
  const until = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await read();
        n++;
      }
    }),
  );
  return (n * 1000) / (performance.now() - start);
}

interface ClientRates {
  labrigSeq: number;
  labrigPipe: number;
  msSeq: number;
  msPipe: number;
}

async function clientRates(port: number): Promise<ClientRates> {
  const ours = new ModbusTcpClient({ stream: new TcpStream({ host: '127.0.0.1', port }), timeoutMs: 5000, maxInFlight: 16 });
  const ModbusRTU = require('modbus-serial') as new () => {
    connectTCP(ip: string, o: { port: number }): Promise<void>;
    setID(id: number): void;
    setTimeout(ms: number): void;
    readHoldingRegisters(a: number, n: number): Promise<{ data: number[] }>;
    close(cb: () => void): void;
  };
  const theirs = new ModbusRTU();
  await theirs.connectTCP('127.0.0.1', { port });
  theirs.setID(1);
  theirs.setTimeout(5000);
  const readOurs = (): Promise<unknown> => ours.readHolding(0, 10);
  const readTheirs = (): Promise<unknown> => theirs.readHoldingRegisters(0, 10);
  // Warm up both clients and the server, then alternate the order round by round.
  await readRate(readOurs, 4, 300);
  await readRate(readTheirs, 4, 300);
  const r: Record<keyof ClientRates, number[]> = { labrigSeq: [], labrigPipe: [], msSeq: [], msPipe: [] };
  for (let k = 0; k < CLIENT_ROUNDS; k++) {
    const steps: Array<[keyof ClientRates, () => Promise<unknown>, number]> = [
      ['labrigSeq', readOurs, 1],
      ['msSeq', readTheirs, 1],
      ['labrigPipe', readOurs, 16],
      ['msPipe', readTheirs, 16],
    ];
    if (k % 2) steps.reverse();
    for (const [key, read, concurrency] of steps) r[key].push(await readRate(read, concurrency, CLIENT_MS));
  }
  await ours.close();
  await new Promise<void>((res) => theirs.close(() => res()));
  return { labrigSeq: median(r.labrigSeq), labrigPipe: median(r.labrigPipe), msSeq: median(r.msSeq), msPipe: median(r.msPipe) };
}

const PYMODBUS_SERVER = String.raw`
import asyncio, os, sys, logging
logging.disable(logging.CRITICAL)
from pymodbus.server.async_io import ModbusTcpServer
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext
async def main():
    slave = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, list(range(200))), zero_mode=True)
    server = ModbusTcpServer(ModbusServerContext(slaves={1: slave}, single=False), address=('127.0.0.1', 0))
    asyncio.create_task(server.serve_forever())
    await server.serving
    print(server.server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    os._exit(0)
asyncio.run(main())
`;

async function startPymodbus(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn('/usr/bin/python3', ['-c', PYMODBUS_SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('pymodbus server did not start')), 20_000);
    child.stdout.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pymodbus server exited ${code}: ${err.slice(-500)}`));
    });
  });
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

function printClients(label: string, r: ClientRates): void {
  row(`modbus-serial client, 1 at a time (${label})`, r.msSeq);
  row(`labrig client, 1 at a time (${label})`, r.labrigSeq, 'modbus-serial', r.msSeq);
  row(`modbus-serial client, 16 concurrent (${label})`, r.msPipe);
  row(`labrig client, 16 in flight (${label})`, r.labrigPipe, 'modbus-serial', r.msPipe);
}

/** Measure Modbus server and client throughput; returns rates and ratios by name. */
export async function benchModbus(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  header(`modbus: server requests/s, ${CONNS} pipelined connections x ${WINDOW} in flight, mix fc3/fc6/fc3/fc1 (servers in worker threads)`);
  const ours = await startServer('labrig');
  const theirs = await startServer('modbus-serial');
  const a: number[] = [];
  const b: number[] = [];
  const a1: number[] = [];
  const b1: number[] = [];
  let errors = 0;
  try {
    for (let k = 0; k < ROUNDS; k++) {
      const first = k % 2 === 0 ? ours : theirs;
      const second = first === ours ? theirs : ours;
      const r1 = await blast(first.port, ROUND_MS);
      const r2 = await blast(second.port, ROUND_MS);
      (first === ours ? a : b).push(r1.rate);
      (first === ours ? b : a).push(r2.rate);
      errors += r1.errors + r2.errors;
    }
    // One connection, one request at a time: the latency a simple polling client sees.
    for (let k = 0; k < 3; k++) {
      const r1 = await blast(ours.port, ROUND_MS / 2, 1, 1);
      const r2 = await blast(theirs.port, ROUND_MS / 2, 1, 1);
      a1.push(r1.rate);
      b1.push(r2.rate);
      errors += r1.errors + r2.errors;
    }
  } finally {
    await ours.stop();
    await theirs.stop();
  }
  out.serverLabrig = median(a);
  out.serverModbusSerial = median(b);
  out.serverRatio = median(a.map((x, i) => x / b[i]!));
  row('baseline: modbus-serial ServerTCP', out.serverModbusSerial);
  row('labrig ModbusServer', out.serverLabrig);
  console.log(`  ${''.padEnd(44)} median round ratio ${out.serverRatio.toFixed(1)} vs modbus-serial`);
  console.log(`  ${''.padEnd(44)} (rounds: labrig ${a.map(fmtRate).join(', ')}; modbus-serial ${b.map(fmtRate).join(', ')})`);
  out.serialLabrig = median(a1);
  out.serialModbusSerial = median(b1);
  row('modbus-serial ServerTCP, 1 connection x 1', out.serialModbusSerial);
  row('labrig ModbusServer, 1 connection x 1', out.serialLabrig, 'modbus-serial', out.serialModbusSerial);
  if (errors) console.log(`  WARNING: ${errors} exception replies`);

  header('modbus: client reads/s (read 10 holding registers) against pymodbus 3.0 TCP server (python3-pymodbus)');
  let py: Awaited<ReturnType<typeof startPymodbus>> | undefined;
  try {
    py = await startPymodbus();
  } catch (e) {
    console.log(`  pymodbus server not available: ${(e as Error).message}`);
  }
  if (py) {
    try {
      const r = await clientRates(py.port);
      printClients('pymodbus', r);
      Object.assign(out, { pyLabrigSeq: r.labrigSeq, pyLabrigPipe: r.labrigPipe, pyModbusSerialSeq: r.msSeq, pyModbusSerialPipe: r.msPipe });
    } finally {
      await py.stop();
    }
  }

  header('modbus: client reads/s against labrig ModbusServer in a worker (client-bound)');
  const fast = await startServer('labrig');
  try {
    const r = await clientRates(fast.port);
    printClients('labrig server', r);
    Object.assign(out, { fastLabrigSeq: r.labrigSeq, fastLabrigPipe: r.labrigPipe, fastModbusSerialSeq: r.msSeq, fastModbusSerialPipe: r.msPipe });
  } finally {
    await fast.stop();
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`node ${process.version}`);
  const r = await benchModbus();
  console.log(`\n  server ratio labrig/modbus-serial ${r.serverRatio!.toFixed(1)} (labrig ${fmtRate(r.serverLabrig!)}; goal >= 20 k/s)`);
}
