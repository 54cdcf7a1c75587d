/**
 * The Gamry simulator descriptor: `sim:gamry[?speed=N&section=IFC1010-12345&rct=...]` starts the
 * in-process GamryCOM object model (`objects.ts`) on the electrochemistry model, offers it as an
 * in-process binding and returns `gamry://<section>?binding=<id>`. `labrig sim gamry` has nothing
 * to serve out of process (COM is in-process) and says so.
 * @module
 */
import type { ParamSchema } from '../../protocols/params.js';
import { defineSimulator, inProcessOnlyCli } from '../family.js';
import { CELL_PARAMS, cellOf, type CellSimParams } from '../electrochem/params.js';

/** Usage of `labrig sim gamry`. */
export const GAMRY_SIM_USAGE = 'usage: labrig sim gamry (in-process only: use sim:gamry in a rig or URI)';

/** Parameters of `sim:gamry`. */
export const GAMRY_SIM_PARAMS = {
  section: { type: 'string', default: 'IFC1010-12345', doc: 'device section the simulated device list reports' },
  speed: { type: 'number', above: 0, max: 10000, default: 1, doc: 'simulated seconds per wall-clock second' },
  ...CELL_PARAMS,
} as const satisfies ParamSchema;

/** Checked `sim:gamry` parameters. */
export interface GamrySimParams extends CellSimParams {
  section?: string;
  speed?: number;
}

/** The Gamry simulator descriptor (see the module notes). */
export const gamrySimulator = defineSimulator<GamrySimParams>({
  name: 'gamry',
  family: 'gamry',
  title: 'Gamry potentiostat: in-process GamryCOM object model on a Randles cell with a reversible couple',
  params: GAMRY_SIM_PARAMS,
  async start(params) {
    const [{ createGamrySim }, { offerBinding }] = await Promise.all([import('./objects.js'), import('../../drivers/gamry/protocol.js')]);
    const section = params.section ?? 'IFC1010-12345';
    const sim = createGamrySim({ sections: [section], speed: params.speed ?? 1, cell: cellOf(params) });
    const offer = offerBinding(sim);
    return {
      uri: `gamry://${section}?binding=${offer.id}`,
      handle: sim,
      close: async () => {
        offer.withdraw();
        sim.release();
      },
    };
  },
  usage: GAMRY_SIM_USAGE,
  cli: inProcessOnlyCli(GAMRY_SIM_USAGE),
});
