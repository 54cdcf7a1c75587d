/**
 * The Alicat simulator descriptor: `sim:alicat[?link=pty|tcp&units=A,B&timeConstantMs=MS&totalizer=true&faults=SPEC]`
 * (a pty by default, like the unit's serial line; the device uses its `unit` option or the first
 * unit) and `labrig sim alicat`.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { ParamSchema } from '../../protocols/params.js';
import { defineSimulator, FAULTS_PARAM, linkParam } from '../family.js';

/** The usage line of `labrig sim alicat`. */
export const ALICAT_SIM_USAGE = 'usage: labrig sim alicat [--tcp HOST:PORT | --pty] [--faults SPEC] [--units A,B,...] [--totalizer] [--time-constant MS]';

/** Parameters of `sim:alicat`. */
export const ALICAT_SIM_PARAMS = {
  link: linkParam('pty'),
  faults: FAULTS_PARAM,
  units: { type: 'list', items: { type: 'string', pattern: /^[A-Z]$/, upperCase: true, expected: 'unit ids A-Z', doc: 'unit id' }, default: ['A'], doc: 'unit ids on the simulated line' },
  timeConstantMs: { type: 'number', above: 0, units: 'ms', doc: 'first-order flow response' },
  totalizer: { type: 'boolean', default: false, doc: 'units have the totalizer option' },
} as const satisfies ParamSchema;

/** Checked `sim:alicat` parameters. */
export interface AlicatSimParams {
  link?: 'tcp' | 'pty';
  faults?: string;
  units?: string[];
  timeConstantMs?: number;
  totalizer?: boolean;
}

const unitOf = (params: AlicatSimParams, deviceOptions: Readonly<Record<string, unknown>>): string =>
  typeof deviceOptions['unit'] === 'string' ? deviceOptions['unit'] : (params.units ?? ['A'])[0]!;

/** The Alicat simulator descriptor (see the module notes). */
export const alicatSimulator = defineSimulator<AlicatSimParams>({
  name: 'alicat',
  family: 'alicat',
  title: 'Alicat MFC/MFM line: first-order flow, gases, hold, lock, tare, totalizer',
  params: ALICAT_SIM_PARAMS,
  check(params, deviceOptions) {
    const units = params.units ?? ['A'];
    const unit = unitOf(params, deviceOptions);
    if (!units.includes(unit)) throw new InvalidInputError({ what: "parameter 'unit'", value: unit, reason: `the simulator has units ${units.join(', ')} (sim:alicat?units=...)` });
  },
  async start(params, deviceOptions) {
    const { startAlicatSim } = await import('./server.js');
    const fullScale = typeof deviceOptions['fullScale'] === 'number' ? deviceOptions['fullScale'] : undefined;
    const sim = await startAlicatSim({
      ...((params.link ?? 'pty') === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }),
      units: params.units ?? ['A'],
      defaults: {
        ...(params.timeConstantMs !== undefined ? { timeConstantMs: params.timeConstantMs } : {}),
        ...(params.totalizer !== undefined ? { totalizer: params.totalizer } : {}),
        ...(fullScale !== undefined ? { fullScale } : {}),
      },
      ...(params.faults ? { faults: params.faults } : {}),
    });
    return { uri: `${sim.lineUri}?unit=${unitOf(params, deviceOptions)}`, handle: sim, close: () => sim.close() };
  },
  usage: ALICAT_SIM_USAGE,
  cli: async (args) => (await import('./cli.js')).simAlicatCli(args),
});
