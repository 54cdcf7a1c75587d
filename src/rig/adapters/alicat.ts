/**
 * The Alicat family in rigs: `alicat+serial` / `alicat+tcp` URIs, `sim:alicat` (a pty by
 * default, like the unit's serial line; `?link=tcp` for a gateway; `?units=A,B`,
 * `?timeConstantMs=MS`, `?faults=SPEC`), and the e-stop confirmation (`HLD` in the data frame).
 * Options are `openAlicat`'s (`unit`, `fullScale`, `settle`, ...). `labrig set <uri> setpoint V`
 * moves the controller (waits for the flow to settle).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import {
  checkUnit, configFromUri, isAlicatController, openAlicat, resolveAlicatConfig, type AlicatDevice, type OpenAlicatOptions,
} from '../../drivers/alicat/index.js';
import { parseAddress } from '../../protocols/uri.js';
import { startAlicatSim } from '../../sim/alicat/index.js';
import type { FamilyAdapter, RigDevice } from '../types.js';
import { boolParam, checkKeys, checkParamKeys, faultsParam, labelled, linkParam, listParam, pollUntil, positiveParam } from './common.js';

const OPTION_KEYS = [
  'unit', 'kind', 'dialect', 'fullScale', 'pressureFullScale', 'units', 'totalizer', 'settle', 'tolerance', 'settleMs', 'settleTimeoutMs', 'timeoutMs', 'pollMs', 'precision',
] as const;
const SIM_PARAMS = ['link', 'faults', 'units', 'timeConstantMs', 'totalizer'] as const;

const unitsOf = (params: Readonly<Record<string, string>>): string[] =>
  listParam(params, 'units', 'alicat', (s) => (/^[A-Za-z]$/.test(s) ? s.toUpperCase() : undefined), 'unit ids A-Z') ?? ['A'];

/** The Alicat adapter (see the module notes). */
export const alicatAdapter: FamilyAdapter = {
  family: 'alicat',
  schemes: ['alicat+serial', 'alicat+tcp'],
  optionKeys: OPTION_KEYS,
  simParams: SIM_PARAMS,
  moveAliases: ['setpoint'],
  checkOptions(options) {
    checkKeys(options, OPTION_KEYS, 'alicat');
    labelled('', () => resolveAlicatConfig(options as OpenAlicatOptions));
    return { ...options };
  },
  checkUri(uri) {
    parseAddress(uri);
    configFromUri(uri);
  },
  checkSimParams(params, options) {
    checkParamKeys(params, SIM_PARAMS, 'alicat');
    linkParam(params, 'alicat', 'pty');
    faultsParam(params, 'alicat');
    positiveParam(params, 'timeConstantMs', 'alicat');
    boolParam(params, 'totalizer', 'alicat');
    const units = unitsOf(params);
    const unit = options['unit'] === undefined ? units[0]! : checkUnit(options['unit']);
    if (!units.includes(unit)) throw new InvalidInputError({ what: 'unit', value: unit, reason: `the simulator has units ${units.join(', ')} (sim:alicat?units=...)` });
  },
  async open(uri, name, options) {
    const d: AlicatDevice = await openAlicat(uri, { ...(options as OpenAlicatOptions), name });
    return { device: d as RigDevice, close: () => d.close() };
  },
  async startSim(params, options) {
    const link = linkParam(params, 'alicat', 'pty');
    const faults = faultsParam(params, 'alicat');
    const units = unitsOf(params);
    const unit = options['unit'] === undefined ? units[0]! : checkUnit(options['unit']);
    const timeConstantMs = positiveParam(params, 'timeConstantMs', 'alicat');
    const totalizer = boolParam(params, 'totalizer', 'alicat');
    const fullScale = typeof options['fullScale'] === 'number' ? options['fullScale'] : undefined;
    const sim = await startAlicatSim({
      ...(link === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }),
      units,
      defaults: {
        ...(timeConstantMs !== undefined ? { timeConstantMs } : {}),
        ...(totalizer !== undefined ? { totalizer } : {}),
        ...(fullScale !== undefined ? { fullScale } : {}),
      },
      ...(faults ? { faults } : {}),
    });
    return { uri: `${sim.lineUri}?unit=${unit}`, handle: sim, close: () => sim.close() };
  },
  confirmStopped(device, signal) {
    const d = device as unknown as AlicatDevice;
    if (!isAlicatController(d)) return Promise.resolve('meter (no valve to hold)');
    return pollUntil(async () => ((await d.flags.hold.getValue(false)) ? 'valve held (HLD)' : undefined), signal);
  },
};
