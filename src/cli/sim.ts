/**
 * `labrig sim <galil|alicat|legato|modbus|opcua> [options]`: start one simulator and print the
 * address to use on the first line (`--tcp HOST:PORT` with port 0 picks a free port, `--pty`
 * serves on a pseudo-terminal, `--faults SPEC` injects faults); it runs until SIGINT or SIGTERM.
 * Each kind's own command-line function gets the remaining arguments unchanged. Kinds load on
 * demand, so starting a Galil simulator does not load OPC UA.
 * @module
 */

/** A simulator's command-line entry: its arguments in, the exit code out. */
export type SimCommand = (args: string[]) => Promise<number>;

/** The simulator kinds, each loaded when asked for. */
export const SIM_KINDS: Readonly<Record<string, () => Promise<SimCommand>>> = {
  galil: async () => (await import('../sim/galil/index.js')).simGalilCli,
  alicat: async () => (await import('../sim/alicat/index.js')).simAlicatCli,
  legato: async () => (await import('../sim/legato/index.js')).simLegatoCli,
  modbus: async () => {
    const { simModbusCli } = await import('../sim/modbus/index.js');
    return (args) => simModbusCli(args);
  },
  opcua: async () => (await import('../sim/opcua/index.js')).simOpcuaCli,
};

/** One line of help for the `sim` command. */
export const SIM_HELP = `sim <${Object.keys(SIM_KINDS).join('|')}> [--tcp HOST:PORT | --pty] [--faults SPEC]   start a simulator and print its address`;

/** Run `labrig sim <kind> ...`; resolves with the exit code (2 for an unknown kind). */
export async function simCli(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === undefined || kind === '--help' || kind === '-h' || kind === 'help') {
    console.error(`usage: labrig ${SIM_HELP}`);
    return kind === undefined ? 2 : 0;
  }
  const load = SIM_KINDS[kind];
  if (!load) {
    console.error(`labrig sim: unknown simulator '${kind}'; choose one of: ${Object.keys(SIM_KINDS).join(', ')}`);
    return 2;
  }
  return (await load())(rest);
}
