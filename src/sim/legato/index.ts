/**
 * Wire-faithful simulator of KD Scientific Legato / Harvard Pump 11 Elite syringe pumps: a
 * daisy chain of pumps on a pty or behind a TCP gateway, with rates, targets, stalls, limit
 * switches, poll mode, address prefixes and faults.
 * @module
 */
export { startLegatoSim, hostPort, type LegatoSim, type LegatoSimOptions } from './server.js';
export { simLegatoCli, parseLegatoSimArgs } from './cli.js';
export { SimChain, SimPump, type SimEvent, type SimPumpOptions, type SimState } from './model.js';
export { LegatoInterpreter, resolveCommand, fmt, fmtVolume } from './commands.js';
export { legatoSimulator, LEGATO_SIM_PARAMS, LEGATO_SIM_USAGE } from './family.js';
