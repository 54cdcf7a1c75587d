/**
 * `labrig sim alicat [--tcp HOST:PORT | --pty] [--faults SPEC] [--units A,B] [--totalizer]`:
 * start the simulator, print the driver URI on the first line (then one URI per further unit),
 * and run until SIGINT or SIGTERM.
 * @module
 */
import { startAlicatSim, type AlicatSimOptions } from './server.js';

const USAGE = 'usage: labrig sim alicat [--tcp HOST:PORT | --pty] [--faults SPEC] [--units A,B,...] [--totalizer] [--time-constant MS]';

/** Parse the CLI arguments into simulator options; throws an Error with the usage on bad input. */
export function parseAlicatSimArgs(args: string[]): AlicatSimOptions {
  const o: AlicatSimOptions = {};
  const defaults: NonNullable<AlicatSimOptions['defaults']> = {};
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
    else if (a === '--units') {
      const units = value().split(',').map((u) => u.trim().toUpperCase()).filter(Boolean);
      if (units.length === 0 || units.some((u) => !/^[A-Z]$/.test(u))) throw new Error(`--units takes letters A-Z separated by commas\n${USAGE}`);
      o.units = units;
    } else if (a === '--totalizer') defaults.totalizer = true;
    else if (a === '--time-constant') {
      const ms = Number(value());
      if (!(ms > 0) || !Number.isFinite(ms)) throw new Error(`--time-constant must be a number of ms > 0\n${USAGE}`);
      defaults.timeConstantMs = ms;
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (o.tcp !== undefined && o.pty) throw new Error(`give --tcp or --pty, not both\n${USAGE}`);
  if (Object.keys(defaults).length > 0) o.defaults = defaults;
  return o;
}

/** Run the simulator from the command line; resolves with the exit code after SIGINT/SIGTERM. */
export async function simAlicatCli(args: string[]): Promise<number> {
  let options: AlicatSimOptions;
  try {
    options = parseAlicatSimArgs(args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  let sim;
  try {
    sim = await startAlicatSim(options);
  } catch (e) {
    console.error(`labrig sim alicat: ${(e as Error).message}`);
    return 1;
  }
  console.log(sim.uri);
  for (const u of sim.model.units.slice(1)) console.log(`${sim.lineUri}?unit=${u.id}`);
  console.error(`labrig: Alicat simulator with units ${sim.model.units.map((u) => u.id).join(', ')} at ${sim.address}; Ctrl-C stops it`);
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
