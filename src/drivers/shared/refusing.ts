/**
 * The transport of a device built for the mock tier (`connect({ mock: true })`): an object whose
 * every call rejects, so nothing can reach hardware by mistake.
 * @module
 */
import { CanceledError } from '../../core/errors.js';

/**
 * Return a `T` at `address` whose `methods` each reject with a CanceledError naming `what`
 * (`no bus (mock device)`), and whose `close` resolves.
 */
export function refusingTransport<T>(what: string, address: string, methods: readonly string[]): T {
  const out: Record<string, unknown> = { address, close: () => Promise.resolve() };
  for (const m of methods) out[m] = () => Promise.reject(new CanceledError(`no ${what} (mock device)`));
  return out as T;
}
