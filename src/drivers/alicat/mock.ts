/**
 * Default mock behaviour of Alicat devices (STYLE rule 9): after `connect({ mock: true })` the
 * signals are MockSignalBackends, and these callbacks make them act like an ideal unit — a new
 * setpoint is reached at once (unless the valve is held), hold/e-stop set HLD (hold-closed and a
 * primer e-stop also zero the flow), cancel clears it and returns to the setpoint, lock/unlock
 * toggle LCK, a totalizer reset zeroes it, unknown gases are refused. Tests may add their own
 * `onPut` callbacks or `setMockValue` on top.
 * @module
 */
import { UnsupportedError } from '../../core/errors.js';
import { mockBackendOf, setMockValue } from '../../core/signal/mock.js';
import type { SignalR } from '../../core/signal/signal.js';
import type { AlicatFlowController } from './device.js';
import type { AlicatFlowMeter } from './meter.js';
import { checkControlVariable, gasNumber, STATUS_CODE_LIST, STATUS_CODES } from './protocol.js';

const installed = new WeakSet<object>();

function once(device: AlicatFlowMeter | AlicatFlowController): boolean {
  const b = mockBackendOf(device.actions.lock);
  if (installed.has(b)) return false;
  installed.add(b);
  return true;
}

function value<T>(signal: SignalR<T>): T {
  return mockBackendOf(signal).value;
}

function setFlag(device: AlicatFlowMeter | AlicatFlowController, flag: 'hold' | 'locked', on: boolean): void {
  setMockValue(device.flags[flag], on);
  const codes = STATUS_CODE_LIST.filter((c) => value((device.flags as unknown as Record<string, SignalR<boolean>>)[STATUS_CODES[c].flag]!));
  setMockValue(device.status, codes.join(' '));
}

function installCommon(device: AlicatFlowMeter | AlicatFlowController): void {
  mockBackendOf(device.actions.lock).onPut(() => setFlag(device, 'locked', true));
  mockBackendOf(device.actions.unlock).onPut(() => setFlag(device, 'locked', false));
  mockBackendOf(device.actions.resetTotalizer).onPut(() => setMockValue(device.totalizer, 0));
  mockBackendOf(device.gas).onPut((g) => void gasNumber(g ?? ''));
}

/** Make a meter's mock signals behave like an ideal unit (idempotent). */
export function installMeterMock(device: AlicatFlowMeter): void {
  if (once(device)) installCommon(device);
}

/** Make a controller's mock signals behave like an ideal unit (idempotent). */
export function installControllerMock(device: AlicatFlowController): void {
  if (!once(device)) return;
  installCommon(device);
  const reach = (v: number): void => {
    const cv = device.currentControlVariable;
    setMockValue(device.readback, v);
    if (cv === 'mass-flow') setMockValue(device.massFlow, v);
    else if (cv === 'volumetric-flow') setMockValue(device.volumetricFlow, v);
    else setMockValue(device.pressure, v);
  };
  const close = (): void => {
    setMockValue(device.readback, 0);
    setMockValue(device.massFlow, 0);
    setMockValue(device.volumetricFlow, 0);
  };
  mockBackendOf(device.setpoint).onPut((v) => {
    if (v !== undefined && !value(device.flags.hold)) reach(v);
  });
  mockBackendOf(device.controlVariable).onPut((cv) => void checkControlVariable(cv));
  mockBackendOf(device.actions.hold).onPut(() => setFlag(device, 'hold', true));
  mockBackendOf(device.actions.holdClosed).onPut(() => {
    if (device.config.dialect === 'legacy') throw new UnsupportedError({ device: `${device.name} (dialect legacy)`, verb: 'holdClosed' });
    setFlag(device, 'hold', true);
    close();
  });
  mockBackendOf(device.actions.estop).onPut(() => {
    setFlag(device, 'hold', true);
    if (device.config.dialect === 'primer') close();
  });
  mockBackendOf(device.actions.cancelHold).onPut(() => {
    setFlag(device, 'hold', false);
    reach(value(device.setpoint));
  });
}
