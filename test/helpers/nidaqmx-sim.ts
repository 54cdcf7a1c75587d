/**
 * The NI-DAQmx simulator library for tests: builds it (incrementally) with `native/build.mjs`
 * (as `npm test`'s pretest does) and returns its paths, or the reason it cannot be built.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const build = join(root, 'native', 'nidaqmx-sim', 'build');

/** Paths of the built simulator. */
export interface NidaqmxSimBuild {
  /** The library under its own name (SONAME libnidaqmx.so). */
  lib: string;
  /** The same library as `libnidaqmx.so`. */
  alias: string;
  /** The NI-style C example client. */
  examples: string;
  /** The C bench baseline. */
  cbench: string;
}

/** Build the simulator library if needed; throw with the build's message when it cannot be built. */
export function nidaqmxSim(): NidaqmxSimBuild {
  const r = spawnSync(process.execPath, [join(root, 'native', 'build.mjs')], { encoding: 'utf8', timeout: 600_000 }); // the first build compiles the C++ Tango addon too: minutes on a loaded machine
  const lib = join(build, 'libnidaqmx-sim.so');
  if (r.status !== 0 || !existsSync(lib)) throw new Error(`building the NI-DAQmx simulator failed (npm run build:native):\n${r.stderr}`);
  return { lib, alias: join(build, 'libnidaqmx.so'), examples: join(build, 'nidaqmx-examples'), cbench: join(build, 'nidaqmx-cbench') };
}
