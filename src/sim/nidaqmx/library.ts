/**
 * labrig's NI-DAQmx simulator library (`native/nidaqmx-sim`, C): where the build puts it, and
 * its controls (`labrigSimConfigure`, `labrigSimOpenTasks`) through koffi. The library exports
 * NI-DAQmx's C functions; labrig's driver loads it like `libnidaqmx.so` and cannot tell them apart.
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceError } from '../../core/errors.js';
import { NotFoundError } from '../../protocols/discovery/not-found.js';
import { loadLibrary, type NativeLibrary } from '../../protocols/ffi/index.js';

/** Folder the build writes to: `native/nidaqmx-sim/build` of the package (the same from src/ and dist/). */
export const NIDAQMX_SIM_BUILD = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native', 'nidaqmx-sim', 'build');
/** The simulator library (SONAME libnidaqmx.so). */
export const NIDAQMX_SIM_LIB = join(NIDAQMX_SIM_BUILD, 'libnidaqmx-sim.so');
/** Environment variable the simulator reads its devices from. */
export const NIDAQMX_SIM_ENV = 'LABRIG_NIDAQMX_SIM';

/** Return the built simulator's path, or throw a NotFoundError saying how to build it. */
export function nidaqmxSimLibrary(): string {
  if (process.platform === 'win32') throw new NotFoundError({ what: 'NI-DAQmx simulator library', tried: [NIDAQMX_SIM_LIB], detail: 'the simulator library is built on Linux and macOS only' });
  if (!existsSync(NIDAQMX_SIM_LIB)) throw new NotFoundError({ what: 'NI-DAQmx simulator library', tried: [NIDAQMX_SIM_LIB], detail: 'build it with `npm run build:native` (needs a C compiler: Debian gcc)' });
  return NIDAQMX_SIM_LIB;
}

let controls: { lib: NativeLibrary; configure: (spec: string) => number; openTasks: () => number } | undefined;

function load(): NonNullable<typeof controls> {
  if (controls) return controls;
  const lib = loadLibrary({ name: 'NI-DAQmx simulator', fileNames: {}, paths: [nidaqmxSimLibrary()], envVar: false });
  controls = {
    lib,
    configure: lib.bind('int32_t labrigSimConfigure(const char *spec)'),
    openTasks: lib.bind('int32_t labrigSimOpenTasks(void)'),
  };
  return controls;
}

/** Replace the simulated devices (`Dev1:ai=8,ao=2;Dev1/ai2=counter`); refused while tasks exist. */
export function configureNidaqmxSim(spec: string): void {
  const c = load();
  const code = c.configure(spec);
  if (code < 0) {
    const buf = Buffer.alloc(2048);
    c.lib.bind<(b: Buffer, n: number) => number>('int32_t DAQmxGetExtendedErrorInfo(_Out_ char *errorString, uint32_t bufferSize)')(buf, buf.length);
    throw new DeviceError({ device: 'NI-DAQmx simulator', vendorMessage: buf.toString('utf8', 0, Math.max(0, buf.indexOf(0))).replace(/\s*\n\s*/g, '; '), vendorCode: code });
  }
}

/** Tasks created in this process and not cleared (leak checks). */
export function nidaqmxSimOpenTasks(): number {
  return load().openTasks();
}
