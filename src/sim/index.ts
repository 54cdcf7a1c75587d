/**
 * labrig/sim: simulators. Soft physics models (motor, point and area detectors), pseudo-terminal
 * pairs and fault injection at the top level; wire-faithful simulators per family as namespaces
 * (`galil`, `alicat`, `legato`, `modbus`; OPC UA at labrig/sim/opcua, since node-opcua is slow to load), e.g. `sim.galil.startGalilSim()`.
 * @module
 */
export * from './soft/index.js';
export * from './pty.js';
export * from './faults.js';
export * as galil from './galil/index.js';
export * as alicat from './alicat/index.js';
export * as legato from './legato/index.js';
export * as modbus from './modbus/index.js';
