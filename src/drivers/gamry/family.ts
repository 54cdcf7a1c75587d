/**
 * The Gamry family: `gamry://IFC1010-12345` (a GamryCOM device section, opened through the
 * Windows COM binding) and, for the in-process simulator, `gamry://IFC1010-12345?binding=inproc-N`.
 * Options `pollMs`, `eisTimeoutMs`. The COM binding and the driver load on demand.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { ParamSchema, ParamValues } from '../../protocols/params.js';
import { instrumentScheme, potentiostatFamily, type InstrumentAddress } from '../potentiostat/descriptor.js';
import type { GamryCom } from './protocol.js';

/** A Gamry address: the device section and, for an in-process binding, its id. */
export type GamryAddress = InstrumentAddress<'section', 'binding'>;

const GAMRY_SCHEME = instrumentScheme({
  kind: 'com',
  field: 'section',
  what: 'gamry device section',
  pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
  expected: 'must be a Gamry device label such as IFC1010-12345 (gamry://IFC1010-12345)',
  param: 'binding',
  paramDoc: 'id of an in-process GamryCOM binding (set by sim:gamry)',
  scheme: 'gamry',
  example: 'gamry://IFC1010-12345',
});

/** Parameters of a Gamry potentiostat. */
export const GAMRY_PARAMS = {
  pollMs: { type: 'number', above: 0, units: 'ms', default: 50, doc: 'period of Cook while a technique runs (also notices a lost instrument)' },
  eisTimeoutMs: { type: 'number', above: 0, units: 'ms', default: 60000, doc: 'limit of one EIS frequency' },
} as const satisfies ParamSchema;

/** Options of the Gamry family. */
export type GamryFamilyOptions = ParamValues<typeof GAMRY_PARAMS>;

/** The in-process binding offered under `binding` (sim:gamry), else the Windows COM binding. */
async function comBinding(binding: string | undefined): Promise<GamryCom> {
  if (binding === undefined) return (await import('./io.js')).openComBinding();
  const com = (await import('./protocol.js')).offeredBinding(binding);
  if (!com) throw new InvalidInputError({ what: 'gamry binding', value: binding, reason: 'no in-process binding has this id (it is set by sim:gamry)' });
  return com;
}

/** The Gamry family descriptor (see the module notes). */
export const gamryFamily = potentiostatFamily<GamryFamilyOptions, GamryAddress>({
  title: 'Gamry potentiostats (GamryCOM object model)',
  scheme: GAMRY_SCHEME,
  params: GAMRY_PARAMS,
  async build(a, options, { name }) {
    const { createGamry } = await import('./device.js');
    return createGamry(name, await comBinding(a.binding), { section: a.section, ...options });
  },
});
