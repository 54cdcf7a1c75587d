/**
 * The Alicat mass flow controller as a device: {@link AlicatFlowController}, a Movable setpoint
 * (the meter is in `meter.ts`). `read()` polls the unit once (every value comes from one data
 * frame; the signals are declared uncached, so a staged run never reads stale values from a unit
 * that stopped answering: the read fails with the transport's error). Every command goes through
 * a signal, so the same logic runs on the unit, on its simulator and on mock signals
 * (`connect({ mock: true })` installs a default mock behaviour).
 *
 * `set(target)` writes the setpoint (checked against 0..full scale before any byte, LimitsError)
 * and, with `settle: 'flow'` (default), completes when the controlled value (mass flow,
 * volumetric flow or pressure, per register 122) stays within the tolerance for `settleMs`; it
 * fails with DeviceError (code `HLD`) while the valve is held and with TimeoutError after
 * `settleTimeoutMs`. `stop()` only ends the wait (a flow controller keeps regulating; use `hold()`
 * to freeze the valve); `stop({ success: false })` is the emergency stop: the dialect's hold
 * command at high priority (`$$H` legacy, `HC` primer), before the running Status is failed.
 * @module
 */
import { DeviceError, NotConnectedError, toError } from '../../core/errors.js';
import { waitForStable } from '../../core/signal/wait.js';
import { onPut } from '../../core/signal/mock.js';
import type { ConnectOptions } from '../../core/device/device.js';
import { StandardMovable } from '../../core/device/standard-movable.js';
import type { Stoppable } from '../../core/protocols.js';
import type { Status } from '../../core/status.js';
import { controlUnits, resolveAlicatConfig, setpointLimits, settleTolerance, type AlicatConfig, type ResolvedAlicatConfig } from './config.js';
import type { AlicatIO } from './io.js';
import { withUnitCommands } from './unit.js';
import { installControllerMock } from './mock.js';
import { checkControlVariable, type ControlVariable } from './protocol.js';
import { signalR, signalRW } from '../shared/signals.js';
import { AlicatContext, commonSignals, type AlicatCommonSignals, type StampedFrame } from './signals.js';

/**
 * Declare the controller's own signals (one line each, documented once; see
 * {@link AlicatControllerSignals}); `cv` reads and records the control variable the controller
 * last read or wrote, which picks the readback's column and the setpoint's units and limits.
 */
function controllerSignals(ctx: AlicatContext, cv: { get: () => ControlVariable; set: (v: ControlVariable) => void }) {
  const config = ctx.config;
  const controlled = (): { dtype: 'number'; units: string; precision: number } => ({ dtype: 'number', units: controlUnits(config, cv.get()), precision: config.precision });
  return {
    /** The controlled value (mass flow, volumetric flow or pressure per the control variable); data key = device name. */
    readback: signalR(ctx, {
      path: 'readback',
      pick: (s) => (cv.get() === 'mass-flow' ? s.frame.massFlow : cv.get() === 'volumetric-flow' ? s.frame.volumetricFlow : s.frame.pressure),
      dtype: 'number',
      meta: controlled,
    }),
    /** Setpoint, in units of the control variable; writes are checked against 0..full scale. */
    setpoint: signalRW(ctx, {
      path: 'setpoint',
      pick: (s) => s.frame.setpoint ?? Number.NaN,
      set: async (c, v) => void ctx.frames.accept(await c.setSetpoint(v)),
      dtype: 'number',
      meta: () => ({ ...controlled(), limits: setpointLimits(config, cv.get()) }),
    }),
    /** Loop control variable (register 122). */
    controlVariable: signalRW<ControlVariable, AlicatIO, StampedFrame>(ctx, {
      path: 'controlVariable',
      get: async (c) => {
        const got = await c.controlVariable();
        cv.set(got);
        return got;
      },
      set: async (c, v) => cv.set(await c.setControlVariable(checkControlVariable(v))),
      initial: 'mass-flow',
      dtype: 'string',
    }),
  };
}

/** The signals only a controller has (readback, setpoint, control variable), each documented where it is declared (in `controllerSignals`). */
export type AlicatControllerSignals = Readonly<ReturnType<typeof controllerSignals>>;

/** The signal fields of an {@link AlicatFlowController}: its own and the common ones (`commonSignals`), each declared once (declaration merging with the class below). */
export interface AlicatFlowController extends AlicatControllerSignals, AlicatCommonSignals {}

/** An Alicat mass flow controller (Movable setpoint; see the module notes). */
export class AlicatFlowController extends withUnitCommands(StandardMovable) implements Stoppable {
  /** The command layer of this unit. */
  readonly commands: AlicatIO;
  /** Checked configuration. */
  readonly config: ResolvedAlicatConfig;
  readonly #ctx: AlicatContext;
  readonly #release: (() => Promise<void>) | undefined;
  #cv: ControlVariable = 'mass-flow';
  #tracksMockCv = false;

  /** Build the controller over `commands` (from `openAlicat`, or `new AlicatIO(undefined)` for mock use); `release` frees what its opener took, run by `close()`. */
  constructor(name: string, commands: AlicatIO, config: AlicatConfig = {}, release?: () => Promise<void>) {
    super(name);
    this.config = resolveAlicatConfig({ ...config, kind: 'controller' });
    this.commands = commands;
    this.#release = release;
    const ctx = new AlicatContext(commands, this.config);
    this.#ctx = ctx;
    Object.assign(
      this,
      controllerSignals(ctx, {
        get: () => this.#cv,
        set: (v) => void (this.#cv = v),
      }),
      commonSignals(ctx),
    );
    const p = this.config.precision;
    this.addReadables([this.readback], 'hinted-uncached');
    this.addReadables([this.setpoint, this.massFlow, this.volumetricFlow, this.pressure, this.temperature, ...(this.config.totalizer ? [this.totalizer] : []), this.status], 'uncached');
    this.addReadables([this.flags], 'child');
    this.addReadables([this.gas, this.controlVariable, this.firmware], 'config');
    const resolved = this.config;
    const cv = (): ControlVariable => this.#cv;
    this.setMoveLogic({
      readback: this.readback,
      setpoint: this.setpoint,
      get units() {
        return controlUnits(resolved, cv());
      },
      precision: p,
      move: (target, signal) => this.#move(target, signal),
      stop: async () => undefined,
      limits: () => setpointLimits(this.config, this.#cv),
    });
    this.setName(name);
  }

  /** Rename the controller; its readback carries the controller's own name. */
  override setName(name: string): void {
    super.setName(name);
    this.readback?.setName(name);
  }

  /** The control variable last read or written (used for limits and the readback). */
  get currentControlVariable(): ControlVariable {
    return this.#cv;
  }

  /**
   * Connect the signals; on hardware also poll once (the unit must answer with a controller's
   * frame) and read the control variable (register 122; a unit that rejects it is taken to
   * control mass flow). In mock mode, install the default mock behaviour.
   */
  override async connect(options: ConnectOptions = {}): Promise<void> {
    await super.connect(options);
    if (options.mock) {
      installControllerMock(this);
      if (!this.#tracksMockCv) {
        this.#tracksMockCv = true;
        onPut(this.controlVariable, (cv) => void (this.#cv = checkControlVariable(cv)));
      }
      return;
    }
    try {
      const { frame } = await this.#ctx.frames.poll();
      if (frame.setpoint === undefined) throw new DeviceError({ device: this.name, vendorMessage: `unit ${this.commands.unit} answers with a meter's data frame (no setpoint column)`, kind: 'not-a-controller' });
      try {
        this.#cv = await this.commands.controlVariable();
      } catch (e) {
        if (!(e instanceof DeviceError) || e.vendorCode !== '?') throw e;
        this.#cv = 'mass-flow';
      }
    } catch (e) {
      throw new NotConnectedError({ device: this.name, errors: new Map([['unit', toError(e)]]) });
    }
  }

  /** Hold the valve(s) at the current position. */
  hold(): Status<unknown> {
    return this.actions.hold.trigger();
  }

  /** Hold the valve(s) closed (primer dialect; UnsupportedError in the legacy dialect). */
  holdClosed(): Status<unknown> {
    return this.actions.holdClosed.trigger();
  }

  /** Cancel a valve hold and resume closed-loop control. */
  cancelHold(): Status<unknown> {
    return this.actions.cancelHold.trigger();
  }

  /** Select what the loop regulates (register 122). */
  setControlVariable(cv: ControlVariable): Status<void> {
    return this.controlVariable.set(cv);
  }

  /**
   * End a running `set()` (CanceledError). With `success: false`: the emergency stop — the hold
   * command goes out first at high priority, then the running Status is failed.
   */
  override async stop(options: { success?: boolean } = {}): Promise<void> {
    if (options.success !== false) return super.stop(options);
    const held = this.actions.estop.trigger();
    await Promise.all([held, super.stop(options)]);
  }

  /** Stop every signal's polling, then release the channel (closed when this unit's opener opened it; a shared line stays open for other units). */
  async close(): Promise<void> {
    this.#ctx.dispose();
    await this.#release?.();
  }

  async #move(target: number, signal: AbortSignal): Promise<void> {
    await this.setpoint.set(target, { timeoutMs: this.config.timeoutMs * 3 });
    if (this.config.settle === 'echo') {
      if (await this.#heldNow()) throw this.#heldError(target);
      return;
    }
    await this.#settle(target, signal);
  }

  /** HLD in the frame that answered the setpoint (no extra poll), or the hold signal on a mock. */
  async #heldNow(): Promise<boolean> {
    const latest = this.#ctx.frames.latest;
    if (!this.flags.hold.isMock && latest && Date.now() / 1000 - latest.timestamp < 1) return latest.frame.status.includes('HLD');
    return this.flags.hold.getValue();
  }

  #heldError(target: number): DeviceError {
    return new DeviceError({ device: this.name, vendorMessage: `valve hold active (HLD): setpoint ${target} stored, but the valve does not follow; cancel the hold first`, vendorCode: 'HLD', kind: 'hold' });
  }

  /** Wait until the readback stays within the tolerance for `settleMs`; a valve hold fails the wait at once. */
  async #settle(target: number, signal: AbortSignal): Promise<void> {
    const tol = settleTolerance(this.config, this.#cv, target);
    const { settleMs, settleTimeoutMs } = this.config;
    const held = new AbortController();
    const onAbort = (): void => held.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const unsubscribe = this.flags.hold.subscribeValue((on) => {
      if (on) held.abort(this.#heldError(target));
    });
    try {
      await waitForStable(this.readback, (v) => Math.abs(v - target) <= tol, settleMs, {
        timeoutMs: settleTimeoutMs,
        signal: held.signal,
        operation: `${this.name}.set(${target}): readback within ±${tol} ${controlUnits(this.config, this.#cv)}`,
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
      unsubscribe();
    }
  }
}
