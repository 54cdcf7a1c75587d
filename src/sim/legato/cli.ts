/**
 * `labrig sim legato [--tcp HOST:PORT | --pty] [--faults SPEC] [--addresses 0,1] [--model NAME]`:
 * start simulated syringe pumps, print the driver URI of the first pump on the first line (then
 * one line per further pump), and run until SIGINT or SIGTERM.
 * @module
 */
import { PUMP_MODELS } from '../../drivers/legato/protocol.js';
import { parseSimArgs, runSimCli } from '../shared/cli.js';
import { LEGATO_SIM_USAGE as USAGE } from './family.js';
import { startLegatoSim, type LegatoSimOptions } from './server.js';


/** Parse the CLI arguments into simulator options; throws an Error with the usage on bad input. */
export function parseLegatoSimArgs(args: string[]): LegatoSimOptions {
  const o: LegatoSimOptions = {};
  const defaults: NonNullable<LegatoSimOptions['defaults']> = {};
  parseSimArgs(args, o, {
    usage: USAGE,
    exclusive: true,
    option: (a, value, fail) => {
      if (a === '--seed') {
        const n = Number(value());
        if (!Number.isInteger(n)) fail('--seed takes an integer');
        o.seed = n;
      } else if (a === '--addresses') {
        const list = value().split(',').map((x) => x.trim()).filter(Boolean);
        if (list.length === 0 || list.some((x) => !/^\d{1,2}$/.test(x))) fail('--addresses takes numbers 0..99 separated by commas');
        o.addresses = list.map(Number);
      } else if (a === '--model') {
        const m = value().toLowerCase();
        if (!PUMP_MODELS[m]) fail(`--model must be one of ${Object.keys(PUMP_MODELS).join(', ')}`);
        defaults.model = m;
      } else if (a === '--diameter') {
        const d = Number(value());
        if (!(d > 0) || !Number.isFinite(d)) fail('--diameter takes a number of mm > 0');
        defaults.diameterMm = d;
      } else return false;
      return true;
    },
  });
  if (Object.keys(defaults).length > 0) o.defaults = defaults;
  return o;
}

/** Run the simulator from the command line; resolves with the exit code after SIGINT/SIGTERM. */
export function simLegatoCli(args: string[]): Promise<number> {
  return runSimCli(args, {
    parse: parseLegatoSimArgs,
    start: startLegatoSim,
    label: 'labrig sim legato',
    announce: (sim) => {
      for (const uri of sim.uris) console.log(uri);
      console.error(`labrig: Legato simulator with pumps at ${[...sim.model.pumps.keys()].join(', ')} on ${sim.address}; Ctrl-C stops it`);
    },
  });
}
