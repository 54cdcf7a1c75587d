/**
 * Wire-faithful Alicat MFC/MFM simulator: units on a pty (RS-485 line) or behind a TCP gateway,
 * first-order flow dynamics, gases, hold, lock, tares, totalizer, streaming (TCP) and faults.
 * @module
 */
export { startAlicatSim, hostPort, type AlicatSim, type AlicatSimOptions } from './server.js';
export { simAlicatCli, parseAlicatSimArgs } from './cli.js';
export { AlicatModel, SimAlicatUnit, SIM_FIRMWARE, type AlicatModelOptions, type SimUnitOptions, type ValveMode } from './model.js';
export { AlicatInterpreter, type StreamHooks } from './commands.js';
export { alicatSimulator, ALICAT_SIM_PARAMS, ALICAT_SIM_USAGE } from './family.js';
