/**
 * The Galil family: `galil+tcp://host[:23]` and `galil+serial:///dev/ttyUSB0[?baud=115200]`,
 * options `axes`, `io`, `timeoutMs`, `pollMs`, `enableOnConnect` (the URI may carry the scalar
 * ones), and the e-stop confirmation (every axis reads `_BG` 0 and its motor off). Opened without
 * `axes`, the controller is asked how many axes it has and each opens by its letter, in counts.
 * The driver itself loads when a device is opened or mocked, so listing the family costs little.
 * @module
 */
import { DeviceError, InvalidInputError } from '../../core/errors.js';
import { reasonOf, type ParamSchema } from '../../protocols/params.js';
import { defineFamily, pollUntil, streamOf, streamSchemes, type FamilyTarget } from '../family.js';
import { resolveConfig, toCounts, type GalilAxisConfig, type GalilConfig } from './config.js';
import type { GalilController } from './device.js';
import { MAX_ACCEL_COUNTS, MAX_SPEED_COUNTS, MIN_ACCEL_COUNTS } from './protocol.js';

/** Default Galil TCP command port. */
export const GALIL_TCP_PORT = 23;
/** Default Galil serial speed (DMC-40x0), bits/s. */
export const GALIL_BAUD = 115200;

/** Run the driver's config check, naming its fields as parameters (`galil axes.x.limits` → `parameter 'axes.x.limits'`). */
function checkConfig(config: GalilConfig): void {
  try {
    resolveConfig(config);
  } catch (e) {
    if (e instanceof InvalidInputError && e.what.startsWith('galil ')) throw new InvalidInputError({ what: `parameter '${e.what.slice(6)}'`, value: e.value, reason: reasonOf(e) });
    throw e;
  }
}

/** Fill `axis` from axis names that are letters A–H; refuse an axis without a letter. */
function fillAxisLetters(axes: unknown, what: string): Record<string, GalilAxisConfig> {
  if (typeof axes !== 'object' || axes === null || Array.isArray(axes)) throw new InvalidInputError({ what, value: axes, reason: 'must be an object of axis name → settings' });
  const filled: Record<string, GalilAxisConfig> = {};
  for (const [name, a] of Object.entries(axes as Record<string, unknown>)) {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new InvalidInputError({ what: `${what.slice(0, -1)}.${name}'`, value: a, reason: 'must be an object' });
    const given = (a as { axis?: unknown }).axis;
    if (given === undefined && !/^[A-H]$/.test(name)) throw new InvalidInputError({ what: `${what.slice(0, -1)}.${name}.axis'`, value: given, reason: 'missing: give the axis letter A-H, or name the axis by its letter' });
    filled[name] = (given === undefined ? { ...a, axis: name } : a) as GalilAxisConfig;
  }
  checkConfig({ axes: filled });
  return filled;
}

/** Parameters of a Galil controller (URI query and options alike). */
export const GALIL_PARAMS = {
  axes: {
    type: 'object',
    shape: '{ name: { axis, countsPerUnit, units, limits, speed, acceleration, deceleration, limitDeceleration, precision } }',
    doc: 'axes by name; an axis named A-H drives that letter (without axes: every axis of the controller, in counts)',
    check: (v, what) => fillAxisLetters(v, what),
  },
  io: {
    type: 'object',
    shape: '{ digitalInputs, digitalOutputs, analogInputs }',
    doc: 'I/O channel numbers',
    check: (v) => {
      checkConfig({ io: v as GalilConfig['io'] });
      return v;
    },
  },
  timeoutMs: { type: 'number', above: 0, units: 'ms', default: 1000, doc: 'limit of each command' },
  pollMs: { type: 'number', above: 0, units: 'ms', default: 20, doc: 'status poll period during motion' },
  enableOnConnect: { type: 'boolean', default: false, doc: 'servo every configured axis on (SH) when connecting' },
} as const satisfies ParamSchema;

/** Options of the Galil family (checked values of {@link GALIL_PARAMS}). */
export type GalilFamilyOptions = GalilConfig;

/** Refuse axis speeds and accelerations the controller cannot take (its ranges in counts), before connecting. */
function checkRanges(o: GalilFamilyOptions): void {
  for (const [name, a] of Object.entries(o.axes ?? {})) {
    const cpu = a.countsPerUnit ?? 1;
    const u = a.units ?? (cpu === 1 ? 'counts' : 'mm');
    const within = (field: 'speed' | 'acceleration' | 'deceleration' | 'limitDeceleration', low: number, high: number, per: string): void => {
      const v = a[field];
      if (v === undefined) return;
      const what = `parameter 'axes.${name}.${field}'`;
      const counts = Math.abs(toCounts(what, v, cpu));
      if (counts < low || counts > high) {
        const at = cpu === 1 ? '' : ` at ${cpu} counts/${u}`;
        throw new InvalidInputError({ what, value: v, reason: `must be within ${low / cpu}..${high / cpu} ${u}${per} (the controller's ${low}..${high} counts${per}${at})` });
      }
    };
    within('speed', 0, MAX_SPEED_COUNTS, '/s');
    within('acceleration', MIN_ACCEL_COUNTS, MAX_ACCEL_COUNTS, '/s^2');
    within('deceleration', MIN_ACCEL_COUNTS, MAX_ACCEL_COUNTS, '/s^2');
    within('limitDeceleration', MIN_ACCEL_COUNTS, MAX_ACCEL_COUNTS, '/s^2');
  }
}

/** The options a read-only open uses: no servo enable, no speeds applied on connect. */
function readOnlyOptions(o: GalilFamilyOptions): GalilFamilyOptions {
  const axes = o.axes === undefined ? undefined : Object.fromEntries(Object.entries(o.axes).map(([n, a]) => {
    const { speed: _s, acceleration: _a, deceleration: _d, limitDeceleration: _l, ...rest } = a;
    return [n, rest];
  }));
  return { ...o, ...(axes ? { axes } : {}), enableOnConnect: false };
}

/** Open with the configured axes, or ask the controller how many it has and open each by letter. */
async function open(target: FamilyTarget, options: GalilFamilyOptions, name: string): Promise<GalilController> {
  const [{ buildGalil, galilChannel }, { GalilIO }] = await Promise.all([import('./index.js'), import('./io.js')]);
  const timeoutMs = options.timeoutMs ?? 1000;
  const channel = galilChannel(streamOf(target), timeoutMs);
  try {
    let axes = options.axes;
    if (axes === undefined) {
      const probe = new GalilIO(channel, { name, timeoutMs });
      await probe.open({ timeoutMs: Math.max(3000, timeoutMs * 3) });
      let n = 0;
      try {
        n = (await probe.tellPositions()).length;
      } catch (e) {
        if (!(e instanceof DeviceError)) throw e; // a RIO without axes answers TP with `?`
      }
      axes = Object.fromEntries(Array.from({ length: n }, (_, i) => {
        const letter = String.fromCharCode(65 + i) as GalilAxisConfig['axis'];
        return [letter, { axis: letter }];
      }));
    }
    const d = buildGalil(name, { ...options, axes }, channel, true);
    await d.connect({ timeoutMs: Math.max(3000, timeoutMs * 3) });
    return d;
  } catch (e) {
    await channel.close().catch(() => undefined);
    throw e;
  }
}

/** The Galil family descriptor (see the module notes). */
export const galilFamily = defineFamily<GalilFamilyOptions, GalilController>({
  name: 'galil',
  title: 'Galil DMC motion controllers and RIO I/O units',
  schemes: streamSchemes('galil', { baud: GALIL_BAUD, tcpPort: GALIL_TCP_PORT, first: 'tcp', tcpExample: 'galil+tcp://10.0.0.5:23', serialExample: 'galil+serial:///dev/ttyUSB0?baud=115200' }),
  params: GALIL_PARAMS,
  check: checkRanges,
  open: (target, options, context) => open(target, context.readOnly ? readOnlyOptions(options) : options, context.name),
  createMock: async (options, { name }) => (await import('./index.js')).buildGalil(name, options, undefined, true),
  confirmStopped(device, signal) {
    const axes = [...device.axes.values()];
    if (axes.length === 0) return Promise.resolve('no axes');
    return pollUntil(async () => {
      const states = await Promise.all(axes.map(async (a) => ({ moving: await a.moving.getValue(false), on: await a.motorOn.getValue(false) })));
      if (states.some((s) => s.moving || s.on)) return undefined;
      return `axes ${axes.map((a) => a.axis).join(', ')} stopped, motors off`;
    }, signal);
  },
});
