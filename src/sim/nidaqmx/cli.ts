/**
 * `labrig sim nidaqmx`: print the simulator library's path and how to point labrig, an NI-DAQmx
 * C program or nidaqmx-python at it. Nothing runs in the background: the library is loaded by the
 * program that uses it.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { NIDAQMX_SIM_USAGE } from './family.js';
import { NIDAQMX_SIM_BUILD, NIDAQMX_SIM_ENV, nidaqmxSimLibrary } from './library.js';

/** Run `labrig sim nidaqmx [--devices SPEC]`; resolve with the exit code. */
export async function simNidaqmxCli(args: string[]): Promise<number> {
  let devices: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') {
      console.log(NIDAQMX_SIM_USAGE);
      return 0;
    }
    if (a === '--devices' && args[i + 1] !== undefined) devices = args[++i];
    else throw new InvalidInputError({ what: 'labrig sim nidaqmx argument', value: a, reason: NIDAQMX_SIM_USAGE });
  }
  const lib = nidaqmxSimLibrary();
  const env = devices ? `${NIDAQMX_SIM_ENV}='${devices}' ` : '';
  console.log(`nidaqmx://Dev1/ai0?lib=${encodeURIComponent(lib)}`);
  console.log(`
labrig's NI-DAQmx simulator is a shared library exporting NI-DAQmx's C functions:
  ${lib}

labrig:      nidaqmx://Dev1/ai0:3?lib=${lib}
             or LABRIG_NIDAQMX_LIB=${lib}, or sim:nidaqmx in a rig
C programs:  link with -lnidaqmx and run with ${env}LD_LIBRARY_PATH=${NIDAQMX_SIM_BUILD}
             (${NIDAQMX_SIM_BUILD}/libnidaqmx.so is the same library under NI's name, SONAME libnidaqmx.so)
nidaqmx-python: ctypes.util.find_library("nidaqmx") must find a file named libnidaqmx.so: it searches
             ldconfig's cache (and LD_LIBRARY_PATH only through \`ld\`, from binutils). Either run with
             LD_LIBRARY_PATH=${NIDAQMX_SIM_BUILD} on a machine with binutils, or link libnidaqmx.so into
             a directory ldconfig knows (e.g. /usr/local/lib) and run ldconfig.

Simulated devices (${NIDAQMX_SIM_ENV}, ';'-separated):
  Dev1:ai=8,ao=2,ports=3,lines=8,range=10,maxRate=1000000      a device (this is the default)
  Dev1/ai3=sine:AMP:HZ | square:AMP:HZ | noise:AMP | constant:V | loopback:aoN | counter
  Unless set, aiN (N < AO count) reads aoN back, the others are 1 V sines at N+1 Hz;
  digital inputs read the last value written to the same line; PFIn is port1/linen.`);
  return 0;
}
