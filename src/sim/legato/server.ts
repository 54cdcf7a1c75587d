/**
 * The Legato simulator's transports: a pty (a real serial device path: the daisy chain's line,
 * where only the addressed pump answers) and/or a TCP server (a serial-to-Ethernet gateway; each
 * connection has its own line parser, the pumps are shared). Prompts a pump prints by itself
 * (target reached, stall; poll off only) go to every client. Faults from `src/sim/faults.ts` act
 * on everything the pumps send.
 * @module
 */
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import { tcpAddress } from '../../protocols/stream/tcp.js';
import { FaultInjector, FaultPipe } from '../faults.js';
import { lineResponder, openPtyPair, type PtyPair } from '../pty.js';
import { LegatoInterpreter } from './commands.js';
import { SimChain, type SimPumpOptions } from './model.js';

/** Options of startLegatoSim. */
export interface LegatoSimOptions {
  /** Listen on `HOST:PORT` (port 0: a free port). Default `127.0.0.1:0` unless only `pty` is asked. */
  tcp?: string;
  /** Serve on a pty (an object gives the link path). */
  pty?: boolean | { link?: string };
  /** Addresses of the pumps on the line. Default [0]. */
  addresses?: number[];
  /** Per-pump settings (their `address` wins over `addresses`). */
  pumps?: SimPumpOptions[];
  /** Settings every pump starts with. */
  defaults?: SimPumpOptions;
  /** Faults on what the pumps send: a spec string (`garble:0.1,delay:50`) or an injector to script. */
  faults?: string | FaultInjector;
  /** Seed of the injector built from a spec. Default 1. */
  seed?: number;
}

/** A running simulator. */
export interface LegatoSim {
  /** `tcp://HOST:PORT`, or `serial://PATH` for a pty-only simulator. */
  readonly address: string;
  /** Driver URI of the first pump, e.g. `legato+tcp://127.0.0.1:PORT?address=0`. */
  readonly uri: string;
  /** Driver URI of each pump, in address order. */
  readonly uris: readonly string[];
  /** Driver URI of the line without an address. */
  readonly lineUri: string;
  /** The pty path, when serving on one. */
  readonly ptyPath: string | undefined;
  /** The pumps and their physics. */
  readonly model: SimChain;
  /** The fault injector, when faults were given (script it with `next(kind)`). */
  readonly faults: FaultInjector | undefined;
  /** Open TCP connections now. */
  readonly connections: number;
  /** Stall the pump at `address` now (a blocked line): state `*`, flag S, announced when poll is off. */
  stall(address?: number): void;
  /** Drop every TCP connection and hang the pty up (it comes back at once). */
  disconnectAll(): void;
  /** Go away for `downMs` ms (TCP refuses, pty path missing) and power-cycle the pumps. */
  restart(downMs: number): Promise<void>;
  /** Stop serving; every socket, timer and pty is released. */
  close(): Promise<void>;
}

/** Split `HOST:PORT` (IPv6 in brackets). */
export function hostPort(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(spec);
  if (!m) throw new InvalidInputError('legato sim --tcp', spec, 'expected HOST:PORT, e.g. 127.0.0.1:0');
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidInputError('legato sim port', port, 'must lie in 0..65535');
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

interface Output {
  push(text: string): void;
}

/** Start simulated pumps (see the module notes). */
export async function startLegatoSim(options: LegatoSimOptions = {}): Promise<LegatoSim> {
  const chain = new SimChain({
    ...(options.addresses ? { addresses: options.addresses } : {}),
    ...(options.pumps ? { pumps: options.pumps } : {}),
    ...(options.defaults ? { defaults: options.defaults } : {}),
  });
  const interp = new LegatoInterpreter(chain);
  const faults = typeof options.faults === 'string' ? new FaultInjector({ rules: options.faults, seed: options.seed ?? 1 }) : options.faults;
  const outputs = new Set<Output>();
  const conns = new Set<{ end: () => void }>();
  let downUntil = 0;
  let closed = false;
  let eventTimer: ReturnType<typeof setTimeout> | undefined;

  /** Announce events of pumps in poll-off mode, then wait for the next one. */
  const schedule = (): void => {
    if (eventTimer) clearTimeout(eventTimer);
    eventTimer = undefined;
    if (closed) return;
    const now = chain.now();
    let next = Infinity;
    for (const p of chain.pumps.values()) {
      for (const _ of p.takeEvents()) {
        const text = interp.eventPrompt(p, now);
        if (text) for (const o of outputs) o.push(text);
      }
      const due = p.nextEventInMs(now);
      if (due !== undefined) next = Math.min(next, due);
      for (const _ of p.takeEvents()) {
        const text = interp.eventPrompt(p, now);
        if (text) for (const o of outputs) o.push(text);
      }
    }
    if (Number.isFinite(next)) eventTimer = setTimeout(schedule, Math.max(1, Math.ceil(next)));
  };

  const handle = (line: string): string | undefined => {
    const r = interp.handle(line);
    queueMicrotask(schedule);
    return r;
  };

  const goDown = (downMs: number): void => {
    downUntil = performance.now() + downMs;
    for (const c of [...conns]) c.end();
    chain.reset();
    schedule();
  };

  let server: net.Server | undefined;
  const wantTcp = options.tcp !== undefined || !options.pty;
  if (wantTcp) {
    const { host, port } = hostPort(options.tcp ?? '127.0.0.1:0');
    const srv = net.createServer({ noDelay: true }, (socket) => {
      socket.on('error', () => {});
      if (performance.now() < downUntil) {
        socket.resetAndDestroy();
        return;
      }
      const write = (bytes: Uint8Array): void => {
        if (!socket.destroyed) socket.write(bytes);
      };
      const pipe = faults ? new FaultPipe(faults, { deliver: write, disconnect: () => end(), restart: goDown }) : undefined;
      const out: Output = {
        push(text) {
          const bytes = Buffer.from(text, 'latin1');
          if (pipe) pipe.push(bytes);
          else write(bytes);
        },
      };
      outputs.add(out);
      const respond = lineResponder({ terminators: ['\r\n', '\r', '\n'], onLine: handle });
      let chainP: Promise<void> = Promise.resolve();
      let ended = false;
      const c = { end: (): void => end() };
      conns.add(c);
      const end = (): void => {
        if (ended) return;
        ended = true;
        outputs.delete(out);
        pipe?.dispose();
        socket.destroy();
        conns.delete(c);
      };
      socket.on('data', (chunk: Buffer) => {
        chainP = chainP.then(async () => {
          const r = await respond(chunk);
          if (typeof r === 'string' && r.length > 0 && !ended) out.push(r);
        }).catch(() => {});
      });
      socket.on('close', end);
      socket.on('end', end);
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    server = srv;
  }

  const pty = options.pty ? servePtyLine(typeof options.pty === 'object' ? options.pty.link : undefined, handle, faults, outputs, goDown) : undefined;

  const info = server?.address() as net.AddressInfo | undefined;
  const tcp = info ? tcpAddress(info.address, info.port) : undefined;
  const line = tcp ? `legato+${tcp}` : `legato+serial://${pty!.path}`;
  const uris = [...chain.pumps.keys()].sort((a, b) => a - b).map((a) => `${line}?address=${a}`);
  return {
    address: tcp ?? `serial://${pty!.path}`,
    uri: uris[0]!,
    uris,
    lineUri: line,
    ptyPath: pty?.path,
    model: chain,
    faults,
    get connections() {
      return conns.size;
    },
    stall(address = 0) {
      chain.at(address).injectStall(chain.now());
      schedule();
    },
    disconnectAll() {
      for (const c of [...conns]) c.end();
      pty?.hangUp();
    },
    async restart(downMs) {
      goDown(downMs);
      if (pty) await pty.restart(downMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (eventTimer) clearTimeout(eventTimer);
      for (const c of [...conns]) c.end();
      pty?.close();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

/** The pty side: like `serveOnPty`, plus unasked output (event prompts). */
interface PtyLine {
  readonly path: string;
  hangUp(): void;
  restart(downMs: number): Promise<void>;
  close(): void;
}

function servePtyLine(
  linkPath: string | undefined,
  handle: (line: string) => string | undefined,
  faults: FaultInjector | undefined,
  outputs: Set<Output>,
  goDown: (ms: number) => void,
): PtyLine {
  const dir = linkPath ? undefined : mkdtempSync(join(tmpdir(), 'labrig-legato-'));
  const link = linkPath ?? join(dir!, 'tty');
  let pair: PtyPair | undefined;
  let pipe: FaultPipe | undefined;
  let out: Output | undefined;
  let closed = false;
  let downTimer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;

  const start = (): void => {
    const p = openPtyPair({ link });
    pair = p;
    const write = (bytes: Uint8Array): void => {
      if (pair === p) p.master.write(bytes);
    };
    const restart = (ms: number): void => {
      goDown(ms);
      void self.restart(ms);
    };
    const pp = faults ? new FaultPipe(faults, { deliver: write, disconnect: () => self.hangUp(), restart }) : undefined;
    pipe = pp;
    const o: Output = {
      push(text) {
        const bytes = Buffer.from(text, 'latin1');
        if (pp) pp.push(bytes);
        else write(bytes);
      },
    };
    out = o;
    outputs.add(o);
    const respond = lineResponder({ terminators: ['\r\n', '\r', '\n'], onLine: handle });
    let chainP: Promise<void> = Promise.resolve();
    p.master.on('data', (chunk: Buffer) => {
      chainP = chainP.then(async () => {
        if (pair !== p) return;
        const r = await respond(chunk);
        if (typeof r === 'string' && r.length > 0 && pair === p) o.push(r);
      }).catch(() => {});
    });
  };
  const stop = (): void => {
    if (out) outputs.delete(out);
    out = undefined;
    pipe?.dispose();
    pipe = undefined;
    pair?.close();
    pair = undefined;
  };
  const self: PtyLine = {
    path: link,
    hangUp() {
      if (closed || !pair) return;
      stop();
      start();
    },
    restart(downMs) {
      if (closed || !pair) return Promise.resolve();
      stop();
      return new Promise<void>((resolve) => {
        wake = resolve;
        downTimer = setTimeout(() => {
          downTimer = undefined;
          wake = undefined;
          if (!closed) start();
          resolve();
        }, downMs);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      if (downTimer) clearTimeout(downTimer);
      downTimer = undefined;
      wake?.();
      stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  start();
  return self;
}
