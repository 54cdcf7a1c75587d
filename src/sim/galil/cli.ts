/**
 * `labrig sim galil [--tcp HOST:PORT | --pty] [--faults SPEC] [--axes N]`: start the simulator,
 * print the driver URI on the first line, and run until SIGINT or SIGTERM.
 * @module
 */
import { parseSimArgs, runSimCli } from '../shared/cli.js';
import { GALIL_SIM_USAGE as USAGE } from './family.js';
import { startGalilSim, type GalilSimOptions } from './server.js';


/** Parse the CLI arguments into simulator options; throws an Error with the usage on bad input. */
export function parseGalilSimArgs(args: string[]): GalilSimOptions {
  const o: GalilSimOptions = {};
  return parseSimArgs(args, o, {
    usage: USAGE,
    option: (a, value, fail) => {
      if (a !== '--axes') return false;
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0 || n > 8) fail('--axes must be an integer in 0..8');
      o.axes = n;
      return true;
    },
  });
}

/** Run the simulator from the command line; resolves with the exit code after SIGINT/SIGTERM. */
export function simGalilCli(args: string[]): Promise<number> {
  return runSimCli(args, {
    parse: parseGalilSimArgs,
    start: startGalilSim,
    label: 'labrig sim galil',
    announce: (sim) => {
      console.log(sim.uri);
      if (sim.ptyUri && sim.ptyUri !== sim.uri) console.log(sim.ptyUri);
      console.error(`labrig: Galil ${sim.model.name} simulator with ${sim.model.axes.length} axes at ${sim.address}; Ctrl-C stops it`);
    },
  });
}
