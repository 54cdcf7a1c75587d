/**
 * labrig's NI-DAQmx simulator: a C library exporting NI-DAQmx's functions (`native/nidaqmx-sim`),
 * located and controlled from here, and the `labrig sim nidaqmx` command.
 * @module
 */
export { configureNidaqmxSim, nidaqmxSimLibrary, nidaqmxSimOpenTasks, NIDAQMX_SIM_BUILD, NIDAQMX_SIM_ENV, NIDAQMX_SIM_LIB } from './library.js';
export { nidaqmxSimulator, NIDAQMX_SIM_PARAMS, NIDAQMX_SIM_USAGE, type NidaqmxSimParams } from './family.js';
export { simNidaqmxCli } from './cli.js';
