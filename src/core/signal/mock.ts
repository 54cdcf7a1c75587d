/**
 * Test helpers for signals in mock mode (after `connect({ mock: true })`, or built on a
 * MockSignalBackend). Each fails with InvalidStateError when the signal is not in mock mode.
 * @module
 */
import { InvalidStateError } from '../errors.js';
import { MockSignalBackend, type MockPut, type MockPutCallback } from './mock-backend.js';
import type { Signal } from './signal.js';

/** Return the signal's MockSignalBackend, or throw InvalidStateError naming the signal. */
export function mockBackendOf<T>(signal: Signal<T>): MockSignalBackend<T> {
  const backend = signal.backend;
  if (!(backend instanceof MockSignalBackend)) {
    throw new InvalidStateError(`${signal.name || '<unnamed signal>'} is not in mock mode: connect it with { mock: true } first`);
  }
  return backend as MockSignalBackend<T>;
}

/** Return every write the signal received in mock mode, oldest first. */
export function getMockPuts<T>(signal: Signal<T>): Array<MockPut<T>> {
  return mockBackendOf(signal).puts;
}

/** Forget the writes recorded so far. */
export function clearMockPuts<T>(signal: Signal<T>): void {
  mockBackendOf(signal).clearPuts();
}

/** Set the value as if the hardware reported it (listeners are notified; not recorded as a put). */
export function setMockValue<T>(signal: Signal<T>, value: T): void {
  mockBackendOf(signal).setMockValue(value);
}

/** Keep every following write in flight (its Status pending) until {@link releasePuts}. */
export function holdPuts<T>(signal: Signal<T>): void {
  mockBackendOf(signal).holdPuts();
}

/** Let every held write complete. */
export function releasePuts<T>(signal: Signal<T>): void {
  mockBackendOf(signal).releasePuts();
}

/** Run `callback` on every write (throw in it to make the write fail); returns a remover. */
export function onPut<T>(signal: Signal<T>, callback: MockPutCallback<T>): () => void {
  return mockBackendOf(signal).onPut(callback);
}
