/**
 * What every Alicat unit offers, meter or controller: gas selection and the front-panel and tare
 * commands, each the trigger of one command signal. Mixed into both device classes, so the meter
 * and the controller cannot drift apart.
 * @module
 */
import type { StandardReadable } from '../../core/device/standard-readable.js';
import type { SignalRW } from '../../core/signal/writable.js';
import type { Status } from '../../core/status.js';
import type { AlicatActions } from './signals.js';

/** A readable device class the unit commands are mixed into (TypeScript's mixin constructor shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ReadableDeviceClass = abstract new (...args: any[]) => StandardReadable;

/** The commands every Alicat unit has. */
export interface AlicatUnitCommands {
  /** Select a gas by name or number (unknown gases: InvalidInputError before any byte). */
  selectGas(gas: string | number): Status<void>;
  /** Lock the front display. */
  lock(): Status<unknown>;
  /** Unlock the front display. */
  unlock(): Status<unknown>;
  /** Tare absolute pressure. */
  tarePressure(): Status<unknown>;
  /** Tare flow (only with no flow through the unit). */
  tareFlow(): Status<unknown>;
  /** Reset the totalizer. */
  resetTotalizer(): Status<unknown>;
}

/** `Base` with the commands every Alicat unit has (see the module notes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withUnitCommands<B extends ReadableDeviceClass>(Base: B): B & (abstract new (...args: any[]) => AlicatUnitCommands) {
  /** An Alicat unit: its gas signal and command signals, and the commands built on them. */
  abstract class AlicatUnit extends Base implements AlicatUnitCommands {
    /** Active gas (short name). */
    abstract readonly gas: SignalRW<string>;
    /** Command signals of the unit. */
    abstract readonly actions: AlicatActions;

    /** Select a gas by name or number (unknown gases: InvalidInputError before any byte). */
    selectGas(gas: string | number): Status<void> {
      return this.gas.set(String(gas));
    }

    /** Lock the front display. */
    lock(): Status<unknown> {
      return this.actions.lock.trigger();
    }

    /** Unlock the front display. */
    unlock(): Status<unknown> {
      return this.actions.unlock.trigger();
    }

    /** Tare absolute pressure. */
    tarePressure(): Status<unknown> {
      return this.actions.tarePressure.trigger();
    }

    /** Tare flow (only with no flow through the unit). */
    tareFlow(): Status<unknown> {
      return this.actions.tareFlow.trigger();
    }

    /** Reset the totalizer. */
    resetTotalizer(): Status<unknown> {
      return this.actions.resetTotalizer.trigger();
    }
  }
  return AlicatUnit;
}
