/**
 * The generic OPC UA simulator (`labrig sim opcua`): nodes from a JSON list or a default set,
 * values that change by themselves, writable setpoints and a Reset method.
 * @module
 */
export { freePort, startOpcuaSim } from './server.js';
export type { OpcuaSim, OpcuaSimOptions, OpcuaSimStats } from './server.js';
export { DEFAULT_SIM_NODES, SIM_DATA_TYPES, SIM_MODES, parseSimNodes } from './nodes.js';
export type { ResolvedSimNode, SimDataType, SimMode, SimNodeSpec, SimScalar } from './nodes.js';
export { nextValue } from './simulate.js';
export { simOpcuaCli } from './cli.js';
export { opcuaSimulator, OPCUA_SIM_PARAMS, OPCUA_SIM_USAGE } from './family.js';
