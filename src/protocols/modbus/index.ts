/**
 * Modbus RTU and TCP: a pure codec, clients implementing RegisterBus, a fast server for
 * simulators, and typed register maps that become signals. Addresses are 0-based protocol
 * addresses throughout (the vendor's holding register 40001 is address 0). The `modbus+tcp` and
 * `modbus+rtu` transports are registered by the generic Modbus family (`registerFamily`);
 * importing this module registers nothing.
 * @module
 */
export {
  FunctionCode,
  Limits as ModbusLimits,
  decodeRequest,
  decodeResponse,
  encodeException,
  encodeRequest,
  encodeResponse,
  isException,
  matchResponse,
  validateRequest,
} from './codec.js';
export type { ModbusExceptionResponse, ModbusRequest, ModbusResponse, ModbusResponseInput, RequestResult } from './codec.js';
export { MODBUS_EXCEPTIONS, ModbusException, ModbusFrameError, exceptionError } from './errors.js';
export { MBAP_HEADER, MbapReader, RtuReader, crc16, encodeMbap, encodeRtu, rtuRequestLength, rtuResponseLength } from './framing.js';
export type { MbapFrameHandler, RtuFrameHandler, RtuReaderOptions } from './framing.js';
export { ModbusClientBase } from './client-base.js';
export type { ModbusClientOptions } from './client-base.js';
export { ModbusTcpClient } from './client-tcp.js';
export type { ModbusTcpClientOptions } from './client-tcp.js';
export { ModbusRtuClient } from './client-rtu.js';
export type { ModbusRtuClientOptions } from './client-rtu.js';
export { MODBUS_TABLES, RegisterStore } from './store.js';
export type { BeforeWriteHook, ModbusTable, StoreLayout, StoreReadEvent, StoreWriteEvent } from './store.js';
export { handleRequest } from './handler.js';
export { ModbusServer } from './server.js';
export type { ListenOptions, ModbusServerOptions, ServerByteStream } from './server.js';
export { decodeEntry, encodeEntry, parseRegisterMap, resolveEntry, wordCount } from './register-map.js';
export type { RegisterEntry, RegisterMap, RegisterType, ResolvedEntry } from './register-map.js';
export { ModbusRegisterBackend, registerMapSignals } from './backend.js';
export type { ModbusBackendOptions, RegisterSignals } from './backend.js';
export { createModbusRtu, createModbusTcp, MODBUS_PARAMS, modbusRtuTransport, modbusTcpTransport, openModbus, parseModbusRtu, parseModbusTcp } from './open.js';
export type { ModbusRtuAddress, ModbusTcpAddress } from './open.js';
