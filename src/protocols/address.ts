/**
 * One address parser per transport, shared by every family: {@link tcpTransport} (host, port,
 * `connectTimeoutMs`, `keepAliveMs`) and {@link serialTransport} (path, `baud`, `parity`,
 * `dataBits`, `stopBits`, `flow`/`rtscts`/`xon`). A family scheme such as `galil+tcp` uses one
 * with its own defaults (`tcpTransport({ defaultPort: 23 })`); a family whose address is not a
 * byte stream (`nidaqmx://Dev1`, `tango://host:port/a/b/c`, `gamry://...`) writes its own
 * {@link Transport} with the same shape. The transport's parameters are a {@link ParamSchema},
 * checked together with the family's so every scheme refuses unknown parameters the same way.
 * @module
 */
import { InvalidInputError } from '../core/errors.js';
import type { WaitOptions } from './contracts.js';
import { checkParams, type ParamSchema } from './params.js';
import { PARITIES, SerialStream, type Parity } from './stream/serial.js';
import { TcpStream } from './stream/tcp.js';
import type { AddressBase, ParsedUri, SerialAddress, TcpAddress } from './uri.js';

/**
 * How one kind of address is read and opened. `address` gets the split URI and the transport's
 * parameters already checked against `params` (by declared name); it checks the rest of the URI
 * (host, port, path) and throws an InvalidInputError naming the part.
 */
export interface Transport<A extends AddressBase = AddressBase, T = unknown> {
  /** Kind, for messages and docs: `tcp`, `serial`, or the family's own (`ffi`, `tango`, `com`). */
  readonly kind: string;
  /** Parameters the transport takes from the query (or from options); may be empty. */
  readonly params: ParamSchema;
  /** Build the address from the split URI and the checked transport parameters. */
  address(uri: ParsedUri, params: Readonly<Record<string, unknown>>): A;
  /** Create the transport object, not yet open (a ByteStream for `stream` transports). */
  create?(address: A): T;
  /** Open a created transport; default: call its `open(options)` if it has one. */
  connect?(transport: T, options: WaitOptions): Promise<void>;
  /**
   * Create and open in one step, for transports whose object comes from a module loaded on
   * demand (node-opcua, an FFI library); used by `openAddress` instead of `create` + `connect`.
   */
  open?(address: A, options: WaitOptions): Promise<T>;
  /** True when `create` returns a ByteStream (so `createStream` accepts the scheme). */
  readonly stream?: boolean;
  /** Accept a `#fragment` (kept in the split URI, e.g. Tango's `#dbase=no`). Default false. */
  readonly fragment?: boolean;
}

/** Return the port of a host:port URI (or `fallback` when none is written); throw InvalidInputError naming a bad one. */
export function portOf(p: ParsedUri, fallback?: number): number {
  if (p.portText === undefined || p.portText === '') {
    if (fallback !== undefined && p.portText === undefined) return fallback;
    throw new InvalidInputError({ what: `${p.scheme} address port`, value: p.uri, reason: `missing port (${p.scheme}://host:port)` });
  }
  if (p.port === undefined) throw badPort(p);
  return p.port;
}

/** The error for a port that is not an integer in 1..65535, naming the whole address. */
export function badPort(p: ParsedUri): InvalidInputError {
  return new InvalidInputError({ what: `${p.scheme} address port`, value: p.uri, reason: `port '${p.portText ?? ''}' must be an integer in 1..65535` });
}

/** Parameters of every TCP address. */
export const TCP_PARAMS = {
  connectTimeoutMs: { type: 'integer', min: 1, units: 'ms', default: 3000, doc: 'limit of the TCP connect' },
  keepAliveMs: { type: 'integer', min: 0, units: 'ms', default: 10000, doc: 'TCP keep-alive probe delay (0 = off)' },
} as const satisfies ParamSchema;

/** Options of {@link tcpTransport}. */
export interface TcpTransportOptions {
  /** Port when the URI gives none; without it the port is required. */
  defaultPort?: number;
  /** Accept a path after the port (kept in `address.path`). Default false. */
  path?: boolean;
  /** Example shown when the host is missing, e.g. `galil+tcp://host:23`. */
  example?: string;
}

/** The TCP address parser: `scheme://host[:port][?connectTimeoutMs=..&keepAliveMs=..]`, creating a {@link TcpStream}. */
export function tcpTransport(options: TcpTransportOptions = {}): Transport<TcpAddress, TcpStream> {
  return {
    kind: 'tcp',
    stream: true,
    params: TCP_PARAMS,
    address(p, params) {
      if (!p.host) throw new InvalidInputError({ what: `${p.scheme} address host`, value: p.uri, reason: `missing host (${options.example ?? `${p.scheme}://host:port`})` });
      const port = portOf(p, options.defaultPort);
      const path = p.path === '/' ? '' : p.path;
      if (path && !options.path) throw new InvalidInputError({ what: `${p.scheme} address path`, value: p.path, reason: `${p.scheme}:// addresses take no path` });
      const a: TcpAddress = { scheme: 'tcp', uri: p.uri, host: p.host, port, path, params: {} };
      if (params['connectTimeoutMs'] !== undefined) a.connectTimeoutMs = params['connectTimeoutMs'] as number;
      if (params['keepAliveMs'] !== undefined) a.keepAliveMs = params['keepAliveMs'] as number;
      return a;
    },
    create: (a) => new TcpStream({ host: a.host, port: a.port, connectTimeoutMs: a.connectTimeoutMs, keepAliveMs: a.keepAliveMs }),
  };
}

/** Parameters of every serial address. */
export const SERIAL_PARAMS = {
  baud: { type: 'integer', min: 1, max: 20_000_000, units: 'bit/s', default: 9600, aliases: ['baudRate', 'baudrate'], doc: 'line speed' },
  parity: { type: 'string', choices: PARITIES, lowerCase: true, default: 'none', doc: 'parity bit' },
  dataBits: { type: 'integer', min: 5, max: 8, default: 8, aliases: ['databits'], doc: 'data bits per character' },
  stopBits: { type: 'number', default: 1, aliases: ['stopbits'], doc: 'stop bits (1, 1.5 or 2)', check: (v: number, what: string) => {
    if (v !== 1 && v !== 1.5 && v !== 2) throw new InvalidInputError({ what, value: v, reason: 'must be 1, 1.5 or 2' });
    return v;
  } },
  flow: { type: 'string', choices: ['none', 'rtscts', 'xonxoff'], lowerCase: true, default: 'none', doc: 'flow control (sets rtscts or xon)' },
  rtscts: { type: 'boolean', default: false, doc: 'RTS/CTS hardware flow control' },
  xon: { type: 'boolean', default: false, aliases: ['xonxoff'], doc: 'XON/XOFF software flow control' },
} as const satisfies ParamSchema;

/** Options of {@link serialTransport}. */
export interface SerialTransportOptions {
  /** Speed when the URI gives none, bit/s. Default 9600. */
  defaultBaud?: number;
  /** Example shown when the path is missing, e.g. `alicat+serial:///dev/ttyUSB0?unit=A`. */
  example?: string;
}

/** The serial address parser: `scheme:///dev/ttyUSB0` or `scheme://COM3` with line settings, creating a {@link SerialStream}. */
export function serialTransport(options: SerialTransportOptions = {}): Transport<SerialAddress, SerialStream> {
  const params: ParamSchema = options.defaultBaud === undefined ? SERIAL_PARAMS : { ...SERIAL_PARAMS, baud: { ...SERIAL_PARAMS.baud, default: options.defaultBaud } };
  return {
    kind: 'serial',
    stream: true,
    params,
    address(p, v) {
      if (p.host && p.path) throw new InvalidInputError({ what: `${p.scheme} address`, value: p.uri, reason: `give either ${p.scheme}:///dev/path or ${p.scheme}://COM3, not both` });
      if (p.portText !== undefined) throw new InvalidInputError({ what: `${p.scheme} address port`, value: p.uri, reason: `serial addresses have no port (':${p.portText}')` });
      const path = p.host ? p.host : /^\/COM\d+$/i.test(p.path) ? p.path.slice(1) : p.path;
      if (!path) throw new InvalidInputError({ what: `${p.scheme} address path`, value: p.uri, reason: `missing device path (${options.example ?? `${p.scheme}:///dev/ttyUSB0`})` });
      const flow = v['flow'] as string | undefined;
      return {
        scheme: 'serial',
        uri: p.uri,
        params: {},
        path,
        baudRate: (v['baud'] as number | undefined) ?? options.defaultBaud ?? 9600,
        parity: (v['parity'] as Parity | undefined) ?? 'none',
        dataBits: (v['dataBits'] as 5 | 6 | 7 | 8 | undefined) ?? 8,
        stopBits: (v['stopBits'] as 1 | 1.5 | 2 | undefined) ?? 1,
        rtscts: (v['rtscts'] as boolean | undefined) ?? flow === 'rtscts',
        xon: (v['xon'] as boolean | undefined) ?? flow === 'xonxoff',
      };
    },
    create: (a) => new SerialStream({ path: a.path, baudRate: a.baudRate, parity: a.parity, dataBits: a.dataBits, stopBits: a.stopBits, rtscts: a.rtscts, xon: a.xon }),
  };
}

/** What {@link resolveAddress} needs of a family: its name and parameters. */
export interface AddressFamily {
  /** Family name, set as the address's `family`. */
  readonly name: string;
  /** The family's parameters (besides the transport's). */
  readonly params: ParamSchema;
}

/** An address with the family's checked parameter values. */
export interface ResolvedAddress<A extends AddressBase = AddressBase> {
  /** The transport's address; `params` holds the family's query parameters as (normalised) text. */
  readonly address: A;
  /** The family's checked values: the URI's query parameters, then `options` over them. */
  readonly values: Record<string, unknown>;
}

function asText(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : String(v);
}

/**
 * Check a split URI and optional options against a transport and a family: each query
 * parameter and option must be the transport's or the family's (else an InvalidInputError listing
 * both), every value is checked by the same schema whichever source it came from, options win
 * over the query, and the transport builds the address from its part.
 */
export function resolveAddress<A extends AddressBase>(
  p: ParsedUri,
  transport: Transport<A, unknown>,
  family?: AddressFamily,
  options: Readonly<Record<string, unknown>> = {},
): ResolvedAddress<A> {
  if (p.fragment !== undefined && !transport.fragment) throw new InvalidInputError({ what: 'address fragment', value: `#${p.fragment}`, reason: 'fragments (#...) are not allowed' });
  const schema: ParamSchema = family ? { ...transport.params, ...family.params } : transport.params;
  const owner = `${p.scheme}://`;
  const fromUri = checkParams(schema, Object.fromEntries(p.params), { source: 'uri', owner });
  const fromOptions = checkParams(schema, options, { source: 'options', owner });
  const merged = { ...fromUri, ...fromOptions };
  const forTransport: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(merged)) {
    if (Object.hasOwn(transport.params, k)) forTransport[k] = v;
    else values[k] = v;
  }
  const address = transport.address(p, forTransport);
  address.uri = p.uri;
  if (family) {
    address.family = family.name;
    address.params = Object.fromEntries(Object.entries(fromUri).filter(([k]) => !Object.hasOwn(transport.params, k)).map(([k, v]) => [k, asText(v)]));
  }
  return { address, values };
}
