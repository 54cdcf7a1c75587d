/**
 * The `labrig` command line: `labrig demo`, `labrig sim <kind>`, `labrig read|set|run`, `labrig serve`,
 * `labrig remote`, `labrig help`;
 * `--import MODULE` and `labrig.config.*` load third-party families first (`./plugins.ts`).
 * Subcommands are loaded on demand so that `labrig demo` does not load OPC UA or USB code.
 * @module
 */
import { readFileSync } from 'node:fs';

/** A subcommand: receives its own arguments, returns the process exit code. */
type Subcommand = (args: string[]) => Promise<number>;

const commands: Record<string, { help: string; load: () => Promise<Subcommand> }> = {
  demo: {
    help: 'demo [--soft] [--rig FILE] [--out DIR] [--points N] [--no-table]\n      run a scan and write it as JSON lines (default: the Galil/Alicat/Legato wire simulators\n      over TCP and ptys; --soft: in-process soft devices)',
    load: async () => async (args: string[]) =>
      args.includes('--soft')
        ? (await import('./demo.js')).demoCli(args.filter((a) => a !== '--soft'))
        : (await import('./demo-wire.js')).demoWireCli(args.filter((a) => a !== '--wire')),
  },
  sim: {
    help: 'sim <name> [--tcp HOST:PORT | --pty] [--faults SPEC]\n      start a simulator and print its address on the first line (labrig sim --help lists them)',
    load: async () => (await import('./sim.js')).simCli,
  },
  read: {
    help: 'read [--rig FILE] [--json] <uri|device> [signal...]\n      print signals of a device (all readable ones when none is named)',
    load: async () => async (args: string[]) => (await import('./read-set.js')).readCli(args),
  },
  estop: {
    help: 'estop <uri> | --rig FILE [device...]\n      stop a device (or every device of a rig) and confirm on the wire that it stopped',
    load: async () => async (args: string[]) => (await import('./estop.js')).estopCli(args),
  },
  run: {
    help: 'run <count|scan|rel-scan|list-scan|grid> --rig FILE [--det NAME,...] [--out DIR] [plan arguments]\n      run a plan on any rig: live table, progress, JSON lines (labrig run --help)',
    load: async () => async (args: string[]) => (await import('./run.js')).runCli(args),
  },
  set: {
    help: 'set [--rig FILE] [--timeout-ms MS] <uri|device> <signal> <value>\n      write a signal or move, and wait for it to complete',
    load: async () => async (args: string[]) => (await import('./read-set.js')).setCli(args),
  },
  seq: {
    help: 'seq run OB.yaml --rig FILE | seq draw OB.yaml [--svg] | seq check OB.yaml\n      run, draw or validate an Observation Block (sequencer)',
    load: async () => (await import('./seq.js')).seqCli,
  },
  action: {
    help: 'action <name> --rig FILE [key=value...]\n      run one executor action on a rig (labrig action --help lists them)',
    load: async () => (await import('./action.js')).actionCli,
  },
  serve: {
    help: 'serve --rig FILE [--host H] [--port P] [--token T | LABRIG_TOKEN] [--scripts DIR] [--zmq-port N]\n      serve a rig over HTTP and websockets (devices, actions, e-stop, live values, documents)',
    load: async () => async (args: string[]) => (await import('./serve.js')).serveCli(args),
  },
  remote: {
    help: 'remote <url> read|set|stop|estop|action|proc|listen ...\n      talk to a labrig serve (labrig remote --help)',
    load: async () => async (args: string[]) => (await import('./remote.js')).remoteCli(args),
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  return [
    'usage: labrig <command> [options]', '', 'commands:', ...Object.values(commands).map((c) => `  ${c.help}`),
    '  help                                        show this text', '  version                                     print the version', '',
    '--import MODULE (repeatable, any position) and labrig.config.{js,mjs,json} in the current directory load',
    'modules that register third-party families: they export register({ registerFamily, registerSimulator }).',
  ].join('\n');
}

/** Run the command line with `argv` (without node and script); resolve to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const plugins = await import('./plugins.js');
  let imports: string[];
  try {
    ({ imports, rest: argv } = plugins.takeImports(argv));
  } catch (e) {
    console.error(`labrig: ${(e as Error).message}`);
    return 2;
  }
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
  if (!(await plugins.loadPluginsCli(imports))) return 2;
  return (await cmd.load())(rest);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
