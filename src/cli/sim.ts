/**
 * `labrig sim <name> [options]`: start one registered simulator and print the address to use on
 * the first line (`--tcp HOST:PORT` with port 0 picks a free port, `--pty` serves on a
 * pseudo-terminal, `--faults SPEC` injects faults); it runs until SIGINT or SIGTERM. The table of
 * simulators is the simulator registry (`src/sim/registry.ts`, built-ins from
 * `src/rig/families.ts`); each simulator's own command-line function gets the remaining
 * arguments unchanged and loads on demand, so starting a Galil simulator does not load OPC UA.
 * @module
 */
import { registerBuiltinFamilies } from '../rig/families.js';
import { registeredSimulators } from '../sim/registry.js';

/** A simulator's command-line entry: its arguments in, the exit code out. */
export type SimCommand = (args: string[]) => Promise<number>;

/** Return the simulators `labrig sim` knows, by name (built-ins registered first). */
export function simKinds(): Readonly<Record<string, SimCommand>> {
  registerBuiltinFamilies();
  return Object.fromEntries(registeredSimulators().map((s) => [s.name, (args: string[]) => s.cli(args)]));
}

/** Return the help text of the `sim` command: the synopsis, then one line per simulator. */
export function simHelp(): string {
  registerBuiltinFamilies();
  const sims = registeredSimulators();
  const w = Math.max(0, ...sims.map((s) => s.name.length));
  return [
    `sim <${sims.map((s) => s.name).join('|')}> [--tcp HOST:PORT | --pty] [--faults SPEC]   start a simulator and print its address`,
    ...sims.map((s) => `  ${s.name.padEnd(w)}  ${s.title}`),
  ].join('\n');
}

/** Run `labrig sim <name> ...`; resolves with the exit code (2 for an unknown name). */
export async function simCli(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === undefined || kind === '--help' || kind === '-h' || kind === 'help') {
    console.error(`usage: labrig ${simHelp()}`);
    return kind === undefined ? 2 : 0;
  }
  const kinds = simKinds();
  const run = kinds[kind];
  if (!run) {
    console.error(`labrig sim: unknown simulator '${kind}'; choose one of: ${Object.keys(kinds).join(', ')}`);
    return 2;
  }
  return run(rest);
}
