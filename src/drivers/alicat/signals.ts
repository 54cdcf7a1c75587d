/**
 * The signal context of one Alicat unit (its {@link FrameSource}: every measured value is a field
 * of one polled data frame) and the signals every unit has (measurements, gas, status flags,
 * firmware, command signals), declared with the shared vocabulary (`../shared/signals.ts`).
 * @module
 */
import { StandardReadable } from '../../core/device/standard-readable.js';
import { Device } from '../../core/device/device.js';
import type { SignalR } from '../../core/signal/signal.js';
import type { SignalX } from '../../core/signal/writable.js';
import { QueryPoll, type Stamped } from '../shared/polled.js';
import { SignalContext, signalR, signalRW, signalX } from '../shared/signals.js';
import type { ResolvedAlicatConfig } from './config.js';
import type { AlicatIO } from './io.js';
import { STATUS_CODE_LIST, STATUS_CODES, type AlicatFrame, type StatusCode } from './protocol.js';

/** A frame with the time it arrived (seconds since the epoch). */
export type StampedFrame = Stamped<'frame', AlicatFrame>;

/** Share polls of one unit among its signals: concurrent reads share one poll; command replies (data frames too) refresh it with `accept`. */
export class FrameSource extends QueryPoll<'frame', AlicatFrame> {
  /** Poll through the AlicatIO that `io` returns. */
  constructor(io: () => AlicatIO, pollMs = 100) {
    super('frame', () => io().poll(), pollMs);
  }
}

/** What a unit's signals share: the shared context, its frame source and the unit's config. */
export class AlicatContext extends SignalContext<AlicatIO, StampedFrame> {
  /** The unit's frame source (also `poll`). */
  readonly frames: FrameSource;
  /** The unit's checked configuration. */
  readonly config: ResolvedAlicatConfig;

  /** Build the context of a unit over `commands` (one frame source, polling every `config.pollMs` while subscribed). */
  constructor(commands: AlicatIO, config: ResolvedAlicatConfig) {
    const frames = new FrameSource(() => commands, config.pollMs);
    super({ family: 'alicat', commands: () => commands, prefix: () => `${commands.unit}/`, poll: frames, timeoutMs: Math.max(config.timeoutMs * 3, 1000) });
    this.frames = frames;
    this.config = config;
  }
}

/** Send a command and take the data frame it answers with as the newest state. */
export function refresh(ctx: AlicatContext, run: (c: AlicatIO) => Promise<AlicatFrame | void>): (c: AlicatIO) => Promise<void> {
  return async (c) => {
    const frame = await run(c);
    if (frame) ctx.frames.accept(frame);
  };
}

/** Declare one boolean signal per status code, each documented once (see {@link AlicatFlagSignals}). */
function flagSignals(ctx: AlicatContext) {
  const flag = (code: StatusCode): SignalR<boolean> => signalR(ctx, { path: `status/${code}`, pick: (s) => s.frame.status.includes(code), dtype: 'boolean' });
  return {
    /** LCK: front display buttons locked. */
    locked: flag('LCK'),
    /** HLD: valve hold active. */
    hold: flag('HLD'),
    /** MOV: mass flow over range. */
    massFlowOverRange: flag('MOV'),
    /** VOV: volumetric flow over range. */
    volumetricFlowOverRange: flag('VOV'),
    /** POV: pressure over range. */
    pressureOverRange: flag('POV'),
    /** P2O: secondary pressure over range. */
    secondaryPressureOverRange: flag('P2O'),
    /** TOV: temperature over range. */
    temperatureOverRange: flag('TOV'),
    /** TMF: totalizer missed flow while over range. */
    totalizerMissedFlow: flag('TMF'),
    /** OVR: totalizer rolled over (or froze at its maximum). */
    totalizerRolledOver: flag('OVR'),
    /** EXH: exhaust valve override. */
    exhaust: flag('EXH'),
    /** OPL: over-pressure limit active. */
    overPressureLimit: flag('OPL'),
    /** ADC: converter error. */
    adcError: flag('ADC'),
  };
}

/** The flag signals of {@link AlicatFlags}, each documented where it is declared (in `flagSignals`). */
export type AlicatFlagSignals = Readonly<ReturnType<typeof flagSignals>>;

/** The signal fields of {@link AlicatFlags} (declaration merging with the class below). */
export interface AlicatFlags extends AlicatFlagSignals {}

/** One boolean signal per status code (true while the code is in the frame); read uncached, from a fresh poll. */
export class AlicatFlags extends StandardReadable {
  readonly #all: readonly SignalR<boolean>[];

  /** Build the flag signals of a unit. */
  constructor(name: string, ctx: AlicatContext) {
    super(name);
    const byFlag: Readonly<Record<string, SignalR<boolean>>> = flagSignals(ctx);
    Object.assign(this, byFlag);
    this.#all = STATUS_CODE_LIST.map((c) => byFlag[STATUS_CODES[c].flag]!);
    this.addReadables([...this.#all], 'uncached');
    this.setName(name);
  }

  /** Every flag signal, in status-code order. */
  all(): SignalR<boolean>[] {
    return [...this.#all];
  }
}

/** Declare the command signals of a unit (each `trigger()` sends one command, and the data frame it answers with refreshes the unit's state), each documented once (see {@link AlicatActionSignals}). */
function actionSignals(ctx: AlicatContext) {
  const action = (path: string, run: (c: AlicatIO) => Promise<AlicatFrame | void>): SignalX => signalX(ctx, path, refresh(ctx, run));
  return {
    /** Hold the valve(s) at the current position. */
    hold: action('hold', (c) => c.hold()),
    /** Hold the valve(s) closed (primer dialect). */
    holdClosed: action('holdClosed', (c) => c.holdClosed()),
    /** Cancel a valve hold. */
    cancelHold: action('cancelHold', (c) => c.cancelHold()),
    /** Emergency stop: the dialect's hold command at high priority. */
    estop: action('estop', (c) => c.estop()),
    /** Lock the front display. */
    lock: action('lock', (c) => c.lock()),
    /** Unlock the front display. */
    unlock: action('unlock', (c) => c.unlock()),
    /** Tare absolute pressure. */
    tarePressure: action('tarePressure', (c) => c.tarePressure()),
    /** Tare flow (no flow through the unit). */
    tareFlow: action('tareFlow', (c) => c.tareFlow()),
    /** Reset the totalizer. */
    resetTotalizer: action('resetTotalizer', (c) => c.resetTotalizer()),
  };
}

/** The command signals of {@link AlicatActions}, each documented where it is declared (in `actionSignals`). */
export type AlicatActionSignals = Readonly<ReturnType<typeof actionSignals>>;

/** The signal fields of {@link AlicatActions} (declaration merging with the class below). */
export interface AlicatActions extends AlicatActionSignals {}

/** Command signals of a unit (each `trigger()` sends one command). */
export class AlicatActions extends Device {
  /** Build the command signals of a unit. */
  constructor(name: string, ctx: AlicatContext) {
    super(name);
    Object.assign(this, actionSignals(ctx));
    this.setName(name);
  }
}

/**
 * Declare the signals every unit has, meter or controller (one line each, documented once: both
 * device classes get their typed fields from this object, see {@link AlicatCommonSignals}).
 */
export function commonSignals(ctx: AlicatContext) {
  const { units, precision } = ctx.config;
  const num = { dtype: 'number' as const, precision };
  return {
    /** Absolute pressure (config `units.pressure`, default psia). */
    pressure: signalR(ctx, { path: 'pressure', pick: (s) => s.frame.pressure, ...num, units: units.pressure }),
    /** Gas temperature (default degC). */
    temperature: signalR(ctx, { path: 'temperature', pick: (s) => s.frame.temperature, ...num, units: units.temperature }),
    /** Volumetric flow (default LPM). */
    volumetricFlow: signalR(ctx, { path: 'volumetricFlow', pick: (s) => s.frame.volumetricFlow, ...num, units: units.volumetricFlow }),
    /** Mass flow (default SLPM); on a meter its data key is the device's own name. */
    massFlow: signalR(ctx, { path: 'massFlow', pick: (s) => s.frame.massFlow, ...num, units: units.massFlow }),
    /** Totalized flow (default SL; NaN without the totalizer column). */
    totalizer: signalR(ctx, { path: 'totalizer', pick: (s) => s.frame.totalizer ?? Number.NaN, dtype: 'number', units: units.totalizer, precision: 1 }),
    /** Active gas (short name); set it with a name or a number as text. */
    gas: signalRW(ctx, { path: 'gas', pick: (s) => s.frame.gas, set: async (c, g) => {
      await c.setGas(g);
      ctx.frames.accept(await c.poll());
    }, dtype: 'string' }),
    /** Status codes of the last frame, space separated ('' when none). */
    status: signalR(ctx, { path: 'status', pick: (s) => s.frame.status.join(' '), dtype: 'string' }),
    /** Firmware identification (VE). */
    firmware: signalR(ctx, { path: 'firmware', get: async (c) => (await c.firmware()).text, dtype: 'string' }),
    /** One boolean per status code. */
    flags: new AlicatFlags('', ctx),
    /** Command signals (hold, cancel, e-stop, lock, tare, ...). */
    actions: new AlicatActions('', ctx),
  };
}

/** The measurement, gas, status and command signals every unit has, each documented where it is declared (in `commonSignals`); meters and controllers have them as readonly fields. */
export type AlicatCommonSignals = Readonly<ReturnType<typeof commonSignals>>;
