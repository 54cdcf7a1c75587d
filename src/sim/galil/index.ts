/**
 * Wire-faithful Galil DMC / RIO simulator: TCP server (and pty) speaking the DMC command
 * language with analytic trapezoidal motion, limit and home switches, I/O and fault injection.
 * @module
 */
export { startGalilSim, type GalilSim, type GalilSimOptions } from './server.js';
export { simGalilCli, parseGalilSimArgs } from './cli.js';
export { GalilModel, evaluateWaveform, type GalilModelOptions, type SimIOConfig, type Waveform } from './model.js';
export { SimAxis, type SimAxisConfig, type SimMode } from './axis.js';
export { GalilSession } from './session.js';
export { COMMANDS, type CommandContext, type CommandResult, type Handler } from './commands.js';
export { pointToPoint, changeVelocity, stopFrom, sample, endOf, clipAtLimits, type Segment } from './motion.js';
export { galilSimulator, GALIL_SIM_PARAMS, GALIL_SIM_USAGE } from './family.js';
