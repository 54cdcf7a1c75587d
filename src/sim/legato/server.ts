/**
 * The Legato simulator's transports: a pty (a real serial device path: the daisy chain's line,
 * where only the addressed pump answers) and/or a TCP server (a serial-to-Ethernet gateway; each
 * connection has its own line parser, the pumps are shared). Prompts a pump prints by itself
 * (target reached, stall; poll off only) go to every client. Faults from `src/sim/faults.ts` act
 * on everything the pumps send.
 * @module
 */
import type { FaultInjector } from '../faults.js';
import { lineResponder } from '../pty.js';
import { faultInjector, parseHostPort, serveLineSim } from '../shared/server.js';
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
  return parseHostPort(spec, 'legato sim');
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
  const faults = faultInjector(options.faults, options.seed);
  const outputs = new Set<Output>();
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

  const lines = { terminators: ['\r\n', '\r', '\n'], onLine: handle };
  const t = await serveLineSim({
    tcp: options.tcp,
    pty: options.pty,
    what: 'legato sim',
    faults,
    onDown: () => {
      chain.reset();
      schedule();
    },
    accept(client) {
      outputs.add(client);
      return { respond: lineResponder(lines), close: () => void outputs.delete(client) };
    },
    ptyResponder: () => lines,
    ptyOptions: {
      onRestartFault: (ms) => t.goDown(ms),
      unasked: (push) => {
        const o: Output = { push };
        outputs.add(o);
        return () => void outputs.delete(o);
      },
    },
  });

  const { pty } = t;
  const line = t.tcp ? `legato+${t.tcp}` : `legato+serial://${pty!.path}`;
  const uris = [...chain.pumps.keys()].sort((a, b) => a - b).map((a) => `${line}?address=${a}`);
  return {
    address: t.address,
    uri: uris[0]!,
    uris,
    lineUri: line,
    ptyPath: pty?.path,
    model: chain,
    faults,
    get connections() {
      return t.connections;
    },
    stall(address = 0) {
      chain.at(address).injectStall(chain.now());
      schedule();
    },
    disconnectAll: t.hangUp,
    restart: t.restart,
    async close() {
      if (closed) return;
      closed = true;
      if (eventTimer) clearTimeout(eventTimer);
      await t.close();
    },
  };
}
