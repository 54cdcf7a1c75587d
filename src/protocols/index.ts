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
  openAddress,
  openStream,
  parseAddress,
  registerScheme,
  registeredSchemes,
  requirePort,
  splitUri,
  transportScheme,
  unregisterScheme,
} from './uri.js';
export { badPort, portOf, resolveAddress, SERIAL_PARAMS, serialTransport, TCP_PARAMS, tcpTransport } from './address.js';
export type { AddressFamily, ResolvedAddress, SerialTransportOptions, TcpTransportOptions, Transport } from './address.js';
export { canonicalName, checkParams, checkValue, describeType, formatSchema, knownNames, paramWhat, reasonOf } from './params.js';
export type {
  BooleanParam, CheckParamsOptions, ListParam, NumberParam, ObjectParam, ParamSchema, ParamSource, ParamSpec, QuantityParam, StringParam,
} from './params.js';
export type { AddressBase, AddressOf, KnownScheme, OpensOf, ParsedUri, SchemeHandler, SchemeRegistry, SerialAddress, TcpAddress } from './uri.js';
export * from './modbus/index.js';
export * from './usb/index.js';
export * from './ffi/index.js';
export * from './discovery/index.js';
// OPC UA is a subpath of its own (labrig/protocols/opcua): node-opcua takes seconds to load.
