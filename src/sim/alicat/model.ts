/**
 * Physics of simulated Alicat units: first-order flow (or pressure) response toward the setpoint
 * with a configurable time constant, valve hold (frozen) and hold-closed (flow decays to zero),
 * front-panel lock, pressure and flow tares against configurable drifts, and a totalizer that
 * integrates the mass flow exactly (the first-order response is integrated in closed form, so the
 * result does not depend on how often the unit is polled). Time comes from an injectable clock.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import {
  CONTROL_VARIABLES, encodeFrame, GAS_MASK, GASES, STATUS_CODES, type AlicatFrame, type ControlVariable, type StatusCode, type UnitKind,
} from '../../drivers/alicat/protocol.js';

/** Options of one simulated unit. */
export interface SimUnitOptions {
  /** Unit id A–Z. */
  id: string;
  /** Controller (default) or meter. */
  kind?: UnitKind;
  /** Flow full scale (SLPM). Default 100. */
  fullScale?: number;
  /** Pressure full scale (psia). Default 100. */
  pressureFullScale?: number;
  /** Time constant of the flow and pressure response, ms. Default 300. */
  timeConstantMs?: number;
  /** Line (barometric) pressure, psia. Default 14.70. */
  pressure?: number;
  /** Gas temperature, °C. Default 25.00. */
  temperature?: number;
  /** Active gas number. Default 8 (N2). */
  gas?: number;
  /** Report a totalizer column. Default false. */
  totalizer?: boolean;
  /** Text after the unit id in the `VE` reply. */
  firmware?: string;
  /** Loop control variable at power-up. Default mass flow. */
  controlVariable?: ControlVariable;
  /** Flow reading at zero flow until a flow tare (SLPM). Default 0. */
  flowZeroDrift?: number;
  /** Pressure reading offset until a pressure tare (psia). Default 0. */
  pressureDrift?: number;
}

/** Valve state: closed-loop control, held at its position, or held closed. */
export type ValveMode = 'auto' | 'hold' | 'closed';

/** Default firmware text (a 6v21 unit, as in the reference digest). */
export const SIM_FIRMWARE = '6v21.0-R22 Nov 30 2016,16:04:20';

const STD_PRESSURE = 14.696;
const STD_TEMPERATURE_K = 298.15;
/** Other bits set in register 46 besides the gas number (the driver must mask them off). */
const REG46_HIGH_BITS = 0x800;

/** One simulated unit (see the module notes). */
export class SimAlicatUnit {
  /** Unit id (changes with `@=`). */
  id: string;
  readonly kind: UnitKind;
  readonly fullScale: number;
  readonly pressureFullScale: number;
  readonly timeConstantMs: number;
  readonly totalizerEnabled: boolean;
  readonly firmware: string;
  readonly temperature: number;
  /** Setpoint in units of the control variable. */
  setpoint = 0;
  /** Actual mass flow (before drift and tare), SLPM. */
  massFlow = 0;
  /** Actual absolute pressure, psia. */
  pressure: number;
  /** Register 46 (gas number in the low 9 bits). */
  reg46: number;
  controlVariable: ControlVariable;
  valve: ValveMode = 'auto';
  locked = false;
  /** Totalized mass flow, SL. */
  total = 0;
  /** True while streaming (id `@`). */
  streaming = false;
  /** Streaming interval (register 91), ms. */
  streamIntervalMs = 50;
  /** Codes a test forces into every frame (over-range, ADC...). */
  readonly forced = new Set<StatusCode>();
  /** Other registers written with `W`. */
  readonly registers = new Map<number, number>();
  flowZeroDrift: number;
  pressureDrift: number;
  #flowTare = 0;
  #linePressure: number;
  #at: number;

  /** Create a unit at time `now` (ms). */
  constructor(options: SimUnitOptions, now: number) {
    if (!/^[A-Z]$/.test(options.id)) throw new InvalidInputError({ what: 'sim unit id', value: options.id, reason: 'must be one upper-case letter A-Z' });
    this.id = options.id;
    this.kind = options.kind ?? 'controller';
    this.fullScale = positive('fullScale', options.fullScale ?? 100);
    this.pressureFullScale = positive('pressureFullScale', options.pressureFullScale ?? 100);
    this.timeConstantMs = positive('timeConstantMs', options.timeConstantMs ?? 300);
    this.totalizerEnabled = options.totalizer ?? false;
    this.firmware = options.firmware ?? SIM_FIRMWARE;
    this.temperature = options.temperature ?? 25;
    this.#linePressure = options.pressure ?? 14.7;
    this.pressure = this.#linePressure;
    const gas = options.gas ?? 8;
    if (GASES[gas] === undefined) throw new InvalidInputError({ what: 'sim gas', value: gas, reason: `must be 0..${GASES.length - 1}` });
    this.reg46 = REG46_HIGH_BITS | gas;
    this.controlVariable = options.controlVariable ?? 'mass-flow';
    this.flowZeroDrift = options.flowZeroDrift ?? 0;
    this.pressureDrift = options.pressureDrift ?? 0;
    this.#at = now;
  }

  /** Active gas number. */
  get gas(): number {
    return this.reg46 & GAS_MASK;
  }

  /** Select a gas (false for an unknown number). */
  selectGas(n: number): boolean {
    if (!Number.isInteger(n) || GASES[n] === undefined) return false;
    this.reg46 = (this.reg46 & ~GAS_MASK) | n;
    return true;
  }

  /** Volumetric / mass flow ratio at the current pressure and temperature. */
  get volumetricFactor(): number {
    return (STD_PRESSURE / this.pressure) * ((this.temperature + 273.15) / STD_TEMPERATURE_K);
  }

  /** Bring the state to time `now` (ms): first-order response, exact totalizer integral. */
  advance(now: number): void {
    const dt = now - this.#at;
    if (!(dt > 0)) return;
    this.#at = now;
    const decay = Math.exp(-dt / this.timeConstantMs);
    const flowTarget = this.#flowTarget();
    if (flowTarget === undefined) {
      this.total += (this.massFlow * dt) / 60_000;
    } else {
      const f0 = this.massFlow;
      this.total += (flowTarget * dt + (f0 - flowTarget) * this.timeConstantMs * (1 - decay)) / 60_000;
      this.massFlow = flowTarget + (f0 - flowTarget) * decay;
    }
    const pTarget = this.#pressureTarget();
    if (pTarget !== undefined) this.pressure = pTarget + (this.pressure - pTarget) * decay;
  }

  /** Where the mass flow is heading (undefined: frozen by a hold). */
  #flowTarget(): number | undefined {
    if (this.kind === 'meter') return this.massFlow;
    if (this.valve === 'hold') return undefined;
    if (this.valve === 'closed') return 0;
    if (this.controlVariable === 'mass-flow') return this.setpoint;
    if (this.controlVariable === 'volumetric-flow') return this.setpoint / this.volumetricFactor;
    return 0;
  }

  /** Where the pressure is heading (undefined: frozen). */
  #pressureTarget(): number | undefined {
    if (this.kind === 'meter' || this.valve === 'hold') return undefined;
    if (this.valve === 'auto' && this.controlVariable.endsWith('pressure')) return this.setpoint;
    return this.#linePressure;
  }

  /** Largest setpoint of the current control variable. */
  get setpointMax(): number {
    return this.controlVariable.endsWith('pressure') ? this.pressureFullScale : this.fullScale;
  }

  /** Flow reading: actual flow plus drift minus the tare offset, SLPM. */
  get massFlowReading(): number {
    return this.massFlow + this.flowZeroDrift - this.#flowTare;
  }

  /** Zero the flow reading at the present flow. */
  tareFlow(): void {
    this.#flowTare = this.massFlow + this.flowZeroDrift;
  }

  /** Remove the pressure drift (reading = actual pressure). */
  tarePressure(): void {
    this.pressureDrift = 0;
  }

  /** Status codes of the next frame, in the primer's usual order. */
  status(): StatusCode[] {
    const codes = new Set<StatusCode>(this.forced);
    if (this.valve !== 'auto') codes.add('HLD');
    if (this.locked) codes.add('LCK');
    const order = Object.keys(STATUS_CODES) as StatusCode[];
    return order.filter((c) => codes.has(c));
  }

  /** The data frame at time `now` (ms). */
  frame(now: number): AlicatFrame {
    this.advance(now);
    const mass = this.massFlowReading;
    return {
      unit: this.streaming ? '@' : this.id,
      pressure: this.pressure + this.pressureDrift,
      temperature: this.temperature,
      volumetricFlow: mass * this.volumetricFactor,
      massFlow: mass,
      setpoint: this.kind === 'controller' ? this.setpoint : undefined,
      totalizer: this.totalizerEnabled ? this.total : undefined,
      gas: GASES[this.gas] ?? String(this.gas),
      status: this.status(),
    };
  }

  /** The data frame line (without CR) at time `now` (ms). */
  frameLine(now: number): string {
    return encodeFrame(this.frame(now));
  }

  /** Change the control variable (false for an unknown register-122 code). */
  setControlCode(code: number): boolean {
    for (const [cv, c] of Object.entries(CONTROL_VARIABLES)) {
      if (c === code) {
        this.controlVariable = cv as ControlVariable;
        return true;
      }
    }
    return false;
  }

  /** Back to power-up state (setpoint 0, no hold, no lock); gas, totals and tares are kept. */
  powerCycle(now: number): void {
    this.advance(now);
    this.setpoint = 0;
    this.valve = 'auto';
    this.locked = false;
    this.streaming = false;
  }
}

function positive(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidInputError({ what: `sim ${name}`, value: v, reason: 'must be a finite number > 0' });
  return v;
}

/** Options of a simulated line. */
export interface AlicatModelOptions {
  /** Unit ids on the line, or full unit options. Default `['A']`. */
  units?: Array<string | SimUnitOptions>;
  /** Defaults for every unit given by id only. */
  defaults?: Omit<SimUnitOptions, 'id'>;
  /** Clock in ms (default `performance.now`); tests freeze or step it. */
  clock?: () => number;
}

/** Several units on one line (RS-485 multi-drop), sharing a clock. */
export class AlicatModel {
  readonly clock: () => number;
  readonly #units = new Map<string, SimAlicatUnit>();

  /** Build the units. */
  constructor(options: AlicatModelOptions = {}) {
    this.clock = options.clock ?? (() => performance.now());
    const now = this.clock();
    for (const u of options.units ?? ['A']) {
      const o = typeof u === 'string' ? { ...options.defaults, id: u } : { ...options.defaults, ...u };
      if (this.#units.has(o.id)) throw new InvalidInputError({ what: 'sim unit id', value: o.id, reason: 'appears twice' });
      this.#units.set(o.id, new SimAlicatUnit(o, now));
    }
  }

  /** Every unit. */
  get units(): SimAlicatUnit[] {
    return [...this.#units.values()];
  }

  /** The unit answering to `id` (upper case; `@` = the streaming unit), if any. */
  find(id: string): SimAlicatUnit | undefined {
    const key = id.toUpperCase();
    if (key === '@') return this.units.find((u) => u.streaming);
    const u = this.#units.get(key);
    return u && !u.streaming ? u : undefined;
  }

  /** The unit with id `id`, or throw InvalidInputError. */
  unit(id: string): SimAlicatUnit {
    const u = this.#units.get(id.toUpperCase());
    if (!u) throw new InvalidInputError({ what: 'sim unit', value: id, reason: `no such unit (have ${[...this.#units.keys()].join(', ')})` });
    return u;
  }

  /** Give a unit a new id (false when the id is taken). */
  rename(u: SimAlicatUnit, id: string): boolean {
    if (this.#units.has(id) && this.#units.get(id) !== u) return false;
    this.#units.delete(u.id);
    u.id = id;
    this.#units.set(id, u);
    return true;
  }

  /** Power-cycle every unit. */
  reset(): void {
    const now = this.clock();
    for (const u of this.#units.values()) u.powerCycle(now);
  }
}
