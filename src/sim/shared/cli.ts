/**
 * The command line the line-oriented simulators share: `labrig sim X [--tcp HOST:PORT | --pty]
 * [--faults SPEC] ...`. {@link parseSimArgs} reads the common options and hands the others to
 * the family; {@link runSimCli} starts the simulator, lets the family print its URIs (the driver
 * URI first), and runs until SIGINT or SIGTERM.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { FaultInjector } from '../faults.js';
import { parseHostPort } from './server.js';

/** A mistake on a simulator's command line: printed as one line, exit 2. */
export class SimUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimUsageError';
  }
}

/** `--help`/`-h` on a simulator's command line: the usage is printed on stdout, exit 0. */
export class SimHelpRequest extends Error {
  constructor(usage: string) {
    super(usage);
    this.name = 'SimHelpRequest';
  }
}

/** Limit of a simulator's close after a signal, ms; a second signal exits at once. */
export const SIM_CLOSE_TIMEOUT_MS = 5000;

/** The options every line-oriented simulator takes. */
export interface CommonSimOptions {
  /** Listen on TCP at `HOST:PORT`. */
  tcp?: string;
  /** Serve on a pseudo-terminal (`true`, or with a fixed link path). */
  pty?: boolean | { link?: string };
  /** Fault-injection spec (the command line gives a string). */
  faults?: string | FaultInjector;
}

/**
 * Read one family option `a`: take its argument with `value()`, throw with `fail(message)`;
 * return false when `a` is not a family option.
 */
export type FamilyOption = (a: string, value: () => string, fail: (message: string) => never) => boolean;

/** How {@link parseSimArgs} reads a family's command line. */
export interface SimArgsSpec {
  /** The usage line, appended to every error. */
  usage: string;
  /** Read the family's own options. */
  option?: FamilyOption;
  /** Reject `--tcp` together with `--pty`. Default false. */
  exclusive?: boolean;
}

/** Parse `args` into `o` (common options, then the family's); throws an Error with the usage on bad input. */
export function parseSimArgs<O extends CommonSimOptions>(args: string[], o: O, spec: SimArgsSpec): O {
  const { usage } = spec;
  const command = /labrig sim \w+/.exec(usage)?.[0] ?? 'labrig sim';
  if (args.includes('--help') || args.includes('-h')) throw new SimHelpRequest(usage);
  const fail = (message: string): never => {
    throw new SimUsageError(`${command}: ${message}; see ${command} --help`);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v!;
    };
    if (a === '--tcp') {
      o.tcp = value();
      try {
        parseHostPort(o.tcp, 'address');
      } catch (e) {
        fail(`${(e as Error).message}; use HOST:PORT with PORT in 0..65535 (0 picks a free port)`);
      }
    }
    else if (a === '--pty') o.pty = true;
    else if (a === '--faults') o.faults = value();
    else if (spec.option?.(a, value, fail)) continue;
    else fail(`unknown option ${a}`);
  }
  if (spec.exclusive && o.tcp !== undefined && o.pty) fail('give --tcp or --pty, not both');
  return o;
}

/** A started simulator, as far as the command line needs it. */
export interface Closable {
  /** Stop serving and release everything. */
  close(): Promise<void>;
}

/** How {@link runSimCli} runs one family's simulator. */
export interface SimCliSpec<O, S extends Closable> {
  /** Parse the arguments (throws an Error with the usage on bad input). */
  parse: (args: string[]) => O;
  /** Start the simulator. */
  start: (options: O) => Promise<S>;
  /** Print the URIs (driver URI first, on stdout) and a note on stderr. */
  announce: (sim: S) => void;
  /** The command (`labrig sim galil`), prefix of the message when starting fails. */
  label?: string;
}

const SIM_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Resolve with the signal when the process gets SIGINT, SIGTERM or SIGHUP. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    const listeners = SIM_SIGNALS.map((s) => {
      const l = (): void => {
        for (const [sig, f] of listeners) process.off(sig, f);
        resolve(s);
      };
      return [s, l] as const;
    });
    for (const [s, l] of listeners) process.on(s, l);
  });
}

/** While `work` runs, a signal exits the process at once (128 + its number); then the listeners go. */
async function hurriedBySignal<T>(work: () => Promise<T>): Promise<T> {
  const again = (s: NodeJS.Signals): void => process.exit(128 + (s === 'SIGINT' ? 2 : s === 'SIGTERM' ? 15 : 1));
  for (const s of SIM_SIGNALS) process.on(s, again);
  try {
    return await work();
  } finally {
    for (const s of SIM_SIGNALS) process.off(s, again);
  }
}

/** Describe why a simulator could not start, with the fix; `usage` says whether it is the user's mistake (exit 2). */
export function startFailure(e: unknown, command: string): { line: string; usage: boolean } {
  const err = e as NodeJS.ErrnoException;
  const msg = (err?.message ?? String(e)).replace(/\s*\n\s*/g, '; ');
  if (err?.code === 'EADDRINUSE') return { line: `${command}: the port is in use (${msg}); pick another port, or port 0 for a free one`, usage: true };
  if (err?.code === 'EACCES') return { line: `${command}: not allowed to listen there (${msg}); use a port above 1023, or port 0`, usage: true };
  if (err?.code === 'EADDRNOTAVAIL') return { line: `${command}: no such local address (${msg}); use 127.0.0.1 or ::1`, usage: true };
  if (e instanceof InvalidInputError) return { line: `${command}: ${msg}`, usage: true };
  return { line: `${command}: cannot start: ${msg}`, usage: false };
}

/**
 * Run a simulator from the command line; resolves with the exit code: 0 after SIGINT, SIGTERM or
 * SIGHUP (stopping a simulator by a signal is its normal end; its close is bounded by
 * {@link SIM_CLOSE_TIMEOUT_MS} and a second signal exits at once), 2 on bad usage (also an
 * address in use or not allowed), 1 when it could not start otherwise. `--help` prints the
 * usage on stdout and exits 0. Errors are one line, never a stack trace.
 */
export async function runSimCli<O, S extends Closable>(args: string[], spec: SimCliSpec<O, S>): Promise<number> {
  let options: O;
  try {
    options = spec.parse(args);
  } catch (e) {
    if (e instanceof SimHelpRequest) {
      console.log(e.message);
      return 0;
    }
    console.error((e as Error).message.replace(/\s*\n\s*/g, '; '));
    return 2;
  }
  let sim: S;
  try {
    sim = await spec.start(options);
  } catch (e) {
    const f = startFailure(e, spec.label ?? 'labrig sim');
    console.error(f.line);
    return f.usage ? 2 : 1;
  }
  spec.announce(sim);
  await untilSignal();
  let timer: NodeJS.Timeout | undefined;
  try {
    await hurriedBySignal(() =>
      Promise.race([sim.close(), new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`close took longer than ${SIM_CLOSE_TIMEOUT_MS} ms`)), SIM_CLOSE_TIMEOUT_MS)))]));
  } catch (e) {
    console.error(`${spec.label ?? 'labrig sim'}: ${(e as Error).message}`);
    return 1;
  } finally {
    clearTimeout(timer);
  }
  return 0;
}
