/**
 * Types of the rig layer: what a device of a rig is and what an e-stop reports. How a family
 * plugs in is its descriptor (`src/drivers/family.ts`, `src/sim/family.ts`).
 * @module
 */
import type { FamilyDevice } from '../drivers/family.js';

/** A device of a rig: a readable device tree that can stop and be closed (every family's device is one). */
export type RigDevice = FamilyDevice;

/** Per-device options from a rig file (the family's parameters, e.g. `axes` for Galil). */
export type DeviceOptions = Record<string, unknown>;

export type { StartedSim } from '../sim/family.js';

/** Outcome of the e-stop of one device. */
export interface EStopResult {
  /** Rig name of the device. */
  readonly device: string;
  readonly family: string;
  /** True when the stop was sent and the device confirmed it is stopped. */
  readonly ok: boolean;
  /** Time from the e-stop request to this device confirmed stopped (or failed), ms. */
  readonly elapsedMs: number;
  /** What was confirmed (`A, B stopped, motors off`, `valve held (HLD)`, `idle`), or the failure. */
  readonly detail: string;
  /** The failure, when not ok. */
  readonly error?: Error;
}

/** Outcome of a rig-wide e-stop. */
export interface EStopReport {
  /** Time from the request to every device stopped (or failed), ms. */
  readonly elapsedMs: number;
  /** True when every device confirmed it stopped. */
  readonly ok: boolean;
  /** Per device, by rig name. */
  readonly results: Readonly<Record<string, EStopResult>>;
}
