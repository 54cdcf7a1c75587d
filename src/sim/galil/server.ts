/**
 * The Galil simulator's transports: a TCP server (each connection its own command parser, one
 * shared controller model, at most 8 connections like the controller's Ethernet handles) and an
 * optional pty (a serial port path). Faults from `src/sim/faults.ts` act on the replies.
 * @module
 */
import net from 'node:net';
import { InvalidInputError } from '../../core/errors.js';
import { tcpAddress } from '../../protocols/stream/tcp.js';
import { FaultInjector, FaultPipe } from '../faults.js';
import { serveOnPty, type PtyServer } from '../pty.js';
import { GalilModel, type GalilModelOptions } from './model.js';
import { GalilSession } from './session.js';

/** Options of startGalilSim. */
export interface GalilSimOptions extends GalilModelOptions {
  /** Listen on `HOST:PORT` (port 0: a free port). Default `127.0.0.1:0` unless only `pty` is asked. */
  tcp?: string;
  /** Also (or only) serve on a pty; an object gives the link path. */
  pty?: boolean | { link?: string };
  /** Faults on the replies: a spec string (`garble:0.1,delay:50`) or an injector to script. */
  faults?: string | FaultInjector;
  /** Seed of the fault injector built from a spec. Default 1. */
  seed?: number;
  /** Simultaneous TCP connections accepted (more are reset). Default 8. */
  maxConnections?: number;
  /** Reset the controller when a `restart` fault hits. Default true. */
  resetOnRestart?: boolean;
}

/** A running simulator. */
export interface GalilSim {
  /** `tcp://127.0.0.1:PORT` (or `serial://PATH` for a pty-only simulator). */
  readonly address: string;
  /** Driver URI, `galil+tcp://127.0.0.1:PORT` (or `galil+serial://PATH`). */
  readonly uri: string;
  /** The pty path, when serving on a pty. */
  readonly ptyPath: string | undefined;
  /** Driver URI of the pty, when serving on one. */
  readonly ptyUri: string | undefined;
  /** The shared controller state (axes, I/O). */
  readonly model: GalilModel;
  /** The fault injector, when faults were given (script it with `next(kind)`). */
  readonly faults: FaultInjector | undefined;
  /** Open TCP connections now. */
  readonly connections: number;
  /** Drop every connection now. */
  disconnectAll(): void;
  /** Drop every connection, refuse new ones for `downMs` ms and reset the controller. */
  restart(downMs: number): void;
  /** Stop serving; every socket, timer and pty is released. */
  close(): Promise<void>;
}

function hostPort(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(spec);
  if (!m) throw new InvalidInputError('galil sim --tcp', spec, 'expected HOST:PORT, e.g. 127.0.0.1:0');
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidInputError('galil sim port', port, 'must lie in 0..65535');
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** Start a simulated Galil controller (see the module notes). */
export async function startGalilSim(options: GalilSimOptions = {}): Promise<GalilSim> {
  const model = new GalilModel(options);
  const faults = typeof options.faults === 'string' ? new FaultInjector({ rules: options.faults, seed: options.seed ?? 1 }) : options.faults;
  const maxConnections = options.maxConnections ?? 8;
  const resetOnRestart = options.resetOnRestart ?? true;
  const conns = new Set<{ socket: net.Socket; pipe: FaultPipe | undefined }>();
  let downUntil = 0;
  let server: net.Server | undefined;
  let pty: PtyServer | undefined;

  const dropAll = (): void => {
    for (const c of conns) {
      c.pipe?.dispose();
      c.socket.destroy();
    }
    conns.clear();
  };
  const restart = (downMs: number): void => {
    downUntil = performance.now() + downMs;
    dropAll();
    if (resetOnRestart) model.reset();
  };

  const wantTcp = options.tcp !== undefined || !options.pty;
  if (wantTcp) {
    const { host, port } = hostPort(options.tcp ?? '127.0.0.1:0');
    const srv = net.createServer({ noDelay: true }, (socket) => {
      if (performance.now() < downUntil || conns.size >= maxConnections) {
        socket.on('error', () => {});
        socket.resetAndDestroy();
        return;
      }
      const session = new GalilSession(model);
      const write = (bytes: Uint8Array): void => {
        if (!socket.destroyed) socket.write(bytes);
      };
      const pipe = faults ? new FaultPipe(faults, { deliver: write, disconnect: () => end(), restart }) : undefined;
      const c = { socket, pipe };
      conns.add(c);
      const end = (): void => {
        pipe?.dispose();
        socket.destroy();
        conns.delete(c);
      };
      socket.on('data', (chunk) => {
        const reply = session.feed(chunk.toString('latin1'));
        if (reply === '') return;
        const bytes = Buffer.from(reply, 'latin1');
        if (pipe) pipe.push(bytes);
        else write(bytes);
      });
      socket.on('error', end);
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
    const session = new GalilSession(model);
    const link = typeof options.pty === 'object' ? options.pty.link : undefined;
    pty = serveOnPty((chunk) => session.feed(Buffer.from(chunk).toString('latin1')) || undefined, { ...(link ? { link } : {}), ...(faults ? { faults } : {}) });
  }

  const info = server?.address() as net.AddressInfo | undefined;
  const tcp = info ? tcpAddress(info.address, info.port) : undefined;
  const ptyUri = pty ? `galil+serial://${pty.path}` : undefined;
  let closed = false;
  return {
    address: tcp ?? `serial://${pty!.path}`,
    uri: tcp ? `galil+${tcp}` : ptyUri!,
    ptyPath: pty?.path,
    ptyUri,
    model,
    faults,
    get connections() {
      return conns.size;
    },
    disconnectAll: dropAll,
    restart(downMs) {
      restart(downMs);
      if (pty) void pty.restart(downMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      dropAll();
      pty?.close();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}
