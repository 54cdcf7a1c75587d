/**
 * The BioLogic simulator descriptor: `sim:biologic[?speed=N&model=sp300&lib=PATH&rct=...]` loads
 * `native/eclib-sim` (built by `npm run build:native`, or the `lib` given), configures its cell,
 * speed and instrument model (VMP3 family by default; `sp300`, `sp200`, `vsp300`: the SP-300
 * family's `.ecc` names and record layouts), and returns `biologic://192.168.200.240?lib=<path>`
 * (the VMP3; the other models at .241 and up, each address with its device code, so both families
 * can share a rig). In-process (a shared library): `labrig sim biologic` has nothing to serve and
 * says so.
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../../protocols/discovery/not-found.js';
import type { ParamSchema } from '../../protocols/params.js';
import { defineSimulator, inProcessOnlyCli } from '../family.js';
import { CELL_PARAMS, cellOf, type CellSimParams } from '../electrochem/params.js';
import { checkCell } from '../electrochem/model.js';

/** Usage of `labrig sim biologic`. */
export const BIOLOGIC_SIM_USAGE = 'usage: labrig sim biologic (in-process only: use sim:biologic in a rig or URI)';

/** Instrument models `sim:biologic` simulates, by their EClib device code (TDeviceInfos_t.DeviceCode). */
export const BIOLOGIC_SIM_MODELS: Readonly<Record<string, number>> = { vmp3: 5, sp150: 14, sp300: 16, vsp300: 20, sp200: 21 };

/** Parameters of `sim:biologic`. */
export const BIOLOGIC_SIM_PARAMS = {
  lib: { type: 'string', doc: 'path of libeclib-sim (default native/eclib-sim/build/libeclib-sim.so)' },
  speed: { type: 'number', above: 0, max: 10000, default: 1, doc: 'simulated seconds per wall-clock second' },
  model: { type: 'string', choices: Object.keys(BIOLOGIC_SIM_MODELS), lowerCase: true, default: 'vmp3', doc: 'instrument simulated: vmp3, sp150 (VMP3 family) or sp300, sp200, vsp300 (SP-300 family)' },
  ...CELL_PARAMS,
} as const satisfies ParamSchema;

/** Checked `sim:biologic` parameters. */
export interface BiologicSimParams extends CellSimParams {
  lib?: string;
  speed?: number;
  model?: string;
}

/** Where `npm run build:native` puts the library. */
export function defaultEclibSimPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of [['..', '..', '..'], ['..', '..']]) {
    const p = resolve(here, ...up, 'native', 'eclib-sim', 'build', 'libeclib-sim.so');
    if (existsSync(p)) return p;
  }
  return resolve(here, '..', '..', '..', 'native', 'eclib-sim', 'build', 'libeclib-sim.so');
}

/** The BioLogic simulator descriptor (see the module notes). */
export const biologicSimulator = defineSimulator<BiologicSimParams>({
  name: 'biologic',
  family: 'biologic',
  title: 'BioLogic multichannel potentiostat: EClib C ABI (native/eclib-sim) on a Randles cell with a reversible couple',
  params: BIOLOGIC_SIM_PARAMS,
  async start(params) {
    const lib = params.lib ?? defaultEclibSimPath();
    if (!existsSync(lib)) throw new NotFoundError({ what: 'eclib-sim library', tried: [lib], detail: 'build it with `npm run build:native` or give sim:biologic?lib=PATH' });
    const { loadLibrary } = await import('../../protocols/ffi/index.js');
    const ec = loadLibrary({ name: 'eclib-sim', fileNames: { linux: ['libeclib-sim.so'] }, paths: [lib], envVar: false });
    const cell = checkCell(cellOf(params));
    ec.bind<(s: number, rs: number, rct: number, cdl: number, e0: number, n: number) => void>('void SIM_Configure(double speed, double rs, double rct, double cdl, double e0, int32_t n)')(
      params.speed ?? 1, cell.randles.rs, cell.randles.rct, cell.randles.cdl, cell.redox.e0, cell.redox.n,
    );
    // One simulated instrument address per model (192.168.200.240 the VMP3, .241... the others),
    // its device code registered for that address: instruments of both families can share a rig.
    const model = params.model ?? 'vmp3';
    const address = `192.168.200.${240 + Object.keys(BIOLOGIC_SIM_MODELS).indexOf(model)}`;
    ec.check(ec.bind<(a: string, code: number) => number>('int32_t SIM_SetDeviceCodeFor(const char *address, int32_t code)')(address, BIOLOGIC_SIM_MODELS[model] ?? 5), 'SIM_SetDeviceCodeFor');
    return { uri: `biologic://${address}?lib=${encodeURIComponent(lib)}`, handle: ec, close: async () => undefined };
  },
  usage: BIOLOGIC_SIM_USAGE,
  cli: inProcessOnlyCli(BIOLOGIC_SIM_USAGE),
});
