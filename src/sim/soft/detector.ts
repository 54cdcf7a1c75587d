/**
 * SoftPointDetector: a simulated point detector whose reading is a Gaussian peak of a position
 * (e.g. a SoftMotor's), plus optional seeded noise.
 * @module
 */
import { CanceledError, InvalidInputError } from '../../core/errors.js';
import type { Stoppable, Triggerable } from '../../core/protocols.js';
import { Status } from '../../core/status.js';
import { StandardReadable } from '../../core/device/standard-readable.js';
import { MockSignalBackend } from '../../core/signal/mock-backend.js';
import { SoftSignalBackend } from '../../core/signal/soft-backend.js';
import type { SignalR } from '../../core/signal/signal.js';
import type { SignalRW } from '../../core/signal/writable.js';
import { softSignalRAndSetter, softSignalRW } from '../../core/signal/factories.js';

/**
 * Where the detector samples its peak: a function (sync or async), anything with a numeric
 * `position` (a SoftMotor), or a Locatable whose `locate()` readback is used (a real device,
 * sync or async).
 */
export type PositionSource =
  | (() => number | Promise<number>)
  | { readonly position: number }
  | { locate(): { readback: unknown } | Promise<{ readback: unknown }> };

/** Shape of a Gaussian peak. */
export interface PeakShape {
  /** Peak position, in the position's units. Default 0. */
  center?: number;
  /** Standard deviation, in the position's units. Default 1. */
  sigma?: number;
  /** Height above the background, counts. Default 1. */
  amplitude?: number;
  /** Constant offset, counts. Default 0. */
  background?: number;
}

/** Return `background + amplitude * exp(-(x - center)² / (2 sigma²))`. */
export function gaussianPeak(x: number, shape: PeakShape = {}): number {
  const { center = 0, sigma = 1, amplitude = 1, background = 0 } = shape;
  return background + amplitude * Math.exp(-((x - center) ** 2) / (2 * sigma * sigma));
}

/** Return a deterministic uniform generator on [0, 1) seeded by `seed` (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Return a deterministic standard-normal generator seeded by `seed` (Box–Muller over seededRandom). */
export function seededNormal(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => {
    const u1 = 1 - uniform();
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
}

/** Options of a SoftPointDetector. */
export interface SoftPointDetectorOptions extends PeakShape {
  /** Where to sample the peak. */
  position: PositionSource;
  /** Standard deviation of added Gaussian noise, counts. Default 0 (none). */
  noise?: number;
  /** Seed of the noise generator. Default 1. */
  seed?: number;
  /** Exposure time, ms; 0 finishes `trigger()` synchronously. Default 0. */
  exposureMs?: number;
  /** Units of the reading. Default `counts`. */
  units?: string;
  /** Decimal places. Default 3. */
  precision?: number;
  /** Simulated ms per real ms for the exposure. Default 1. */
  timeScale?: number;
}

/** A simulated point detector: `trigger()` samples the peak at the position after the exposure. */
export class SoftPointDetector extends StandardReadable implements Triggerable, Stoppable {
  /** The detector's reading, counts; its data key is the detector's own name. */
  readonly value: SignalR<number>;
  /** Exposure time, ms. */
  readonly exposureMs: SignalRW<number>;
  /** Simulated ms per real ms. */
  readonly timeScale: number;

  readonly #writeValue: (v: number) => void;
  readonly #position: PositionSource;
  readonly #shape: Required<PeakShape>;
  readonly #noise: number;
  readonly #normal: () => number;
  #pending: { status: Status<unknown>; timer: ReturnType<typeof setTimeout> } | undefined;

  /** Create a detector named `name`. */
  constructor(name: string, options: SoftPointDetectorOptions) {
    super(name);
    const { center = 0, sigma = 1, amplitude = 1, background = 0 } = options;
    if (!(sigma > 0)) throw new InvalidInputError({ what: `${name}.sigma`, value: sigma, reason: 'expected a number > 0' });
    this.#shape = { center, sigma, amplitude, background };
    this.#position = options.position;
    this.#noise = options.noise ?? 0;
    this.#normal = seededNormal(options.seed ?? 1);
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new InvalidInputError({ what: `${name}.timeScale`, value: this.timeScale, reason: 'expected a number > 0' });
    const precision = options.precision ?? 3;
    [this.value, this.#writeValue] = softSignalRAndSetter(background, { units: options.units ?? 'counts', precision });
    this.exposureMs = softSignalRW(options.exposureMs ?? 0, { units: 'ms', precision, limits: { low: 0, high: 3_600_000 } });
    this.addReadables([this.value], 'hinted');
    this.addReadables([this.exposureMs], 'config');
    this.setName(name);
  }

  /** Name the detector and its signals; the value takes the detector's own name (its data key). */
  override setName(name: string): void {
    super.setName(name);
    this.value.setName(name);
  }

  /** Return what the detector would read at position `x` (noise included, advancing the generator). */
  sample(x: number): number {
    const clean = gaussianPeak(x, this.#shape);
    return this.#noise > 0 ? clean + this.#noise * this.#normal() : clean;
  }

  /**
   * Acquire: after the exposure, sample the peak at the current position and publish it. With no
   * exposure the returned Status is already finished. A trigger still pending is canceled.
   */
  trigger(): Status<unknown> {
    const name = `${this.name}.trigger()`;
    this.#cancelPending(`${this.name}: trigger superseded by a new trigger`);
    const exposure = this.#exposureNow();
    if (!(exposure > 0)) {
      const r = this.#acquire();
      if (r === undefined) return Status.finished<unknown>(undefined, name);
      const st = new Status<unknown>({ name });
      r.then(() => st.setFinished(), (e: unknown) => st.setException(e));
      return st;
    }
    const status = new Status<unknown>({ name });
    const timer = setTimeout(() => {
      this.#pending = undefined;
      const r = this.#acquire();
      if (r === undefined) status.setFinished();
      else r.then(() => status.setFinished(), (e: unknown) => status.setException(e));
    }, exposure / this.timeScale);
    this.#pending = { status, timer };
    return status;
  }

  /** Abort a pending exposure: its Status fails with CanceledError. */
  stop(): void {
    this.#cancelPending(`${this.name}: acquisition stopped`);
  }

  /** Sample at the current position; a promise when the position source is asynchronous. */
  #acquire(): void | Promise<void> {
    const x = this.#positionNow();
    if (typeof x === 'number') {
      this.#writeValue(this.sample(x));
      return undefined;
    }
    return x.then((v) => this.#writeValue(this.sample(v)));
  }

  #positionNow(): number | Promise<number> {
    const p = this.#position;
    const num = (v: unknown): number => {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new InvalidInputError({ what: `${this.name} position`, value: v, reason: 'the position source must give a number' });
      return v;
    };
    if (typeof p === 'function') {
      const v = p();
      return v instanceof Promise ? v.then(num) : num(v);
    }
    // A numeric `position` (SoftMotor) is read synchronously, even when the object can also locate().
    if (typeof (p as { position?: unknown }).position === 'number') return (p as { position: number }).position;
    if ('locate' in p && typeof p.locate === 'function') {
      const loc = p.locate();
      return loc instanceof Promise ? loc.then((l) => num(l.readback)) : num(loc.readback);
    }
    return num((p as { position: unknown }).position);
  }

  #exposureNow(): number {
    const b = this.exposureMs.backend;
    if (b instanceof SoftSignalBackend || b instanceof MockSignalBackend) return (b as SoftSignalBackend<number>).value;
    return 0;
  }

  #cancelPending(reason: string): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    clearTimeout(p.timer);
    p.status.setException(new CanceledError(reason));
  }
}
