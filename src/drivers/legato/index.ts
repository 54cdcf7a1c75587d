/**
 * KD Scientific Legato / Harvard Apparatus Pump 11 Elite / PHD Ultra syringe pumps.
 *
 * `openLegato('legato+serial:///dev/ttyUSB1?address=0&baud=115200', options)` connects one pump;
 * `openLegatoChain(uri, [{ address: 0 }, { address: 1 }])` several pumps daisy-chained on one
 * line; `createLegato(options)` builds one without a transport for `connect({ mock: true })`.
 * Importing this module registers the URI schemes `legato+serial` (default 115200 baud) and
 * `legato+tcp` (a serial-to-Ethernet gateway) with `src/protocols/uri.ts`. URI parameters:
 * `address` (0..99, default 0), `poll` (`on` default, or `off`), `form` (`plain` default, or
 * `at` for HELAO's `NN@cmd`), `baud`.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { createRequestChannel } from '../../protocols/channel/channel.js';
import type { ByteStream, RequestChannel } from '../../protocols/contracts.js';
import { SerialStream, checkSerialOptions, type Parity } from '../../protocols/stream/serial.js';
import { TcpStream } from '../../protocols/stream/tcp.js';
import { createStream, leftoverParams, parseAddress, registerScheme, type ParsedUri, type SerialAddress, type TcpAddress } from '../../protocols/uri.js';
import { LegatoPump, type LegatoPumpOptions } from './device.js';
import { LegatoIO } from './io.js';
import { checkAddress, LegatoFramer, type AddressForm } from './protocol.js';

export { LegatoPump, type LegatoPumpOptions } from './device.js';
export { LegatoIO, type CommandOptions, type LegatoIOOptions, type StatusReport } from './io.js';
export { LegatoSignalBackend, StatusSource, type LegatoSignalSpec, type StampedStatus } from './backend.js';
export type { DispenseOptions } from './dispense.js';
export { installPumpMock } from './mock.js';
export * from './protocol.js';
export * from './units.js';

declare module '../../protocols/uri.js' {
  interface SchemeRegistry {
    'legato+serial': { address: SerialAddress; opens: ByteStream };
    'legato+tcp': { address: TcpAddress; opens: ByteStream };
  }
}

/** Default serial speed of the pumps (Legato, Pump 11 Elite), bits/s. */
export const LEGATO_BAUD = 115200;

function parseLegatoSerial(p: ParsedUri): SerialAddress {
  const params = new Map(p.params);
  const path = p.host ? p.host : /^\/COM\d+$/i.test(p.path) ? p.path.slice(1) : p.path;
  if (!path) throw new InvalidInputError({ what: 'legato+serial address path', value: p.uri, reason: 'missing device path (legato+serial:///dev/ttyUSB0)' });
  const baudText = params.get('baud') ?? params.get('baudRate');
  params.delete('baud');
  params.delete('baudRate');
  if (baudText !== undefined && !/^\d+$/.test(baudText)) throw new InvalidInputError({ what: "address parameter 'baud'", value: baudText, reason: 'must be a positive integer' });
  const o = checkSerialOptions({ path, baudRate: baudText === undefined ? LEGATO_BAUD : Number(baudText) });
  return {
    scheme: 'serial', uri: p.uri, family: 'legato', params: leftoverParams({ ...p, family: 'legato' }, params),
    path: o.path, baudRate: o.baudRate, parity: o.parity as Parity, dataBits: o.dataBits, stopBits: o.stopBits, rtscts: false, xon: false,
  };
}

function parseLegatoTcp(p: ParsedUri): TcpAddress {
  if (!p.host) throw new InvalidInputError({ what: 'legato+tcp address host', value: p.uri, reason: 'missing host (legato+tcp://host:port)' });
  if (p.port === undefined) throw new InvalidInputError({ what: 'legato+tcp address port', value: p.uri, reason: 'missing port (legato+tcp://host:port)' });
  if (p.path && p.path !== '/') throw new InvalidInputError({ what: 'legato+tcp address path', value: p.path, reason: 'takes no path' });
  const params = new Map(p.params);
  return { scheme: 'tcp', uri: p.uri, family: 'legato', host: p.host, port: p.port, path: '', params: leftoverParams({ ...p, family: 'legato' }, params) };
}

let registered = false;

/** Register `legato+serial` and `legato+tcp` with the URI registry (idempotent; done on import). */
export function registerLegatoSchemes(): void {
  if (registered) return;
  registered = true;
  registerScheme('legato+serial', {
    stream: true,
    parse: parseLegatoSerial,
    create: (a) => new SerialStream({ path: a.path, baudRate: a.baudRate }),
  });
  registerScheme('legato+tcp', {
    stream: true,
    parse: parseLegatoTcp,
    create: (a) => new TcpStream({ host: a.host, port: a.port }),
  });
}
registerLegatoSchemes();

/** Where a pump is: a URI, an open-able ByteStream, or a RequestChannel. */
export type LegatoTarget = string | { stream: ByteStream } | { channel: RequestChannel };

/** Options of openLegato beyond the pump settings. */
export interface OpenLegatoOptions extends LegatoPumpOptions {
  /** Device name (prefix of every data key). Default `pump`, or `pump<N>` for address N > 0. */
  name?: string;
  /** Pump address 0..99 (overrides the URI's `address`). */
  address?: number;
  /** Poll mode (overrides the URI's `poll`). Default true. */
  poll?: boolean;
  /** Address form (overrides the URI's `form`). Default `plain`. */
  form?: AddressForm;
}

/** Read `address`, `poll` and `form` from a URI's parameters. */
export function uriSettings(uri: string): { address?: number; poll?: boolean; form?: AddressForm } {
  const params = parseAddress(uri).params;
  const out: { address?: number; poll?: boolean; form?: AddressForm } = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === 'address') {
      if (!/^\d{1,2}$/.test(v)) throw new InvalidInputError({ what: "address parameter 'address'", value: v, reason: 'must be 0..99' });
      out.address = checkAddress(Number(v));
    } else if (k === 'poll') {
      if (!['on', 'off', 'true', 'false', '1', '0'].includes(v)) throw new InvalidInputError({ what: "address parameter 'poll'", value: v, reason: 'must be on or off' });
      out.poll = ['on', 'true', '1'].includes(v);
    } else if (k === 'form') {
      if (v !== 'plain' && v !== 'at') throw new InvalidInputError({ what: "address parameter 'form'", value: v, reason: 'must be plain or at' });
      out.form = v;
    } else {
      throw new InvalidInputError({ what: `address parameter '${k}'`, value: v, reason: 'unknown for legato (address, poll, form, baud)' });
    }
  }
  return out;
}

/** Build a request channel for pump replies over `stream` (reconnects; each command picks its framing). */
export function legatoChannel(stream: ByteStream, timeoutMs = 1000): RequestChannel {
  return createRequestChannel(stream, { framing: new LegatoFramer({ mode: 'xon' }), timeoutMs, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } });
}

function channelFor(target: LegatoTarget | undefined, timeoutMs: number): { channel: RequestChannel | undefined; owns: boolean; settings: ReturnType<typeof uriSettings> } {
  if (target === undefined) return { channel: undefined, owns: true, settings: {} };
  if (typeof target === 'string') return { channel: legatoChannel(createStream(target), timeoutMs), owns: true, settings: uriSettings(target) };
  if ('stream' in target) return { channel: legatoChannel(target.stream, timeoutMs), owns: true, settings: {} };
  if ('channel' in target) return { channel: target.channel, owns: false, settings: {} };
  throw new InvalidInputError({ what: 'legato target', value: target, reason: 'give a URI, { stream } or { channel }' });
}

function buildPump(channel: RequestChannel | undefined, owns: boolean, settings: ReturnType<typeof uriSettings>, options: OpenLegatoOptions): LegatoPump {
  const address = options.address ?? settings.address ?? 0;
  const io = new LegatoIO(channel, {
    name: options.name ?? (address === 0 ? 'pump' : `pump${address}`),
    address,
    poll: options.poll ?? settings.poll ?? true,
    form: options.form ?? settings.form ?? 'plain',
    timeoutMs: options.timeoutMs ?? 1000,
  });
  return new LegatoPump(io.name, io, options, owns);
}

/** Build a pump without connecting it: no target for mock use (`await p.connect({ mock: true })`). */
export function createLegato(options: OpenLegatoOptions = {}, target?: LegatoTarget): LegatoPump {
  const { channel, owns, settings } = channelFor(target, options.timeoutMs ?? 1000);
  return buildPump(channel, owns, settings, options);
}

/** Connect to one pump by URI, stream or channel (see the module notes). */
export async function openLegato(target: LegatoTarget, options: OpenLegatoOptions = {}): Promise<LegatoPump> {
  const pump = createLegato(options, target);
  try {
    await pump.connect({ timeoutMs: Math.max(3000, (options.timeoutMs ?? 1000) * 5) });
  } catch (e) {
    await pump.close().catch(() => undefined);
    throw e;
  }
  return pump;
}

/** Several pumps daisy-chained on one line, sharing one channel. */
export interface LegatoChain {
  /** The pumps, in the order asked. */
  readonly pumps: readonly LegatoPump[];
  /** The shared channel. */
  readonly channel: RequestChannel;
  /** Close every pump and the channel. */
  close(): Promise<void>;
}

/** Connect to every pump of a chain on one line (`pumps[i].address` must differ). */
export async function openLegatoChain(target: LegatoTarget, pumps: readonly OpenLegatoOptions[]): Promise<LegatoChain> {
  if (!Array.isArray(pumps) || pumps.length === 0) throw new InvalidInputError({ what: 'legato chain pumps', value: pumps, reason: 'give at least one pump' });
  const seen = new Set<number>();
  for (const p of pumps) {
    const a = checkAddress(p.address ?? 0);
    if (seen.has(a)) throw new InvalidInputError({ what: 'legato chain address', value: a, reason: 'appears twice' });
    seen.add(a);
  }
  const { channel, owns, settings } = channelFor(target, Math.max(...pumps.map((p) => p.timeoutMs ?? 1000)));
  if (!channel) throw new InvalidInputError({ what: 'legato chain target', value: target, reason: 'give a URI, { stream } or { channel }' });
  const { address: _ignored, ...shared } = settings;
  const list = pumps.map((p) => buildPump(channel, false, shared, p));
  const close = async (): Promise<void> => {
    await Promise.all(list.map((p) => p.close().catch(() => undefined)));
    if (owns) await channel.close();
  };
  try {
    for (const p of list) await p.connect({ timeoutMs: 5000 });
  } catch (e) {
    await close();
    throw e;
  }
  return { pumps: list, channel, close };
}
