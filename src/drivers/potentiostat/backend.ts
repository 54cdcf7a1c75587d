/**
 * The contract between the potentiostat channel device and a vendor driver (BioLogic EClib,
 * GamryCOM, a mock): types only, behaviour in TSDoc.
 * @module
 */
import type { CurrentRange, Technique, TechniqueKind } from './techniques.js';

/** Overload flags of a data point (bit set = overload): current, potential (compliance). */
export const OVERLOAD_CURRENT = 1;
/** Potential overload / compliance reached. */
export const OVERLOAD_POTENTIAL = 2;

/** A time-domain point (OCV, CA, CP, LSV, CV). */
export interface TimePoint {
  readonly kind: 'time';
  /** Seconds since the technique started. */
  readonly t: number;
  /** Working-electrode potential, V. */
  readonly ewe: number;
  /** Current, A (anodic positive). */
  readonly i: number;
  /** Cycle number, from 0 (sweeps), else 0. */
  readonly cycle: number;
  /** Overload flags ({@link OVERLOAD_CURRENT} | {@link OVERLOAD_POTENTIAL}). */
  readonly overload: number;
}

/** One EIS frequency. */
export interface EisPoint {
  readonly kind: 'eis';
  /** Seconds since the technique started. */
  readonly t: number;
  /** Frequency, Hz. */
  readonly freq: number;
  /** Real part of the impedance, Ω. */
  readonly zRe: number;
  /** Imaginary part of the impedance, Ω. */
  readonly zIm: number;
  /** DC potential, V. */
  readonly ewe: number;
  /** DC current, A. */
  readonly i: number;
  readonly overload: number;
}

/** A data point. */
export type PstatPoint = TimePoint | EisPoint;

/** What the instrument is doing. */
export type ControlState = 'idle' | 'running' | 'stopped' | 'error';

/** Values read at any time. */
export interface PstatReadings {
  /** Working-electrode potential, V. */
  readonly ewe: number;
  /** Current, A. */
  readonly i: number;
  readonly state: ControlState;
  readonly cellOn: boolean;
}

/** Progress of a running technique. */
export interface TechniqueProgress {
  /** Points measured so far. */
  readonly points: number;
  /** Seconds since start (instrument time). */
  readonly elapsedS: number;
  /** Cycle being measured (sweeps), from 0. */
  readonly cycle: number;
  /** Fraction done 0..1 when known. */
  readonly fraction?: number;
}

/** A technique running on a channel. */
export interface TechniqueRun {
  /**
   * Resolves when the technique ends by itself or after `stop()`; rejects with a DeviceError /
   * DisconnectedError when the instrument reports an error or the connection is lost. Points
   * measured before the failure stay available through `take()`.
   */
  readonly done: Promise<void>;
  /** Remove and return the points measured since the last call (in measurement order). */
  take(): PstatPoint[];
  /** Progress so far. */
  progress(): TechniqueProgress;
  /** Ask the instrument to stop; resolves when it has (then `done` resolves). */
  stop(): Promise<void>;
}

/** One vendor's channel. */
export interface PotentiostatBackend {
  /** Vendor and model, for metadata: `Gamry IFC1010`, `BioLogic VMP3 ch 1`. */
  readonly model: string;
  /** Techniques this channel runs. */
  readonly techniques: readonly TechniqueKind[];
  /** Why this channel cannot run `t` (a parameter beyond the instrument), or undefined. No I/O. */
  unsupported?(t: Technique): string | undefined;
  /** Open the session (resolves when the channel answers); rejects with a typed error. */
  connect(): Promise<void>;
  /** Close the session; never rejects. */
  close(): Promise<void>;
  /** Start a checked technique; `onData` is called (no arguments) when new points can be taken. */
  start(t: Technique, onData: () => void): Promise<TechniqueRun>;
  /** Switch the cell on or off. */
  setCell(on: boolean): Promise<void>;
  /** Set the current range. */
  setCurrentRange(range: CurrentRange): Promise<void>;
  /** Read Ewe, I and the control state now. */
  readNow(): Promise<PstatReadings>;
}
