/**
 * The BioLogic family: `biologic://192.168.200.240?channel=1[&lib=/path/EClib64.dll]` (or
 * `biologic://USB0`), one channel per device (1-based, as EC-Lab shows it). EClib is loaded from
 * `lib`, `LABRIG_LIB_PATH` or the system path; koffi and the driver load on demand.
 * @module
 */
import type { ParamSchema, ParamValues } from '../../protocols/params.js';
import { instrumentScheme, potentiostatFamily, type InstrumentAddress } from '../potentiostat/descriptor.js';

/** A BioLogic address: instrument (IP or USBn) and the library path, if given. */
export type BiologicAddress = InstrumentAddress<'instrument', 'lib'>;

const BIOLOGIC_SCHEME = instrumentScheme({
  kind: 'ffi',
  field: 'instrument',
  what: 'biologic instrument address',
  pattern: /^(USB\d+|\d{1,3}(\.\d{1,3}){3}|[A-Za-z0-9][A-Za-z0-9.-]*)$/i,
  expected: 'must be an IP address (biologic://192.168.200.240) or USBn',
  param: 'lib',
  paramDoc: 'path of EClib64.dll (or a library with its ABI, such as eclib-sim)',
  scheme: 'biologic',
  example: 'biologic://192.168.200.240?channel=1',
});

/** Parameters of a BioLogic channel. */
export const BIOLOGIC_PARAMS = {
  channel: { type: 'integer', min: 1, max: 128, default: 1, doc: 'channel, 1-based as EC-Lab shows it' },
  pollMs: { type: 'number', above: 0, units: 'ms', default: 20, doc: 'BL_GetData poll period while a technique runs' },
} as const satisfies ParamSchema;

/** Options of the BioLogic family. */
export type BiologicFamilyOptions = ParamValues<typeof BIOLOGIC_PARAMS>;

/** The BioLogic family descriptor (see the module notes). */
export const biologicFamily = potentiostatFamily<BiologicFamilyOptions, BiologicAddress>({
  title: 'BioLogic potentiostats (EClib C API over FFI)',
  scheme: BIOLOGIC_SCHEME,
  params: BIOLOGIC_PARAMS,
  async build(a, options, { name }) {
    const [{ createBiologic }, { loadEClib }] = await Promise.all([import('./device.js'), import('./io.js')]);
    return createBiologic(name, loadEClib(a.lib), { address: a.instrument, channel: options.channel ?? 1, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) });
  },
});
