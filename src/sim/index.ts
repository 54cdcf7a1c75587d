/**
 * labrig/sim: simulators. Soft physics models (motor, point and area detectors), pseudo-terminal
 * pairs and fault injection at the top level; simulator descriptors and their registry
 * (`registerSimulator`: what makes `sim:<name>` and `labrig sim <name>` work, for labrig's own
 * simulators and third-party ones alike); the helpers a wire simulator is built from; and the
 * wire-faithful simulators per family as namespaces (`galil`, `alicat`, `legato`, `modbus`, `nidaqmx`, `tango`; OPC UA
 * at labrig/sim/opcua, since node-opcua is slow to load), e.g. `sim.galil.startGalilSim()`.
 * @module
 */
export * from './soft/index.js';
export * from './pty.js';
export * from './faults.js';
export { defineSimulator, FAULTS_PARAM, linkParam, type AnySimulator, type SimulatorDescriptor, type StartedSim } from './family.js';
export { registerSimulator, registeredSimulators, simulatorByName, unregisterSimulator } from './registry.js';
export { faultInjector, serveLineSim, serveTcp, type LineSimOptions, type LineSimTransports, type ServeTcpOptions, type TcpClient, type TcpSession, type TcpSimServer } from './shared/server.js';
export { parseSimArgs, runSimCli, untilSignal, type CommonSimOptions, type FamilyOption, type SimArgsSpec, type SimCliSpec } from './shared/cli.js';
export * as galil from './galil/index.js';
export * as alicat from './alicat/index.js';
export * as legato from './legato/index.js';
export * as modbus from './modbus/index.js';
export * as electrochem from './electrochem/index.js';
export * as gamry from './gamry/index.js';
export * as biologic from './biologic/index.js';
export * as nidaqmx from './nidaqmx/index.js';
export * as tango from './tango/index.js';
