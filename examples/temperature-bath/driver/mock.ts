/** Default mock behaviour: the temperature follows a new setpoint at once. */
import { mockBackendOf, setMockValue } from 'labrig/core';
import type { TemperatureBath } from './device.js';

const installed = new WeakSet<object>();

/** Make the bath's mock signals act like an ideal bath (idempotent). */
export function installBathMock(bath: TemperatureBath): void {
  const b = mockBackendOf(bath.setpoint);
  if (installed.has(b)) return;
  installed.add(b);
  b.onPut((v) => {
    if (v !== undefined) setMockValue(bath.temperature, v);
  });
}
