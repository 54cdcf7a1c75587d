/**
 * The Alicat family: `alicat+serial:///dev/ttyUSB0?unit=A` (default 19200 baud) and
 * `alicat+tcp://host:port?unit=A` (a serial gateway: the port is required), the unit's options
 * (in the URI or as options), `setpoint` as the `labrig set` alias, and the e-stop confirmation
 * (`HLD` in the data frame of a controller; a meter has no valve to hold). The driver itself loads
 * when a device is opened or mocked, so listing the family costs little.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { reasonOf, type ParamSchema } from '../../protocols/params.js';
import { connectOrClose, defineFamily, pollUntil, streamOf, streamSchemes } from '../family.js';
import { resolveAlicatConfig, type AlicatConfig } from './config.js';
import type { AlicatDevice } from './index.js';

/** Default serial speed of Alicat units, bits/s. */
export const ALICAT_BAUD = 19200;

/**
 * Upper bound of full scales and tolerances, in the unit's own units: far above any Alicat
 * (5000 SLPM, the largest controller, is 5e6 SCCM; 3000 psi is 2e7 Pa), so only an absurd value
 * (a typo, `1e30`) is refused, before connecting.
 */
const SANE_MAX = 1e9;

/** Parameters of one Alicat unit (URI query and options alike). */
export const ALICAT_PARAMS = {
  unit: { type: 'string', pattern: /^[A-Z]$/, upperCase: true, expected: 'one letter A-Z', default: 'A', doc: 'unit id on the line' },
  kind: { type: 'string', choices: ['controller', 'meter'], default: 'controller', doc: 'controller (MFC, movable setpoint) or meter (MFM)' },
  dialect: { type: 'string', choices: ['legacy', 'primer'], default: 'legacy', doc: 'command dialect (see the driver README)' },
  fullScale: { type: 'number', above: 0, max: SANE_MAX, units: 'flow units', doc: 'flow full scale; flow setpoints lie in 0..fullScale' },
  pressureFullScale: { type: 'number', above: 0, max: SANE_MAX, units: 'pressure units', doc: 'pressure full scale; pressure setpoints lie in 0..pressureFullScale' },
  units: {
    type: 'object',
    shape: '{ pressure, temperature, massFlow, volumetricFlow, totalizer }',
    doc: 'engineering units the unit was ordered with',
    check: (v, what) => {
      try {
        resolveAlicatConfig({ units: v as AlicatConfig['units'] });
      } catch (e) {
        if (e instanceof InvalidInputError && e.what.startsWith('Alicat config ')) throw new InvalidInputError({ what: `parameter '${e.what.slice(14)}'`, value: e.value, reason: reasonOf(e) });
        throw e;
      }
      return v;
    },
  },
  totalizer: { type: 'boolean', default: false, doc: 'read the totalizer column' },
  settle: { type: 'string', choices: ['flow', 'echo'], default: 'flow', doc: 'set() completes when the flow settles (flow) or the setpoint is echoed (echo)' },
  tolerance: { type: 'number', above: 0, max: SANE_MAX, units: 'control units', doc: 'settling band (default 0.5 % of full scale)' },
  settleMs: { type: 'number', min: 0, units: 'ms', default: 0, doc: 'time the value must stay in the band' },
  settleTimeoutMs: { type: 'number', above: 0, units: 'ms', default: 30000, doc: 'longest wait for settling' },
  timeoutMs: { type: 'number', above: 0, units: 'ms', default: 1000, doc: 'limit of each command' },
  pollMs: { type: 'number', above: 0, units: 'ms', default: 100, doc: 'poll period while subscribed and while settling' },
  precision: { type: 'integer', min: 0, max: 6, default: 2, doc: 'decimal places of flows and pressures' },
} as const satisfies ParamSchema;

/** Options of the Alicat family (checked values of {@link ALICAT_PARAMS}). */
export type AlicatFamilyOptions = AlicatConfig;

/** The Alicat family descriptor (see the module notes). */
export const alicatFamily = defineFamily<AlicatFamilyOptions, AlicatDevice>({
  name: 'alicat',
  title: 'Alicat mass flow controllers (MFC) and meters (MFM)',
  schemes: streamSchemes('alicat', { baud: ALICAT_BAUD, query: '?unit=A', serialExample: 'alicat+serial:///dev/ttyUSB0?unit=A&baud=19200', tcpExample: 'alicat+tcp://10.0.0.9:4001?unit=A' }),
  params: ALICAT_PARAMS,
  moveAliases: ['setpoint'],
  async open(target, options, { name }) {
    const { alicatChannel, buildAlicat, viewFor } = await import('./index.js');
    const channel = alicatChannel(streamOf(target), { timeoutMs: options.timeoutMs });
    const d = buildAlicat({ ...options, name }, viewFor(channel, options.unit ?? 'A'), () => channel.close(), channel.address);
    return connectOrClose(d, Math.max(3000, (options.timeoutMs ?? 1000) * 3));
  },
  createMock: async (options, { name }) => (await import('./index.js')).buildAlicat({ ...options, name }, undefined, undefined),
  async confirmStopped(device, signal) {
    const { isAlicatController } = await import('./index.js');
    if (!isAlicatController(device)) return 'meter (no valve to hold)';
    return pollUntil(async () => ((await device.flags.hold.getValue(false)) ? 'valve held (HLD)' : undefined), signal);
  },
});
