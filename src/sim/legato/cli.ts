/**
 * `labrig sim legato [--tcp HOST:PORT | --pty] [--faults SPEC] [--addresses 0,1] [--model NAME]`:
 * start simulated syringe pumps, print the driver URI of the first pump on the first line (then
 * one line per further pump), and run until SIGINT or SIGTERM.
 * @module
 */
import { PUMP_MODELS } from '../../drivers/legato/protocol.js';
import { startLegatoSim, type LegatoSimOptions } from './server.js';

const USAGE = 'usage: labrig sim legato [--tcp HOST:PORT | --pty] [--faults SPEC] [--seed N] [--addresses 0,1,...] [--model NAME] [--diameter MM]';

/** Parse the CLI arguments into simulator options; throws an Error with the usage on bad input. */
export function parseLegatoSimArgs(args: string[]): LegatoSimOptions {
  const o: LegatoSimOptions = {};
  const defaults: NonNullable<LegatoSimOptions['defaults']> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--tcp') o.tcp = value();
    else if (a === '--pty') o.pty = true;
    else if (a === '--faults') o.faults = value();
    else if (a === '--seed') {
      const n = Number(value());
      if (!Number.isInteger(n)) throw new Error(`--seed takes an integer\n${USAGE}`);
      o.seed = n;
    } else if (a === '--addresses') {
      const list = value().split(',').map((x) => x.trim()).filter(Boolean);
      if (list.length === 0 || list.some((x) => !/^\d{1,2}$/.test(x))) throw new Error(`--addresses takes numbers 0..99 separated by commas\n${USAGE}`);
      o.addresses = list.map(Number);
    } else if (a === '--model') {
      const m = value().toLowerCase();
      if (!PUMP_MODELS[m]) throw new Error(`--model must be one of ${Object.keys(PUMP_MODELS).join(', ')}\n${USAGE}`);
      defaults.model = m;
    } else if (a === '--diameter') {
      const d = Number(value());
      if (!(d > 0) || !Number.isFinite(d)) throw new Error(`--diameter takes a number of mm > 0\n${USAGE}`);
      defaults.diameterMm = d;
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (o.tcp !== undefined && o.pty) throw new Error(`give --tcp or --pty, not both\n${USAGE}`);
  if (Object.keys(defaults).length > 0) o.defaults = defaults;
  return o;
}

/** Run the simulator from the command line; resolves with the exit code after SIGINT/SIGTERM. */
export async function simLegatoCli(args: string[]): Promise<number> {
  let options: LegatoSimOptions;
  try {
    options = parseLegatoSimArgs(args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  let sim;
  try {
    sim = await startLegatoSim(options);
  } catch (e) {
    console.error(`labrig sim legato: ${(e as Error).message}`);
    return 1;
  }
  for (const uri of sim.uris) console.log(uri);
  console.error(`labrig: Legato simulator with pumps at ${[...sim.model.pumps.keys()].join(', ')} on ${sim.address}; Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  await sim.close();
  return 0;
}
