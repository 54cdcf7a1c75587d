/**
 * Factories of soft (in-memory) signals.
 * @module
 */
import { SoftSignalBackend, type SoftSignalOptions } from './soft-backend.js';
import { SignalR, type SignalOptions } from './signal.js';
import { SignalRW, SignalX } from './writable.js';

/** Options of a soft signal: value metadata (units, precision, limits, ...) plus signal options. */
export type SoftSignalFactoryOptions = Omit<SoftSignalOptions, 'name'> & SignalOptions;

function split(options: SoftSignalFactoryOptions): [SoftSignalOptions, SignalOptions] {
  const { name, timeoutMs, ...meta } = options;
  const sig: SignalOptions = {};
  if (name !== undefined) sig.name = name;
  if (timeoutMs !== undefined) sig.timeoutMs = timeoutMs;
  return [{ ...meta, name: name ?? '' }, sig];
}

/** Create a read-only soft signal holding `initialValue` (set it with its backend's `setValue`). */
export function softSignalR<T>(initialValue: T, options: SoftSignalFactoryOptions = {}): SignalR<T> {
  const [meta, sig] = split(options);
  return new SignalR<T>(new SoftSignalBackend<T>(initialValue, meta), sig);
}

/** Create a read-only soft signal and the function that sets its value (for simulators). */
export function softSignalRAndSetter<T>(initialValue: T, options: SoftSignalFactoryOptions = {}): [SignalR<T>, (value: T) => void] {
  const [meta, sig] = split(options);
  const backend = new SoftSignalBackend<T>(initialValue, meta);
  return [new SignalR<T>(backend, sig), (value: T) => backend.setValue(value)];
}

/** Create a read-write soft signal holding `initialValue`; puts are checked against its limits/choices. */
export function softSignalRW<T>(initialValue: T, options: SoftSignalFactoryOptions = {}): SignalRW<T> {
  const [meta, sig] = split(options);
  return new SignalRW<T>(new SoftSignalBackend<T>(initialValue, meta), sig);
}

/** Create a soft command signal (its trigger only time-stamps it and notifies listeners). */
export function softSignalX(options: SignalOptions = {}): SignalX {
  return new SignalX(new SoftSignalBackend<undefined>(undefined, { name: options.name ?? '' }), options);
}
