/**
 * BioLogic potentiostats through EClib (`labrig/drivers/biologic`).
 * @module
 */
export { BiologicBackend, createBiologic } from './device.js';
export type { BiologicOptions } from './device.js';
export { GetDataReader, loadEClib, SYSV_X64 } from './io.js';
export type { EClib } from './io.js';
export { decodeRecords, eccFile, eccOf, familyOf, iRangeCode, recordColumns, ECLIB_ERRORS, DISCONNECT_CODES, MAX_FREQUENCY_LIST, SP300_DEVICE_CODES, TECHNIQUE_ID } from './protocol.js';
export type { DataBlock, EccParam, EccTechnique, InstrumentFamily } from './protocol.js';
