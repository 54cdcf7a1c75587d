/**
 * labrig transports: contracts, byte streams, request channels and the address factory.
 * @module
 */
export type * from './contracts.js';
export * from './stream/index.js';
export * from './channel/index.js';
export {
  createStream,
  createTransport,
  leftoverParams,
  openAddress,
  openStream,
  parseAddress,
  registerScheme,
  registeredSchemes,
  requirePort,
  splitUri,
} from './uri.js';
export type { AddressBase, AddressOf, KnownScheme, OpensOf, ParsedUri, SchemeHandler, SchemeRegistry, SerialAddress, TcpAddress } from './uri.js';
export * from './modbus/index.js';
export * from './usb/index.js';
export * from './ffi/index.js';
export * from './discovery/index.js';
// OPC UA is a subpath of its own (labrig/protocols/opcua): node-opcua takes seconds to load.
