/** Shared setup of the Gamry tests: the cell, the OCV → CV → PEIS parameters, a channel on the simulated object model. */
import type { Test } from 'tap';
import { GamryBackend } from '../../../src/drivers/gamry/backend.js';
import { PotentiostatChannel } from '../../../src/drivers/potentiostat/channel.js';
import { createGamrySim, type GamrySimOptions } from '../../../src/sim/gamry/objects.js';

export const CELL = { randles: { rs: 50, rct: 500, cdl: 20e-6 }, redox: { e0: 0.2, n: 1 } };
export const SEQ = {
  ocv: { durationS: 5, recordEveryS: 0.1 },
  cv: { startV: 0, vertex1V: 0.6, vertex2V: -0.2, endV: 0, scanRateVPerS: 0.1, cycles: 1, recordEveryV: 0.001 },
  peis: { dcV: 0.2, amplitudeV: 0.01, frequencies: { startHz: 1e5, endHz: 0.1, pointsPerDecade: 5 } },
};

export async function open(t: Test, o: GamrySimOptions = {}) {
  const sim = createGamrySim({ speed: 100, cell: CELL, ...o });
  const pstat = new PotentiostatChannel('pstat', new GamryBackend(sim, { pollMs: 20 }));
  await pstat.connect();
  t.teardown(() => pstat.close());
  return { sim, pstat };
}

