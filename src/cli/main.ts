/**
 * The `labrig` command line: `labrig demo`, `labrig sim <kind>`, `labrig help`.
 * Subcommands are loaded on demand so that `labrig demo` does not load OPC UA or USB code.
 * @module
 */
import { readFileSync } from 'node:fs';

/** A subcommand: receives its own arguments, returns the process exit code. */
type Subcommand = (args: string[]) => Promise<number>;

const sims: Record<string, () => Promise<Subcommand>> = {
  galil: async () => (await import('../sim/galil/index.js')).simGalilCli,
  alicat: async () => (await import('../sim/alicat/index.js')).simAlicatCli,
  legato: async () => (await import('../sim/legato/index.js')).simLegatoCli,
  modbus: async () => (await import('../sim/modbus/index.js')).simModbusCli,
  opcua: async () => (await import('../sim/opcua/index.js')).simOpcuaCli,
};

const commands: Record<string, { help: string; load: () => Promise<Subcommand> }> = {
  demo: {
    help: 'demo [--out DIR] [--points N] [--no-table]   run a scan of simulated devices, write it as JSON lines',
    load: async () => (await import('./demo.js')).demoCli,
  },
  sim: {
    help: `sim <${Object.keys(sims).join('|')}> [options]        start a simulator and print its address`,
    load: async () => async (args: string[]) => {
      const [kind, ...rest] = args;
      const load = kind ? sims[kind] : undefined;
      if (!load) {
        console.error(`labrig sim: unknown simulator '${kind ?? ''}'; choose one of: ${Object.keys(sims).join(', ')}`);
        return 2;
      }
      return (await load())(rest);
    },
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  return ['usage: labrig <command> [options]', '', 'commands:', ...Object.values(commands).map((c) => `  ${c.help}`), '  help                                        show this text', '  version                                     print the version'].join('\n');
}

/** Run the command line with `argv` (without node and script); resolve to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === 'version' || name === '--version') {
    console.log(version());
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`labrig: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await cmd.load())(rest);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
