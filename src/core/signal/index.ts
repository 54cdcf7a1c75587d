/**
 * Signals: typed values behind backends (soft, mock, transport), with one backend subscription
 * fanned out to every listener.
 * @module
 */
export type { ReadingListener, SignalBackend } from './backend.js';
export { buildDatakey, inferDtype, type ValueMetadata } from './datakey.js';
export { SoftSignalBackend, type SoftSignalOptions } from './soft-backend.js';
export { MockSignalBackend, type MockPut, type MockPutCallback, type MockSignalOptions } from './mock-backend.js';
export { Signal, SignalR, type SignalOptions } from './signal.js';
export { SignalRW, SignalW, SignalX, type SetOptions } from './writable.js';
export { softSignalR, softSignalRAndSetter, softSignalRW, softSignalX, type SoftSignalFactoryOptions } from './factories.js';
export { clearMockPuts, getMockPuts, holdPuts, mockBackendOf, onPut, releasePuts, setMockValue } from './mock.js';
export { waitForStable, waitForValue, type WaitForStableOptions } from './wait.js';
