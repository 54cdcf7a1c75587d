/**
 * Default mock behaviour of a pump (STYLE rule 9): after `connect({ mock: true })` its signals
 * are MockSignalBackends, and these callbacks make them act like an ideal pump — IRUN/WRUN with
 * a target volume pump it at once (volume and the direction's counter grow by the target, the
 * state becomes `target`), without a target the pump keeps running; STOP makes it idle; the
 * clear commands zero what they clear. Tests add their own `onPut` callbacks or `setMockValue`
 * on top (e.g. set `stalled`).
 * @module
 */
import { mockBackendOf, setMockValue } from '../../core/signal/mock.js';
import type { Signal } from '../../core/signal/signal.js';
import type { LegatoPump } from './device.js';
import { toMicroliters } from './units.js';

const installed = new WeakSet<object>();
const value = <T>(signal: Signal<T>): T => mockBackendOf(signal).value;

/** Make a pump's mock signals behave like an ideal pump, starting from its configured syringe (idempotent). */
export function installPumpMock(pump: LegatoPump): void {
  const key = mockBackendOf(pump.runInfuse);
  if (installed.has(key)) return;
  installed.add(key);
  setMockValue(pump.state, 'idle');
  setMockValue(pump.direction, 'infuse');
  const { diameterMm, syringeVolume } = pump.settings;
  if (diameterMm !== undefined) setMockValue(pump.diameter, diameterMm);
  if (syringeVolume !== undefined) setMockValue(pump.syringeVolume, toMicroliters(syringeVolume));
  const start = (direction: 'infuse' | 'withdraw'): void => {
    const counter = direction === 'infuse' ? pump.infusedVolume : pump.withdrawnVolume;
    const rate = value(direction === 'infuse' ? pump.infuseRate : pump.withdrawRate);
    setMockValue(pump.direction, direction);
    setMockValue(pump.rate, rate);
    setMockValue(pump.stalled, false);
    setMockValue(pump.targetReached, false);
    const target = value(pump.targetVolume);
    const done = value(counter);
    if (target > 0) {
      const add = Math.max(0, target - done);
      setMockValue(counter, done + add);
      setMockValue(pump.volume, done + add);
      setMockValue(pump.running, false);
      setMockValue(pump.targetReached, true);
      setMockValue(pump.state, 'target');
      return;
    }
    setMockValue(pump.running, true);
    setMockValue(pump.state, direction === 'infuse' ? 'infusing' : 'withdrawing');
  };
  mockBackendOf(pump.runInfuse).onPut(() => start('infuse'));
  mockBackendOf(pump.runWithdraw).onPut(() => start('withdraw'));
  const halt = (): void => {
    setMockValue(pump.running, false);
    setMockValue(pump.stalled, false);
    setMockValue(pump.state, 'idle');
  };
  mockBackendOf(pump.halt).onPut(halt);
  mockBackendOf(pump.emergencyHalt).onPut(halt);
  const clear = (direction: 'infuse' | 'withdraw'): void => {
    setMockValue(direction === 'infuse' ? pump.infusedVolume : pump.withdrawnVolume, 0);
    if (value(pump.direction) === direction) setMockValue(pump.volume, 0);
    setMockValue(pump.targetReached, false);
  };
  mockBackendOf(pump.clearInfusedVolume).onPut(() => clear('infuse'));
  mockBackendOf(pump.clearWithdrawnVolume).onPut(() => clear('withdraw'));
  mockBackendOf(pump.clearTargetVolume).onPut(() => setMockValue(pump.targetVolume, 0));
  mockBackendOf(pump.clearTargetTime).onPut(() => setMockValue(pump.targetTime, 0));
}
