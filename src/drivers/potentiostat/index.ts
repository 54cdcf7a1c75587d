/**
 * Potentiostats, whoever made them: the technique vocabulary, the channel device, the vendor
 * backend contract and the plans (`labrig/drivers/potentiostat`).
 * @module
 */
export * from './techniques.js';
export * from './backend.js';
export { PotentiostatChannel } from './channel.js';
export { technique, ocv, ca, cp, lsv, cv, peis, ocvCvPeis } from './plans.js';
export type { PstatPlanOptions } from './plans.js';
