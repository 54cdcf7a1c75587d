/**
 * GalilController: a DMC motion controller (or a RIO I/O unit) as a device tree — one GalilAxis
 * per configured axis, an optional GalilIOBank — with `stop()` for every axis and the emergency
 * stop `stop({ success: false })`: AB (abort all motion), fail every running move, then MO (power
 * off every axis), all at high priority.
 * @module
 */
import { InvalidInputError, NotConnectedError, toError } from '../../core/errors.js';
import type { ConnectOptions, Device } from '../../core/device/device.js';
import { StandardReadable } from '../../core/device/standard-readable.js';
import type { Stoppable } from '../../core/protocols.js';
import type { SignalX } from '../../core/signal/writable.js';
import { GalilAxis } from './axis.js';
import { resolveConfig, type GalilConfig } from './config.js';
import { GalilIO } from './io.js';
import { GalilIOBank } from './io-bank.js';
import { installControllerMock } from './mock.js';
import { signalX } from '../shared/signals.js';
import { galilContext, send, type GalilContext } from './signals.js';

/** A Galil controller device (see the module notes). */
export class GalilController extends StandardReadable implements Stoppable {
  /** Axes by configured name. */
  readonly axes: ReadonlyMap<string, GalilAxis>;
  /** I/O bank, when configured. */
  readonly io: GalilIOBank | undefined;
  /** AB: abort motion on every axis (high priority). */
  readonly abortAll: SignalX;
  /** MO: power off every axis (high priority). */
  readonly allMotorsOff: SignalX;
  /** The command layer (for commands the devices do not cover). */
  readonly commands: GalilIO;
  readonly #config: GalilConfig;
  readonly #release: (() => Promise<void>) | undefined;
  readonly #ctx: GalilContext;

  /**
   * Build the device tree over `commands` (from `openGalil`, or `new GalilIO(undefined)` for mock
   * use); `release` frees what the opener took for this controller (its channel), run by `close()`.
   */
  constructor(name: string, commands: GalilIO, config: GalilConfig = {}, release?: () => Promise<void>) {
    super(name);
    const r = resolveConfig(config);
    this.#config = config;
    this.#release = release;
    this.commands = commands;
    const ctx = galilContext(() => this.commands, Math.max(r.pollMs, 100), r.timeoutMs * 3);
    this.#ctx = ctx;
    const axes = new Map<string, GalilAxis>();
    for (const a of r.axes) axes.set(a.name, new GalilAxis(a, ctx, r.pollMs));
    this.axes = axes;
    this.io = r.io ? new GalilIOBank('io', r.io, ctx) : undefined;
    this.abortAll = signalX(ctx, 'AB', send('AB', true));
    this.allMotorsOff = signalX(ctx, 'MO', send('MO', true));
    this.addReadables([...axes.values()], 'child');
    if (this.io) this.addReadables([this.io], 'child');
    this.setName(name);
  }

  /** Return the axis called `name`, or throw InvalidInputError listing the axes. */
  axis(name: string): GalilAxis {
    const a = this.axes.get(name);
    if (!a) throw new InvalidInputError({ what: `${this.name}.axis`, value: name, reason: `unknown axis (have ${[...this.axes.keys()].join(', ') || 'none'})` });
    return a;
  }

  protected override childEntries(): Iterable<[string, unknown]> {
    return [...Object.entries(this), ...this.axes];
  }

  /**
   * Connect every signal; on hardware also check the controller answers (TP, or TC0 on a unit
   * without axes) and has the configured axes, apply configured speeds, and SH the axes when
   * `enableOnConnect`. In mock mode, install the default mock behaviour.
   */
  override async connect(options: ConnectOptions = {}): Promise<void> {
    await super.connect(options);
    if (options.mock) {
      installControllerMock(this);
      return;
    }
    const r = resolveConfig(this.#config);
    try {
      if (r.axes.length > 0) {
        const n = (await this.commands.tellPositions()).length;
        for (const a of r.axes) {
          const index = a.axis.charCodeAt(0) - 65;
          if (index >= n) throw new InvalidInputError({ what: `${this.name} axis ${a.name}`, value: a.axis, reason: `the controller has ${n} axes` });
        }
      } else {
        await this.commands.tellCodeNumber();
      }
      for (const a of r.axes) {
        const axis = this.axis(a.name);
        if (a.speed !== undefined) await axis.velocity.set(a.speed);
        if (a.acceleration !== undefined) await axis.acceleration.set(a.acceleration);
        if (a.deceleration !== undefined) await axis.deceleration.set(a.deceleration);
        if (a.limitDeceleration !== undefined) await axis.limitDeceleration.set(a.limitDeceleration);
        if (r.enableOnConnect) await axis.motorOn.set(true);
      }
    } catch (e) {
      throw new NotConnectedError({ device: this.name, errors: new Map([['controller', toError(e)]]) });
    }
  }

  /**
   * Stop every axis (ST) and every I/O pulse. With `success: false`, the emergency stop: AB,
   * fail every running move and reference (CanceledError), then MO on every axis.
   */
  async stop(options: { success?: boolean } = {}): Promise<void> {
    const axes = [...this.axes.values()];
    if (options.success !== false) {
      await Promise.all([...axes.map((a) => a.stop()), this.io?.stop()]);
      return;
    }
    const abort = Promise.resolve(this.abortAll.trigger());
    const halts = Promise.allSettled([...axes.map((a) => a.stop({ success: false })), this.io?.stop()]);
    const errors: Error[] = [];
    await abort.catch((e: unknown) => errors.push(toError(e)));
    await halts;
    await Promise.resolve(this.allMotorsOff.trigger()).catch((e: unknown) => errors.push(toError(e)));
    if (errors.length > 0) throw errors[0];
  }

  /** Stop every signal's polling, then release the channel (closed when this controller's opener opened it). */
  async close(): Promise<void> {
    this.#ctx.dispose();
    await this.#release?.();
  }

  /** List child devices (axes and io) for tools. */
  devices(): Device[] {
    return [...this.axes.values(), ...(this.io ? [this.io] : [])];
  }
}
