/**
 * The Legato family in rigs: `legato+serial` / `legato+tcp` URIs, `sim:legato` (a pty by
 * default, like the pump's serial line; `?link=tcp` for a gateway; `?addresses=0,1`,
 * `?faults=SPEC`), and the e-stop confirmation (the status reply shows the motor stopped and an
 * idle or target prompt). Options are `openLegato`'s (`address`, `diameterMm`, `syringeVolume`,
 * rates, ...). `labrig set <uri> dispense V` dispenses V µl (negative withdraws).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import {
  checkAddress, checkDiameter, createLegato, openLegato, toMicroliters, toMicrolitersPerMinute, uriSettings, type LegatoPump, type OpenLegatoOptions,
} from '../../drivers/legato/index.js';
import { parseAddress } from '../../protocols/uri.js';
import { startLegatoSim } from '../../sim/legato/index.js';
import type { FamilyAdapter, RigDevice } from '../types.js';
import { checkKeys, checkParamKeys, faultsParam, labelled, linkParam, listParam, pollUntil } from './common.js';

const OPTION_KEYS = [
  'model', 'diameterMm', 'syringeVolume', 'infuseRate', 'withdrawRate', 'force', 'nvramOff', 'pollMs', 'timeoutMs', 'address', 'poll', 'form',
] as const;
const SIM_PARAMS = ['link', 'faults', 'addresses'] as const;

const addressesOf = (params: Readonly<Record<string, string>>): number[] =>
  listParam(params, 'addresses', 'legato', (s) => (/^\d{1,2}$/.test(s) ? Number(s) : undefined), 'pump addresses 0..99') ?? [0];

function check(options: Record<string, unknown>): void {
  checkKeys(options, OPTION_KEYS, 'legato');
  const o = options as OpenLegatoOptions;
  const pump = labelled('', () => createLegato(o));
  if (o.diameterMm !== undefined) labelled('diameterMm:', () => checkDiameter('pump', pump.model, o.diameterMm!));
  if (o.syringeVolume !== undefined) labelled('syringeVolume:', () => toMicroliters(o.syringeVolume!, undefined, 'syringe volume'));
  if (o.infuseRate !== undefined) labelled('infuseRate:', () => toMicrolitersPerMinute(o.infuseRate!, undefined, 'infuse rate'));
  if (o.withdrawRate !== undefined) labelled('withdrawRate:', () => toMicrolitersPerMinute(o.withdrawRate!, undefined, 'withdraw rate'));
  if (o.force !== undefined && !(Number.isInteger(o.force) && o.force >= 1 && o.force <= 100)) throw new InvalidInputError({ what: 'force', value: o.force, reason: 'must be an integer in 1..100 (%)' });
  for (const k of ['pollMs', 'timeoutMs'] as const) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new InvalidInputError({ what: k, value: v, reason: 'must be a number > 0 (ms)' });
  }
}

/** The Legato adapter (see the module notes). */
export const legatoAdapter: FamilyAdapter = {
  family: 'legato',
  schemes: ['legato+serial', 'legato+tcp'],
  optionKeys: OPTION_KEYS,
  simParams: SIM_PARAMS,
  moveAliases: ['dispense'],
  checkOptions(options) {
    check(options);
    return { ...options };
  },
  checkUri(uri) {
    parseAddress(uri);
    uriSettings(uri);
  },
  checkSimParams(params, options) {
    checkParamKeys(params, SIM_PARAMS, 'legato');
    linkParam(params, 'legato', 'pty');
    faultsParam(params, 'legato');
    const addresses = addressesOf(params);
    for (const a of addresses) labelled("sim:legato parameter 'addresses':", () => checkAddress(a));
    const address = options['address'] === undefined ? addresses[0]! : (options['address'] as number);
    if (!addresses.includes(address)) throw new InvalidInputError({ what: 'address', value: address, reason: `the simulator has pumps at ${addresses.join(', ')} (sim:legato?addresses=...)` });
  },
  async open(uri, name, options) {
    const p: LegatoPump = await openLegato(uri, { ...(options as OpenLegatoOptions), name });
    return { device: p as RigDevice, close: () => p.close() };
  },
  async startSim(params, options) {
    const link = linkParam(params, 'legato', 'pty');
    const faults = faultsParam(params, 'legato');
    const addresses = addressesOf(params);
    const address = options['address'] === undefined ? addresses[0]! : (options['address'] as number);
    const sim = await startLegatoSim({ ...(link === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }), addresses, ...(faults ? { faults } : {}) });
    return { uri: `${sim.lineUri}?address=${address}`, handle: sim, close: () => sim.close() };
  },
  confirmStopped(device, signal) {
    const p = device as unknown as LegatoPump;
    return pollUntil(async () => {
      const s = await p.commands.status();
      return s.running ? undefined : `pump stopped (${s.state})`;
    }, signal);
  },
};
