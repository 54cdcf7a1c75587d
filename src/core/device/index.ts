/**
 * Device trees: named devices with parallel connect, StandardReadable and StandardMovable.
 * @module
 */
export { Device, DeviceVector, type ConnectOptions } from './device.js';
export { DEFAULT_TIMEOUT_MS, raceAbort, sleep, withTimeout } from './timeout.js';
export { StandardReadable, type ReadableFormat } from './standard-readable.js';
export { StandardMovable, moveTimeoutMs, stopErrorOf, type MoveLogic, type MoveOptions } from './standard-movable.js';
