/**
 * Modbus addresses: `modbus+tcp://HOST[:PORT]?unit=1` (port default 502) and
 * `modbus+rtu:///dev/ttyUSB0?baud=9600&parity=even&unit=3`, as transports
 * ({@link modbusTcpTransport}, {@link modbusRtuTransport}) on the shared TCP and serial address
 * parsers. Modbus parameters: `unit` (0..255, default 1), `timeoutMs` (per request, default 1000),
 * and for TCP `maxInFlight` (default 16); besides them, those of the TCP or serial transport
 * (`connectTimeoutMs`, `keepAliveMs`; `baud`, `parity`, `dataBits`, `stopBits`, ...). The generic
 * Modbus family (`src/drivers/modbus`) registers both schemes; importing this module registers
 * nothing.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { resolveAddress, SERIAL_PARAMS, serialTransport, TCP_PARAMS, tcpTransport, type Transport } from '../address.js';
import type { ParamSchema } from '../params.js';
import { splitUri } from '../uri.js';
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

/** Parameters every Modbus address takes. */
export const MODBUS_PARAMS = {
  unit: { type: 'integer', min: 0, max: 255, default: 1, doc: 'unit (slave) id' },
  timeoutMs: { type: 'integer', min: 1, max: 86_400_000, units: 'ms', default: 1000, doc: 'limit of each request' },
} as const satisfies ParamSchema;

const TCP = tcpTransport({ defaultPort: 502, example: 'modbus+tcp://host:502' });
const RTU = serialTransport({ example: 'modbus+rtu:///dev/ttyUSB0' });

/** The `modbus+tcp://host[:502]` address parser, creating a {@link ModbusTcpClient}. */
export const modbusTcpTransport: Transport<ModbusTcpAddress, ModbusTcpClient> = {
  kind: 'modbus+tcp',
  params: { ...TCP_PARAMS, ...MODBUS_PARAMS, maxInFlight: { type: 'integer', min: 1, max: 1024, default: 16, doc: 'requests in flight at once' } },
  address(p, v) {
    if (p.path && p.path !== '/') throw new InvalidInputError({ what: 'modbus+tcp address path', value: p.path, reason: 'takes no path; give the unit as ?unit=N' });
    const tcp = TCP.address(p, { connectTimeoutMs: v['connectTimeoutMs'], keepAliveMs: v['keepAliveMs'] });
    return {
      scheme: 'modbus+tcp', uri: p.uri, params: {}, host: tcp.host, port: tcp.port, tcp,
      unit: (v['unit'] as number | undefined) ?? 1, timeoutMs: (v['timeoutMs'] as number | undefined) ?? 1000, maxInFlight: (v['maxInFlight'] as number | undefined) ?? 16,
    };
  },
  create: (a) => createModbusTcp(a),
  connect: (client, options) => client.open(options),
};

/** The `modbus+rtu:///dev/ttyUSB0` address parser, creating a {@link ModbusRtuClient}. */
export const modbusRtuTransport: Transport<ModbusRtuAddress, ModbusRtuClient> = {
  kind: 'modbus+rtu',
  params: { ...SERIAL_PARAMS, ...MODBUS_PARAMS },
  address(p, v) {
    const { unit, timeoutMs, ...line } = v;
    const serial = RTU.address(p, line);
    return { scheme: 'modbus+rtu', uri: p.uri, params: {}, path: serial.path, serial, unit: (unit as number | undefined) ?? 1, timeoutMs: (timeoutMs as number | undefined) ?? 1000 };
  },
  create: (a) => createModbusRtu(a),
  connect: (client, options) => client.open(options),
};

/** Parse a split `modbus+tcp://` URI. */
export function parseModbusTcp(p: ParsedUri): ModbusTcpAddress {
  return resolveAddress(p, modbusTcpTransport).address;
}

/** Parse a split `modbus+rtu://` URI. */
export function parseModbusRtu(p: ParsedUri): ModbusRtuAddress {
  return resolveAddress(p, modbusRtuTransport).address;
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

/** Create a Modbus client for an address URI (not yet connected): `modbus+tcp://...` or `modbus+rtu://...`. */
export function openModbus(uri: string): ModbusTcpClient | ModbusRtuClient {
  const p = splitUri(uri);
  if (p.scheme === 'modbus+tcp') return createModbusTcp(parseModbusTcp(p));
  if (p.scheme === 'modbus+rtu') return createModbusRtu(parseModbusRtu(p));
  throw new InvalidInputError({ what: 'modbus address', value: uri, reason: 'scheme must be modbus+tcp or modbus+rtu' });
}
