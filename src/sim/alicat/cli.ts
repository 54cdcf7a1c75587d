/**
 * `labrig sim alicat [--tcp HOST:PORT | --pty] [--faults SPEC] [--units A,B] [--totalizer]`:
 * start the simulator, print the driver URI on the first line (then one URI per further unit),
 * and run until SIGINT or SIGTERM.
 * @module
 */
import { parseSimArgs, runSimCli } from '../shared/cli.js';
import { ALICAT_SIM_USAGE as USAGE } from './family.js';
import { startAlicatSim, type AlicatSimOptions } from './server.js';


/** Parse the CLI arguments into simulator options; throws an Error with the usage on bad input. */
export function parseAlicatSimArgs(args: string[]): AlicatSimOptions {
  const o: AlicatSimOptions = {};
  const defaults: NonNullable<AlicatSimOptions['defaults']> = {};
  parseSimArgs(args, o, {
    usage: USAGE,
    exclusive: true,
    option: (a, value, fail) => {
      if (a === '--units') {
        const units = value().split(',').map((u) => u.trim().toUpperCase()).filter(Boolean);
        if (units.length === 0 || units.some((u) => !/^[A-Z]$/.test(u))) fail('--units takes letters A-Z separated by commas');
        o.units = units;
      } else if (a === '--totalizer') defaults.totalizer = true;
      else if (a === '--time-constant') {
        const ms = Number(value());
        if (!(ms > 0) || !Number.isFinite(ms)) fail('--time-constant must be a number of ms > 0');
        defaults.timeConstantMs = ms;
      } else return false;
      return true;
    },
  });
  if (Object.keys(defaults).length > 0) o.defaults = defaults;
  return o;
}

/** Run the simulator from the command line; resolves with the exit code after SIGINT/SIGTERM. */
export function simAlicatCli(args: string[]): Promise<number> {
  return runSimCli(args, {
    parse: parseAlicatSimArgs,
    start: startAlicatSim,
    label: 'labrig sim alicat',
    announce: (sim) => {
      console.log(sim.uri);
      for (const u of sim.model.units.slice(1)) console.log(`${sim.lineUri}?unit=${u.id}`);
      console.error(`labrig: Alicat simulator with units ${sim.model.units.map((u) => u.id).join(', ')} at ${sim.address}; Ctrl-C stops it`);
    },
  });
}
