/**
 * LegatoPump: one KD Scientific Legato (or Harvard Pump 11 Elite / PHD Ultra) syringe pump as a
 * device. Every command goes through a signal, so the same logic runs on the pump, on its
 * simulator and on mock signals (`connect({ mock: true })`, with a default mock behaviour).
 *
 * Units: volumes µl, rates µl/min, diameter mm, times s, force %. Methods that take a quantity
 * also take its units (`setInfuseRate(2, 'ml/hr')`, `dispense('50 ul', '1 ml/min')`); unknown
 * units are an InvalidInputError and rates outside what the model can pump with the syringe are
 * a LimitsError, both before a byte is written. `dispense` (and `set`, which dispenses at the
 * rate already set) returns a Status that completes at the target, fails on a stall and is
 * canceled by `stop()`; `stop({ success: false })` is the emergency stop (the same STOP, sent
 * ahead of everything and displacing the command on the wire).
 * @module
 */
import { CanceledError, InvalidInputError, LimitsError, NotConnectedError, toError } from '../../core/errors.js';
import type { ConnectOptions } from '../../core/device/device.js';
import { StandardMovable } from '../../core/device/standard-movable.js';
import { softSignalRAndSetter } from '../../core/signal/factories.js';
import type { Movable, Stoppable } from '../../core/protocols.js';
import type { SignalR } from '../../core/signal/signal.js';
import { Status } from '../../core/status.js';
import { dispense, dispenseTimeoutMs, type DispenseOptions, type DispensePlan } from './dispense.js';
import type { LegatoIO } from './io.js';
import type { StampedStatus } from './signals.js';
import { installPumpMock } from './mock.js';
import { PUMP_STATES, type Direction, type PumpState } from './protocol.js';
import { signalR, signalRW, signalX } from '../shared/signals.js';
import { legatoContext, type LegatoContext } from './signals.js';
import { checkDiameter, checkRate, pumpModel, rateLimits, toMicroliters, toMicrolitersPerMinute, type PumpModel } from './units.js';

/** Settings of a pump, applied on connect when given. */
export interface LegatoPumpOptions {
  /** Model name (`legato100` infuses only; `legato110`, `legato200`, `elite11`, `phdultra`) or mechanics. Default `legato110`. */
  model?: string | PumpModel;
  /** Syringe inner diameter, mm. */
  diameterMm?: number;
  /** Syringe volume: µl, or a quantity such as `'1 ml'`. */
  syringeVolume?: number | string;
  /** Infuse rate: µl/min, or a quantity such as `'10 ul/sec'`. */
  infuseRate?: number | string;
  /** Withdraw rate: µl/min, or a quantity. */
  withdrawRate?: number | string;
  /** Pushing force, 1..100 %. */
  force?: number;
  /** Send `nvram off` on connect (advised under computer control). Default false. */
  nvramOff?: boolean;
  /** Status poll period of a dispense, ms. Default 50. */
  pollMs?: number;
  /** Limit of each command, ms. Default 1000. */
  timeoutMs?: number;
}

/**
 * Declare the signals of a pump (one line each, documented once: the class gets its typed fields
 * from this object, see {@link LegatoPumpSignals}); `seen` records the diameter and syringe volume
 * each time one is read or written (the pump's rate limits follow them).
 */
function pumpSignals(ctx: LegatoContext, seen: { diameter: (mm: number) => void; syringeVolume: (ul: number) => void }) {
  const ul = { dtype: 'number' as const, units: 'ul', precision: 4 };
  const ulmin = { dtype: 'number' as const, units: 'ul/min', precision: 4 };
  const seconds = { dtype: 'number' as const, units: 's', precision: 3 };
  return {
    /** Syringe inner diameter, mm. */
    diameter: signalRW(ctx, { path: 'diameter', get: (c) => c.diameter(), set: (c, v) => c.setDiameter(v), dtype: 'number', units: 'mm', precision: 4, seen: seen.diameter }),
    /** Syringe volume, µl. */
    syringeVolume: signalRW(ctx, { path: 'svolume', get: (c) => c.syringeVolume(), set: (c, v) => c.setSyringeVolume(v), ...ul, seen: seen.syringeVolume }),
    /** Infuse rate (IRATE), µl/min. */
    infuseRate: signalRW(ctx, { path: 'irate', get: (c) => c.rate('infuse'), set: (c, v) => c.setRate('infuse', v), ...ulmin }),
    /** Withdraw rate (WRATE), µl/min. */
    withdrawRate: signalRW(ctx, { path: 'wrate', get: (c) => c.rate('withdraw'), set: (c, v) => c.setRate('withdraw', v), ...ulmin }),
    /** Target volume (TVOLUME), µl; 0 when none. */
    targetVolume: signalRW(ctx, { path: 'tvolume', get: (c) => c.targetVolume(), set: (c, v) => c.setTargetVolume(v), ...ul }),
    /** Target time (TTIME), s; 0 when none. */
    targetTime: signalRW(ctx, { path: 'ttime', get: (c) => c.targetTime(), set: (c, v) => c.setTargetTime(v), ...seconds }),
    /** Pushing force (FORCE), %. */
    force: signalRW(ctx, { path: 'force', get: (c) => c.force(), set: (c, v) => c.setForce(v), dtype: 'integer', units: '%', limits: { low: 1, high: 100 } }),
    /** Volume infused since cleared (IVOLUME), µl. */
    infusedVolume: signalR(ctx, { path: 'ivolume', get: (c) => c.volume('infuse'), ...ul }),
    /** Volume withdrawn since cleared (WVOLUME), µl. */
    withdrawnVolume: signalR(ctx, { path: 'wvolume', get: (c) => c.volume('withdraw'), ...ul }),
    /** State from the status prompt: idle, infusing, withdrawing, stalled, target. */
    state: signalR<string, LegatoIO, StampedStatus>(ctx, { path: 'state', pick: (s) => s.status.state, initial: 'idle', dtype: 'string', choices: [...PUMP_STATES] }),
    /** True while the motor runs (status flag 1). */
    running: signalR(ctx, { path: 'running', pick: (s) => s.status.running, dtype: 'boolean' }),
    /** Current direction, `infuse` or `withdraw` (status flag 1). */
    direction: signalR<string, LegatoIO, StampedStatus>(ctx, { path: 'direction', pick: (s) => s.status.direction, initial: 'infuse', dtype: 'string', choices: ['infuse', 'withdraw'] }),
    /** True when the pump stalled (status flag 3). */
    stalled: signalR(ctx, { path: 'stalled', pick: (s) => s.status.stalled, dtype: 'boolean' }),
    /** True when the target time or volume was reached (status flag 6). */
    targetReached: signalR(ctx, { path: 'targetReached', pick: (s) => s.status.targetReached, dtype: 'boolean' }),
    /** Volume pumped in the current direction (status), µl. */
    volume: signalR(ctx, { path: 'volume', pick: (s) => s.status.volumeUl, ...ul }),
    /** Time pumped in the current direction (status), s. */
    elapsed: signalR(ctx, { path: 'elapsed', pick: (s) => s.status.elapsedS, ...seconds }),
    /** Rate of the current direction (status), µl/min. */
    rate: signalR(ctx, { path: 'rate', pick: (s) => s.status.rateUlPerMin, ...ulmin }),
    /** IRUN: start infusing. */
    runInfuse: signalX(ctx, 'irun', (c) => c.run('infuse')),
    /** WRUN: start withdrawing. */
    runWithdraw: signalX(ctx, 'wrun', (c) => c.run('withdraw')),
    /** STOP, ahead of queued commands. */
    halt: signalX(ctx, 'stop', (c) => c.stop()),
    /** STOP, ahead of everything, displacing the command on the wire (e-stop). */
    emergencyHalt: signalX(ctx, 'stop', (c) => c.stop({ interrupt: true })),
    /** CIVOLUME: clear the infused volume. */
    clearInfusedVolume: signalX(ctx, 'civolume', (c) => c.clearVolume('infuse')),
    /** CWVOLUME: clear the withdrawn volume. */
    clearWithdrawnVolume: signalX(ctx, 'cwvolume', (c) => c.clearVolume('withdraw')),
    /** CTVOLUME: clear the target volume. */
    clearTargetVolume: signalX(ctx, 'ctvolume', (c) => c.clearTargetVolume()),
    /** CTTIME: clear the target time. */
    clearTargetTime: signalX(ctx, 'cttime', (c) => c.clearTargetTime()),
  };
}

/** The signals of a {@link LegatoPump}, each documented where it is declared (in `pumpSignals`); the pump has them as readonly fields. */
export type LegatoPumpSignals = Readonly<ReturnType<typeof pumpSignals>>;

/** The signal fields of a {@link LegatoPump} (declaration merging with the class below: assigned from `pumpSignals` in the constructor, never listed twice). */
export interface LegatoPump extends LegatoPumpSignals {}

/** One syringe pump (see the module notes). */
export class LegatoPump extends StandardMovable implements Movable<number>, Stoppable {
  /** The command layer (for commands the signals do not cover). */
  readonly commands: LegatoIO;
  /** Mechanics used for rate limits. */
  readonly model: PumpModel;
  /** The settings the pump was built with (applied on connect). */
  readonly settings: Readonly<LegatoPumpOptions>;
  readonly #options: LegatoPumpOptions;
  readonly #release: (() => Promise<void>) | undefined;
  readonly #ctx: LegatoContext;
  #diameterMm: number | undefined;
  #syringeUl: number | undefined;
  readonly #pumped: SignalR<number>;
  readonly #setPumped: (ul: number) => void;
  #plan: DispensePlan | undefined;
  #estop = false;

  /**
   * Build the pump over `commands` (from `openLegato`, or `new LegatoIO(undefined)` for mock use);
   * `release` frees what its opener took (its channel), run by `close()`.
   */
  constructor(name: string, commands: LegatoIO, options: LegatoPumpOptions = {}, release?: () => Promise<void>) {
    super(name);
    const io = commands;
    this.commands = commands;
    this.#options = options;
    this.settings = options;
    this.#release = release;
    this.model = typeof options.model === 'object' ? options.model : pumpModel(options.model ?? 'legato110');
    const ctx = legatoContext(() => this.commands, (options.timeoutMs ?? io.timeoutMs) * 3);
    this.#ctx = ctx;
    Object.assign(
      this,
      pumpSignals(ctx, {
        diameter: (mm) => void (this.#diameterMm = mm),
        syringeVolume: (ul) => void (this.#syringeUl = ul),
      }),
    );
    this.addReadables([this.infusedVolume, this.withdrawnVolume], 'hinted-uncached');
    this.addReadables([this.diameter, this.syringeVolume, this.infuseRate, this.withdrawRate], 'config');
    [this.#pumped, this.#setPumped] = softSignalRAndSetter(0, { name: 'pumped', units: 'ul', precision: 4 });
    this.setMoveLogic({
      readback: this.#pumped,
      units: 'ul',
      precision: 4,
      move: (_target, signal) => {
        const plan = this.#plan;
        if (!plan) return Promise.reject(new InvalidInputError({ what: `${this.name}.set`, value: _target, reason: 'no dispense planned' }));
        return dispense(this, plan, signal, this.#setPumped);
      },
      stop: async () => {
        await (this.#estop ? this.emergencyHalt : this.halt).trigger();
      },
      timeoutMs: () => (this.#plan ? dispenseTimeoutMs(this, this.#plan) : Infinity),
      progress: () => ({ source: this.#pumped, initial: 0, target: this.#plan?.ul ?? 0 }),
    });
    this.setName(name);
  }

  /** Rates the pump can run with the current syringe, µl/min (undefined until the diameter is known). */
  rateLimits(): { low: number; high: number } | undefined {
    return this.#diameterMm && this.#diameterMm > 0 ? rateLimits(this.model, this.#diameterMm) : undefined;
  }

  /** The syringe diameter last read or written, mm. */
  get diameterMm(): number | undefined {
    return this.#diameterMm;
  }

  /** Volume pumped by the current (or last) dispense, µl (the progress of `dispense`; kept in memory, not a child signal). */
  get pumped(): SignalR<number> {
    return this.#pumped;
  }

  /** Tell whether a dispense is running. */
  get dispensing(): boolean {
    return this.moveInProgress;
  }

  /** Set the syringe diameter, mm (LimitsError outside the model's range, before any byte). */
  async setDiameter(mm: number): Promise<void> {
    checkDiameter(this.name, this.model, mm);
    await this.diameter.set(mm);
    this.#diameterMm = mm;
  }

  /** Set the syringe volume: `(1, 'ml')`, `('1 ml')` or µl. */
  async setSyringeVolume(value: number | string, units?: string): Promise<void> {
    const ul = toMicroliters(value, units, `${this.name} syringe volume`);
    if (!(ul > 0)) throw new InvalidInputError({ what: `${this.name} syringe volume`, value, reason: 'must be > 0' });
    await this.syringeVolume.set(ul);
    this.#syringeUl = ul;
  }

  /** Set the rate of a direction: `('infuse', 10, 'ul/min')`, `('withdraw', '1 ml/hr')` or µl/min. */
  async setRate(direction: Direction, value: number | string, units?: string): Promise<void> {
    const r = this.#checkedRate(direction, value, units);
    await (direction === 'infuse' ? this.infuseRate : this.withdrawRate).set(r);
  }

  /** Set the infuse rate (see {@link LegatoPump.setRate}). */
  setInfuseRate(value: number | string, units?: string): Promise<void> {
    return this.setRate('infuse', value, units);
  }

  /** Set the withdraw rate (see {@link LegatoPump.setRate}). */
  setWithdrawRate(value: number | string, units?: string): Promise<void> {
    return this.setRate('withdraw', value, units);
  }

  /** Set the target volume: `(50, 'ul')`, `('0.05 ml')` or µl. */
  async setTargetVolume(value: number | string, units?: string): Promise<void> {
    const ul = toMicroliters(value, units, `${this.name} target volume`);
    this.#checkVolume(ul);
    await this.targetVolume.set(ul);
  }

  /**
   * Pump `volume` (a quantity, or µl; negative withdraws) at `rate` (a quantity, µl/min, or the
   * rate already set when omitted). The Status completes when the pump reports the target reached,
   * fails with DeviceError on a stall or an early stop, with TimeoutError (and a STOP) when it
   * takes far longer than volume/rate, and with CanceledError on `stop()`; progress is the
   * volume pumped so far (µl).
   */
  dispense(volume: number | string, rate?: number | string, options: DispenseOptions = {}): Status<void> {
    const what = `${this.name} dispense`;
    let amount: number;
    let direction: Direction;
    let ulPerMin: number | undefined;
    try {
      const ul = toMicroliters(volume, undefined, `${what} volume`);
      direction = options.direction ?? (ul < 0 ? 'withdraw' : 'infuse');
      if (direction !== 'infuse' && direction !== 'withdraw') throw new InvalidInputError({ what: `${what} direction`, value: direction, reason: "must be 'infuse' or 'withdraw'" });
      if (direction === 'withdraw' && !this.model.withdraw) throw new InvalidInputError({ what, value: volume, reason: `the ${this.model.name} cannot withdraw` });
      amount = Math.abs(ul);
      this.#checkVolume(amount);
      ulPerMin = rate === undefined ? undefined : this.#checkedRate(direction, rate, undefined);
    } catch (e) {
      return Status.failed<void>(e, `${what}(${String(volume)})`);
    }
    const plan: DispensePlan = { ul: amount, direction, ulPerMin, pollMs: options.pollMs ?? this.#options.pollMs ?? 50, timeoutMs: options.timeoutMs };
    this.#plan = plan;
    this.#setPumped(0);
    const sign = direction === 'withdraw' ? '-' : '';
    return super.set(direction === 'withdraw' ? -amount : amount, { name: `${this.name || 'pump'}.dispense(${sign}${amount} ul)`, ...(plan.timeoutMs === undefined ? {} : { timeoutMs: plan.timeoutMs }) });
  }

  /** Dispense `volume` µl at the rate already set (negative withdraws); see {@link LegatoPump.dispense}. */
  override set(volume: number, options: { timeoutMs?: number } = {}): Status<void> {
    return this.dispense(volume, undefined, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  }

  /** Stop pumping; a running dispense fails with CanceledError. `success: false`: the e-stop (STOP ahead of everything). */
  override async stop(options: { success?: boolean } = {}): Promise<void> {
    this.#estop = options.success === false;
    try {
      await super.stop(options);
    } finally {
      this.#estop = false;
    }
  }

  /**
   * Connect every signal. On the pump: turn poll mode on, check it answers (`status`), apply the
   * configured syringe, rates and force, and read the diameter for the rate limits. In mock mode,
   * install the default mock behaviour.
   */
  override async connect(options: ConnectOptions = {}): Promise<void> {
    await super.connect(options);
    const o = this.#options;
    if (options.mock) {
      installPumpMock(this);
      this.#diameterMm = (await this.diameter.getValue()) || undefined;
      this.#syringeUl = (await this.syringeVolume.getValue()) || undefined;
      return;
    }
    try {
      if (this.commands.poll) await this.commands.setPoll(true);
      await this.commands.status();
      if (o.nvramOff) await this.commands.setNvram(false);
      if (o.diameterMm !== undefined) await this.setDiameter(o.diameterMm);
      else this.#diameterMm = (await this.diameter.getValue()) || undefined;
      if (o.syringeVolume !== undefined) await this.setSyringeVolume(o.syringeVolume);
      if (o.infuseRate !== undefined) await this.setInfuseRate(o.infuseRate);
      if (o.withdrawRate !== undefined && this.model.withdraw) await this.setWithdrawRate(o.withdrawRate);
      if (o.force !== undefined) await this.force.set(o.force);
    } catch (e) {
      throw new NotConnectedError({ device: this.name, errors: new Map([['pump', toError(e)]]) });
    }
  }

  /** Stop every signal's polling, detach from the channel, then release it (closed when this pump's opener opened it). */
  async close(): Promise<void> {
    this.cancelMove(new CanceledError(`${this.name}: closed`));
    this.#ctx.dispose();
    this.commands.release();
    await this.#release?.();
  }

  /** Observe the state from every reply (prompt tracking), without polling. */
  onState(listener: (state: PumpState) => void): () => void {
    return this.commands.onState(listener);
  }

  #checkedRate(direction: Direction, value: number | string, units: string | undefined): number {
    const r = toMicrolitersPerMinute(value, units, `${this.name} ${direction} rate`);
    if (direction === 'withdraw' && !this.model.withdraw) throw new InvalidInputError({ what: `${this.name} withdraw rate`, value, reason: `the ${this.model.name} cannot withdraw` });
    checkRate(this.name, this.model, this.#diameterMm, r);
    return r;
  }

  #checkVolume(ul: number): void {
    if (!(ul > 0)) throw new InvalidInputError({ what: `${this.name} volume`, value: ul, reason: 'must be > 0 ul' });
    if (this.#syringeUl !== undefined && ul > this.#syringeUl) throw new LimitsError({ device: `${this.name} volume`, value: ul, low: 0, high: this.#syringeUl, units: 'ul' });
  }
}
