/**
 * The electrochemistry model shared by the potentiostat simulators.
 * @module
 */
export {
  checkCell, DEFAULT_CELL, ElectrochemCell, FARADAY, GAS_CONSTANT, randlesImpedance, SeededNoise,
} from './model.js';
export type { CellParams, Complex, OcvParams, RandlesParams, RedoxParams } from './model.js';
