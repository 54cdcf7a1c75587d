/**
 * Types of the rig layer: what a device of a rig is, how one instrument family plugs in (one
 * {@link FamilyAdapter} per family), and what an e-stop reports.
 * @module
 */
import type { StandardReadable } from '../core/device/standard-readable.js';
import type { Stoppable } from '../core/protocols.js';

/** A device of a rig: a readable device tree that can stop and be closed (every driver's device is one). */
export type RigDevice = StandardReadable & Partial<Stoppable> & { close(): Promise<void> };

/** Per-device options from a rig file (the driver's open options, e.g. `axes` for Galil). */
export type DeviceOptions = Record<string, unknown>;

/** A device a family opened, and how to release it (its transport included). */
export interface OpenedDevice {
  readonly device: RigDevice;
  /** Close the device and its transport. Idempotent. */
  close(): Promise<void>;
}

/** A simulator started in-process for a `sim:` URI. */
export interface StartedSim {
  /** Driver URI the real driver connects to (loopback TCP or a pty path). */
  readonly uri: string;
  /** The family's simulator object (`GalilSim`, `AlicatSim`, `LegatoSim`), for tests and tools. */
  readonly handle: unknown;
  /** Stop the simulator and release its sockets, timers and ptys. */
  close(): Promise<void>;
}

/** How one instrument family plugs into rigs and the command line. */
export interface FamilyAdapter {
  /** Family name, as in `sim:<family>`. */
  readonly family: string;
  /** Driver URI schemes of the family, e.g. `galil+tcp`. */
  readonly schemes: readonly string[];
  /** Option names a rig entry may give (anything else is an InvalidInputError). */
  readonly optionKeys: readonly string[];
  /** Query parameters a `sim:<family>?...` URI may give. */
  readonly simParams: readonly string[];
  /** Names `labrig set` maps to the device's own `set()` (move, setpoint, dispense), besides `.`. */
  readonly moveAliases?: readonly string[];
  /**
   * Check options without any I/O and return them with family defaults filled (e.g. a Galil axis
   * named `A` drives axis letter A); throw InvalidInputError naming the field (relative to the entry).
   */
  checkOptions(options: DeviceOptions): DeviceOptions;
  /** Check a driver URI without any I/O; throw InvalidInputError naming the part. */
  checkUri(uri: string): void;
  /** Check `sim:` parameters (and the options they must agree with) without any I/O; throw InvalidInputError naming the parameter. */
  checkSimParams(params: Readonly<Record<string, string>>, options: DeviceOptions): void;
  /** Connect the real driver to `uri`; `name` becomes the device name (data key prefix). */
  open(uri: string, name: string, options: DeviceOptions): Promise<OpenedDevice>;
  /** Start the simulator on loopback (port 0) or a pty; `options` are the device's (to size the simulator). */
  startSim(params: Readonly<Record<string, string>>, options: DeviceOptions): Promise<StartedSim>;
  /**
   * After `stop({ success: false })`: resolve with a short description once the device reports it
   * is stopped (poll until then; give up when `signal` aborts), or reject with a typed error.
   */
  confirmStopped(device: RigDevice, signal: AbortSignal): Promise<string>;
}

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
