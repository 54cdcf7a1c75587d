/**
 * NI-DAQmx devices through NI's C library (koffi FFI): `openNidaqmx('nidaqmx://Dev1/ai0:3')`
 * opens a task as a device; the family descriptor `nidaqmxFamily` (scheme `nidaqmx`) is
 * registered with `registerFamily`; importing this module registers nothing and loads no library.
 * @module
 */
import { openFamily } from '../family.js';
import type { NidaqmxDevice } from './device.js';
import { nidaqmxFamily, type NidaqmxFamilyOptions } from './family.js';

export { NidaqmxDevice, EVENT_RATE_LIMIT, type NidaqmxOptions } from './device.js';
export { nidaqmxFamily, nidaqmxTransport, NIDAQMX_PARAMS, type NidaqmxAddress, type NidaqmxFamilyOptions } from './family.js';
export { DaqmxLibrary, openDaqmx, NIDAQMX_LIB_ENV, NIDAQMX_FILE_NAMES, type DaqmxLibraryOptions } from './library.js';
export { DaqTask, type AnalogConfig, type TimingConfig, type TriggerConfig } from './io.js';
export { NpyAppender, npyHeader } from './npy.js';
export { DAQMX, DAQMX_ERR, NIDAQMX_ERRORS, parseChannels, type ChannelKind, type PhysicalChannel, type TerminalConfig } from './protocol.js';

/** Open an NI-DAQmx task as a device by URI (`nidaqmx://Dev1/ai0?lib=...`), named `name` (default `nidaqmx`). */
export function openNidaqmx(uri: string, options: NidaqmxFamilyOptions & { name?: string } = {}): Promise<NidaqmxDevice> {
  const { name, ...rest } = options;
  return openFamily(nidaqmxFamily, uri, rest as Record<string, unknown>, name === undefined ? {} : { name });
}
