/**
 * The Gamry family: `gamry://IFC1010-12345` (a GamryCOM device section, opened through the
 * Windows COM binding) and, for the in-process simulator, `gamry://IFC1010-12345?binding=inproc-N`.
 * Options `pollMs`, `eisTimeoutMs`. The COM binding and the driver load on demand.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { Transport } from '../../protocols/address.js';
import type { ParamSchema, ParamValues } from '../../protocols/params.js';
import type { AddressBase } from '../../protocols/uri.js';
import { potentiostatFamily } from '../potentiostat/descriptor.js';

/** A Gamry address: the device section and, for an in-process binding, its id. */
export interface GamryAddress extends AddressBase {
  section: string;
  binding?: string;
}

const GAMRY_TRANSPORT: Transport<GamryAddress, never> = {
  kind: 'com',
  params: { binding: { type: 'string', doc: 'id of an in-process GamryCOM binding (set by sim:gamry)' } },
  address(uri, params) {
    const section = uri.authority;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(section)) throw new InvalidInputError({ what: 'gamry device section', value: section, reason: 'must be a Gamry device label such as IFC1010-12345 (gamry://IFC1010-12345)' });
    if (uri.path && uri.path !== '/') throw new InvalidInputError({ what: 'gamry address path', value: uri.path, reason: 'must be empty' });
    return { scheme: uri.scheme, uri: uri.uri, params: {}, section, ...(typeof params['binding'] === 'string' ? { binding: params['binding'] } : {}) };
  },
};

/** Parameters of a Gamry potentiostat. */
export const GAMRY_PARAMS = {
  pollMs: { type: 'number', above: 0, units: 'ms', default: 50, doc: 'period of Cook while a technique runs (also notices a lost instrument)' },
  eisTimeoutMs: { type: 'number', above: 0, units: 'ms', default: 60000, doc: 'limit of one EIS frequency' },
} as const satisfies ParamSchema;

/** Options of the Gamry family. */
export type GamryFamilyOptions = ParamValues<typeof GAMRY_PARAMS>;

/** The Gamry family descriptor (see the module notes). */
export const gamryFamily = potentiostatFamily<GamryFamilyOptions>({
  name: 'gamry',
  title: 'Gamry potentiostats (GamryCOM object model)',
  schemes: [{ scheme: 'gamry', transport: GAMRY_TRANSPORT, example: 'gamry://IFC1010-12345' }],
  params: GAMRY_PARAMS,
  async build(target, options, { name }) {
    const a = target.address as GamryAddress;
    const [{ createGamry }, { offeredBinding }] = await Promise.all([import('./device.js'), import('./protocol.js')]);
    let com;
    if (a.binding !== undefined) {
      com = offeredBinding(a.binding);
      if (!com) throw new InvalidInputError({ what: 'gamry binding', value: a.binding, reason: 'no in-process binding has this id (it is set by sim:gamry)' });
    } else {
      com = await (await import('./io.js')).openComBinding();
    }
    const d = createGamry(name, com, { section: a.section, ...options });
    return d;
  },
  mockInstrument: 'Gamry (mock)',
  simulator: 'gamry',
});
