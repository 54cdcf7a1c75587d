/**
 * The Alicat simulator's transports: a pty (a real serial device path; an RS-485 line where
 * several unit ids share the wire and only the addressed unit answers) and/or a TCP server (a
 * serial-to-Ethernet gateway; each connection its own line parser, one shared model; streaming
 * mode `@=@` works here only). Faults from `src/sim/faults.ts` act on the replies.
 * @module
 */
import net from 'node:net';
import { InvalidInputError } from '../../core/errors.js';
import { tcpAddress } from '../../protocols/stream/tcp.js';
import { FaultInjector, FaultPipe } from '../faults.js';
import { lineResponder, serveOnPty, type PtyServer } from '../pty.js';
import { AlicatInterpreter, type StreamHooks } from './commands.js';
import { AlicatModel, type AlicatModelOptions } from './model.js';

/** Options of startAlicatSim. */
export interface AlicatSimOptions extends AlicatModelOptions {
  /** Listen on `HOST:PORT` (port 0: a free port). Default `127.0.0.1:0` unless only `pty` is asked. */
  tcp?: string;
  /** Serve on a pty (an object gives the link path). */
  pty?: boolean | { link?: string };
  /** Faults on the replies: a spec string (`garble:0.1,delay:50`) or an injector to script. */
  faults?: string | FaultInjector;
  /** Seed of the injector built from a spec. Default 1. */
  seed?: number;
  /** Power-cycle the units when a TCP `restart` fault hits. Default true. */
  resetOnRestart?: boolean;
}

/** A running simulator. */
export interface AlicatSim {
  /** `tcp://HOST:PORT`, or `serial://PATH` for a pty-only simulator. */
  readonly address: string;
  /** Driver URI of the first unit, e.g. `alicat+tcp://127.0.0.1:PORT?unit=A`. */
  readonly uri: string;
  /** Driver URI of the line without a unit (for `openAlicatBus`). */
  readonly lineUri: string;
  /** The pty path, when serving on one. */
  readonly ptyPath: string | undefined;
  /** The units and their physics. */
  readonly model: AlicatModel;
  /** The fault injector, when faults were given (script it with `next(kind)`). */
  readonly faults: FaultInjector | undefined;
  /** Open TCP connections now. */
  readonly connections: number;
  /** Drop every TCP connection now (the pty hangs up and comes back). */
  disconnectAll(): void;
  /** Go away for `downMs` ms (TCP refuses, pty path missing) and power-cycle the units. */
  restart(downMs: number): Promise<void>;
  /** Stop serving; every socket, timer and pty is released. */
  close(): Promise<void>;
}

/** Split `HOST:PORT` (IPv6 in brackets). */
export function hostPort(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(spec);
  if (!m) throw new InvalidInputError('alicat sim --tcp', spec, 'expected HOST:PORT, e.g. 127.0.0.1:0');
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidInputError('alicat sim port', port, 'must lie in 0..65535');
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** Start simulated Alicat units (see the module notes). */
export async function startAlicatSim(options: AlicatSimOptions = {}): Promise<AlicatSim> {
  const model = new AlicatModel(options);
  const faults = typeof options.faults === 'string' ? new FaultInjector({ rules: options.faults, seed: options.seed ?? 1 }) : options.faults;
  const resetOnRestart = options.resetOnRestart ?? true;
  const conns = new Set<{ socket: net.Socket; end: () => void }>();
  let downUntil = 0;
  let server: net.Server | undefined;
  let pty: PtyServer | undefined;
  let ptyInterp: AlicatInterpreter | undefined;

  const dropAll = (): void => {
    for (const c of [...conns]) c.end();
  };
  const goDown = (downMs: number): void => {
    downUntil = performance.now() + downMs;
    dropAll();
    if (resetOnRestart) model.reset();
  };

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
      const out = (text: string): void => {
        const bytes = Buffer.from(text, 'latin1');
        if (pipe) pipe.push(bytes);
        else write(bytes);
      };
      const timers = new Set<ReturnType<typeof setInterval>>();
      const streams: StreamHooks = {
        start(unit, line) {
          const timer = setInterval(() => out(line()), unit.streamIntervalMs);
          timers.add(timer);
          return () => {
            clearInterval(timer);
            timers.delete(timer);
          };
        },
      };
      const interp = new AlicatInterpreter(model, streams);
      const respond = lineResponder({ terminators: ['\r\n', '\r', '\n'], onLine: (l) => interp.handle(l) });
      let chain: Promise<void> = Promise.resolve();
      const c = { socket, end: (): void => end() };
      conns.add(c);
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        interp.dispose();
        for (const t of timers) clearInterval(t);
        timers.clear();
        pipe?.dispose();
        socket.destroy();
        conns.delete(c);
      };
      socket.on('data', (chunk: Buffer) => {
        chain = chain.then(async () => {
          const r = await respond(chunk);
          if (typeof r === 'string' && r.length > 0 && !ended) out(r);
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

  if (options.pty) {
    const interp = new AlicatInterpreter(model);
    ptyInterp = interp;
    const link = typeof options.pty === 'object' ? options.pty.link : undefined;
    pty = serveOnPty({ terminators: ['\r\n', '\r', '\n'], onLine: (l) => interp.handle(l) }, { ...(link ? { link } : {}), ...(faults ? { faults } : {}) });
  }

  const info = server?.address() as net.AddressInfo | undefined;
  const tcp = info ? tcpAddress(info.address, info.port) : undefined;
  const line = tcp ? `alicat+${tcp}` : `alicat+serial://${pty!.path}`;
  const first = model.units[0]?.id ?? 'A';
  let closed = false;
  return {
    address: tcp ?? `serial://${pty!.path}`,
    uri: `${line}?unit=${first}`,
    lineUri: line,
    ptyPath: pty?.path,
    model,
    faults,
    get connections() {
      return conns.size;
    },
    disconnectAll() {
      dropAll();
      pty?.hangUp();
    },
    async restart(downMs) {
      goDown(downMs);
      if (pty) await pty.restart(downMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      dropAll();
      ptyInterp?.dispose();
      pty?.close();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}
