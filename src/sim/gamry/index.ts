/**
 * The in-process GamryCOM object-model simulator.
 * @module
 */
export { createGamrySim, SIM_CONSTANTS, SimComError, RPC_E_DISCONNECTED } from './objects.js';
export type { GamrySimCom, GamrySimOptions } from './objects.js';
