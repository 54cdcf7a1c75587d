/**
 * GalilIOBank: the digital inputs, digital outputs and analog inputs of a DMC or RIO as signals,
 * plus set/clear bit and timed output pulses.
 * @module
 */
import { InvalidInputError, toError } from '../../core/errors.js';
import { DeviceVector } from '../../core/device/device.js';
import { sleep } from '../../core/device/timeout.js';
import { StandardReadable } from '../../core/device/standard-readable.js';
import type { SignalR } from '../../core/signal/signal.js';
import type { SignalRW } from '../../core/signal/writable.js';
import { Status } from '../../core/status.js';
import type { GalilIOConfig } from './config.js';
import { parseFlag, parseNumber } from './protocol.js';
import { signalR, signalRW } from '../shared/signals.js';
import { ask, type GalilContext } from './signals.js';

/** Options of {@link GalilIOBank.pulse}. */
export interface PulseOptions {
  /** Level during the pulse: true (SB then CB) or false (CB then SB). Default true. */
  level?: boolean;
}

/** Digital and analog I/O of a Galil controller. */
export class GalilIOBank extends StandardReadable {
  /** Digital inputs by number (`@IN[n]`), true = high. */
  readonly inputs: DeviceVector<SignalR<boolean>>;
  /** Digital outputs by number: set true → SB n, false → CB n; read `@OUT[n]`. */
  readonly outputs: DeviceVector<SignalRW<boolean>>;
  /** Analog inputs by number (`@AN[n]`), volts. */
  readonly analog: DeviceVector<SignalR<number>>;
  #pulses = new Set<Status<void>>();

  /** Build the signals of the configured channels. */
  constructor(name: string, config: Required<GalilIOConfig>, ctx: GalilContext) {
    super(name);
    this.inputs = new DeviceVector<SignalR<boolean>>(config.digitalInputs.map((n) => [n, signalR(ctx, { ...ask(`MG @IN[${n}]`, parseFlag), dtype: 'boolean' })] as [number, SignalR<boolean>]));
    this.outputs = new DeviceVector<SignalRW<boolean>>(
      config.digitalOutputs.map((n) => [n, signalRW(ctx, { ...ask(`MG @OUT[${n}]`, parseFlag), set: (c, on) => c.command(on ? `SB ${n}` : `CB ${n}`), dtype: 'boolean' })] as [number, SignalRW<boolean>]),
    );
    this.analog = new DeviceVector<SignalR<number>>(config.analogInputs.map((n) => [n, signalR(ctx, { ...ask(`MG @AN[${n}]`, parseNumber), dtype: 'number', units: 'V', precision: 4 })] as [number, SignalR<number>]));
    this.addReadables([...this.inputs].map(([, s]) => s), 'uncached');
    this.addReadables([...this.outputs].map(([, s]) => s), 'uncached');
    this.addReadables([...this.analog].map(([, s]) => s), 'uncached');
    this.setName(name);
  }

  /** Return output `n`, or throw InvalidInputError naming the configured outputs. */
  output(n: number): SignalRW<boolean> {
    const s = this.outputs.get(n);
    if (!s) throw new InvalidInputError({ what: `${this.name}.output`, value: n, reason: `not a configured output (have ${[...this.outputs].map(([k]) => k).join(', ') || 'none'})` });
    return s;
  }

  /** SB: set output `n` high. */
  async setBit(n: number): Promise<void> {
    await this.output(n).set(true);
  }

  /** CB: set output `n` low. */
  async clearBit(n: number): Promise<void> {
    await this.output(n).set(false);
  }

  /**
   * Pulse output `n` for `durationMs` ms (SB, wait, CB). Cancel the Status (or `stop()`) to end the
   * pulse early: the output is restored at once. The output is restored also when the wait fails.
   */
  pulse(n: number, durationMs: number, options: PulseOptions = {}): Status<void> {
    let out: SignalRW<boolean>;
    try {
      out = this.output(n);
      if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
        throw new InvalidInputError({ what: `${this.name}.pulse durationMs`, value: durationMs, reason: 'must be a finite number >= 0' });
      }
    } catch (e) {
      return Status.failed(e, `${this.name}.pulse(${n})`);
    }
    const level = options.level ?? true;
    const job = Status.wrap<void>(async (signal) => {
      await out.set(level);
      try {
        await sleep(durationMs, signal);
      } finally {
        await out.set(!level);
      }
    }, { name: `${this.name}.pulse(${n}, ${durationMs} ms)` });
    this.#pulses.add(job);
    job.addCallback(() => this.#pulses.delete(job));
    return job;
  }

  /** Cancel every running pulse (their outputs are restored). */
  async stop(): Promise<void> {
    for (const p of [...this.#pulses]) p.cancel(`${this.name}: pulse stopped`);
  }
}
