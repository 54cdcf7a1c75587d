/**
 * The shared state of a simulated Galil controller: its axes, its I/O banks (digital inputs and
 * outputs, analog inputs following a settable waveform, analog outputs) and its output format.
 * Every TCP connection or pty talks to the same model through its own command parser.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { SimAxis, type SimAxisConfig } from './axis.js';

/** An analog input signal: a constant, a periodic waveform, or a function of time (ms) → volts. */
export type Waveform =
  | number
  | { kind: 'sine' | 'square' | 'triangle'; amplitude: number; offset?: number; periodMs: number }
  | ((tMs: number) => number);

/** I/O of the simulated controller (channel numbers as the controller uses them). */
export interface SimIOConfig {
  /** Digital inputs. Default 1..16. */
  digitalInputs?: number[];
  /** Digital outputs. Default 1..16. */
  digitalOutputs?: number[];
  /** Analog inputs. Default 1..8. */
  analogInputs?: number[];
  /** Analog outputs. Default 0..7. */
  analogOutputs?: number[];
}

/** Options of a simulated controller. */
export interface GalilModelOptions {
  /** Number of axes (1..8) or one config per axis. Default 4. */
  axes?: number | SimAxisConfig[];
  io?: SimIOConfig;
  /** Model name reported in messages. Default `DMC4040`. */
  name?: string;
  /** Clock in ms (default performance.now); tests may drive time by hand. */
  now?: () => number;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Evaluate a waveform at `tMs`, clipped to ±10 V and quantised to 16 bits like the controller's ADC. */
export function evaluateWaveform(w: Waveform, tMs: number): number {
  let v: number;
  if (typeof w === 'number') v = w;
  else if (typeof w === 'function') v = w(tMs);
  else {
    const phase = ((tMs % w.periodMs) + w.periodMs) % w.periodMs / w.periodMs;
    const shape = w.kind === 'sine' ? Math.sin(2 * Math.PI * phase) : w.kind === 'square' ? (phase < 0.5 ? 1 : -1) : 1 - 4 * Math.abs(phase - 0.5);
    v = (w.offset ?? 0) + w.amplitude * shape;
  }
  if (!Number.isFinite(v)) v = 0;
  const lsb = 20 / 65536;
  return Math.round(Math.max(-10, Math.min(10, v)) / lsb) * lsb;
}

/** State of one simulated controller (see the module notes). */
export class GalilModel {
  readonly name: string;
  readonly axes: SimAxis[];
  /** Digital input levels by channel. */
  readonly inputs = new Map<number, boolean>();
  /** Digital output states by channel. */
  readonly outputs = new Map<number, boolean>();
  /** Analog input waveforms by channel. */
  readonly analogIn = new Map<number, Waveform>();
  /** Analog output volts by channel. */
  readonly analogOut = new Map<number, number>();
  /** Decimal places of positions (PF n.m). */
  positionDecimals = 0;
  readonly now: () => number;
  readonly startedAt: number;
  /** Commands executed, for benchmarks and tests. */
  commands = 0;

  constructor(options: GalilModelOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.name = options.name ?? 'DMC4040';
    const spec = options.axes ?? 4;
    const configs = typeof spec === 'number' ? Array.from({ length: spec }, () => ({})) : spec;
    if (!Array.isArray(configs) || configs.length > 8) throw new InvalidInputError({ what: 'galil sim axes', value: spec, reason: 'give 0..8 axes' });
    this.axes = configs.map((c, i) => new SimAxis(String.fromCharCode(65 + i), c));
    const io = options.io ?? {};
    for (const n of io.digitalInputs ?? range(1, 16)) this.inputs.set(n, true); // inputs are pulled up: 1 when open
    for (const n of io.digitalOutputs ?? range(1, 16)) this.outputs.set(n, false);
    for (const n of io.analogInputs ?? range(1, 8)) this.analogIn.set(n, 0);
    for (const n of io.analogOutputs ?? range(0, 7)) this.analogOut.set(n, 0);
  }

  /** Return the axis with `letter`, or undefined. */
  axis(letter: string): SimAxis | undefined {
    return this.axes[letter.charCodeAt(0) - 65];
  }

  /** Set a digital input level (as wiring would). */
  setInput(n: number, high: boolean): void {
    if (!this.inputs.has(n)) throw new InvalidInputError({ what: 'galil sim input', value: n, reason: 'no such digital input' });
    this.inputs.set(n, high);
  }

  /** Set what an analog input reads. */
  setAnalog(n: number, waveform: Waveform): void {
    if (!this.analogIn.has(n)) throw new InvalidInputError({ what: 'galil sim analog input', value: n, reason: 'no such analog input' });
    this.analogIn.set(n, waveform);
  }

  /** Read analog input `n` now, volts. */
  analog(n: number): number | undefined {
    const w = this.analogIn.get(n);
    return w === undefined ? undefined : evaluateWaveform(w, this.now() - this.startedAt);
  }

  /** Stop one axis at once with `code` (e.g. 8 off-on-error, 15 amplifier fault), powering it off when `motorOff`. */
  trip(letter: string, code: number, motorOff = true): void {
    const a = this.axis(letter);
    if (!a) throw new InvalidInputError({ what: 'galil sim axis', value: letter, reason: 'no such axis' });
    a.abort(this.now(), code);
    if (!a.moving(this.now())) a.sc = code;
    if (motorOff) a.motorOff = true;
  }

  /** Reset like RS / a power cycle: axes to power-up state, outputs off, format back to default. */
  reset(): void {
    const now = this.now();
    for (const a of this.axes) a.reset(now);
    for (const n of this.outputs.keys()) this.outputs.set(n, false);
    for (const n of this.analogOut.keys()) this.analogOut.set(n, 0);
    this.positionDecimals = 0;
  }

  /** Tell whether every axis is at rest. */
  allStopped(): boolean {
    const now = this.now();
    return this.axes.every((a) => !a.moving(now));
  }
}
