/**
 * Gamry potentiostats through the GamryCOM object model (`labrig/drivers/gamry`).
 * @module
 */
export { GamryBackend, pstatProgId, checkSection } from './backend.js';
export type { GamryBackendOptions } from './backend.js';
export * from './protocol.js';
