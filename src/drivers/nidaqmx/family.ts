/**
 * The NI-DAQmx family: `nidaqmx://Dev1/ai0:3?rate=1000&lib=/path/libnidaqmx.so` — the device and
 * its channels in the address (`Dev1/ao0`, `Dev1/port0/line0:3?direction=output`), the task's
 * settings as parameters, and the library found as NI installs it, at `lib`, or through
 * `LABRIG_NIDAQMX_LIB`. The FFI binding loads only when a device opens.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { Transport } from '../../protocols/address.js';
import type { ParamSchema } from '../../protocols/params.js';
import type { AddressBase, ParsedUri } from '../../protocols/uri.js';
import { defineFamily, pollUntil } from '../family.js';
import type { NidaqmxDevice, NidaqmxOptions } from './device.js';
import { parseChannels, TERMINAL_CONFIGS } from './protocol.js';

/** A checked `nidaqmx://` address. */
export interface NidaqmxAddress extends AddressBase {
  /** Channel list with device names (`Dev1/ai0:3`), or '' when only the device was written. */
  channels: string;
  /** The device name (`Dev1`). */
  device: string;
  /** Explicit library path. */
  lib?: string;
}

/** Prefix entries of a channel list that omit the device (`Dev1/ai0,ai2` → `Dev1/ai0, Dev1/ai2`). */
function withDevice(device: string, list: string): string {
  return list.split(',').map((e) => e.trim()).filter(Boolean).map((e) => (e.includes('/') && !e.startsWith('port') ? e : `${device}/${e}`)).join(', ');
}

/** The `nidaqmx://` address parser (an FFI address, not a byte stream). */
export const nidaqmxTransport: Transport<NidaqmxAddress, never> = {
  kind: 'ffi',
  params: {
    lib: { type: 'string', doc: 'path of the NI-DAQmx library (default: nicaiu.dll / libnidaqmx.so, or LABRIG_NIDAQMX_LIB)' },
  },
  address(uri: ParsedUri, params) {
    const device = uri.host;
    if (!/^[A-Za-z][\w-]*$/.test(device)) throw new InvalidInputError({ what: 'nidaqmx device', value: device, reason: 'must be an NI-DAQmx device name such as Dev1 (nidaqmx://Dev1/ai0)' });
    const path = uri.path.replace(/^\//, '');
    const channels = path ? withDevice(device, path) : '';
    if (channels) parseChannels(channels, 'nidaqmx channels');
    return { scheme: uri.scheme, uri: uri.uri, params: {}, device, channels, ...(typeof params['lib'] === 'string' ? { lib: params['lib'] } : {}) };
  },
};

/** Parameters of an NI-DAQmx device (URI query and options alike). */
export const NIDAQMX_PARAMS = {
  channels: { type: 'string', doc: 'channels when the address names only the device: Dev1/ai0:3, Dev1/ao0, Dev1/port0/line0:3', check: (v, what) => (parseChannels(v, what), v) },
  direction: { type: 'string', choices: ['input', 'output'], lowerCase: true, default: 'input', doc: 'digital lines: input or output' },
  names: { type: 'list', items: { type: 'string', pattern: /^[A-Za-z_][\w]*$/, expected: 'a name of letters, digits and _', doc: 'signal name' }, doc: 'signal names of the channels, in order (default ai0, ai1, ... / port0_line0, ...)' },
  measurement: { type: 'string', choices: ['voltage', 'current'], lowerCase: true, default: 'voltage', doc: 'analog inputs: voltage (V) or current (A)' },
  terminal: { type: 'string', choices: Object.keys(TERMINAL_CONFIGS), lowerCase: true, default: 'default', doc: 'analog inputs: terminal configuration (rse, nrse, diff, pseudodiff)' },
  min: { type: 'number', units: 'V or A', doc: 'lowest value of the range (default -10 V, -0.02 A)' },
  max: { type: 'number', units: 'V or A', doc: 'highest value of the range (default 10 V, 0.02 A)' },
  shunt: { type: 'string', choices: ['default', 'internal', 'external'], lowerCase: true, default: 'default', doc: 'current inputs: shunt resistor location' },
  shuntOhms: { type: 'number', above: 0, units: 'ohm', doc: 'current inputs: external shunt resistance' },
  rate: { type: 'number', above: 0, units: 'S/s', doc: 'sample clock per channel (timed acquisitions, fly scans, waveforms)' },
  samples: { type: 'integer', min: 2, units: 'samples', doc: 'finite acquisitions: samples per channel per trigger or fly scan (unset: continuous)' },
  chunk: { type: 'integer', min: 1, units: 'samples', doc: 'samples per channel between deliveries of a fly scan (default rate/10)' },
  bufferSize: { type: 'integer', min: 2, units: 'samples', doc: 'samples per channel the acquisition buffer holds (NI uses at least its default for the rate: 10 kS up to 10 kS/s, 100 kS up to 1 MS/s)' },
  trigger: { type: 'string', pattern: /^\/[A-Za-z][\w-]*\/PFI\d+$/, expected: 'a terminal such as /Dev1/PFI0', doc: 'start trigger terminal (digital edge)' },
  triggerEdge: { type: 'string', choices: ['rising', 'falling'], lowerCase: true, default: 'rising', doc: 'start trigger edge' },
  directory: { type: 'string', doc: 'folder for .npy stream files of fly scans (stream_resource/stream_datum)' },
  timeoutMs: { type: 'number', above: 0, units: 'ms', default: 10_000, doc: 'limit of each acquisition wait' },
} as const satisfies ParamSchema;

/** Options of the family (checked values of {@link NIDAQMX_PARAMS}). */
export type NidaqmxFamilyOptions = Omit<NidaqmxOptions, 'channels'> & { channels?: string };

function check(o: NidaqmxFamilyOptions): void {
  if (o.min !== undefined && o.max !== undefined && !(o.min < o.max)) throw new InvalidInputError({ what: "parameter 'min'", value: o.min, reason: `must be below max (${o.max})` });
  if (o.samples !== undefined && o.rate === undefined) throw new InvalidInputError({ what: "parameter 'samples'", value: o.samples, reason: 'needs a sample rate (parameter rate)' });
  if (o.shunt === 'external' && o.shuntOhms === undefined) throw new InvalidInputError({ what: "parameter 'shuntOhms'", value: undefined, reason: 'is needed with shunt=external' });
}

/** The channel list of a target: the address's, or the `channels` option. */
function channelsOf(address: NidaqmxAddress, o: NidaqmxFamilyOptions): string {
  const list = o.channels ? withDevice(address.device, o.channels) : address.channels;
  if (!list) throw new InvalidInputError({ what: 'nidaqmx channels', value: address.uri, reason: 'name the channels in the address (nidaqmx://Dev1/ai0:3) or with the channels parameter' });
  return list;
}

/** The NI-DAQmx family descriptor (see the module notes). */
export const nidaqmxFamily = defineFamily<NidaqmxFamilyOptions, NidaqmxDevice>({
  name: 'nidaqmx',
  title: 'National Instruments DAQ devices through the NI-DAQmx C library (AI, AO, digital lines)',
  schemes: [{ scheme: 'nidaqmx', transport: nidaqmxTransport, example: 'nidaqmx://Dev1/ai0:3?rate=1000&terminal=diff' }],
  params: NIDAQMX_PARAMS,
  check,
  async open(target, options, { name }) {
    const a = target.address as NidaqmxAddress;
    const [{ openDaqmx }, { NidaqmxDevice }] = await Promise.all([import('./library.js'), import('./device.js')]);
    const lib = openDaqmx(a.lib ? { lib: a.lib } : {});
    const d = new NidaqmxDevice(name, { ...options, channels: channelsOf(a, options) } as NidaqmxOptions, lib);
    try {
      await d.connect({ timeoutMs: options.timeoutMs ?? 10_000 });
    } catch (e) {
      await d.close().catch(() => undefined);
      throw e;
    }
    return d;
  },
  createMock: async (options, { name }) => {
    const { NidaqmxDevice } = await import('./device.js');
    return new NidaqmxDevice(name, { ...options, channels: options.channels ?? 'Dev1/ai0' } as NidaqmxOptions);
  },
  confirmStopped: (device, signal) => pollUntil(async () => (device.busy ? undefined : `${device.kind} task: no acquisition or waveform running`), signal),
  moveAliases: [],
});
