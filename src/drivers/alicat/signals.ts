/**
 * The signals every Alicat unit has (measurements, gas, status flags, firmware) and its command
 * signals, built on {@link AlicatSignalBackend}s that share one {@link FrameSource}.
 * @module
 */
import { StandardReadable } from '../../core/device/standard-readable.js';
import { Device } from '../../core/device/device.js';
import type { Dtype } from '../../core/protocols.js';
import type { ValueMetadata } from '../../core/signal/datakey.js';
import { SignalR } from '../../core/signal/signal.js';
import { SignalRW, SignalX } from '../../core/signal/writable.js';
import { AlicatSignalBackend, FrameSource, type AlicatSignalSpec } from './backend.js';
import type { ResolvedAlicatConfig } from './config.js';
import type { AlicatIO } from './io.js';
import { STATUS_CODE_LIST, STATUS_CODES, type AlicatFrame, type StatusCode } from './protocol.js';

/** What the signal factories need from a unit. */
export interface UnitContext {
  io: () => AlicatIO;
  source: FrameSource;
  config: ResolvedAlicatConfig;
  /** Limit of each signal read/write, ms. */
  timeoutMs: number;
}

type Meta = ValueMetadata & { dtype: Dtype };

/** How a unit releases its transport on `close()`. */
export type Release = () => Promise<void>;

/** Build the shared context (one frame source) of a unit's signals. */
export function contextOf(io: AlicatIO, config: ResolvedAlicatConfig): UnitContext {
  const source = new FrameSource(() => io, config.pollMs);
  return { io: () => io, source, config, timeoutMs: Math.max(config.timeoutMs * 3, 1000) };
}

/** Create a read-only signal from a frame field. */
export function frameR<T>(ctx: UnitContext, field: string, pick: (f: AlicatFrame) => T, initial: T, meta: Meta): SignalR<T> {
  return new SignalR<T>(new AlicatSignalBackend<T>(ctx.io, ctx.source, { field, pick, initial, meta }), { timeoutMs: ctx.timeoutMs });
}

/** Create a read-only signal from a spec. */
export function specR<T>(ctx: UnitContext, spec: AlicatSignalSpec<T>): SignalR<T> {
  return new SignalR<T>(new AlicatSignalBackend<T>(ctx.io, ctx.source, spec), { timeoutMs: ctx.timeoutMs });
}

/** Create a read-write signal from a spec. */
export function specRW<T>(ctx: UnitContext, spec: AlicatSignalSpec<T>): SignalRW<T> {
  return new SignalRW<T>(new AlicatSignalBackend<T>(ctx.io, ctx.source, spec), { timeoutMs: ctx.timeoutMs });
}

/** Create a read-only signal answered by a dedicated query. */
export function queryR<T>(ctx: UnitContext, field: string, query: () => Promise<T>, initial: T, meta: Meta): SignalR<T> {
  return new SignalR<T>(new AlicatSignalBackend<T>(ctx.io, ctx.source, { field, query, initial, meta }), { timeoutMs: ctx.timeoutMs });
}

/** Create a command signal; a frame the command returns refreshes the shared source. */
export function commandX(ctx: UnitContext, field: string, run: () => Promise<AlicatFrame | void>): SignalX {
  return new SignalX(new AlicatSignalBackend<undefined>(ctx.io, ctx.source, { field, write: () => run(), initial: undefined, meta: { dtype: 'string' } }), { timeoutMs: ctx.timeoutMs });
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
  constructor(name: string, ctx: UnitContext) {
    super(name);
    const flag = (code: StatusCode): SignalR<boolean> => frameR(ctx, `status/${code}`, (f) => f.status.includes(code), false, { dtype: 'boolean' });
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
  constructor(name: string, ctx: UnitContext) {
    super(name);
    const io = ctx.io;
    this.hold = commandX(ctx, 'hold', () => io().hold());
    this.holdClosed = commandX(ctx, 'holdClosed', () => io().holdClosed());
    this.cancelHold = commandX(ctx, 'cancelHold', () => io().cancelHold());
    this.estop = commandX(ctx, 'estop', () => io().estop());
    this.lock = commandX(ctx, 'lock', () => io().lock());
    this.unlock = commandX(ctx, 'unlock', () => io().unlock());
    this.tarePressure = commandX(ctx, 'tarePressure', () => io().tarePressure());
    this.tareFlow = commandX(ctx, 'tareFlow', () => io().tareFlow());
    this.resetTotalizer = commandX(ctx, 'resetTotalizer', () => io().resetTotalizer());
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
export function commonSignals(ctx: UnitContext): CommonSignals {
  const { units, precision: p } = ctx.config;
  const num = (u: string): Meta => ({ dtype: 'number', units: u, precision: p });
  return {
    pressure: frameR(ctx, 'pressure', (f) => f.pressure, 0, num(units.pressure)),
    temperature: frameR(ctx, 'temperature', (f) => f.temperature, 0, num(units.temperature)),
    volumetricFlow: frameR(ctx, 'volumetricFlow', (f) => f.volumetricFlow, 0, num(units.volumetricFlow)),
    massFlow: frameR(ctx, 'massFlow', (f) => f.massFlow, 0, num(units.massFlow)),
    totalizer: frameR(ctx, 'totalizer', (f) => f.totalizer ?? Number.NaN, 0, { dtype: 'number', units: units.totalizer, precision: 1 }),
    gas: specRW<string>(ctx, {
      field: 'gas',
      pick: (f) => f.gas,
      write: async (g) => {
        await ctx.io().setGas(g ?? '');
        return ctx.io().poll();
      },
      initial: '',
      meta: { dtype: 'string' },
    }),
    status: frameR(ctx, 'status', (f) => f.status.join(' '), '', { dtype: 'string' }),
    firmware: queryR(ctx, 'firmware', async () => (await ctx.io().firmware()).text, '', { dtype: 'string' }),
    flags: new AlicatFlags('', ctx),
    actions: new AlicatActions('', ctx),
  };
}
