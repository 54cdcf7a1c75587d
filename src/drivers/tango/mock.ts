/**
 * The Tango device of the mock tier: no server, no backend process. It holds only `state` and
 * `status` (a rig or a plan declares what it needs against a real server); every backend call
 * refuses with a DisconnectedError, and `connect({ mock: true })` puts every signal on a mock
 * backend, where `state` reads `ON`.
 * @module
 */
import { DisconnectedError } from '../../core/errors.js';
import { setMockValue } from '../../core/signal/mock.js';
import type { TangoBackend, TangoDeviceInfo } from './backend.js';
import { TangoDevice } from './device.js';

const refuse = (): Promise<never> => Promise.reject(new DisconnectedError({ device: 'tango mock', detail: 'no Tango server on the mock tier' }));

/** A backend that refuses every call (the mock tier's). */
export const REFUSING_BACKEND: TangoBackend = {
  kind: 'none',
  connect: refuse,
  readAttributes: refuse,
  writeAttribute: refuse,
  command: refuse,
  subscribe: refuse,
  state: refuse,
  status: refuse,
  close: () => Promise.resolve(),
};

const EMPTY: TangoDeviceInfo = { name: 'mock/tango/1', className: 'Mock', attributes: [], commands: [] };

/** Build the mock-tier Tango device (see the module notes). */
export function mockTangoDevice(name: string): TangoDevice {
  return new TangoDevice(name, REFUSING_BACKEND, EMPTY, { source: 'tango://mock/tango/1' });
}

/** Install the default mock behaviour: `state` reads `ON`, `status` a short text (what `connect({ mock: true })` does). Idempotent. */
export function installTangoDeviceMock(device: TangoDevice): void {
  setMockValue(device.state, 'ON');
  setMockValue(device.status, 'mock Tango device');
}
