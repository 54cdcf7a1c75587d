/**
 * Byte streams: TCP and serial.
 * @module
 */
export { TcpStream, tcpAddress } from './tcp.js';
export type { TcpStreamOptions } from './tcp.js';
export { SerialStream, checkSerialOptions, PARITIES } from './serial.js';
export type { Parity, SerialStreamOptions } from './serial.js';
