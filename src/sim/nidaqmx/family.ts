/**
 * The NI-DAQmx simulator descriptor: `sim:nidaqmx[?channels=Dev1/ai0&devices=SPEC]` gives the
 * driver the address `nidaqmx://<channels>?lib=<simulator library>`, so the real driver loads
 * labrig's C library instead of NI's (the simulated devices: `devices`, else
 * `LABRIG_NIDAQMX_SIM`, else Dev1 with 8 AI, 2 AO, 3 ports of 8 lines). `labrig sim nidaqmx`
 * prints how to point labrig or any NI-DAQmx program at the library.
 * @module
 */
import type { ParamSchema } from '../../protocols/params.js';
import { defineSimulator } from '../family.js';

/** The usage line of `labrig sim nidaqmx`. */
export const NIDAQMX_SIM_USAGE = 'usage: labrig sim nidaqmx [--devices SPEC]   (prints the library path and how to use it)';

/** Parameters of `sim:nidaqmx`. */
export const NIDAQMX_SIM_PARAMS = {
  channels: { type: 'string', default: 'Dev1/ai0', doc: 'channels of the device address (nidaqmx://<channels>)' },
  devices: { type: 'string', doc: 'simulated devices, e.g. Dev1:ai=8,ao=2,ports=2;Dev1/ai2=sine:1:50 (applied when no task is open)' },
} as const satisfies ParamSchema;

/** Checked `sim:nidaqmx` parameters. */
export interface NidaqmxSimParams {
  channels?: string;
  devices?: string;
}

/** The NI-DAQmx simulator descriptor (see the module notes). */
export const nidaqmxSimulator = defineSimulator<NidaqmxSimParams>({
  name: 'nidaqmx',
  family: 'nidaqmx',
  title: 'NI-DAQmx C library (native/nidaqmx-sim): AI sine/square/noise/loop-back, AO, digital lines, sample clock thread',
  params: NIDAQMX_SIM_PARAMS,
  async start(params) {
    const { nidaqmxSimLibrary, configureNidaqmxSim } = await import('./library.js');
    const lib = nidaqmxSimLibrary();
    if (params.devices !== undefined) configureNidaqmxSim(params.devices);
    const channels = (params.channels ?? 'Dev1/ai0').replace(/^\//, '');
    return { uri: `nidaqmx://${channels}?lib=${encodeURIComponent(lib)}`, handle: { lib }, close: () => Promise.resolve() };
  },
  usage: NIDAQMX_SIM_USAGE,
  cli: async (args) => (await import('./cli.js')).simNidaqmxCli(args),
});
