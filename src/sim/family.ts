/**
 * Simulator descriptors: how a family's simulator starts, written once in
 * `src/sim/<family>/family.ts` — in-process for a rig's `sim:<name>?param=...` entry, and as
 * `labrig sim <name> [args]` on the command line. A simulator descriptor names the driver family
 * whose addresses it serves (`family: 'galil'`); the driver's descriptor names its simulator the
 * same way, so the two meet by name in the rig layer and `src/drivers` never imports `src/sim`
 * (decision 0010). Registered explicitly with `registerSimulator` (`src/sim/registry.ts`).
 *
 * ```ts
 * export const bathSimulator = defineSimulator({
 *   name: 'bath',
 *   family: 'bath',
 *   title: 'temperature bath on a pty or TCP loopback',
 *   params: { link: linkParam('pty'), faults: FAULTS_PARAM },
 *   async start(p) {
 *     const sim = await startBathSim(p['link'] === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true });
 *     return { uri: sim.uri, handle: sim, close: () => sim.close() };
 *   },
 *   usage: 'labrig sim bath [--tcp HOST:PORT | --pty]',
 *   cli: async (args) => (await import('./cli.js')).simBathCli(args),
 * });
 * ```
 * Like `family.ts`, a simulator's `family.ts` loads fast: heavy modules load inside `start`/`cli`.
 * @module
 */
import { InvalidInputError } from '../core/errors.js';
import { reasonOf, type ParamSchema, type StringParam } from '../protocols/params.js';
import { parseFaultSpec } from './faults.js';

/** A simulator started in-process for a `sim:` entry. */
export interface StartedSim {
  /** Driver URI the real driver connects to (loopback TCP, a pty path, a library path...). */
  readonly uri: string;
  /** The simulator object (`GalilSim`, `AlicatSim`, ...), for tests and tools. */
  readonly handle: unknown;
  /**
   * Device options the simulator implies (the register map it serves, the node map), used under
   * the rig entry's own options. Absent: none.
   */
  readonly deviceOptions?: Readonly<Record<string, unknown>>;
  /** Stop the simulator and release its sockets, timers, ptys and files. */
  close(): Promise<void>;
}

/** One simulator (see the module notes). `P` is its checked `sim:` parameters. */
export interface SimulatorDescriptor<P extends object = Record<string, unknown>> {
  /** Name in `sim:<name>` and `labrig sim <name>`, lower case. */
  readonly name: string;
  /** Name of the driver family whose addresses it serves (the family of the URI `start` returns). */
  readonly family: string;
  /** One line for help text and docs. */
  readonly title: string;
  /** Parameters of `sim:<name>?...` (checked with the same schema code as driver parameters). */
  readonly params: ParamSchema;
  /**
   * Rules between the checked parameters and the device's checked options (e.g. the configured
   * axes exist on the simulated controller). No I/O; throw an InvalidInputError naming the
   * parameter or option.
   */
  check?(params: P, deviceOptions: Readonly<Record<string, unknown>>): void;
  /** Start in-process on loopback (port 0) or a pty, sized for `deviceOptions`; resolve with the driver URI. */
  start(params: P, deviceOptions: Readonly<Record<string, unknown>>): Promise<StartedSim>;
  /** The usage line of `labrig sim <name>`. */
  readonly usage: string;
  /** Run `labrig sim <name> ...args`: print the driver URI first, serve until SIGINT/SIGTERM; resolve with the exit code. */
  cli(args: string[]): Promise<number>;
}

/** A simulator descriptor of any parameter type (what the registry holds). */
export type AnySimulator = SimulatorDescriptor<object>;

const NAME_RE = /^[a-z][a-z0-9_]*$/;

/** Check a simulator descriptor's shape and return it unchanged, typed. */
export function defineSimulator<P extends object>(descriptor: SimulatorDescriptor<P>): SimulatorDescriptor<P> {
  const d = descriptor;
  if (typeof d !== 'object' || d === null) throw new InvalidInputError({ what: 'simulator descriptor', value: d, reason: 'must be an object' });
  if (typeof d.name !== 'string' || !NAME_RE.test(d.name)) throw new InvalidInputError({ what: 'simulator name', value: d.name, reason: 'must be lower case letters, digits and _, starting with a letter' });
  if (typeof d.family !== 'string' || !NAME_RE.test(d.family)) throw new InvalidInputError({ what: `simulator ${d.name} family`, value: d.family, reason: 'must name a driver family' });
  for (const k of ['start', 'cli'] as const) {
    if (typeof d[k] !== 'function') throw new InvalidInputError({ what: `simulator ${d.name} ${k}`, value: d[k], reason: 'must be a function' });
  }
  return descriptor;
}

/** The `link` parameter: `tcp` (loopback, port 0) or `pty`, with the family's default. */
export function linkParam(fallback: 'tcp' | 'pty'): StringParam {
  return { type: 'string', choices: ['tcp', 'pty'], lowerCase: true, default: fallback, doc: 'transport of the simulator: TCP on 127.0.0.1 or a pseudo-terminal' };
}

/** The `faults` parameter: a fault-injection spec (`src/sim/faults.ts`), checked when the entry is checked. */
export const FAULTS_PARAM: StringParam = {
  type: 'string',
  doc: 'fault-injection spec, e.g. delay:5 (src/sim/faults.ts)',
  check: (v, what) => {
    try {
      parseFaultSpec(v);
    } catch (e) {
      if (e instanceof InvalidInputError) throw new InvalidInputError({ what, value: v, reason: reasonOf(e) });
      throw e;
    }
    return v;
  },
};

/**
 * The `cli` of a simulator that runs only in-process (a `sim:` address, no server to start):
 * `--help`/`-h` print `usage` on stdout and exit 0; anything else prints it on stderr and exits 2.
 */
export function inProcessOnlyCli(usage: string): (args: string[]) => Promise<number> {
  return async (args) => {
    const help = args.some((a) => a === '--help' || a === '-h');
    (help ? process.stdout : process.stderr).write(`${usage}\n`);
    return help ? 0 : 2;
  };
}
