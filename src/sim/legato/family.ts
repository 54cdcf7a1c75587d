/**
 * The Legato simulator descriptor: `sim:legato[?link=pty|tcp&addresses=0,1&faults=SPEC]` (a pty
 * by default, like the pump's serial line; the device uses its `address` option or the first
 * pump) and `labrig sim legato`.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { ParamSchema } from '../../protocols/params.js';
import { defineSimulator, FAULTS_PARAM, linkParam } from '../family.js';

/** The usage line of `labrig sim legato`. */
export const LEGATO_SIM_USAGE = 'usage: labrig sim legato [--tcp HOST:PORT | --pty] [--faults SPEC] [--seed N] [--addresses 0,1,...] [--model NAME] [--diameter MM]';

/** Parameters of `sim:legato`. */
export const LEGATO_SIM_PARAMS = {
  link: linkParam('pty'),
  faults: FAULTS_PARAM,
  addresses: { type: 'list', items: { type: 'integer', min: 0, max: 99, doc: 'pump address' }, default: [0], doc: 'pump addresses on the simulated chain' },
} as const satisfies ParamSchema;

/** Checked `sim:legato` parameters. */
export interface LegatoSimParams {
  link?: 'tcp' | 'pty';
  faults?: string;
  addresses?: number[];
}

const addressOf = (params: LegatoSimParams, deviceOptions: Readonly<Record<string, unknown>>): number =>
  typeof deviceOptions['address'] === 'number' ? deviceOptions['address'] : (params.addresses ?? [0])[0]!;

/** The Legato simulator descriptor (see the module notes). */
export const legatoSimulator = defineSimulator<LegatoSimParams>({
  name: 'legato',
  family: 'legato',
  title: 'Legato / Pump 11 Elite syringe pump chain: rates, targets, stalls, poll mode',
  params: LEGATO_SIM_PARAMS,
  check(params, deviceOptions) {
    const addresses = params.addresses ?? [0];
    const address = addressOf(params, deviceOptions);
    if (!addresses.includes(address)) throw new InvalidInputError({ what: "parameter 'address'", value: address, reason: `the simulator has pumps at ${addresses.join(', ')} (sim:legato?addresses=...)` });
  },
  async start(params, deviceOptions) {
    const { startLegatoSim } = await import('./server.js');
    const sim = await startLegatoSim({
      ...((params.link ?? 'pty') === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }),
      addresses: params.addresses ?? [0],
      ...(params.faults ? { faults: params.faults } : {}),
    });
    return { uri: `${sim.lineUri}?address=${addressOf(params, deviceOptions)}`, handle: sim, close: () => sim.close() };
  },
  usage: LEGATO_SIM_USAGE,
  cli: async (args) => (await import('./cli.js')).simLegatoCli(args),
});
