/**
 * TemperatureBath: a Movable whose `set(degC)` writes the setpoint and completes once the
 * temperature stayed within `tolerance` of it for `holdMs` (core `waitForStable`).
 */
import { StandardMovable, waitForStable, type ConnectOptions } from 'labrig/core';
import { SignalContext, signalR, signalRW, signalX } from 'labrig/drivers/shared';
import type { BathIO } from './io.js';
import { installBathMock } from './mock.js';

/** Settings of a bath. */
export interface BathConfig {
  /** Highest setpoint, degC. Default 150. */
  maxTemp?: number;
  /** Settled when within this many degC. Default 0.2. */
  tolerance?: number;
  /** ... for this long, ms. Default 200. */
  holdMs?: number;
}

/** Declare the bath's signals: one line each, documented once (the class gets its fields from here). */
function bathSignals(ctx: SignalContext<BathIO>, maxTemp: number) {
  const degC = { dtype: 'number' as const, units: 'degC', precision: 2 };
  return {
    /** Bath temperature, degC. */
    temperature: signalR(ctx, { path: 'TEMP', get: (c) => c.temperature(), ...degC }),
    /** Setpoint, degC (limited to -20..maxTemp). */
    setpoint: signalRW(ctx, { path: 'SP', get: (c) => c.setpoint(), set: (c, v) => c.setSetpoint(v), ...degC, limits: { low: -20, high: maxTemp } }),
    /** Start the circulator and heater. */
    start: signalX(ctx, 'START', (c) => c.run(true)),
    /** Stop them. */
    halt: signalX(ctx, 'STOP', (c) => c.run(false)),
  };
}

/** The bath's signals, each documented where `bathSignals` declares it. */
export type BathSignals = Readonly<ReturnType<typeof bathSignals>>;

/** The bath has every signal of `bathSignals` as a readonly field (declaration merging with the class below). */
export interface TemperatureBath extends BathSignals {}

/** A CR-terminated ASCII temperature bath. */
export class TemperatureBath extends StandardMovable {
  /** The command layer. */
  readonly commands: BathIO;
  readonly #ctx: SignalContext<BathIO>;
  readonly #release: (() => Promise<void>) | undefined;

  /** Build the bath over `commands`; `release` frees what its opener took (run by `close()`). */
  constructor(name: string, commands: BathIO, config: BathConfig = {}, release?: () => Promise<void>) {
    super(name);
    this.commands = commands;
    this.#release = release;
    const ctx = new SignalContext<BathIO>({ family: 'bath', commands: () => this.commands, timeoutMs: 3000, pollMs: 100 });
    this.#ctx = ctx;
    Object.assign(this, bathSignals(ctx, config.maxTemp ?? 150));
    const tolerance = config.tolerance ?? 0.2;
    this.setMoveLogic({
      readback: this.temperature,
      setpoint: this.setpoint,
      units: 'degC',
      move: async (target, signal) => {
        await this.setpoint.set(target);
        await waitForStable(this.temperature, (v) => Math.abs(v - target) <= tolerance, config.holdMs ?? 200, { timeoutMs: Infinity, signal });
      },
      stop: async () => {
        await this.halt.trigger();
      },
      limits: () => ({ low: -20, high: config.maxTemp ?? 150 }),
      timeoutMs: (target, initial) => 60_000 + Math.abs(target - initial) * 60_000,
    });
    this.addReadables([this.temperature], 'hinted');
    this.addReadables([this.setpoint], 'config');
    this.setName(name);
  }

  /** Connect; in mock mode, install the default mock behaviour. */
  override async connect(options: ConnectOptions = {}): Promise<void> {
    await super.connect(options);
    if (options.mock) installBathMock(this);
  }

  /** Stop every poll, then release the channel. */
  async close(): Promise<void> {
    this.#ctx.dispose();
    await this.#release?.();
  }
}
