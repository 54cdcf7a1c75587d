/**
 * The Tango family: `tango://host:port/domain/family/member` (through the Tango database at
 * host:port), `tango://domain/family/member` (through TANGO_HOST) and
 * `tango://host:port/domain/family/member#dbase=no` (the device server directly). A device is
 * built from the server's own description (`device.ts`). `?backend=sidecar|addon|auto` picks the
 * backend: auto = the native addon (`native/tango`) where it is built and loads, else the PyTango
 * sidecar (decision 0017). The addon's change events live in a supervised child process, so
 * cppTango 9.3's crash after a subscribed event server restarts no longer reaches the caller.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { badPort, type Transport } from '../../protocols/address.js';
import type { ParamSchema } from '../../protocols/params.js';
import type { AddressBase } from '../../protocols/uri.js';
import { defineFamily } from '../family.js';
import { parseTangoAddress, type TangoAddress, type TangoBackend } from './backend.js';
import type { TangoDevice } from './device.js';

/** A checked `tango://` address. */
export interface TangoUriAddress extends AddressBase {
  scheme: 'tango';
  /** Database (or, with `#dbase=no`, device server) host; undefined when TANGO_HOST is left to the library. */
  host: string | undefined;
  /** Its port. */
  port: number | undefined;
  tango: TangoAddress;
  /** Limit of each call, ms. */
  timeoutMs: number;
  /** Limit of connecting (describing the device), ms. */
  connectTimeoutMs: number;
}

/** Parameters of a `tango://` address. */
export const TANGO_ADDRESS_PARAMS = {
  timeoutMs: { type: 'integer', min: 1, units: 'ms', default: 3000, doc: 'limit of each attribute read/write and command' },
  connectTimeoutMs: { type: 'integer', min: 1, units: 'ms', default: 15000, doc: 'limit of connecting (starting the backend, describing the device)' },
} as const satisfies ParamSchema;

/** The `tango://` address parser (the family opens the backend itself). */
export const tangoTransport: Transport<TangoUriAddress, never> = {
  kind: 'tango',
  params: TANGO_ADDRESS_PARAMS,
  fragment: true,
  address(p, v) {
    if (p.portText !== undefined && p.port === undefined) throw badPort(p);
    const hash = p.uri.indexOf('#');
    const fragment = hash < 0 ? '' : p.uri.slice(hash);
    if (fragment.includes('?')) {
      throw new InvalidInputError({ what: 'tango address', value: p.uri, reason: 'parameters go before the fragment: tango://host:port/d/f/m?backend=sidecar#dbase=no' });
    }
    const text = (hash < 0 ? p.uri : p.uri.slice(0, hash)).replace(/\?.*$/, '') + fragment;
    const tango = parseTangoAddress(text, process.env);
    return {
      scheme: 'tango',
      uri: p.uri,
      params: {},
      host: tango.host,
      port: tango.port,
      tango,
      timeoutMs: (v['timeoutMs'] as number | undefined) ?? 3000,
      connectTimeoutMs: (v['connectTimeoutMs'] as number | undefined) ?? 15000,
    };
  },
};

/** Parameters of a Tango device (besides the address's). */
export const TANGO_DEVICE_PARAMS = {
  backend: { type: 'string', choices: ['auto', 'sidecar', 'addon'], lowerCase: true, default: 'auto', doc: 'auto: the native cppTango addon where it is built (npm run build:native), else the PyTango sidecar; sidecar; addon' },
  pollMs: { type: 'integer', min: 10, max: 600000, units: 'ms', default: 500, doc: 'polling period of attributes whose server pushes no change events' },
  resubscribeMs: { type: 'integer', min: 10, max: 600000, units: 'ms', default: 1000, doc: 'delay between resubscription attempts after the event channel failed' },
  read: { type: 'list', items: { type: 'string', doc: 'attribute name' }, doc: 'attributes the device reads in a plan (default: State only)' },
  syncReadMs: { type: 'integer', min: 0, max: 60000, units: 'ms', doc: 'the longest one read may block the event loop: the addon reads on the JS thread, the sidecar waits for the reply there (default 20; 0: every read asynchronous, through the addon\'s worker thread or the event loop; decision 0017)' },
} as const satisfies ParamSchema;

/** Options of the Tango family. */
export interface TangoFamilyOptions {
  backend?: 'auto' | 'sidecar' | 'addon';
  pollMs?: number;
  resubscribeMs?: number;
  read?: string[];
  syncReadMs?: number;
}

/**
 * Make the backend `choice` names (auto: the addon where it is built and loads, else the sidecar;
 * see the module notes). `syncReadMs` goes to either (`AddonOptions`, `SidecarOptions`).
 */
export async function tangoBackendFor(choice: 'auto' | 'sidecar' | 'addon' = 'auto', timeoutMs?: number, syncReadMs?: number): Promise<TangoBackend> {
  if (choice === 'addon' || (choice === 'auto' && (await import('./addon.js')).addonAvailable())) {
    return (await import('./addon.js')).loadAddonBackend({ ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(syncReadMs === undefined ? {} : { syncReadMs }) });
  }
  const { TangoSidecarBackend } = await import('./sidecar.js');
  return new TangoSidecarBackend({ ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(syncReadMs === undefined ? {} : { syncReadMs }) });
}

/** The Tango family descriptor (see the module notes). */
export const tangoFamily = defineFamily<TangoFamilyOptions, TangoDevice>({
  name: 'tango',
  title: 'Tango Controls devices: attributes as signals, commands as callables (PyTango sidecar or native addon)',
  schemes: [{ scheme: 'tango', transport: tangoTransport, example: 'tango://tango-db:10000/sys/tg_test/1' }],
  params: TANGO_DEVICE_PARAMS,
  check(o) {
    for (const r of o.read ?? []) {
      if (typeof r !== 'string' || r === '') throw new InvalidInputError({ what: "parameter 'read'", value: r, reason: 'attribute names must be non-empty strings' });
    }
  },
  async open(target, options, { name }) {
    const a = target.address as TangoUriAddress;
    const backend = await tangoBackendFor(options.backend, a.timeoutMs, options.syncReadMs);
    const { connectTangoDevice } = await import('./device.js');
    const d = await connectTangoDevice(backend, a.tango, undefined, {
      name,
      timeoutMs: a.timeoutMs,
      connectTimeoutMs: a.connectTimeoutMs,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.resubscribeMs === undefined ? {} : { resubscribeMs: options.resubscribeMs }),
      ...(options.read === undefined ? {} : { read: options.read }),
    });
    try {
      await d.connect();
    } catch (e) {
      await d.close();
      throw e;
    }
    return d;
  },
  async createMock(_options, { name }) {
    const { mockTangoDevice } = await import('./mock.js');
    return mockTangoDevice(name);
  },
  confirmStopped: () => Promise.resolve('nothing to stop (a Tango device has no common stop command)'),
});
