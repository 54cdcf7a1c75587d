/**
 * The Galil simulator descriptor: `sim:galil[?link=tcp|pty&axes=N&motorOn=true&faults=SPEC]`
 * (TCP on 127.0.0.1 by default, like the controller's Ethernet port; at least the configured
 * axis letters) and `labrig sim galil`.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { ParamSchema } from '../../protocols/params.js';
import { defineSimulator, FAULTS_PARAM, linkParam } from '../family.js';

/** The usage line of `labrig sim galil`. */
export const GALIL_SIM_USAGE = 'usage: labrig sim galil [--tcp HOST:PORT] [--pty] [--faults SPEC] [--axes N]';

/** Parameters of `sim:galil`. */
export const GALIL_SIM_PARAMS = {
  link: linkParam('tcp'),
  faults: FAULTS_PARAM,
  axes: { type: 'integer', min: 1, max: 8, default: 4, doc: 'axes of the simulated controller (at least the configured letters)' },
  motorOn: { type: 'boolean', default: false, doc: 'servo on at start (default off, as after power-up)' },
} as const satisfies ParamSchema;

/** Checked `sim:galil` parameters. */
export interface GalilSimParams {
  link?: 'tcp' | 'pty';
  faults?: string;
  axes?: number;
  motorOn?: boolean;
}

/** Highest axis letter the device options configure (1 for A), or 0. */
function highestAxis(deviceOptions: Readonly<Record<string, unknown>>): { n: number; name?: string; letter?: string } {
  let best: { n: number; name?: string; letter?: string } = { n: 0 };
  const axes = deviceOptions['axes'];
  if (typeof axes !== 'object' || axes === null) return best;
  for (const [name, a] of Object.entries(axes as Record<string, { axis?: unknown }>)) {
    const letter = typeof a?.axis === 'string' ? a.axis : undefined;
    if (letter && letter.charCodeAt(0) - 64 > best.n) best = { n: letter.charCodeAt(0) - 64, name, letter };
  }
  return best;
}

/** The Galil simulator descriptor (see the module notes). */
export const galilSimulator = defineSimulator<GalilSimParams>({
  name: 'galil',
  family: 'galil',
  title: 'Galil DMC controller: DMC command language, trapezoidal motion, limits, I/O',
  params: GALIL_SIM_PARAMS,
  check(params, deviceOptions) {
    const h = highestAxis(deviceOptions);
    if (params.axes !== undefined && h.n > params.axes) {
      throw new InvalidInputError({ what: `parameter 'axes.${h.name}.axis'`, value: h.letter, reason: `is beyond the simulator's ${params.axes} axes (sim:galil?axes=${params.axes})` });
    }
  },
  async start(params, deviceOptions) {
    const { startGalilSim } = await import('./server.js');
    const n = Math.min(Math.max(params.axes ?? 4, highestAxis(deviceOptions).n), 8);
    const link = params.link ?? 'tcp';
    const sim = await startGalilSim({
      ...(link === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }),
      axes: Array.from({ length: n }, () => ({ motorOn: params.motorOn ?? false })),
      ...(params.faults ? { faults: params.faults } : {}),
    });
    return { uri: link === 'tcp' ? sim.uri : sim.ptyUri!, handle: sim, close: () => sim.close() };
  },
  usage: GALIL_SIM_USAGE,
  cli: async (args) => (await import('./cli.js')).simGalilCli(args),
});
