/**
 * Modbus addresses in the URI factory: `modbus+tcp://HOST[:PORT]?unit=1` (port default 502) and
 * `modbus+rtu:///dev/ttyUSB0?baud=9600&parity=even&unit=3`. Modbus parameters: `unit` (0..255,
 * default 1), `timeoutMs` (per request, default 1000), and for TCP `maxInFlight` (default 16);
 * every other parameter goes to the underlying `tcp://` or `serial://` stream (`connectTimeoutMs`,
 * `baud`, `parity`, `dataBits`, `stopBits`, ...). Importing this module registers both schemes.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { parseAddress, registerScheme } from '../uri.js';
import type { AddressBase, ParsedUri, SerialAddress, TcpAddress } from '../uri.js';
import { SerialStream } from '../stream/serial.js';
import { TcpStream } from '../stream/tcp.js';
import { ModbusRtuClient } from './client-rtu.js';
import { ModbusTcpClient } from './client-tcp.js';

/** A parsed `modbus+tcp://` address. */
export interface ModbusTcpAddress extends AddressBase {
  scheme: 'modbus+tcp';
  host: string;
  port: number;
  unit: number;
  timeoutMs: number;
  maxInFlight: number;
  /** The TCP stream's own address. */
  tcp: TcpAddress;
}

/** A parsed `modbus+rtu://` address. */
export interface ModbusRtuAddress extends AddressBase {
  scheme: 'modbus+rtu';
  path: string;
  unit: number;
  timeoutMs: number;
  /** The serial stream's own address (baud, parity, ...). */
  serial: SerialAddress;
}

declare module '../uri.js' {
  interface SchemeRegistry {
    'modbus+tcp': { address: ModbusTcpAddress; opens: ModbusTcpClient };
    'modbus+rtu': { address: ModbusRtuAddress; opens: ModbusRtuClient };
  }
}

function intParam(params: Map<string, string>, key: string, def: number, lo: number, hi: number): number {
  const s = params.get(key);
  params.delete(key);
  if (s === undefined) return def;
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < lo || n > hi) throw new InvalidInputError({ what: `address parameter '${key}'`, value: s, reason: `must be an integer ${lo}..${hi}` });
  return n;
}

function query(params: Map<string, string>): string {
  const q = new URLSearchParams([...params]).toString();
  return q ? `?${q}` : '';
}

/** Parse a split `modbus+tcp://` URI. */
export function parseModbusTcp(p: ParsedUri): ModbusTcpAddress {
  const params = new Map(p.params);
  const unit = intParam(params, 'unit', 1, 0, 255);
  const timeoutMs = intParam(params, 'timeoutMs', 1000, 1, 86_400_000);
  const maxInFlight = intParam(params, 'maxInFlight', 16, 1, 1024);
  if (!p.host) throw new InvalidInputError({ what: 'modbus+tcp address host', value: p.uri, reason: 'missing host (modbus+tcp://host:502)' });
  if (p.path && p.path !== '/') throw new InvalidInputError({ what: 'modbus+tcp address path', value: p.path, reason: 'takes no path; give the unit as ?unit=N' });
  const port = p.port ?? 502;
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  const tcp = parseAddress(`tcp://${host}:${port}${query(params)}`) as TcpAddress;
  return { scheme: 'modbus+tcp', uri: p.uri, params: {}, host: p.host, port, unit, timeoutMs, maxInFlight, tcp };
}

/** Parse a split `modbus+rtu://` URI. */
export function parseModbusRtu(p: ParsedUri): ModbusRtuAddress {
  const params = new Map(p.params);
  const unit = intParam(params, 'unit', 1, 0, 255);
  const timeoutMs = intParam(params, 'timeoutMs', 1000, 1, 86_400_000);
  if (p.port !== undefined) throw new InvalidInputError({ what: 'modbus+rtu address port', value: p.port, reason: 'serial addresses have no port' });
  const path = p.host ? p.host : p.path;
  if (!path || path === '/') throw new InvalidInputError({ what: 'modbus+rtu address path', value: p.uri, reason: 'missing device path (modbus+rtu:///dev/ttyUSB0)' });
  const serial = parseAddress(`serial://${p.host ? p.host : encodeURI(p.path)}${query(params)}`) as SerialAddress;
  return { scheme: 'modbus+rtu', uri: p.uri, params: {}, path: serial.path, unit, timeoutMs, serial };
}

/** Create the client of a parsed `modbus+tcp://` address (not yet connected). */
export function createModbusTcp(a: ModbusTcpAddress): ModbusTcpClient {
  const t = a.tcp;
  const stream = new TcpStream({ host: t.host, port: t.port, connectTimeoutMs: t.connectTimeoutMs, keepAliveMs: t.keepAliveMs });
  return new ModbusTcpClient({ stream, unit: a.unit, timeoutMs: a.timeoutMs, maxInFlight: a.maxInFlight, ...(t.connectTimeoutMs ? { openTimeoutMs: t.connectTimeoutMs } : {}) });
}

/** Create the client of a parsed `modbus+rtu://` address (not yet opened). */
export function createModbusRtu(a: ModbusRtuAddress): ModbusRtuClient {
  const s = a.serial;
  const stream = new SerialStream({ path: s.path, baudRate: s.baudRate, parity: s.parity, dataBits: s.dataBits, stopBits: s.stopBits, rtscts: s.rtscts, xon: s.xon });
  return new ModbusRtuClient({ stream, unit: a.unit, timeoutMs: a.timeoutMs, baud: s.baudRate });
}

registerScheme('modbus+tcp', {
  parse: parseModbusTcp,
  create: createModbusTcp,
  connect: (client, options) => client.open(options),
});

registerScheme('modbus+rtu', {
  parse: parseModbusRtu,
  create: createModbusRtu,
  connect: (client, options) => client.open(options),
});

/** Create a Modbus client for an address URI (not yet connected): `modbus+tcp://...` or `modbus+rtu://...`. */
export function openModbus(uri: string): ModbusTcpClient | ModbusRtuClient {
  const a = parseAddress(uri) as AddressBase;
  if (a.scheme === 'modbus+tcp') return createModbusTcp(a as ModbusTcpAddress);
  if (a.scheme === 'modbus+rtu') return createModbusRtu(a as ModbusRtuAddress);
  throw new InvalidInputError({ what: 'modbus address', value: uri, reason: 'scheme must be modbus+tcp or modbus+rtu' });
}
