/**
 * OPC UA on node-opcua: a client implementing the NodeClient contract (connection-state events,
 * a time limit on every call, typed errors, shared subscriptions, reconnection), nodes as
 * signals, and the `opc.tcp://` address scheme (registered on import).
 * @module
 */
export { OpcuaClient, connectOpcua } from './client.js';
export type { OpcuaClientState, OpcuaStateEvent } from './client.js';
export type { OpcuaClientOptions, OpcuaUserIdentity, SecurityModeName, SecurityPolicyName } from './options.js';
export type { CallOptions, NodeInfo, WriteOptions } from './operations.js';
export type { OpcuaDataTypeName } from './datatypes.js';
export { OpcuaNodeBackend } from './backend.js';
export type { OpcuaNodeBackendOptions, OpcuaNodeSource } from './backend.js';
export { opcuaSignals, opcuaSignalsFromServer } from './signals.js';
export type { OpcuaNodeSpec, OpcuaSignals } from './signals.js';
export { createOpcuaClient, parseOpcua } from './open.js';
export { OPCUA_PARAMS, opcuaTransport, SECURITY_MODES, SECURITY_POLICIES } from './address.js';
export type { OpcuaAddress } from './open.js';
export { routeOpcuaLogs } from './logging.js';
export type { OpcuaLogSink, OpcuaLogTarget } from './logging.js';
