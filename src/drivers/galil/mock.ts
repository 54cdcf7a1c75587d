/**
 * Default mock behaviour of Galil devices (STYLE rule 9): after `connect({ mock: true })` the
 * signals are MockSignalBackends, and these callbacks make them act like an ideal controller —
 * BG moves at once to the prepared target (stop code 1), refuses with TC 20 when the motor is off
 * and TC 21 while jogging; ST stops (stop code 4); HM/FI define 0 (stop code 10); FE gives 9;
 * DP defines the position; AB and MO on the controller stop (7) and power off every axis.
 * Tests may add their own `onPut` callbacks or `setMockValue` on top.
 * @module
 */
import { DeviceError } from '../../core/errors.js';
import { mockBackendOf, setMockValue } from '../../core/signal/mock.js';
import type { Signal } from '../../core/signal/signal.js';
import { TC_CODES } from './protocol.js';
import type { GalilAxis } from './axis.js';
import type { GalilController } from './device.js';

const installed = new WeakSet<object>();

/** Tell whether `signal`'s mock backend already got behaviour (and mark it). */
function firstTime(signal: Signal<unknown>): boolean {
  const b = mockBackendOf(signal);
  if (installed.has(b)) return false;
  installed.add(b);
  return true;
}

const value = <T>(signal: Signal<T>): T => mockBackendOf(signal).value;

/** Make an axis' mock signals behave like an ideal controller (idempotent). */
export function installAxisMock(axis: GalilAxis): void {
  if (!firstTime(axis.begin as Signal<unknown>)) return;
  let mode: 'PA' | 'PR' | 'JG' | 'HM' | 'FE' | 'FI' = 'PA';
  const reject = (code: number): never => {
    throw DeviceError.fromCode({ device: axis.name, code, table: TC_CODES });
  };
  mockBackendOf(axis.setpoint).onPut(() => void (mode = 'PA'));
  mockBackendOf(axis.distance).onPut(() => void (mode = 'PR'));
  mockBackendOf(axis.jogSpeed).onPut(() => void (mode = 'JG'));
  mockBackendOf(axis.findHome).onPut(() => void (mode = 'HM'));
  mockBackendOf(axis.findEdge).onPut(() => void (mode = 'FE'));
  mockBackendOf(axis.findIndex).onPut(() => void (mode = 'FI'));
  mockBackendOf(axis.begin).onPut(() => {
    if (!value(axis.motorOn)) reject(20);
    if (value(axis.moving)) reject(21);
    const here = value(axis.readback);
    switch (mode) {
      case 'PA':
        return arrive(axis, value(axis.setpoint), 1);
      case 'PR':
        setMockValue(axis.setpoint, here + value(axis.distance));
        return arrive(axis, here + value(axis.distance), 1);
      case 'HM':
      case 'FI':
        return arrive(axis, 0, 10);
      case 'FE':
        return arrive(axis, here, 9);
      case 'JG':
        setMockValue(axis.stopCode, 0);
        setMockValue(axis.moving, true);
        return;
    }
  });
  mockBackendOf(axis.halt).onPut(() => {
    if (!value(axis.moving)) return;
    setMockValue(axis.moving, false);
    setMockValue(axis.stopCode, 4);
  });
  mockBackendOf(axis.motorOn).onPut((on) => {
    if (on === false && value(axis.moving)) {
      setMockValue(axis.moving, false);
      setMockValue(axis.stopCode, 7);
    }
  });
  mockBackendOf(axis.definePosition).onPut((v) => {
    if (v !== undefined) setMockValue(axis.readback, v);
  });
}

function arrive(axis: GalilAxis, position: number, code: number): void {
  setMockValue(axis.readback, position);
  setMockValue(axis.moving, false);
  setMockValue(axis.stopCode, code);
}

/** Make the controller's AB and MO mock signals act on every axis (idempotent). */
export function installControllerMock(controller: GalilController): void {
  if (!firstTime(controller.abortAll as Signal<unknown>)) return;
  const list = [...controller.axes.values()];
  for (const a of list) installAxisMock(a);
  mockBackendOf(controller.abortAll).onPut(() => {
    for (const a of list) {
      if (value(a.moving)) {
        setMockValue(a.moving, false);
        setMockValue(a.stopCode, 7);
      }
    }
  });
  mockBackendOf(controller.allMotorsOff).onPut(() => {
    for (const a of list) setMockValue(a.motorOn, false);
  });
}
