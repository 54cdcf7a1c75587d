/**
 * The Galil simulator's transports: a TCP server (each connection its own command parser, one
 * shared controller model, at most 8 connections like the controller's Ethernet handles) and an
 * optional pty (a serial port path). Faults from `src/sim/faults.ts` act on the replies.
 * @module
 */
import type { FaultInjector } from '../faults.js';
import type { Responder } from '../pty.js';
import { faultInjector, serveLineSim } from '../shared/server.js';
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

/** Start a simulated Galil controller (see the module notes). */
export async function startGalilSim(options: GalilSimOptions = {}): Promise<GalilSim> {
  const model = new GalilModel(options);
  const faults = faultInjector(options.faults, options.seed);
  const resetOnRestart = options.resetOnRestart ?? true;
  const feed = (session: GalilSession): Responder => (chunk) => session.feed(Buffer.from(chunk).toString('latin1')) || undefined;
  const t = await serveLineSim({
    tcp: options.tcp,
    pty: options.pty,
    what: 'galil sim',
    faults,
    maxConnections: options.maxConnections ?? 8,
    onDown: () => {
      if (resetOnRestart) model.reset();
    },
    accept: () => ({ respond: feed(new GalilSession(model)) }),
    ptyResponder: () => feed(new GalilSession(model)),
  });
  const { pty } = t;
  const ptyUri = pty ? `galil+serial://${pty.path}` : undefined;
  let closed = false;
  return {
    address: t.address,
    uri: t.tcp ? `galil+${t.tcp}` : ptyUri!,
    ptyPath: pty?.path,
    ptyUri,
    model,
    faults,
    get connections() {
      return t.connections;
    },
    disconnectAll: t.dropAll,
    restart(downMs) {
      void t.restart(downMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      await t.close();
    },
  };
}
