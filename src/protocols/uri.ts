/**
 * Addresses as URIs, opened by one factory. Built in: `serial:///dev/ttyUSB0?baud=19200&parity=even`
 * and `tcp://127.0.0.1:23`. Other schemes are registered explicitly: transports with
 * `registerScheme` (`modbus+tcp`, `opc.tcp`, `usbtmc`), driver families through
 * `registerFamily` (`galil+tcp`, `alicat+serial`, ...; see `src/drivers/registry.ts`), which
 * registers each family scheme here. Modules extend `SchemeRegistry` by declaration merging so
 * `parseAddress('modbus+tcp://...')` is typed. An unregistered scheme is an InvalidInputError
 * listing the registered ones; nothing is registered as a side effect of importing a module
 * except the two built-in schemes of this one.
 * @module
 */
import { InvalidInputError } from '../core/errors.js';
import { portOf, resolveAddress, serialTransport, tcpTransport, type AddressFamily, type Transport } from './address.js';
import type { ByteStream, WaitOptions } from './contracts.js';
import type { Parity } from './stream/serial.js';
import { tcpAddress } from './stream/tcp.js';

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
  /** Text after `#` (undefined when none); refused unless the scheme accepts fragments. */
  fragment?: string;
  /** Family of a family scheme (`galil` in `galil+tcp`), when a family registered it. */
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
  /** Create the transport, not yet connected (absent: the scheme names no transport object of its own). */
  create?(address: A): T;
  /** Connect a created transport. Default: call its `open(options)` if it has one. */
  connect?(transport: T, options: WaitOptions): Promise<void>;
  /** Create and open in one step (transports loaded on demand); `openAddress` prefers it. */
  open?(address: A, options: WaitOptions): Promise<T>;
  /** True when `create` returns a ByteStream (so `createStream` accepts the scheme). */
  stream?: boolean;
  /** Accept a `#fragment` (e.g. Tango's `#dbase=no`). Default false. */
  fragment?: boolean;
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

/** Remove the handler of a scheme (unknown schemes are ignored). */
export function unregisterScheme(scheme: string): void {
  handlers.delete(scheme.toLowerCase());
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
  const out: ParsedUri = { uri, scheme: scheme!.toLowerCase(), authority, host, portText, port, path, params: map };
  if (fragment !== undefined) out.fragment = fragment.slice(1);
  return out;
}

function findHandler(p: ParsedUri): SchemeHandler<AddressBase, unknown> {
  const h = handlers.get(p.scheme);
  if (h) return h;
  throw new InvalidInputError({ what: 'address scheme', value: p.scheme, reason: `unknown scheme (known: ${registeredSchemes().join(', ')})` });
}

function parseWith(handler: SchemeHandler<AddressBase, unknown>, p: ParsedUri): AddressBase {
  if (p.fragment !== undefined && !handler.fragment) throw new InvalidInputError({ what: 'address fragment', value: `#${p.fragment}`, reason: 'fragments (#...) are not allowed' });
  const address = handler.parse(p);
  address.uri = p.uri;
  return address;
}

function createWith(handler: SchemeHandler<AddressBase, unknown>, address: AddressBase): unknown {
  if (!handler.create) throw new InvalidInputError({ what: 'address scheme', value: address.scheme, reason: 'names no transport of its own (open it with its family)' });
  return handler.create(address);
}

/** Parse an address URI into its typed form; throws InvalidInputError naming the wrong part. */
export function parseAddress<U extends string>(uri: U): AddressOf<U> {
  const p = splitUri(uri);
  return parseWith(findHandler(p), p) as AddressOf<U>;
}

/** Create the transport an address URI names, not yet connected. */
export function createTransport<U extends string>(uri: U): OpensOf<U> {
  const p = splitUri(uri);
  const handler = findHandler(p);
  return createWith(handler, parseWith(handler, p)) as OpensOf<U>;
}

/** Create and connect the transport an address URI names. */
export async function openAddress<U extends string>(uri: U, options: WaitOptions = {}): Promise<OpensOf<U>> {
  const p = splitUri(uri);
  const handler = findHandler(p);
  const address = parseWith(handler, p);
  if (handler.open) return (await handler.open(address, options)) as OpensOf<U>;
  const t = createWith(handler, address);
  if (handler.connect) await handler.connect(t, options);
  else if (typeof (t as { open?: unknown }).open === 'function') await (t as { open(o: WaitOptions): Promise<void> }).open(options);
  return t as OpensOf<U>;
}

/** Create the byte stream of a stream URI (`serial://`, `tcp://`, or a family's such as `galil+tcp://`), not yet open. */
export function createStream(uri: string): ByteStream {
  const p = splitUri(uri);
  const handler = findHandler(p);
  if (!handler.stream) throw new InvalidInputError({ what: 'address scheme', value: p.scheme, reason: 'does not name a byte stream' });
  return createWith(handler, parseWith(handler, p)) as ByteStream;
}

/** Make the scheme handler of a transport, with a family's parameters checked alongside the transport's. */
export function transportScheme<A extends AddressBase, T>(transport: Transport<A, T>, family?: AddressFamily): SchemeHandler<A, T> {
  const h: SchemeHandler<A, T> = {
    parse: (p) => resolveAddress(family ? { ...p, family: family.name } : p, transport, family).address,
  };
  if (transport.create) h.create = (a) => transport.create!(a);
  if (transport.connect) h.connect = (t, o) => transport.connect!(t, o);
  if (transport.open) h.open = (a, o) => transport.open!(a, o);
  if (transport.stream) h.stream = true;
  if (transport.fragment) h.fragment = true;
  return h;
}

/** Create and open the byte stream of a stream URI. */
export async function openStream(uri: string, options: WaitOptions = {}): Promise<ByteStream> {
  const s = createStream(uri);
  await s.open(options);
  return s;
}

/** Return the port of a host:port URI or throw InvalidInputError naming it. */
export function requirePort(p: ParsedUri): number {
  return portOf(p);
}

registerScheme('serial', transportScheme(serialTransport()));
registerScheme('tcp', transportScheme(tcpTransport()));

/** Format a TCP address as a URI. */
export { tcpAddress };
