/**
 * The signal context of one Alicat unit (its {@link FrameSource}: every measured value is a field
 * of one polled data frame) and the signals every unit has (measurements, gas, status flags,
 * firmware, command signals), declared with the shared vocabulary (`../shared/signals.ts`).
 * @module
 */
import { StandardReadable } from '../../core/device/standard-readable.js';
import { Device } from '../../core/device/device.js';
import type { SignalR } from '../../core/signal/signal.js';
import type { SignalRW, SignalX } from '../../core/signal/writable.js';
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

/** One boolean signal per status code (true while the code is in the frame); read uncached, from a fresh poll. */
export class AlicatFlags extends StandardReadable {
  /** LCK: front display buttons locked. */
  readonly locked: SignalR<boolean>;
  /** HLD: valve hold active. */
  readonly hold: SignalR<boolean>;
  /** MOV: mass flow over range. */
  readonly massFlowOverRange: SignalR<boolean>;
  /** VOV: volumetric flow over range. */
  readonly volumetricFlowOverRange: SignalR<boolean>;
  /** POV: pressure over range. */
  readonly pressureOverRange: SignalR<boolean>;
  /** P2O: secondary pressure over range. */
  readonly secondaryPressureOverRange: SignalR<boolean>;
  /** TOV: temperature over range. */
  readonly temperatureOverRange: SignalR<boolean>;
  /** TMF: totalizer missed flow while over range. */
  readonly totalizerMissedFlow: SignalR<boolean>;
  /** OVR: totalizer rolled over (or froze at its maximum). */
  readonly totalizerRolledOver: SignalR<boolean>;
  /** EXH: exhaust valve override. */
  readonly exhaust: SignalR<boolean>;
  /** OPL: over-pressure limit active. */
  readonly overPressureLimit: SignalR<boolean>;
  /** ADC: converter error. */
  readonly adcError: SignalR<boolean>;

  /** Build the flag signals of a unit. */
  constructor(name: string, ctx: AlicatContext) {
    super(name);
    const flag = (code: StatusCode): SignalR<boolean> => signalR(ctx, { path: `status/${code}`, pick: (s) => s.frame.status.includes(code), dtype: 'boolean' });
    this.locked = flag('LCK');
    this.hold = flag('HLD');
    this.massFlowOverRange = flag('MOV');
    this.volumetricFlowOverRange = flag('VOV');
    this.pressureOverRange = flag('POV');
    this.secondaryPressureOverRange = flag('P2O');
    this.temperatureOverRange = flag('TOV');
    this.totalizerMissedFlow = flag('TMF');
    this.totalizerRolledOver = flag('OVR');
    this.exhaust = flag('EXH');
    this.overPressureLimit = flag('OPL');
    this.adcError = flag('ADC');
    this.addReadables(this.all(), 'uncached');
    this.setName(name);
  }

  /** Every flag signal, in status-code order. */
  all(): SignalR<boolean>[] {
    return STATUS_CODE_LIST.map((c) => (this as unknown as Record<string, SignalR<boolean>>)[STATUS_CODES[c].flag]!);
  }
}

/** Command signals of a unit (each `trigger()` sends one command). */
export class AlicatActions extends Device {
  /** Hold the valve(s) at the current position. */
  readonly hold: SignalX;
  /** Hold the valve(s) closed (primer dialect). */
  readonly holdClosed: SignalX;
  /** Cancel a valve hold. */
  readonly cancelHold: SignalX;
  /** Emergency stop: the dialect's hold command at high priority. */
  readonly estop: SignalX;
  /** Lock the front display. */
  readonly lock: SignalX;
  /** Unlock the front display. */
  readonly unlock: SignalX;
  /** Tare absolute pressure. */
  readonly tarePressure: SignalX;
  /** Tare flow (no flow through the unit). */
  readonly tareFlow: SignalX;
  /** Reset the totalizer. */
  readonly resetTotalizer: SignalX;

  /** Build the command signals of a unit. */
  constructor(name: string, ctx: AlicatContext) {
    super(name);
    this.hold = signalX(ctx, 'hold', refresh(ctx, (c) => c.hold()));
    this.holdClosed = signalX(ctx, 'holdClosed', refresh(ctx, (c) => c.holdClosed()));
    this.cancelHold = signalX(ctx, 'cancelHold', refresh(ctx, (c) => c.cancelHold()));
    this.estop = signalX(ctx, 'estop', refresh(ctx, (c) => c.estop()));
    this.lock = signalX(ctx, 'lock', refresh(ctx, (c) => c.lock()));
    this.unlock = signalX(ctx, 'unlock', refresh(ctx, (c) => c.unlock()));
    this.tarePressure = signalX(ctx, 'tarePressure', refresh(ctx, (c) => c.tarePressure()));
    this.tareFlow = signalX(ctx, 'tareFlow', refresh(ctx, (c) => c.tareFlow()));
    this.resetTotalizer = signalX(ctx, 'resetTotalizer', refresh(ctx, (c) => c.resetTotalizer()));
    this.setName(name);
  }
}

/** The measurement, gas and identification signals every unit has. */
export interface CommonSignals {
  pressure: SignalR<number>;
  temperature: SignalR<number>;
  volumetricFlow: SignalR<number>;
  massFlow: SignalR<number>;
  totalizer: SignalR<number>;
  gas: SignalRW<string>;
  status: SignalR<string>;
  firmware: SignalR<string>;
  flags: AlicatFlags;
  actions: AlicatActions;
}

/** Build the signals every unit has. */
export function commonSignals(ctx: AlicatContext): CommonSignals {
  const { units, precision } = ctx.config;
  const num = { dtype: 'number' as const, precision };
  return {
    pressure: signalR(ctx, { path: 'pressure', pick: (s) => s.frame.pressure, ...num, units: units.pressure }),
    temperature: signalR(ctx, { path: 'temperature', pick: (s) => s.frame.temperature, ...num, units: units.temperature }),
    volumetricFlow: signalR(ctx, { path: 'volumetricFlow', pick: (s) => s.frame.volumetricFlow, ...num, units: units.volumetricFlow }),
    massFlow: signalR(ctx, { path: 'massFlow', pick: (s) => s.frame.massFlow, ...num, units: units.massFlow }),
    totalizer: signalR(ctx, { path: 'totalizer', pick: (s) => s.frame.totalizer ?? Number.NaN, dtype: 'number', units: units.totalizer, precision: 1 }),
    gas: signalRW(ctx, { path: 'gas', pick: (s) => s.frame.gas, set: async (c, g) => {
      await c.setGas(g);
      ctx.frames.accept(await c.poll());
    }, dtype: 'string' }),
    status: signalR(ctx, { path: 'status', pick: (s) => s.frame.status.join(' '), dtype: 'string' }),
    firmware: signalR(ctx, { path: 'firmware', get: async (c) => (await c.firmware()).text, dtype: 'string' }),
    flags: new AlicatFlags('', ctx),
    actions: new AlicatActions('', ctx),
  };
}
