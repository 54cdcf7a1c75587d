/**
 * BioLogic potentiostats through EClib (`labrig/drivers/biologic`).
 * @module
 */
export { BiologicBackend, createBiologic } from './device.js';
export type { BiologicOptions } from './device.js';
export { loadEClib, SYSV_X64 } from './io.js';
export type { EClib } from './io.js';
export { decodeRecords, eccOf, iRangeCode, ECLIB_ERRORS, DISCONNECT_CODES, TECHNIQUE_ID } from './protocol.js';
export type { DataBlock, EccParam } from './protocol.js';
