/**
 * The Legato family (KD Scientific Legato, Harvard Pump 11 Elite, PHD Ultra):
 * `legato+serial:///dev/ttyUSB1?address=0` (default 115200 baud) and `legato+tcp://host:port`
 * (a serial gateway: the port is required), the pump's options (in the URI or as options),
 * `dispense` as the `labrig set` alias (µl, negative withdraws), and the e-stop confirmation
 * (the status reply shows the motor stopped). The driver itself loads when a device is opened or
 * mocked, so listing the family costs little.
 * @module
 */
import { InvalidInputError, LimitsError } from '../../core/errors.js';
import { reasonOf, type ParamSchema } from '../../protocols/params.js';
import { connectOrClose, defineFamily, pollUntil, streamOf, streamSchemes } from '../family.js';
import type { LegatoPump } from './device.js';
import type { OpenLegatoOptions } from './index.js';
import { checkDiameter, checkRate, pumpModel, toMicroliters, toMicrolitersPerMinute, type PumpModel } from './units.js';

/** Default serial speed of the pumps (Legato, Pump 11 Elite), bits/s. */
export const LEGATO_BAUD = 115200;

/** Run a driver check of `value`, naming what it refuses as the parameter `what`. */
function as<T>(what: string, value: unknown, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidInputError) throw new InvalidInputError({ what, value, reason: reasonOf(e) });
    if (e instanceof LimitsError) throw new InvalidInputError({ what, value, reason: `must be within ${e.low}..${e.high}${e.units ? ` ${e.units}` : ''}` });
    throw e;
  }
}

/** Largest syringe volume accepted, µl: the largest syringes these pumps take hold 140 ml; 1 l only refuses typos. */
const MAX_SYRINGE_UL = 1_000_000;

/** Parameters of one pump (URI query and options alike). */
export const LEGATO_PARAMS = {
  address: { type: 'integer', min: 0, max: 99, default: 0, doc: 'pump address on a daisy chain' },
  poll: { type: 'boolean', default: true, doc: 'poll mode (replies end with XON; see decision 0009)' },
  form: { type: 'string', choices: ['plain', 'at'], default: 'plain', doc: "address form: NNcmd (plain) or HELAO's NN@cmd (at)" },
  model: {
    type: 'object',
    text: true,
    shape: 'legato100|legato110|legato200|elite11|phdultra, or { name, withdraw, minLinearMmPerMin, maxLinearMmPerMin, diameterMm }',
    default: 'legato110',
    doc: 'pump model (its mechanics limit the rates)',
    check: (v, what) => {
      if (typeof v === 'string') as(what, v, () => pumpModel(v));
      else if (typeof v !== 'object' || v === null || typeof (v as PumpModel).name !== 'string') throw new InvalidInputError({ what, value: v, reason: 'must be a model name or { name, withdraw, minLinearMmPerMin, maxLinearMmPerMin, diameterMm }' });
      return v;
    },
  },
  diameterMm: { type: 'number', above: 0, units: 'mm', doc: 'syringe inner diameter, applied on connect' },
  syringeVolume: { type: 'quantity', units: 'ul', doc: "syringe volume (µl, or e.g. '1 ml'; up to 1 l), applied on connect", check: (v, what) => {
    const ul = as(what, v, () => toMicroliters(v, undefined, 'syringe volume'));
    if (!(ul > 0 && ul <= MAX_SYRINGE_UL)) throw new InvalidInputError({ what, value: v, reason: `must be a volume > 0 and <= ${MAX_SYRINGE_UL} ul (1 l)` });
    return ul;
  } },
  infuseRate: { type: 'quantity', units: 'ul/min', doc: "infuse rate (µl/min, or e.g. '10 ul/sec'), applied on connect", check: (v, what) => as(what, v, () => toMicrolitersPerMinute(v, undefined, 'infuse rate')) },
  withdrawRate: { type: 'quantity', units: 'ul/min', doc: 'withdraw rate, applied on connect', check: (v, what) => as(what, v, () => toMicrolitersPerMinute(v, undefined, 'withdraw rate')) },
  force: { type: 'integer', min: 1, max: 100, units: '%', doc: 'pushing force, applied on connect' },
  nvramOff: { type: 'boolean', default: false, doc: "send 'nvram off' on connect (advised under computer control)" },
  pollMs: { type: 'number', above: 0, units: 'ms', default: 50, doc: 'status poll period of a dispense' },
  timeoutMs: { type: 'number', above: 0, units: 'ms', default: 1000, doc: 'limit of each command' },
} as const satisfies ParamSchema;

/** Options of the Legato family (checked values of {@link LEGATO_PARAMS}; quantities in µl and µl/min). */
export type LegatoFamilyOptions = Omit<OpenLegatoOptions, 'name'>;

/** Refuse a syringe or rates the model cannot take, before connecting. */
function checkMechanics(o: LegatoFamilyOptions): void {
  const model = typeof o.model === 'object' ? o.model : pumpModel(o.model ?? 'legato110');
  if (o.diameterMm !== undefined) as("parameter 'diameterMm'", o.diameterMm, () => checkDiameter('pump', model, o.diameterMm!));
  if (o.withdrawRate !== undefined && !model.withdraw) throw new InvalidInputError({ what: "parameter 'withdrawRate'", value: o.withdrawRate, reason: `the ${model.name} cannot withdraw` });
  for (const k of ['infuseRate', 'withdrawRate'] as const) {
    if (o[k] !== undefined) as(`parameter '${k}'`, o[k], () => checkRate('pump', model, o.diameterMm, o[k] as number));
  }
}

/** The options a read-only open uses: nothing applied on connect. */
function readOnlyOptions(o: LegatoFamilyOptions): LegatoFamilyOptions {
  const { diameterMm: _d, syringeVolume: _s, infuseRate: _i, withdrawRate: _w, force: _f, nvramOff: _n, ...rest } = o;
  return rest;
}

/** The Legato family descriptor (see the module notes). */
export const legatoFamily = defineFamily<LegatoFamilyOptions, LegatoPump>({
  name: 'legato',
  title: 'KD Scientific Legato / Harvard Pump 11 Elite / PHD Ultra syringe pumps',
  schemes: streamSchemes('legato', { baud: LEGATO_BAUD, serialExample: 'legato+serial:///dev/ttyUSB1?address=0', tcpExample: 'legato+tcp://10.0.0.8:4001?address=0' }),
  params: LEGATO_PARAMS,
  check: checkMechanics,
  moveAliases: ['dispense'],
  async open(target, options, context) {
    const { buildPump, legatoChannel } = await import('./index.js');
    const o = context.readOnly ? readOnlyOptions(options) : options;
    return connectOrClose(buildPump(legatoChannel(streamOf(target), o.timeoutMs ?? 1000), true, { ...o, name: context.name }), Math.max(3000, (o.timeoutMs ?? 1000) * 5));
  },
  createMock: async (options, { name }) => (await import('./index.js')).buildPump(undefined, true, { ...options, name }),
  confirmStopped(pump, signal) {
    return pollUntil(async () => {
      const s = await pump.commands.status();
      return s.running ? undefined : `pump stopped (${s.state})`;
    }, signal);
  },
});
