/**
 * The BioLogic family: `biologic://192.168.200.240?channel=1[&lib=/path/EClib64.dll]` (or
 * `biologic://USB0`), one channel per device (1-based, as EC-Lab shows it). EClib is loaded from
 * `lib`, `LABRIG_LIB_PATH` or the system path; koffi and the driver load on demand.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { Transport } from '../../protocols/address.js';
import type { ParamSchema, ParamValues } from '../../protocols/params.js';
import type { AddressBase } from '../../protocols/uri.js';
import { potentiostatFamily } from '../potentiostat/descriptor.js';

/** A BioLogic address: instrument (IP or USBn) and the library path, if given. */
export interface BiologicAddress extends AddressBase {
  instrument: string;
  lib?: string;
}

const BIOLOGIC_TRANSPORT: Transport<BiologicAddress, never> = {
  kind: 'ffi',
  params: { lib: { type: 'string', doc: 'path of EClib64.dll (or a library with its ABI, such as eclib-sim)' } },
  address(uri, params) {
    const instrument = uri.authority;
    if (!/^(USB\d+|\d{1,3}(\.\d{1,3}){3}|[A-Za-z0-9][A-Za-z0-9.-]*)$/i.test(instrument)) {
      throw new InvalidInputError({ what: 'biologic instrument address', value: instrument, reason: 'must be an IP address (biologic://192.168.200.240) or USBn' });
    }
    return { scheme: uri.scheme, uri: uri.uri, params: {}, instrument, ...(typeof params['lib'] === 'string' ? { lib: params['lib'] } : {}) };
  },
};

/** Parameters of a BioLogic channel. */
export const BIOLOGIC_PARAMS = {
  channel: { type: 'integer', min: 1, max: 128, default: 1, doc: 'channel, 1-based as EC-Lab shows it' },
  pollMs: { type: 'number', above: 0, units: 'ms', default: 20, doc: 'BL_GetData poll period while a technique runs' },
} as const satisfies ParamSchema;

/** Options of the BioLogic family. */
export type BiologicFamilyOptions = ParamValues<typeof BIOLOGIC_PARAMS>;

/** The BioLogic family descriptor (see the module notes). */
export const biologicFamily = potentiostatFamily<BiologicFamilyOptions>({
  name: 'biologic',
  title: 'BioLogic potentiostats (EClib C API over FFI)',
  schemes: [{ scheme: 'biologic', transport: BIOLOGIC_TRANSPORT, example: 'biologic://192.168.200.240?channel=1' }],
  params: BIOLOGIC_PARAMS,
  async build(target, options, { name }) {
    const a = target.address as BiologicAddress;
    const [{ createBiologic }, { loadEClib }] = await Promise.all([import('./device.js'), import('./io.js')]);
    const d = createBiologic(name, loadEClib(a.lib), { address: a.instrument, channel: options.channel ?? 1, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) });
    return d;
  },
  mockInstrument: 'BioLogic (mock)',
  simulator: 'biologic',
});
