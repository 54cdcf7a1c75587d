/**
 * The command line the line-oriented simulators share: `labrig sim X [--tcp HOST:PORT | --pty]
 * [--faults SPEC] ...`. {@link parseSimArgs} reads the common options and hands the others to
 * the family; {@link runSimCli} starts the simulator, lets the family print its URIs (the driver
 * URI first), and runs until SIGINT or SIGTERM.
 * @module
 */
import type { FaultInjector } from '../faults.js';

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
  const fail = (message: string): never => {
    throw new Error(`${message}\n${usage}`);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v!;
    };
    if (a === '--tcp') o.tcp = value();
    else if (a === '--pty') o.pty = true;
    else if (a === '--faults') o.faults = value();
    else if (spec.option?.(a, value, fail)) continue;
    else if (a === '--help' || a === '-h') throw new Error(usage);
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
  /** Prefix of the message when starting fails (exit code 1); without it the error propagates. */
  label?: string;
}

/** Resolve when the process gets SIGINT or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** Run a simulator from the command line; resolves with the exit code (2 bad usage, 1 start failed, 0 after SIGINT/SIGTERM). */
export async function runSimCli<O, S extends Closable>(args: string[], spec: SimCliSpec<O, S>): Promise<number> {
  let options: O;
  try {
    options = spec.parse(args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  let sim: S;
  if (spec.label === undefined) sim = await spec.start(options);
  else {
    try {
      sim = await spec.start(options);
    } catch (e) {
      console.error(`${spec.label}: ${(e as Error).message}`);
      return 1;
    }
  }
  spec.announce(sim);
  await untilSignal();
  await sim.close();
  return 0;
}
