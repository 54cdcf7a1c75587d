/**
 * The Galil family in rigs: `galil+tcp` / `galil+serial` URIs, `sim:galil` (TCP on loopback by
 * default, `?link=pty` for a serial pty; `?axes=N`, `?motorOn=true`, `?faults=SPEC`), and the
 * e-stop confirmation (every axis reads `_BG` 0 and `_MO` 1).
 *
 * Options are `openGalil`'s (`axes`, `io`, `timeoutMs`, `pollMs`, `enableOnConnect`); an axis
 * whose name is a letter A–H drives that axis unless it gives `axis`. Without `axes`, the
 * controller is asked how many axes it has and each is opened by its letter, in counts.
 * @module
 */
import { DeviceError, InvalidInputError } from '../../core/errors.js';
import {
  createGalil, galilChannel, GalilIO, openGalil, resolveConfig, type GalilController, type OpenGalilOptions,
} from '../../drivers/galil/index.js';
import { parseAddress, createStream } from '../../protocols/uri.js';
import { startGalilSim } from '../../sim/galil/index.js';
import type { FamilyAdapter, OpenedDevice, RigDevice } from '../types.js';
import { boolParam, checkKeys, checkParamKeys, faultsParam, intParam, labelled, linkParam, pollUntil } from './common.js';

const OPTION_KEYS = ['axes', 'io', 'timeoutMs', 'pollMs', 'enableOnConnect'] as const;
const SIM_PARAMS = ['link', 'faults', 'axes', 'motorOn'] as const;

/** Fill `axis` from axis names that are letters; check the whole config. */
function normalize(options: Record<string, unknown>): OpenGalilOptions {
  checkKeys(options, OPTION_KEYS, 'galil');
  const out = { ...options } as OpenGalilOptions & Record<string, unknown>;
  if (options['axes'] !== undefined) {
    const axes = options['axes'];
    if (typeof axes !== 'object' || axes === null || Array.isArray(axes)) throw new InvalidInputError({ what: 'axes', value: axes, reason: 'must be an object of axis name → settings' });
    const filled: Record<string, unknown> = {};
    for (const [name, a] of Object.entries(axes as Record<string, unknown>)) {
      if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new InvalidInputError({ what: `axes.${name}`, value: a, reason: 'must be an object' });
      const given = (a as { axis?: unknown }).axis;
      if (given === undefined && !/^[A-H]$/.test(name)) throw new InvalidInputError({ what: `axes.${name}.axis`, value: given, reason: 'missing: give the axis letter A-H, or name the axis by its letter' });
      filled[name] = given === undefined ? { ...a, axis: name } : a;
    }
    out.axes = filled as OpenGalilOptions['axes'];
  }
  if (out.enableOnConnect !== undefined && typeof out.enableOnConnect !== 'boolean') throw new InvalidInputError({ what: 'enableOnConnect', value: out.enableOnConnect, reason: 'must be true or false' });
  labelled('', () => resolveConfig(out));
  return out;
}

/** Axes the simulator needs: past the highest configured letter, at least `axes` (default 4). */
function simAxisCount(options: OpenGalilOptions, asked: number | undefined): number {
  let n = asked ?? 4;
  for (const a of Object.values(options.axes ?? {})) n = Math.max(n, a.axis.charCodeAt(0) - 64);
  return Math.min(n, 8);
}

/** Open with the configured axes, or ask the controller how many it has and open each by letter. */
async function open(uri: string, name: string, options: OpenGalilOptions): Promise<OpenedDevice> {
  if (options.axes !== undefined) {
    const d = await openGalil(uri, { ...options, name });
    return { device: d as RigDevice, close: () => d.close() };
  }
  const timeoutMs = options.timeoutMs ?? 1000;
  const channel = galilChannel(createStream(uri), timeoutMs);
  try {
    const probe = new GalilIO(channel, { name, timeoutMs });
    await probe.open({ timeoutMs: Math.max(3000, timeoutMs * 3) });
    let n = 0;
    try {
      n = (await probe.tellPositions()).length;
    } catch (e) {
      if (!(e instanceof DeviceError)) throw e; // a RIO without axes answers TP with `?`
    }
    const axes = Object.fromEntries(Array.from({ length: n }, (_, i) => {
      const letter = String.fromCharCode(65 + i);
      return [letter, { axis: letter }];
    })) as OpenGalilOptions['axes'];
    const d: GalilController = createGalil({ ...options, name, axes }, { channel });
    await d.connect({ timeoutMs: Math.max(3000, timeoutMs * 3) });
    return { device: d as RigDevice, close: () => channel.close() };
  } catch (e) {
    await channel.close().catch(() => undefined);
    throw e;
  }
}

/** The Galil adapter (see the module notes). */
export const galilAdapter: FamilyAdapter = {
  family: 'galil',
  schemes: ['galil+tcp', 'galil+serial'],
  optionKeys: OPTION_KEYS,
  simParams: SIM_PARAMS,
  checkOptions: (options) => normalize(options) as Record<string, unknown>,
  checkUri(uri) {
    parseAddress(uri);
  },
  checkSimParams(params, options) {
    checkParamKeys(params, SIM_PARAMS, 'galil');
    linkParam(params, 'galil', 'tcp');
    faultsParam(params, 'galil');
    boolParam(params, 'motorOn', 'galil');
    const n = intParam(params, 'axes', 'galil', 1, 8);
    const o = options as OpenGalilOptions;
    for (const [axisName, a] of Object.entries(o.axes ?? {})) {
      if (n !== undefined && a.axis.charCodeAt(0) - 64 > n) throw new InvalidInputError({ what: `axes.${axisName}.axis`, value: a.axis, reason: `is beyond the simulator's ${n} axes (sim:galil?axes=${n})` });
    }
  },
  open: (uri, name, options) => open(uri, name, options as OpenGalilOptions),
  async startSim(params, options) {
    const link = linkParam(params, 'galil', 'tcp');
    const faults = faultsParam(params, 'galil');
    const motorOn = boolParam(params, 'motorOn', 'galil') ?? false;
    const n = simAxisCount(options as OpenGalilOptions, intParam(params, 'axes', 'galil', 1, 8));
    const sim = await startGalilSim({
      ...(link === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }),
      axes: Array.from({ length: n }, () => ({ motorOn })),
      ...(faults ? { faults } : {}),
    });
    return { uri: link === 'tcp' ? sim.uri : sim.ptyUri!, handle: sim, close: () => sim.close() };
  },
  confirmStopped(device, signal) {
    const axes = [...(device as GalilController).axes.values()];
    if (axes.length === 0) return Promise.resolve('no axes');
    return pollUntil(async () => {
      const states = await Promise.all(axes.map(async (a) => ({ moving: await a.moving.getValue(false), on: await a.motorOn.getValue(false) })));
      if (states.some((s) => s.moving || s.on)) return undefined;
      return `axes ${axes.map((a) => a.axis).join(', ')} stopped, motors off`;
    }, signal);
  },
};
