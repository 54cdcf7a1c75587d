/**
 * Alicat mass flow controllers (MFC) and meters (MFM) over serial (multi-drop unit ids A–Z on one
 * line) or a serial-to-Ethernet gateway.
 *
 * `openAlicat('alicat+serial:///dev/ttyUSB0?unit=A&baud=19200', { fullScale: 100 })` connects one
 * unit; `openAlicatBus(uri)` opens a line once and hands out a device per unit id, all sharing one
 * request channel (one command on the wire at a time). Importing this module registers the URI
 * schemes `alicat+serial` (default 19200 baud) and `alicat+tcp` (port required);
 * `registerAlicatSchemes()` does it explicitly (idempotent).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { createRequestChannel } from '../../protocols/channel/channel.js';
import { prefixAddressing } from '../../protocols/channel/reply.js';
import type { ByteStream, RequestChannel } from '../../protocols/contracts.js';
import { SerialStream, checkSerialOptions } from '../../protocols/stream/serial.js';
import { TcpStream } from '../../protocols/stream/tcp.js';
import { createStream, leftoverParams, parseAddress, registerScheme, type ParsedUri, type SerialAddress, type TcpAddress } from '../../protocols/uri.js';
import type { AlicatConfig } from './config.js';
import { AlicatFlowController } from './device.js';
import { AlicatFlowMeter } from './meter.js';
import type { Release } from './signals.js';
import { AlicatIO } from './io.js';
import { checkUnit, replyUnit } from './protocol.js';

export { AlicatFlowController } from './device.js';
export { AlicatFlowMeter } from './meter.js';
export { AlicatIO, SETPOINT_ECHO_TOLERANCE, replyMatches, type AlicatIOOptions, type CommandOptions, type ReplyKind } from './io.js';
export { AlicatSignalBackend, FrameSource, type AlicatSignalSpec, type StampedFrame } from './backend.js';
export { AlicatActions, AlicatFlags } from './signals.js';
export { DEFAULT_UNITS, resolveAlicatConfig, setpointLimits, settleTolerance, type AlicatConfig, type AlicatUnits, type ResolvedAlicatConfig, type SettleMode } from './config.js';
export * from './protocol.js';

declare module '../../protocols/uri.js' {
  interface SchemeRegistry {
    'alicat+tcp': { address: TcpAddress; opens: ByteStream };
    'alicat+serial': { address: SerialAddress; opens: ByteStream };
  }
}

/** Default serial speed of Alicat units, bits/s. */
export const ALICAT_BAUD = 19200;

/** A controller or a meter. */
export type AlicatDevice = AlicatFlowController | AlicatFlowMeter;

/** URI query parameters the driver understands (besides the transport's). */
export const ALICAT_URI_PARAMS = [
  'unit', 'kind', 'dialect', 'fullScale', 'pressureFullScale', 'totalizer', 'settle', 'tolerance', 'settleMs', 'settleTimeoutMs', 'timeoutMs', 'pollMs',
] as const;

function checkParams(p: ParsedUri, params: Map<string, string>, scheme: string): Record<string, string> {
  for (const [k, v] of params) {
    if (!(ALICAT_URI_PARAMS as readonly string[]).includes(k)) {
      throw new InvalidInputError({ what: `${scheme} address parameter '${k}'`, value: v, reason: `unknown parameter (known: ${ALICAT_URI_PARAMS.join(', ')})` });
    }
  }
  const unit = params.get('unit');
  if (unit !== undefined) params.set('unit', checkUnit(unit));
  return leftoverParams({ ...p, family: 'alicat' }, params);
}

function parseAlicatTcp(p: ParsedUri): TcpAddress {
  if (!p.host) throw new InvalidInputError({ what: 'alicat+tcp address host', value: p.uri, reason: 'missing host (alicat+tcp://host:port?unit=A)' });
  if (p.port === undefined) throw new InvalidInputError({ what: 'alicat+tcp address port', value: p.uri, reason: 'missing port (the gateway has no standard port)' });
  if (p.path && p.path !== '/') throw new InvalidInputError({ what: 'alicat+tcp address path', value: p.path, reason: 'takes no path (give the unit as ?unit=A)' });
  const params = new Map(p.params);
  const a: TcpAddress = { scheme: 'tcp', uri: p.uri, family: 'alicat', host: p.host, port: p.port, path: '', params: {} };
  const ct = params.get('connectTimeoutMs');
  if (ct !== undefined) {
    if (!/^\d+$/.test(ct) || Number(ct) < 1) throw new InvalidInputError({ what: "address parameter 'connectTimeoutMs'", value: ct, reason: 'must be an integer > 0' });
    a.connectTimeoutMs = Number(ct);
    params.delete('connectTimeoutMs');
  }
  a.params = checkParams(p, params, 'alicat+tcp');
  return a;
}

function parseAlicatSerial(p: ParsedUri): SerialAddress {
  if (p.port !== undefined) throw new InvalidInputError({ what: 'alicat+serial address port', value: p.port, reason: 'serial addresses have no port' });
  const params = new Map(p.params);
  const path = p.host ? p.host : /^\/COM\d+$/i.test(p.path) ? p.path.slice(1) : p.path;
  if (!path) throw new InvalidInputError({ what: 'alicat+serial address path', value: p.uri, reason: 'missing device path (alicat+serial:///dev/ttyUSB0?unit=A)' });
  const baudText = params.get('baud') ?? params.get('baudRate');
  params.delete('baud');
  params.delete('baudRate');
  if (baudText !== undefined && !/^\d+$/.test(baudText)) throw new InvalidInputError({ what: "address parameter 'baud'", value: baudText, reason: 'must be a positive integer' });
  const o = checkSerialOptions({ path, baudRate: baudText === undefined ? ALICAT_BAUD : Number(baudText) });
  return {
    scheme: 'serial', uri: p.uri, family: 'alicat', params: checkParams(p, params, 'alicat+serial'),
    path: o.path, baudRate: o.baudRate, parity: o.parity, dataBits: o.dataBits, stopBits: o.stopBits, rtscts: o.rtscts, xon: o.xon,
  };
}

let registered = false;

/** Register `alicat+serial` and `alicat+tcp` with the URI registry (idempotent; done on import). */
export function registerAlicatSchemes(): void {
  if (registered) return;
  registered = true;
  registerScheme('alicat+tcp', {
    stream: true,
    parse: parseAlicatTcp,
    create: (a) => new TcpStream({ host: a.host, port: a.port, connectTimeoutMs: a.connectTimeoutMs }),
  });
  registerScheme('alicat+serial', {
    stream: true,
    parse: parseAlicatSerial,
    create: (a) => new SerialStream({ path: a.path, baudRate: a.baudRate }),
  });
}
registerAlicatSchemes();

/**
 * Build a request channel for an Alicat line over `stream`: CR appended to every command, replies
 * framed by CR, multi-drop addressing by unit id (`forAddress('B')`; replies from other units are
 * dropped, a bare `?` is accepted), reconnect with backoff. After a failed request the line must
 * stay quiet for `quietMs` (default: half the timeout, at most 250 ms) before the next command, so a
 * late reply is discarded instead of being taken for the next command's (Alicat replies carry no
 * sequence number).
 */
export function alicatChannel(stream: ByteStream, options: { timeoutMs?: number; quietMs?: number } = {}): RequestChannel {
  const timeoutMs = options.timeoutMs ?? 1000;
  return createRequestChannel(stream, {
    framing: { mode: 'terminator', terminators: ['\r'], maxBytes: 1024 },
    suffix: '\r',
    timeoutMs,
    quietMs: options.quietMs ?? Math.min(timeoutMs / 2, 250),
    addressing: prefixAddressing({ replyAddress: (r) => replyUnit(r.text) }),
    reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
  });
}

/** Where a unit is: a URI, an open-able ByteStream, or an Alicat channel (`alicatChannel`, or a view of one). */
export type AlicatTarget = string | { stream: ByteStream } | { channel: RequestChannel };

/** Options of openAlicat beyond the unit config. */
export interface OpenAlicatOptions extends AlicatConfig {
  /** Device name (prefix of every data key). Default `mfc<unit>` / `mfm<unit>`. */
  name?: string;
}

const NUMERIC = new Set(['fullScale', 'pressureFullScale', 'tolerance', 'settleMs', 'settleTimeoutMs', 'timeoutMs', 'pollMs']);

/** Turn a URI's driver parameters into config fields (explicit options win). */
export function configFromUri(uri: string): AlicatConfig {
  const params = parseAddress(uri).params;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (NUMERIC.has(k)) {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidInputError({ what: `alicat address parameter '${k}'`, value: v, reason: 'must be a number' });
      out[k] = n;
    } else if (k === 'totalizer') {
      if (!['true', 'false', '1', '0', ''].includes(v)) throw new InvalidInputError({ what: "alicat address parameter 'totalizer'", value: v, reason: 'must be true or false' });
      out[k] = v === 'true' || v === '1' || v === '';
    } else out[k] = v;
  }
  return out as AlicatConfig;
}

function viewFor(channel: RequestChannel, unit: string): RequestChannel {
  try {
    return channel.forAddress(unit);
  } catch (e) {
    throw new InvalidInputError({ what: 'alicat channel', value: channel.address, reason: `needs unit-id addressing: build it with alicatChannel(stream) (${(e as Error).message})` });
  }
}

function build(options: OpenAlicatOptions, view: RequestChannel | undefined, release: Release | undefined, lineAddress?: string): AlicatDevice {
  const unit = checkUnit(options.unit ?? 'A');
  const kind = options.kind ?? 'controller';
  const { name = `${kind === 'meter' ? 'mfm' : 'mfc'}${unit}`, ...config } = options;
  const line = lineAddress !== undefined && lineAddress.length > 1 ? { lineAddress } : {};
  const io = new AlicatIO(view, { unit, name, timeoutMs: config.timeoutMs ?? 1000, dialect: config.dialect ?? 'legacy', kind, ...line });
  return kind === 'meter' ? new AlicatFlowMeter(name, { ...config, unit }, io, release) : new AlicatFlowController(name, { ...config, unit }, io, release);
}

/**
 * Build a unit without connecting it: no target for mock use (`await d.connect({ mock: true })`),
 * or a target as for openAlicat. URI parameters fill options not given explicitly.
 */
export function createAlicat(options: OpenAlicatOptions & { kind: 'meter' }, target?: AlicatTarget): AlicatFlowMeter;
export function createAlicat(options: OpenAlicatOptions & { kind: 'controller' }, target?: AlicatTarget): AlicatFlowController;
export function createAlicat(options?: OpenAlicatOptions, target?: AlicatTarget): AlicatDevice;
export function createAlicat(options: OpenAlicatOptions = {}, target?: AlicatTarget): AlicatDevice {
  if (target === undefined) return build(options, undefined, undefined);
  if (typeof target === 'string') {
    const merged = { ...configFromUri(target), ...options };
    const channel = alicatChannel(createStream(target), { timeoutMs: merged.timeoutMs });
    return build(merged, viewFor(channel, checkUnit(merged.unit ?? 'A')), () => channel.close(), channel.address);
  }
  if (typeof target === 'object' && target !== null && 'stream' in target) {
    const channel = alicatChannel(target.stream, { timeoutMs: options.timeoutMs });
    return build(options, viewFor(channel, checkUnit(options.unit ?? 'A')), () => channel.close(), channel.address);
  }
  if (typeof target === 'object' && target !== null && 'channel' in target) {
    const view = viewFor(target.channel, checkUnit(options.unit ?? 'A'));
    return build(options, view, () => view.close(), target.channel.address);
  }
  throw new InvalidInputError({ what: 'alicat target', value: target, reason: 'give a URI, { stream } or { channel }' });
}

async function connected<D extends AlicatDevice>(d: D, options: AlicatConfig): Promise<D> {
  try {
    await d.connect({ timeoutMs: Math.max(3000, (options.timeoutMs ?? 1000) * 3) });
  } catch (e) {
    await d.close().catch(() => undefined);
    throw e;
  }
  return d;
}

/** Connect one unit by URI (`alicat+serial:///dev/ttyUSB0?unit=A`, `alicat+tcp://host:port?unit=B`), stream or channel. */
export function openAlicat(target: AlicatTarget, options: OpenAlicatOptions & { kind: 'meter' }): Promise<AlicatFlowMeter>;
export function openAlicat(target: AlicatTarget, options: OpenAlicatOptions & { kind: 'controller' }): Promise<AlicatFlowController>;
export function openAlicat(target: AlicatTarget, options?: OpenAlicatOptions): Promise<AlicatDevice>;
export async function openAlicat(target: AlicatTarget, options: OpenAlicatOptions = {}): Promise<AlicatDevice> {
  const merged = typeof target === 'string' ? { ...configFromUri(target), ...options } : options;
  return connected(createAlicat(merged, target), merged);
}

/** Several units on one line: one channel, one device per unit id. */
export interface AlicatBus {
  /** The shared channel (one command on the wire at a time, FIFO). */
  readonly channel: RequestChannel;
  /** Connect the unit `options.unit` on this line (the device's `close()` leaves the line open). */
  unit(options: OpenAlicatOptions & { kind: 'meter' }): Promise<AlicatFlowMeter>;
  unit(options: OpenAlicatOptions & { kind: 'controller' }): Promise<AlicatFlowController>;
  unit(options: OpenAlicatOptions): Promise<AlicatDevice>;
  /** Close the line (every unit's pending commands fail with CanceledError). */
  close(): Promise<void>;
}

/** Open a multi-drop line once (URI without `unit`, or a stream) and hand out units on it. */
export async function openAlicatBus(target: string | { stream: ByteStream }, options: { timeoutMs?: number } = {}): Promise<AlicatBus> {
  const stream = typeof target === 'string' ? createStream(target) : target.stream;
  const channel = alicatChannel(stream, options);
  try {
    await channel.open({ timeoutMs: Math.max(3000, options.timeoutMs ?? 1000) });
  } catch (e) {
    await channel.close().catch(() => undefined);
    throw e;
  }
  const unit = (o: OpenAlicatOptions): Promise<AlicatDevice> => connected(createAlicat({ timeoutMs: options.timeoutMs, ...o }, { channel }), o);
  return {
    channel,
    unit: unit as AlicatBus['unit'],
    close: () => channel.close(),
  };
}

/** Tell whether a device is a flow controller (has a setpoint). */
export function isAlicatController(d: AlicatDevice): d is AlicatFlowController {
  return d instanceof AlicatFlowController;
}
