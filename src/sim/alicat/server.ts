/**
 * The Alicat simulator's transports: a pty (a real serial device path; an RS-485 line where
 * several unit ids share the wire and only the addressed unit answers) and/or a TCP server (a
 * serial-to-Ethernet gateway; each connection its own line parser, one shared model; streaming
 * mode `@=@` works here only). Faults from `src/sim/faults.ts` act on the replies.
 * @module
 */
import type { FaultInjector } from '../faults.js';
import { lineResponder } from '../pty.js';
import { faultInjector, parseHostPort, serveLineSim } from '../shared/server.js';
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
  return parseHostPort(spec, 'alicat sim');
}

/** Start simulated Alicat units (see the module notes). */
export async function startAlicatSim(options: AlicatSimOptions = {}): Promise<AlicatSim> {
  const model = new AlicatModel(options);
  const faults = faultInjector(options.faults, options.seed);
  const resetOnRestart = options.resetOnRestart ?? true;
  let ptyInterp: AlicatInterpreter | undefined;
  const t = await serveLineSim({
    tcp: options.tcp,
    pty: options.pty,
    what: 'alicat sim',
    faults,
    onDown: () => {
      if (resetOnRestart) model.reset();
    },
    accept(client) {
      const timers = new Set<ReturnType<typeof setInterval>>();
      const streams: StreamHooks = {
        start(unit, line) {
          const timer = setInterval(() => client.push(line()), unit.streamIntervalMs);
          timers.add(timer);
          return () => {
            clearInterval(timer);
            timers.delete(timer);
          };
        },
      };
      const interp = new AlicatInterpreter(model, streams);
      return {
        respond: lineResponder({ terminators: ['\r\n', '\r', '\n'], onLine: (l) => interp.handle(l) }),
        close() {
          interp.dispose();
          for (const timer of timers) clearInterval(timer);
          timers.clear();
        },
      };
    },
    ptyResponder() {
      const interp = new AlicatInterpreter(model);
      ptyInterp = interp;
      return { terminators: ['\r\n', '\r', '\n'], onLine: (l) => interp.handle(l) };
    },
  });
  const { pty } = t;
  const line = t.tcp ? `alicat+${t.tcp}` : `alicat+serial://${pty!.path}`;
  const first = model.units[0]?.id ?? 'A';
  let closed = false;
  return {
    address: t.address,
    uri: `${line}?unit=${first}`,
    lineUri: line,
    ptyPath: pty?.path,
    model,
    faults,
    get connections() {
      return t.connections;
    },
    disconnectAll: t.hangUp,
    restart: t.restart,
    async close() {
      if (closed) return;
      closed = true;
      ptyInterp?.dispose();
      await t.close();
    },
  };
}
