/**
 * Device trees: named devices with parallel connect, StandardReadable and StandardMovable.
 * @module
 */
export { Device, DeviceVector, type ConnectOptions } from './device.js';
export { DEFAULT_TIMEOUT_MS } from './timeout.js';
export { StandardReadable, type ReadableFormat } from './standard-readable.js';
export { StandardMovable, moveTimeoutMs, type MoveLogic, type MoveOptions } from './standard-movable.js';
