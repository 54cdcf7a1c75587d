/**
 * TemperatureBath: a Movable whose `set(degC)` writes the setpoint and completes once the
 * temperature stayed within `tolerance` of it for `holdMs` (core `waitForStable`).
 */
import { StandardMovable, SignalR, SignalRW, SignalX, waitForStable, type ConnectOptions } from 'labrig/core';
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

/** A CR-terminated ASCII temperature bath. */
export class TemperatureBath extends StandardMovable {
  /** Bath temperature, degC. */
  readonly temperature: SignalR<number>;
  /** Setpoint, degC (limited to -20..maxTemp). */
  readonly setpoint: SignalRW<number>;
  /** Start the circulator and heater. */
  readonly start: SignalX;
  /** Stop them. */
  readonly halt: SignalX;
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
    const degC = { dtype: 'number' as const, units: 'degC', precision: 2 };
    this.temperature = signalR(ctx, { path: 'TEMP', get: (c) => c.temperature(), ...degC });
    this.setpoint = signalRW(ctx, { path: 'SP', get: (c) => c.setpoint(), set: (c, v) => c.setSetpoint(v), ...degC, limits: { low: -20, high: config.maxTemp ?? 150 } });
    this.start = signalX(ctx, 'START', (c) => c.run(true));
    this.halt = signalX(ctx, 'STOP', (c) => c.run(false));
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
