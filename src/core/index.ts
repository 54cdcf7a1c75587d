/**
 * labrig/core: the hardware-agnostic kernel — device protocols, Status, signals, devices,
 * event-model documents and the run engine. Imports no I/O library.
 * @module
 */
export * from './errors.js';
export * from './protocols.js';
export * from './status.js';
export * from './signal/index.js';
export * from './device/index.js';
export * from './documents/index.js';
export * from './engine/index.js';
export * from './executor/index.js';
export * from './sequencer/index.js';
