/**
 * Galil DMC motion controllers and RIO I/O units.
 *
 * `openGalil('galil+tcp://10.0.0.5:23', config)` connects and returns a GalilController;
 * `createGalil(config)` builds one without a transport for `connect({ mock: true })`.
 * Importing this module registers the URI schemes `galil+tcp` (default port 23) and
 * `galil+serial` (default 115200 baud) with `src/protocols/uri.ts`; `registerGalilSchemes()`
 * does the same explicitly (idempotent).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { createRequestChannel } from '../../protocols/channel/channel.js';
import type { ByteStream, RequestChannel } from '../../protocols/contracts.js';
import { SerialStream, checkSerialOptions, type Parity } from '../../protocols/stream/serial.js';
import { TcpStream } from '../../protocols/stream/tcp.js';
import { createStream, leftoverParams, registerScheme, type ParsedUri, type SerialAddress, type TcpAddress } from '../../protocols/uri.js';
import type { GalilConfig } from './config.js';
import { GalilController } from './device.js';
import { GalilIO } from './io.js';

export { GalilController } from './device.js';
export { GalilAxis, type ReferenceOptions } from './axis.js';
export { GalilIOBank, type PulseOptions } from './io-bank.js';
export { GalilIO, type CommandOptions, type GalilIOOptions } from './io.js';
export { GalilSignalBackend, type GalilSignalSpec } from './backend.js';
export { resolveConfig, toCounts, type GalilAxisConfig, type GalilConfig, type GalilIOConfig, type ResolvedAxis } from './config.js';
export * from './protocol.js';

declare module '../../protocols/uri.js' {
  interface SchemeRegistry {
    'galil+tcp': { address: TcpAddress; opens: ByteStream };
    'galil+serial': { address: SerialAddress; opens: ByteStream };
  }
}

/** Default Galil TCP command port. */
export const GALIL_TCP_PORT = 23;
/** Default Galil serial speed (DMC-40x0), bits/s. */
export const GALIL_BAUD = 115200;

function parseGalilTcp(p: ParsedUri): TcpAddress {
  if (!p.host) throw new InvalidInputError({ what: 'galil+tcp address host', value: p.uri, reason: 'missing host (galil+tcp://host:23)' });
  if (p.path && p.path !== '/') throw new InvalidInputError({ what: 'galil+tcp address path', value: p.path, reason: 'takes no path' });
  const params = new Map(p.params);
  const a: TcpAddress = { scheme: 'tcp', uri: p.uri, family: 'galil', host: p.host, port: p.port ?? GALIL_TCP_PORT, path: '', params: {} };
  const ct = params.get('connectTimeoutMs');
  if (ct !== undefined) {
    if (!/^\d+$/.test(ct) || Number(ct) < 1) throw new InvalidInputError({ what: "address parameter 'connectTimeoutMs'", value: ct, reason: 'must be an integer > 0' });
    a.connectTimeoutMs = Number(ct);
    params.delete('connectTimeoutMs');
  }
  a.params = leftoverParams({ ...p, family: 'galil' }, params);
  return a;
}

function parseGalilSerial(p: ParsedUri): SerialAddress {
  const params = new Map(p.params);
  const path = p.host ? p.host : /^\/COM\d+$/i.test(p.path) ? p.path.slice(1) : p.path;
  if (!path) throw new InvalidInputError({ what: 'galil+serial address path', value: p.uri, reason: 'missing device path (galil+serial:///dev/ttyUSB0)' });
  const baudText = params.get('baud') ?? params.get('baudRate');
  params.delete('baud');
  params.delete('baudRate');
  if (baudText !== undefined && !/^\d+$/.test(baudText)) throw new InvalidInputError({ what: "address parameter 'baud'", value: baudText, reason: 'must be a positive integer' });
  const o = checkSerialOptions({ path, baudRate: baudText === undefined ? GALIL_BAUD : Number(baudText), rtscts: params.get('rtscts') === 'true' });
  params.delete('rtscts');
  return {
    scheme: 'serial', uri: p.uri, family: 'galil', params: leftoverParams({ ...p, family: 'galil' }, params),
    path: o.path, baudRate: o.baudRate, parity: o.parity as Parity, dataBits: o.dataBits, stopBits: o.stopBits, rtscts: o.rtscts, xon: o.xon,
  };
}

let registered = false;

/** Register `galil+tcp` and `galil+serial` with the URI registry (idempotent; done on import). */
export function registerGalilSchemes(): void {
  if (registered) return;
  registered = true;
  registerScheme('galil+tcp', {
    stream: true,
    parse: parseGalilTcp,
    create: (a) => new TcpStream({ host: a.host, port: a.port, connectTimeoutMs: a.connectTimeoutMs }),
  });
  registerScheme('galil+serial', {
    stream: true,
    parse: parseGalilSerial,
    create: (a) => new SerialStream({ path: a.path, baudRate: a.baudRate, rtscts: a.rtscts }),
  });
}
registerGalilSchemes();

/** Where a controller is: a URI, an open-able ByteStream, or a RequestChannel framed for Galil. */
export type GalilTarget = string | { stream: ByteStream } | { channel: RequestChannel };

/** Options of openGalil beyond the controller config. */
export interface OpenGalilOptions extends GalilConfig {
  /** Device name (prefix of every data key). Default `galil`. */
  name?: string;
}

/** Build a request channel for Galil replies over `stream` (`:`/`?` framing, no suffix, reconnect on). */
export function galilChannel(stream: ByteStream, timeoutMs = 1000): RequestChannel {
  return createRequestChannel(stream, { framing: { mode: 'galil' }, timeoutMs, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } });
}

/**
 * Build a controller without connecting it: give no target for mock use
 * (`await c.connect({ mock: true })`), or a target as for openGalil.
 */
export function createGalil(options: OpenGalilOptions = {}, target?: GalilTarget): GalilController {
  const { name = 'galil', ...config } = options;
  const timeoutMs = config.timeoutMs ?? 1000;
  let channel: RequestChannel | undefined;
  let owns = true;
  if (typeof target === 'string') channel = galilChannel(createStream(target), timeoutMs);
  else if (target && 'stream' in target) channel = galilChannel(target.stream, timeoutMs);
  else if (target && 'channel' in target) {
    channel = target.channel;
    owns = false;
  } else if (target !== undefined) throw new InvalidInputError({ what: 'galil target', value: target, reason: 'give a URI, { stream } or { channel }' });
  const io = new GalilIO(channel, { name, timeoutMs });
  return new GalilController(name, config, io, owns);
}

/** Connect to a controller by URI (`galil+tcp://host:23`, `galil+serial:///dev/ttyUSB0?baud=115200`), stream or channel. */
export async function openGalil(target: GalilTarget, options: OpenGalilOptions = {}): Promise<GalilController> {
  const c = createGalil(options, target);
  try {
    await c.connect({ timeoutMs: Math.max(3000, (options.timeoutMs ?? 1000) * 3) });
  } catch (e) {
    await c.close().catch(() => undefined);
    throw e;
  }
  return c;
}
