/**
 * Addresses as URIs, opened by one factory. Built in: `serial:///dev/ttyUSB0?baud=19200&parity=even`
 * and `tcp://127.0.0.1:23`. Other transports register their scheme (`modbus+tcp`, `modbus+rtu`,
 * `opc.tcp`, `usbtmc`) with `registerScheme`, and extend `SchemeRegistry` by declaration merging
 * so `parseAddress('modbus+tcp://...')` is typed. An unregistered `family+tcp` or `family+serial`
 * (e.g. `galil+tcp://host:23`) parses as its transport with `family` set and its extra query
 * parameters kept in `params` for the driver.
 * @module
 */
import { InvalidInputError } from '../core/errors.js';
import type { ByteStream, WaitOptions } from './contracts.js';
import { checkSerialOptions, PARITIES, SerialStream, type Parity } from './stream/serial.js';
import { TcpStream, tcpAddress } from './stream/tcp.js';

/** Fields every parsed address has. */
export interface AddressBase {
  scheme: string;
  /** The URI as given. */
  uri: string;
  /** Driver family of a composite scheme (`galil` in `galil+tcp`). */
  family?: string;
  /** Query parameters the transport did not use (for the family or driver). */
  params: Record<string, string>;
}

/** A serial line address. */
export interface SerialAddress extends AddressBase {
  scheme: 'serial';
  path: string;
  baudRate: number;
  parity: Parity;
  dataBits: 5 | 6 | 7 | 8;
  stopBits: 1 | 1.5 | 2;
  rtscts: boolean;
  xon: boolean;
}

/** A TCP address. */
export interface TcpAddress extends AddressBase {
  scheme: 'tcp';
  host: string;
  port: number;
  /** Path after the port ('' when none), for families that address sub-devices. */
  path: string;
  connectTimeoutMs?: number;
  keepAliveMs?: number;
}

/** A URI split into parts, handed to scheme parsers. */
export interface ParsedUri {
  uri: string;
  /** Lower-case scheme, e.g. `modbus+tcp`. */
  scheme: string;
  /** Host without IPv6 brackets ('' when none). */
  host: string;
  /** Raw authority (`host:port`, `VID:PID`, ...), for schemes whose authority is not host:port. */
  authority: string;
  /** Text after the last colon of the authority, if any. */
  portText: string | undefined;
  /** Port, when `portText` is a decimal number in 1..65535; else undefined. */
  port: number | undefined;
  /** Path, percent-decoded ('' when none). */
  path: string;
  /** Query parameters (last value wins). */
  params: Map<string, string>;
  /** Family of a composite scheme (`galil` in `galil+tcp`); `scheme` is then the transport's. */
  family?: string;
}

/**
 * Map of scheme → the address type it parses to and what it opens. Other modules add entries:
 * `declare module '../uri.js' { interface SchemeRegistry { 'modbus+tcp': { address: ModbusTcpAddress; opens: RegisterBus } } }`.
 */
export interface SchemeRegistry {
  serial: { address: SerialAddress; opens: ByteStream };
  tcp: { address: TcpAddress; opens: ByteStream };
}

/** Schemes with a typed entry in SchemeRegistry. */
export type KnownScheme = keyof SchemeRegistry & string;

/** Type of the address a URI parses to. */
export type AddressOf<U extends string> = U extends `${infer S}://${string}`
  ? Lowercase<S> extends KnownScheme ? SchemeRegistry[Lowercase<S>]['address'] : AddressBase
  : AddressBase;

/** Type of what a URI opens. */
export type OpensOf<U extends string> = U extends `${infer S}://${string}`
  ? Lowercase<S> extends KnownScheme ? SchemeRegistry[Lowercase<S>]['opens'] : unknown
  : unknown;

/** How one scheme parses its URIs and creates its transport. */
export interface SchemeHandler<A extends AddressBase = AddressBase, T = unknown> {
  /** Turn a split URI into a typed address; throw InvalidInputError naming the wrong part. */
  parse(uri: ParsedUri): A;
  /** Create the transport, not yet connected. */
  create(address: A): T;
  /** Connect a created transport. Default: call its `open(options)` if it has one. */
  connect?(transport: T, options: WaitOptions): Promise<void>;
  /** True when `create` returns a ByteStream (so `createStream` accepts the scheme). */
  stream?: boolean;
}

const handlers = new Map<string, SchemeHandler<AddressBase, unknown>>();
const SCHEME_RE = /^[a-z][a-z0-9+.-]*$/;

/** Register (or replace) the handler of a scheme. */
export function registerScheme<S extends string>(
  scheme: S,
  handler: SchemeHandler<S extends KnownScheme ? SchemeRegistry[S]['address'] : AddressBase, S extends KnownScheme ? SchemeRegistry[S]['opens'] : unknown>,
): void {
  const s = scheme.toLowerCase();
  if (!SCHEME_RE.test(s)) throw new InvalidInputError({ what: 'scheme', value: scheme, reason: 'must start with a letter and use only letters, digits, + . -' });
  handlers.set(s, handler as unknown as SchemeHandler<AddressBase, unknown>);
}

/** List registered schemes. */
export function registeredSchemes(): string[] {
  return [...handlers.keys()].sort();
}

/** Split a URI into scheme, host, port, path and query; throws InvalidInputError on bad syntax. */
export function splitUri(uri: string): ParsedUri {
  if (typeof uri !== 'string') throw new InvalidInputError({ what: 'address', value: uri, reason: 'must be a string' });
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/.exec(uri.trim());
  if (!m) throw new InvalidInputError({ what: 'address', value: uri, reason: 'expected scheme://[host[:port]][/path][?key=value&...]' });
  const [, scheme, authority = '', rawPath = '', query, fragment] = m;
  if (fragment) throw new InvalidInputError({ what: 'address fragment', value: fragment, reason: 'fragments (#...) are not allowed' });
  let host = authority;
  let portText: string | undefined;
  if (authority.includes('@')) throw new InvalidInputError({ what: 'address host', value: authority, reason: 'user info (user@) is not allowed' });
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) throw new InvalidInputError({ what: 'address host', value: authority, reason: 'unclosed IPv6 bracket' });
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new InvalidInputError({ what: 'address host', value: authority, reason: 'unexpected text after IPv6 address' });
    if (rest) portText = rest.slice(1);
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      host = authority.slice(0, colon);
      portText = authority.slice(colon + 1);
    }
  }
  let port: number | undefined;
  if (portText !== undefined && /^\d{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535) port = Number(portText);
  let path: string;
  let params: URLSearchParams;
  try {
    path = decodeURIComponent(rawPath);
    params = new URLSearchParams(query ?? '');
  } catch {
    throw new InvalidInputError({ what: 'address path', value: rawPath, reason: 'bad percent-encoding' });
  }
  const map = new Map<string, string>();
  for (const [k, v] of params) map.set(k, v);
  return { uri, scheme: scheme!.toLowerCase(), authority, host, portText, port, path, params: map };
}

function findHandler(p: ParsedUri): { handler: SchemeHandler<AddressBase, unknown>; family: string | undefined } {
  const exact = handlers.get(p.scheme);
  if (exact) return { handler: exact, family: undefined };
  const plus = p.scheme.lastIndexOf('+');
  if (plus > 0) {
    const base = handlers.get(p.scheme.slice(plus + 1));
    if (base?.stream) return { handler: base, family: p.scheme.slice(0, plus) };
  }
  throw new InvalidInputError({ what: 'address scheme', value: p.scheme, reason: `unknown scheme; registered: ${registeredSchemes().join(', ')} (or family+tcp, family+serial)` });
}

/** Parse an address URI into its typed form; throws InvalidInputError naming the wrong part. */
export function parseAddress<U extends string>(uri: U): AddressOf<U> {
  const p = splitUri(uri);
  const { handler, family } = findHandler(p);
  const address = handler.parse(family ? { ...p, scheme: p.scheme.slice(family.length + 1), family } : p);
  address.uri = uri;
  if (family) address.family = family;
  return address as AddressOf<U>;
}

/** Create the transport an address URI names, not yet connected. */
export function createTransport<U extends string>(uri: U): OpensOf<U> {
  const p = splitUri(uri);
  const { handler } = findHandler(p);
  return handler.create(parseAddress(uri)) as OpensOf<U>;
}

/** Create and connect the transport an address URI names. */
export async function openAddress<U extends string>(uri: U, options: WaitOptions = {}): Promise<OpensOf<U>> {
  const { handler } = findHandler(splitUri(uri));
  const t = handler.create(parseAddress(uri));
  if (handler.connect) await handler.connect(t, options);
  else if (typeof (t as { open?: unknown }).open === 'function') await (t as { open(o: WaitOptions): Promise<void> }).open(options);
  return t as OpensOf<U>;
}

/** Create the byte stream of a stream URI (serial, tcp, family+serial, family+tcp), not yet open. */
export function createStream(uri: string): ByteStream {
  const { handler } = findHandler(splitUri(uri));
  if (!handler.stream) throw new InvalidInputError({ what: 'address scheme', value: splitUri(uri).scheme, reason: 'does not name a byte stream' });
  return handler.create(parseAddress(uri)) as ByteStream;
}

/** Create and open the byte stream of a stream URI. */
export async function openStream(uri: string, options: WaitOptions = {}): Promise<ByteStream> {
  const s = createStream(uri);
  await s.open(options);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Built-in schemes

function take(params: Map<string, string>, ...names: string[]): string | undefined {
  let v: string | undefined;
  for (const n of names) {
    if (params.has(n)) {
      v = params.get(n);
      params.delete(n);
    }
  }
  return v;
}

function intParam(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new InvalidInputError({ what: `address parameter '${name}'`, value: text, reason: 'must be a non-negative integer' });
  return Number(text);
}

function boolParam(name: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (['1', 'true', 'yes', 'on', ''].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new InvalidInputError({ what: `address parameter '${name}'`, value: text, reason: 'must be true or false' });
}

/** Return the parameters left for a family, or throw when a plain scheme has unknown ones. */
export function leftoverParams(p: ParsedUri, params: Map<string, string>): Record<string, string> {
  if (!p.family) {
    for (const [k, v] of params) throw new InvalidInputError({ what: `address parameter '${k}'`, value: v, reason: `unknown parameter for ${p.scheme}://` });
  }
  return Object.fromEntries(params);
}

function parseSerial(p: ParsedUri): SerialAddress {
  const params = new Map(p.params);
  let path: string;
  if (p.host && p.path) throw new InvalidInputError({ what: 'serial address', value: p.uri, reason: 'give either serial:///dev/path or serial://COM3, not both' });
  if (p.portText !== undefined) throw new InvalidInputError({ what: 'serial address port', value: p.portText, reason: 'serial addresses have no port' });
  if (p.host) path = p.host;
  else if (/^\/COM\d+$/i.test(p.path)) path = p.path.slice(1);
  else path = p.path;
  if (!path) throw new InvalidInputError({ what: 'serial address path', value: p.uri, reason: 'missing device path (serial:///dev/ttyUSB0)' });
  const parityText = take(params, 'parity')?.toLowerCase();
  if (parityText !== undefined && !PARITIES.includes(parityText as Parity)) {
    throw new InvalidInputError({ what: "address parameter 'parity'", value: parityText, reason: `must be one of ${PARITIES.join(', ')}` });
  }
  const stopText = take(params, 'stopBits', 'stopbits');
  if (stopText !== undefined && !['1', '1.5', '2'].includes(stopText)) throw new InvalidInputError({ what: "address parameter 'stopBits'", value: stopText, reason: 'must be 1, 1.5 or 2' });
  const flow = take(params, 'flow')?.toLowerCase();
  if (flow !== undefined && !['none', 'rtscts', 'xonxoff'].includes(flow)) throw new InvalidInputError({ what: "address parameter 'flow'", value: flow, reason: 'must be none, rtscts or xonxoff' });
  const rtscts = boolParam('rtscts', take(params, 'rtscts')) ?? flow === 'rtscts';
  const xon = boolParam('xon', take(params, 'xon', 'xonxoff')) ?? flow === 'xonxoff';
  const o = checkSerialOptions({
    path,
    baudRate: intParam('baud', take(params, 'baud', 'baudRate', 'baudrate')),
    parity: parityText as Parity | undefined,
    dataBits: intParam('dataBits', take(params, 'dataBits', 'databits')) as 5 | 6 | 7 | 8 | undefined,
    stopBits: stopText === undefined ? undefined : (Number(stopText) as 1 | 1.5 | 2),
    rtscts,
    xon,
  });
  return {
    scheme: 'serial', uri: p.uri, params: leftoverParams(p, params),
    path: o.path, baudRate: o.baudRate, parity: o.parity, dataBits: o.dataBits, stopBits: o.stopBits, rtscts: o.rtscts, xon: o.xon,
  };
}

/** Return the port of a host:port URI or throw InvalidInputError naming it. */
export function requirePort(p: ParsedUri): number {
  if (p.portText === undefined || p.portText === '') throw new InvalidInputError({ what: `${p.scheme} address port`, value: p.uri, reason: `missing port (${p.scheme}://host:port)` });
  if (p.port === undefined) throw new InvalidInputError({ what: 'address port', value: p.portText, reason: 'must be an integer in 1..65535' });
  return p.port;
}

function parseTcp(p: ParsedUri): TcpAddress {
  const params = new Map(p.params);
  if (!p.host) throw new InvalidInputError({ what: 'tcp address host', value: p.uri, reason: 'missing host (tcp://host:port)' });
  const port = requirePort(p);
  const path = p.path === '/' ? '' : p.path;
  if (path && !p.family) throw new InvalidInputError({ what: 'tcp address path', value: p.path, reason: 'tcp:// addresses take no path' });
  const a: TcpAddress = { scheme: 'tcp', uri: p.uri, host: p.host, port, path, params: {} };
  const ct = intParam('connectTimeoutMs', take(params, 'connectTimeoutMs'));
  if (ct !== undefined) {
    if (ct < 1) throw new InvalidInputError({ what: "address parameter 'connectTimeoutMs'", value: ct, reason: 'must be > 0' });
    a.connectTimeoutMs = ct;
  }
  const ka = intParam('keepAliveMs', take(params, 'keepAliveMs'));
  if (ka !== undefined) a.keepAliveMs = ka;
  a.params = leftoverParams(p, params);
  return a;
}

registerScheme('serial', {
  stream: true,
  parse: parseSerial,
  create: (a) => new SerialStream({ path: a.path, baudRate: a.baudRate, parity: a.parity, dataBits: a.dataBits, stopBits: a.stopBits, rtscts: a.rtscts, xon: a.xon }),
});

registerScheme('tcp', {
  stream: true,
  parse: parseTcp,
  create: (a) => new TcpStream({ host: a.host, port: a.port, connectTimeoutMs: a.connectTimeoutMs, keepAliveMs: a.keepAliveMs }),
});

/** Format a TCP address as a URI. */
export { tcpAddress };
