/**
 * The TCP side the line-oriented simulators share (a serial-to-Ethernet gateway: each connection
 * its own parser, one shared model): `HOST:PORT` parsing, the fault injector built from a spec,
 * and {@link serveTcp}, which accepts connections, sends every reply through a fault pipe,
 * answers chunks in order, refuses connections while the simulator is down or full, and releases
 * everything on close. The pty side is `serveOnPty` in `../pty.ts`.
 * @module
 */
import net from 'node:net';
import { InvalidInputError } from '../../core/errors.js';
import { tcpAddress } from '../../protocols/stream/tcp.js';
import { FaultInjector, FaultPipe } from '../faults.js';
import { serveOnPty, type LineHandler, type PtyServer, type Responder, type ServeOnPtyOptions } from '../pty.js';

/** Split `HOST:PORT` (IPv6 in brackets; empty host: 127.0.0.1); `what` names the simulator in errors, e.g. `galil sim`. */
export function parseHostPort(spec: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(spec);
  if (!m) throw new InvalidInputError({ what: `${what} --tcp`, value: spec, reason: 'expected HOST:PORT, e.g. 127.0.0.1:0' });
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidInputError({ what: `${what} port`, value: port, reason: 'must lie in 0..65535' });
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** Build a fault injector from a spec string (seeded, default seed 1), or return the injector given. */
export function faultInjector(faults: string | FaultInjector | undefined, seed = 1): FaultInjector | undefined {
  return typeof faults === 'string' ? new FaultInjector({ rules: faults, seed }) : faults;
}

/** One accepted TCP client. */
export interface TcpClient {
  /** Send bytes (text as latin1) to the client through the fault pipe. */
  push(data: string | Uint8Array): void;
  /** Drop the connection (idempotent). */
  end(): void;
  /** True once the connection was dropped. */
  readonly ended: boolean;
}

/** What a simulator does with one connection. */
export interface TcpSession {
  /** Answer a chunk the client sent; chunks are answered one after the other. */
  respond: Responder;
  /** Release what the session holds when the connection ends. */
  close?(): void;
}

/** Options of serveTcp. */
export interface ServeTcpOptions {
  /** Listen on `HOST:PORT` (port 0: a free port). */
  tcp: string;
  /** Name of the simulator in errors, e.g. `alicat sim`. */
  what: string;
  /** Faults on every reply. */
  faults?: FaultInjector | undefined;
  /** What a `restart` fault does (go down for `downMs` ms: call `goDown` and reset the model). */
  restart: (downMs: number) => void;
  /** Simultaneous connections accepted (more are reset). Default: no limit. */
  maxConnections?: number;
  /** Start the session of a new connection. */
  accept(client: TcpClient): TcpSession;
}

/** A listening TCP simulator. */
export interface TcpSimServer {
  /** `tcp://HOST:PORT`. */
  readonly address: string;
  /** Open connections now. */
  readonly connections: number;
  /** Drop every connection now. */
  dropAll(): void;
  /** Drop every connection and refuse new ones for `downMs` ms. */
  goDown(downMs: number): void;
  /** Drop every connection and stop listening. */
  close(): Promise<void>;
}

/** Listen on `options.tcp` and serve each connection (see the module notes). */
export async function serveTcp(options: ServeTcpOptions): Promise<TcpSimServer> {
  const { host, port } = parseHostPort(options.tcp, options.what);
  const { faults } = options;
  const clients = new Set<TcpClient>();
  const maxConnections = options.maxConnections ?? Infinity;
  let downUntil = 0;
  const srv = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    if (performance.now() < downUntil || clients.size >= maxConnections) {
      socket.resetAndDestroy();
      return;
    }
    const write = (bytes: Uint8Array): void => {
      if (!socket.destroyed) socket.write(bytes);
    };
    const pipe = faults ? new FaultPipe(faults, { deliver: write, disconnect: () => client.end(), restart: options.restart }) : undefined;
    let ended = false;
    let session: TcpSession | undefined;
    const client: TcpClient = {
      push(data) {
        const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
        if (pipe) pipe.push(bytes);
        else write(bytes);
      },
      end() {
        if (ended) return;
        ended = true;
        session?.close?.();
        pipe?.dispose();
        socket.destroy();
        clients.delete(client);
      },
      get ended() {
        return ended;
      },
    };
    clients.add(client);
    session = options.accept(client);
    const { respond } = session;
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      chain = chain
        .then(async () => {
          const r = await respond(chunk);
          if (r !== undefined && r.length > 0 && !ended) client.push(r);
        })
        .catch(() => {}); // a throwing session answers nothing, like a confused device
    });
    socket.on('close', () => client.end());
    socket.on('end', () => client.end());
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => {
      srv.off('error', reject);
      resolve();
    });
  });
  const info = srv.address() as net.AddressInfo;
  const dropAll = (): void => {
    for (const c of [...clients]) c.end();
  };
  return {
    address: tcpAddress(info.address, info.port),
    get connections() {
      return clients.size;
    },
    dropAll,
    goDown(downMs) {
      downUntil = performance.now() + downMs;
      dropAll();
    },
    async close() {
      dropAll();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

/** Options of {@link serveLineSim}: the user's transport options plus the family's sessions. */
export interface LineSimOptions {
  /** Listen on `HOST:PORT`; default `127.0.0.1:0` unless only `pty` is asked. */
  tcp?: string | undefined;
  /** Also (or only) serve on a pty; an object gives the link path. */
  pty?: boolean | { link?: string } | undefined;
  /** Name of the simulator in errors, e.g. `alicat sim`. */
  what: string;
  /** Faults on every reply. */
  faults: FaultInjector | undefined;
  /** Simultaneous TCP connections accepted. Default: no limit. */
  maxConnections?: number;
  /** What else going down does (reset the model); called after the TCP side went down. */
  onDown(downMs: number): void;
  /** Start the session of a new TCP connection. */
  accept(client: TcpClient): TcpSession;
  /** Build what answers on the pty (called once, only when a pty is asked for). */
  ptyResponder(): Responder | LineHandler;
  /** Extra pty options (unasked output, what a restart fault does besides restarting the pty). */
  ptyOptions?: Pick<ServeOnPtyOptions, 'unasked' | 'onRestartFault'>;
}

/** The transports of a running line-oriented simulator. */
export interface LineSimTransports {
  /** `tcp://HOST:PORT`, or `serial://PATH` for a pty-only simulator. */
  readonly address: string;
  /** `tcp://HOST:PORT` when listening on TCP. */
  readonly tcp: string | undefined;
  /** The pty, when serving on one. */
  readonly pty: PtyServer | undefined;
  /** Open TCP connections now. */
  readonly connections: number;
  /** Drop every TCP connection now. */
  dropAll(): void;
  /** Refuse TCP for `downMs` ms (dropping every connection), then call `onDown`. */
  goDown(downMs: number): void;
  /** Drop every TCP connection and hang the pty up (it comes back at once). */
  hangUp(): void;
  /** Go down for `downMs` ms: TCP refuses, the pty path is missing; resolves when the pty is back. */
  restart(downMs: number): Promise<void>;
  /** Stop serving: every socket and the pty are released. */
  close(): Promise<void>;
}

/** Serve a line-oriented simulator on TCP and/or a pty, with faults (see the module notes). */
export async function serveLineSim(options: LineSimOptions): Promise<LineSimTransports> {
  let server: TcpSimServer | undefined;
  const goDown = (downMs: number): void => {
    server?.goDown(downMs);
    options.onDown(downMs);
  };
  if (options.tcp !== undefined || !options.pty) {
    server = await serveTcp({
      tcp: options.tcp ?? '127.0.0.1:0',
      what: options.what,
      faults: options.faults,
      restart: goDown,
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      accept: (client) => options.accept(client),
    });
  }
  let pty: PtyServer | undefined;
  if (options.pty) {
    const link = typeof options.pty === 'object' ? options.pty.link : undefined;
    pty = serveOnPty(options.ptyResponder(), {
      ...(link ? { link } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...options.ptyOptions,
    });
  }
  const tcp = server?.address;
  return {
    address: tcp ?? `serial://${pty!.path}`,
    tcp,
    pty,
    get connections() {
      return server?.connections ?? 0;
    },
    dropAll: () => server?.dropAll(),
    goDown,
    hangUp() {
      server?.dropAll();
      pty?.hangUp();
    },
    async restart(downMs) {
      goDown(downMs);
      if (pty) await pty.restart(downMs);
    },
    async close() {
      server?.dropAll();
      pty?.close();
      await server?.close();
    },
  };
}
