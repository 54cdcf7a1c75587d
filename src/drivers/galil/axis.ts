/**
 * GalilAxis: one DMC axis as a Movable in engineering units. Every command goes through a signal
 * (PA, PR, BG, ST, SH/MO, HM/FE/FI, DP, queries), so the same logic runs on the controller, on its
 * simulator and on mock signals (`connect({ mock: true })`, with a default mock behaviour).
 * @module
 */
import { CanceledError, DeviceError, InvalidInputError, toError } from '../../core/errors.js';
import { StandardMovable } from '../../core/device/standard-movable.js';
import { sleep } from '../../core/device/timeout.js';
import type { ConnectOptions } from '../../core/device/device.js';
import type { SignalR } from '../../core/signal/signal.js';
import type { SignalRW, SignalW, SignalX } from '../../core/signal/writable.js';
import { Status } from '../../core/status.js';
import { toCounts, type ResolvedAxis } from './config.js';
import { installAxisMock } from './mock.js';
import {
  assign, describeStopCode, MAX_ACCEL_COUNTS, MAX_POSITION_COUNTS, MAX_SPEED_COUNTS, MIN_ACCEL_COUNTS,
  parseFlag, parseNumber, parseStopCode, type AxisLetter,
} from './protocol.js';
import { signalR, signalRW, signalW, signalX } from '../shared/signals.js';
import { ask, send, type GalilContext } from './signals.js';

/** Options of {@link GalilAxis.reference}, the homing sequence HELAO calls setaxisref. */
export interface ReferenceOptions {
  /** Search: HM (switch then index, position 0 there), FE (switch edge) or FI (index). Default HM. */
  mode?: 'HM' | 'FE' | 'FI';
  /** Speed of the first search, units/s. Default: the current speed. */
  speed?: number;
  /** Move back this far (units, signed) after the first search, then search again slowly. */
  backoff?: number;
  /** Speed of the second, slow search, units/s (needs `backoff`). */
  slowSpeed?: number;
  /** Move this far (units, signed) from the switch before defining the position. Default 0. */
  offset?: number;
  /** Position (units) defined where the sequence ends (DP). Default 0. */
  define?: number;
}

/** Convert a position to counts, refusing one beyond the 32-bit range. */
const positionCounts = (what: string, units: number, cpu: number): number => {
  const c = toCounts(what, units, cpu);
  if (Math.abs(c) > MAX_POSITION_COUNTS) throw new InvalidInputError({ what, value: units, reason: `is beyond the controller's ±${MAX_POSITION_COUNTS} counts` });
  return c;
};

/**
 * Declare the signals of the axis `config` (one line each, documented once: the class gets its
 * typed fields from this object, see {@link GalilAxisSignals}).
 */
function axisSignals(config: ResolvedAxis, ctx: GalilContext) {
  const { axis: a, countsPerUnit: cpu, units: u, precision: p } = config;
  const num = (reply: string): number => parseNumber(reply) / cpu;
  const active = (reply: string): boolean => !parseFlag(reply);
  const rate = (what: string, cmd: string, low: number, high: number) => (v: number) => assign(cmd, a, toCounts(what, v, cpu), low, high);
  const pos = { dtype: 'number' as const, units: u, precision: p };
  const speed = { dtype: 'number' as const, units: `${u}/s`, precision: p };
  const accel = { dtype: 'number' as const, units: `${u}/s^2`, precision: p };
  return {
    /** Position (TP), units; its data key is the axis' own name. */
    readback: signalR(ctx, { ...ask(`TP${a}`, num), ...pos }),
    /** Absolute target (PA), units. */
    setpoint: signalRW(ctx, { ...ask(`MG _PA${a}`, num), set: (c, v) => c.command(`PA${a}=${positionCounts('setpoint', v, cpu)}`), ...pos, ...(config.limits ? { limits: config.limits } : {}) }),
    /** Relative distance (PR), units. */
    distance: signalRW(ctx, { ...ask(`MG _PR${a}`, num), set: (c, v) => c.command(`PR${a}=${positionCounts('distance', v, cpu)}`), ...pos }),
    /** Slew speed (SP), units/s. */
    velocity: signalRW(ctx, { ...ask(`MG _SP${a}`, num), set: (c, v) => c.command(rate('velocity', 'SP', 0, MAX_SPEED_COUNTS)(v)), ...speed }),
    /** Acceleration (AC), units/s². */
    acceleration: signalRW(ctx, { ...ask(`MG _AC${a}`, num), set: (c, v) => c.command(rate('acceleration', 'AC', MIN_ACCEL_COUNTS, MAX_ACCEL_COUNTS)(v)), ...accel }),
    /** Deceleration (DC), units/s². */
    deceleration: signalRW(ctx, { ...ask(`MG _DC${a}`, num), set: (c, v) => c.command(rate('deceleration', 'DC', MIN_ACCEL_COUNTS, MAX_ACCEL_COUNTS)(v)), ...accel }),
    /** Deceleration at a limit switch (SD), units/s². */
    limitDeceleration: signalRW(ctx, { ...ask(`MG _SD${a}`, num), set: (c, v) => c.command(rate('limitDeceleration', 'SD', MIN_ACCEL_COUNTS, MAX_ACCEL_COUNTS)(v)), ...accel }),
    /** Jog speed (JG), units/s, signed. */
    jogSpeed: signalRW(ctx, { ...ask(`MG _JG${a}`, num), set: (c, v) => c.command(rate('jogSpeed', 'JG', -MAX_SPEED_COUNTS, MAX_SPEED_COUNTS)(v)), ...speed }),
    /** Servo enabled: true = SH, false = MO (read from `_MO`). */
    motorOn: signalRW(ctx, { ...ask(`MG _MO${a}`, active), set: (c, on) => c.command(on ? `SH${a}` : `MO${a}`), dtype: 'boolean' }),
    /** True while the profiler runs (`_BG`). */
    moving: signalR(ctx, { ...ask(`MG _BG${a}`, parseFlag), dtype: 'boolean' }),
    /** Stop code (SC) of the last motion. */
    stopCode: signalR(ctx, { ...ask(`SC${a}`, parseStopCode), dtype: 'integer' }),
    /** Position error (TE), units. */
    positionError: signalR(ctx, { ...ask(`TE${a}`, num), ...pos }),
    /** True while the forward limit switch is active (`_LF` = 0). */
    forwardLimit: signalR(ctx, { ...ask(`MG _LF${a}`, active), dtype: 'boolean' }),
    /** True while the reverse limit switch is active (`_LR` = 0). */
    reverseLimit: signalR(ctx, { ...ask(`MG _LR${a}`, active), dtype: 'boolean' }),
    /** State of the home input (`_HM`). */
    homeInput: signalR(ctx, { ...ask(`MG _HM${a}`, parseFlag), dtype: 'boolean' }),
    /** BG: begin the prepared motion. */
    begin: signalX(ctx, `BG${a}`, send(`BG${a}`)),
    /** ST: decelerate to a stop (sent at high priority). */
    halt: signalX(ctx, `ST${a}`, send(`ST${a}`, true)),
    /** HM: prepare a home search. */
    findHome: signalX(ctx, `HM${a}`, send(`HM${a}`)),
    /** FE: prepare a find-edge. */
    findEdge: signalX(ctx, `FE${a}`, send(`FE${a}`)),
    /** FI: prepare a find-index. */
    findIndex: signalX(ctx, `FI${a}`, send(`FI${a}`)),
    /** DP: define the current position, units. */
    definePosition: signalW(ctx, { path: `DP${a}`, set: (c, v: number) => c.command(`DP${a}=${positionCounts('definePosition', v, cpu)}`), ...pos }),
  };
}

/** The signals of a {@link GalilAxis}, each documented where it is declared (in `axisSignals`); the axis has them as readonly fields. */
export type GalilAxisSignals = Readonly<ReturnType<typeof axisSignals>>;

/** The signal fields of a {@link GalilAxis} (declaration merging with the class below: the fields are assigned from `axisSignals` in the constructor, never listed twice). */
export interface GalilAxis extends GalilAxisSignals {}

/** One DMC axis (see the module notes); positions in `units`, speeds in units/s, accelerations in units/s². */
export class GalilAxis extends StandardMovable {
  /** Axis letter on the controller. */
  readonly axis: AxisLetter;
  /** Encoder counts per unit. */
  readonly countsPerUnit: number;
  /** Engineering units of positions. */
  readonly units: string;
  /** Software limits, units. */
  readonly limits: { low: number; high: number } | undefined;
  readonly #pollMs: number;
  #relative: { target: number; delta: number } | undefined;
  #jobs = new Set<Status<void>>();

  /** Build the axis from its resolved config; `ctx` gives the controller's I/O. */
  constructor(config: ResolvedAxis, ctx: GalilContext, motionPollMs: number) {
    super(config.name);
    this.axis = config.axis;
    this.countsPerUnit = config.countsPerUnit;
    this.units = config.units;
    this.limits = config.limits;
    this.#pollMs = motionPollMs;
    Object.assign(this, axisSignals(config, ctx));
    // Uncached: a staged axis must read its position fresh after each move, not from the
    // subscription's poll cache (which can hold a position from during the move).
    this.addReadables([this.readback], 'hinted-uncached');
    this.addReadables([this.velocity, this.acceleration, this.deceleration], 'config');
    this.setMoveLogic({
      readback: this.readback,
      setpoint: this.setpoint,
      units: config.units,
      precision: config.precision,
      move: (target, signal) => this.#move(target, signal),
      stop: () => this.#halt(),
      limits: () => this.limits,
      speed: async () => Math.abs(await this.velocity.getValue()),
    });
    this.setName(config.name);
  }

  /** Rename the axis; its readback carries the axis' own name (data key `stage-x`, not `stage-x-readback`). */
  override setName(name: string): void {
    super.setName(name);
    this.readback?.setName(name);
  }

  /** Connect the signals; in mock mode also install the default mock behaviour (moves arrive at once). */
  override async connect(options: ConnectOptions = {}): Promise<void> {
    await super.connect(options);
    if (options.mock) installAxisMock(this);
  }

  /**
   * Move by `delta` units (PR + BG): the target (current position + delta) is checked against
   * the limits before any motion command is sent. Resolves like `set`.
   */
  moveBy(delta: number): Status<void> {
    if (typeof delta !== 'number' || !Number.isFinite(delta)) return Status.failed(new InvalidInputError({ what: `${this.name}.moveBy`, value: delta, reason: 'expected a finite number' }));
    const out = new Status<void>({ name: `${this.name}.moveBy(${delta})` });
    void (async () => {
      try {
        const here = await this.readback.getValue(false);
        const target = here + delta;
        await this.checkValue(target);
        this.#relative = { target, delta };
        await this.set(target);
        out.setFinished();
      } catch (e) {
        out.setException(e);
      }
    })();
    return out;
  }

  /** Start jogging at `speed` units/s (JG + BG); resolves once motion began. `stop()` ends it. */
  async jog(speed: number): Promise<void> {
    if (typeof speed !== 'number' || !Number.isFinite(speed)) throw new InvalidInputError({ what: `${this.name}.jog`, value: speed, reason: 'expected a finite number' });
    await this.jogSpeed.set(speed);
    await this.begin.trigger();
  }

  /** Run a homing/reference sequence (HM/FE/FI + BG, optional back-off and slow search, offset, DP). */
  reference(options: ReferenceOptions = {}): Status<void> {
    const mode = options.mode ?? 'HM';
    if (!['HM', 'FE', 'FI'].includes(mode)) return Status.failed(new InvalidInputError({ what: `${this.name}.reference mode`, value: mode, reason: 'must be HM, FE or FI' }));
    for (const k of ['speed', 'backoff', 'slowSpeed', 'offset', 'define'] as const) {
      const v = options[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) return Status.failed(new InvalidInputError({ what: `${this.name}.reference ${k}`, value: v, reason: 'expected a finite number' }));
    }
    const search = mode === 'HM' ? this.findHome : mode === 'FE' ? this.findEdge : this.findIndex;
    const found = mode === 'FE' ? [9] : [10];
    const job = Status.wrap<void>(async (signal) => {
      const speedBefore = options.speed !== undefined || options.slowSpeed !== undefined ? await this.velocity.getValue(false) : undefined;
      try {
        if (options.speed !== undefined) await this.velocity.set(options.speed);
        await this.#run(() => search.trigger(), found, signal);
        if (options.backoff !== undefined) {
          await this.#run(() => this.distance.set(options.backoff!), [1], signal);
          if (options.slowSpeed !== undefined) await this.velocity.set(options.slowSpeed);
          await this.#run(() => search.trigger(), found, signal);
        }
        if (options.offset) await this.#run(() => this.distance.set(options.offset!), [1], signal);
        await this.definePosition.set(options.define ?? 0);
      } catch (e) {
        if (!signal.aborted) void this.#halt().catch(() => undefined);
        throw e;
      } finally {
        if (speedBefore !== undefined && !signal.aborted) await this.velocity.set(speedBefore).then(undefined, () => undefined);
      }
    }, { name: `${this.name}.reference(${mode})` });
    this.#jobs.add(job);
    job.addCallback(() => this.#jobs.delete(job));
    return job;
  }

  /** Stop: cancel a running move or reference sequence (CanceledError) and send ST. */
  override async stop(options: { success?: boolean } = {}): Promise<void> {
    const why = options.success === false ? 'emergency stop' : 'stopped';
    for (const job of [...this.#jobs]) job.cancel(`${this.name}: reference ${why}`);
    await super.stop(options);
  }

  async #move(target: number, signal: AbortSignal): Promise<void> {
    const rel = this.#relative?.target === target ? this.#relative : undefined;
    this.#relative = undefined;
    const prepare = rel ? () => this.distance.set(rel.delta) : () => this.setpoint.set(target);
    await this.#run(prepare, [1], signal);
  }

  /** Prepare a motion, BG it, and wait until the profiler stops with one of `success` codes. */
  async #run(prepare: () => PromiseLike<unknown>, success: number[], signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw toError(signal.reason);
    await prepare();
    if (signal.aborted) throw toError(signal.reason);
    await this.begin.trigger();
    for (;;) {
      if (signal.aborted) throw toError(signal.reason);
      if (!(await this.moving.getValue(false))) break;
      await sleep(this.#pollMs, signal);
    }
    const code = await this.stopCode.getValue(false);
    if (success.includes(code)) return;
    const { text, outcome } = describeStopCode(code);
    if (outcome === 'canceled') throw new CanceledError(`${this.name}: ${text} (stop code ${code})`);
    throw new DeviceError({ device: this.name, vendorMessage: `stopped: ${text}`, vendorCode: `SC${code}`, kind: outcome === 'done' ? 'unexpected-stop' : outcome });
  }

  #halt(): Promise<void> {
    return Promise.resolve(this.halt.trigger()).then(() => undefined);
  }
}
