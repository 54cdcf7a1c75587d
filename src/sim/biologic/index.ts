/**
 * The BioLogic simulator: `native/eclib-sim` (a C library with EClib's ABI) and its descriptor.
 * @module
 */
export { biologicSimulator, defaultEclibSimPath, BIOLOGIC_SIM_MODELS, BIOLOGIC_SIM_PARAMS } from './family.js';
