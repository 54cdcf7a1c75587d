/**
 * Bounded exponential backoff for reconnects.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** How a channel reconnects after a lost link. */
export interface ReconnectOptions {
  /** First wait, in milliseconds. Default 100. */
  initialDelayMs?: number;
  /** Longest wait, in milliseconds. Default 5000. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Give up (channel closes) after this many failed attempts. Default Infinity. */
  maxAttempts?: number;
  /** Random spread of each wait, as a fraction 0..1 (0.2 = ±20%). Default 0. */
  jitter?: number;
  /** Time allowed per connect attempt, in milliseconds. Default 3000. */
  connectTimeoutMs?: number;
  /** Random source in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
}

function num(what: string, v: number | undefined, dflt: number, ok: (n: number) => boolean, rule: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) throw new InvalidInputError({ what: `reconnect.${what}`, value: v, reason: rule });
  return v;
}

/** Compute successive reconnect delays. */
export class Backoff {
  /** Attempts made since the last reset (the one being scheduled included). */
  attempts = 0;
  readonly connectTimeoutMs: number;
  private readonly initial: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly maxAttempts: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(o: ReconnectOptions) {
    this.initial = num('initialDelayMs', o.initialDelayMs, 100, (n) => n >= 0 && Number.isFinite(n), 'must be a finite number >= 0');
    this.max = num('maxDelayMs', o.maxDelayMs, 5000, (n) => n >= this.initial && Number.isFinite(n), 'must be finite and >= initialDelayMs');
    this.factor = num('factor', o.factor, 2, (n) => n >= 1 && Number.isFinite(n), 'must be a finite number >= 1');
    this.maxAttempts = num('maxAttempts', o.maxAttempts, Infinity, (n) => n >= 1, 'must be >= 1');
    this.jitter = num('jitter', o.jitter, 0, (n) => n >= 0 && n <= 1, 'must lie in 0..1');
    this.connectTimeoutMs = num('connectTimeoutMs', o.connectTimeoutMs, 3000, (n) => n > 0 && Number.isFinite(n), 'must be a finite number > 0');
    this.random = o.random ?? Math.random;
  }

  /** Return the wait before the next attempt, or undefined when attempts are used up. */
  next(): number | undefined {
    if (this.attempts >= this.maxAttempts) {
      this.attempts++;
      return undefined;
    }
    const base = Math.min(this.max, this.initial * this.factor ** this.attempts);
    this.attempts++;
    if (this.jitter === 0) return base;
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.min(this.max, base + spread));
  }

  /** Start again from the first delay (after a successful connect). */
  reset(): void {
    this.attempts = 0;
  }
}
