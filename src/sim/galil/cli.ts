/**
 * `labrig sim galil [--tcp HOST:PORT | --pty] [--faults SPEC] [--axes N]`: start the simulator,
 * print the driver URI on the first line, and run until SIGINT or SIGTERM.
 * @module
 */
import { startGalilSim, type GalilSimOptions } from './server.js';

const USAGE = 'usage: labrig sim galil [--tcp HOST:PORT] [--pty] [--faults SPEC] [--axes N]';

/** Parse the CLI arguments into simulator options; throws an Error with the usage on bad input. */
export function parseGalilSimArgs(args: string[]): GalilSimOptions {
  const o: GalilSimOptions = {};
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
    else if (a === '--axes') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0 || n > 8) throw new Error(`--axes must be an integer in 0..8\n${USAGE}`);
      o.axes = n;
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

/** Run the simulator from the command line; resolves with the exit code after SIGINT/SIGTERM. */
export async function simGalilCli(args: string[]): Promise<number> {
  let options: GalilSimOptions;
  try {
    options = parseGalilSimArgs(args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const sim = await startGalilSim(options);
  console.log(sim.uri);
  if (sim.ptyUri && sim.ptyUri !== sim.uri) console.log(sim.ptyUri);
  console.error(`labrig: Galil ${sim.model.name} simulator with ${sim.model.axes.length} axes at ${sim.address}; Ctrl-C stops it`);
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
