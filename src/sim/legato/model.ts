/**
 * Physics of simulated Legato pumps: a pusher moving at `rate` in one direction, the volume and
 * time pumped per direction (integrated lazily from a monotonic clock), a target volume/time
 * that stops the pump (state `T*`), the syringe's ends as limit switches, stall injection (state
 * `*`, flag `S`), and rate limits from the syringe bore and the model's pusher speeds.
 * Volumes are kept in µl and rates in µl/min; the wire formats them.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { PUMP_MODELS, rateLimits, type PumpModel } from '../../drivers/legato/protocol.js';

/** Settings of one simulated pump. */
export interface SimPumpOptions {
  /** Address on the chain, 0..99. Default 0. */
  address?: number;
  /** Model name (see PUMP_MODELS). Default `legato110`. */
  model?: string;
  /** Syringe bore, mm. Default 4.6066 (a 1 ml glass syringe, as in HELAO's setup). */
  diameterMm?: number;
  /** Syringe volume, µl. Default 1000. */
  syringeUl?: number;
  /** Liquid in the syringe at start, µl. Default: full. */
  fillUl?: number;
  /** Stall after this much volume of a run, µl (a blocked line). Default never. */
  stallAfterUl?: number;
}

/** What the pump is doing. */
export type SimState = 'idle' | 'infusing' | 'withdrawing' | 'stalled' | 'target';
/** Something the pump announces by itself when poll mode is off. */
export type SimEvent = 'target' | 'stall' | 'limit';

type Dir = 'infuse' | 'withdraw';

/** One simulated pump. */
export class SimPump {
  /** Address on the chain. */
  readonly address: number;
  /** Mechanics (withdraw capability, pusher speeds). */
  readonly model: PumpModel;
  /** Syringe bore, mm. */
  diameterMm: number;
  /** Syringe volume, µl. */
  syringeUl: number;
  /** Liquid in the syringe, µl. */
  fillUl: number;
  /** Rates, µl/min, and the unit text they were set in (echoed by queries). */
  rate: Record<Dir, { ulPerMin: number; units: string }> = { infuse: { ulPerMin: 10, units: 'ul/min' }, withdraw: { ulPerMin: 10, units: 'ul/min' } };
  /** Target volume, µl, or undefined. */
  targetUl: number | undefined;
  /** Target time, s, or undefined. */
  targetS: number | undefined;
  /** Volume and time pumped per direction since cleared, µl and ms. */
  readonly pumped: Record<Dir, { ul: number; ms: number }> = { infuse: { ul: 0, ms: 0 }, withdraw: { ul: 0, ms: 0 } };
  /** Direction of the last run. */
  direction: Dir = 'infuse';
  /** True while the pusher moves. */
  running = false;
  /** True after a stall, until STOP or the next run. */
  stalled = false;
  /** True once the target volume or time was reached, until cleared or the next run. */
  targetReached = false;
  /** The limit switch hit by the last run, if any. */
  limit: Dir | undefined;
  /** Pushing force, % (stored and echoed; it does not change the physics). */
  force = 50;
  /** Poll mode: XON after each prompt, no unasked prompts. */
  poll = false;
  /** Settings kept in memory (NVRAM on). */
  nvram = true;
  /** Stall after this much of a run, µl. */
  stallAfterUl: number | undefined;
  #runUl = 0;
  #last = 0;
  #events: SimEvent[] = [];
  readonly #initial: Required<Omit<SimPumpOptions, 'stallAfterUl' | 'model' | 'address'>>;

  /** Build a pump from its settings (defaults in SimPumpOptions). */
  constructor(options: SimPumpOptions = {}) {
    this.address = options.address ?? 0;
    if (!Number.isInteger(this.address) || this.address < 0 || this.address > 99) throw new InvalidInputError({ what: 'sim pump address', value: this.address, reason: 'must be 0..99' });
    const m = PUMP_MODELS[options.model ?? 'legato110'];
    if (!m) throw new InvalidInputError({ what: 'sim pump model', value: options.model, reason: `one of ${Object.keys(PUMP_MODELS).join(', ')}` });
    this.model = m;
    this.diameterMm = options.diameterMm ?? 4.6066;
    this.syringeUl = options.syringeUl ?? 1000;
    this.fillUl = options.fillUl ?? this.syringeUl;
    this.stallAfterUl = options.stallAfterUl;
    this.#initial = { diameterMm: this.diameterMm, syringeUl: this.syringeUl, fillUl: this.fillUl };
  }

  /** The state the prompt shows. */
  state(now: number): SimState {
    this.advance(now);
    if (this.stalled) return 'stalled';
    if (this.running) return this.direction === 'infuse' ? 'infusing' : 'withdrawing';
    if (this.targetReached) return 'target';
    return 'idle';
  }

  /** Rates the pump accepts with its syringe, µl/min. */
  limits(): { low: number; high: number } {
    return rateLimits(this.model, this.diameterMm);
  }

  /** Integrate up to `now` (ms); return the events that happened. */
  advance(now: number): SimEvent[] {
    const events: SimEvent[] = [];
    if (!this.running) {
      this.#last = now;
      return events;
    }
    const dtMs = Math.max(0, now - this.#last);
    this.#last = now;
    const d = this.direction;
    const perMs = this.rate[d].ulPerMin / 60_000;
    let ms = dtMs;
    let stop: SimEvent | undefined;
    const cap = (limitMs: number, why: SimEvent): void => {
      if (limitMs < ms) {
        ms = Math.max(0, limitMs);
        stop = why;
      }
    };
    const p = this.pumped[d];
    if (this.targetUl !== undefined) cap((this.targetUl - p.ul) / perMs, 'target');
    if (this.targetS !== undefined) cap(this.targetS * 1000 - p.ms, 'target');
    cap((d === 'infuse' ? this.fillUl : this.syringeUl - this.fillUl) / perMs, 'limit');
    if (this.stallAfterUl !== undefined) cap((this.stallAfterUl - this.#runUl) / perMs, 'stall');
    const ul = ms * perMs;
    p.ul += ul;
    p.ms += ms;
    this.#runUl += ul;
    this.fillUl = Math.min(this.syringeUl, Math.max(0, this.fillUl + (d === 'infuse' ? -ul : ul)));
    if (stop) {
      this.running = false;
      if (stop === 'target') this.targetReached = true;
      if (stop === 'stall') this.stalled = true;
      if (stop === 'limit') this.limit = d;
      events.push(stop);
      this.#events.push(stop);
    }
    return events;
  }

  /** Return and forget the events since the last call (the server announces them). */
  takeEvents(): SimEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }

  /** Milliseconds until the next event at the current rate, or undefined when none is due. */
  nextEventInMs(now: number): number | undefined {
    this.advance(now);
    if (!this.running) return undefined;
    const d = this.direction;
    const perMs = this.rate[d].ulPerMin / 60_000;
    const p = this.pumped[d];
    const waits = [(d === 'infuse' ? this.fillUl : this.syringeUl - this.fillUl) / perMs];
    if (this.targetUl !== undefined) waits.push((this.targetUl - p.ul) / perMs);
    if (this.targetS !== undefined) waits.push(this.targetS * 1000 - p.ms);
    if (this.stallAfterUl !== undefined) waits.push((this.stallAfterUl - this.#runUl) / perMs);
    return Math.max(0, Math.min(...waits));
  }

  /** Start pumping (IRUN/WRUN); false when the model cannot go that way. */
  run(direction: Dir, now: number): boolean {
    this.advance(now);
    if (direction === 'withdraw' && !this.model.withdraw) return false;
    this.direction = direction;
    this.stalled = false;
    this.targetReached = false;
    this.limit = undefined;
    this.#runUl = 0;
    this.running = true;
    this.#last = now;
    this.advance(now); // a target already met, or an empty syringe, stops at once
    return true;
  }

  /** STOP: halt the pusher; clears a stall. */
  stop(now: number): void {
    this.advance(now);
    this.running = false;
    this.stalled = false;
  }

  /** Block the line now: the pump stalls (`*`, flag S) and stops. */
  injectStall(now: number): void {
    this.advance(now);
    const was = this.running;
    this.running = false;
    this.stalled = true;
    if (was) this.#events.push('stall');
  }

  /** Clear the volume counter of a direction (or both). */
  clearVolume(which: Dir | 'both', now: number): void {
    this.advance(now);
    for (const d of which === 'both' ? (['infuse', 'withdraw'] as const) : [which]) this.pumped[d].ul = 0;
    this.targetReached = false;
  }

  /** Clear the time counter of a direction (or both). */
  clearTime(which: Dir | 'both', now: number): void {
    this.advance(now);
    for (const d of which === 'both' ? (['infuse', 'withdraw'] as const) : [which]) this.pumped[d].ms = 0;
  }

  /** The `status` line: `<rate fL/s> <time ms> <volume fL> <flags>`, all for the current direction. */
  statusLine(now: number): string {
    this.advance(now);
    const d = this.direction;
    const rateFl = Math.round((this.rate[d].ulPerMin * 1e9) / 60);
    const timeMs = Math.round(this.pumped[d].ms);
    const volFl = Math.round(this.pumped[d].ul * 1e9);
    const letter = d === 'infuse' ? 'i' : 'w';
    const flags = [
      this.running ? letter.toUpperCase() : letter,
      this.limit === undefined ? '.' : this.limit === 'infuse' ? 'i' : 'w',
      this.stalled ? 'S' : '.',
      '.',
      d === 'infuse' ? 'I' : 'W',
      this.targetReached ? 'T' : '.',
    ].join('');
    return `${rateFl} ${timeMs} ${volFl} ${flags}`;
  }

  /** Power-cycle: stop, poll off, counters and flags cleared; syringe settings kept (NVRAM). */
  reset(now: number): void {
    this.#events = [];
    this.running = false;
    this.stalled = false;
    this.targetReached = false;
    this.limit = undefined;
    this.poll = false;
    this.pumped.infuse = { ul: 0, ms: 0 };
    this.pumped.withdraw = { ul: 0, ms: 0 };
    this.#last = now;
  }

  /** Back to the settings given at construction (for tests). */
  factoryReset(now: number): void {
    this.reset(now);
    Object.assign(this, { diameterMm: this.#initial.diameterMm, syringeUl: this.#initial.syringeUl, fillUl: this.#initial.fillUl, targetUl: undefined, targetS: undefined, force: 50 });
  }
}

/** The pumps on one line, by address. */
export class SimChain {
  /** The pumps by address. */
  readonly pumps: ReadonlyMap<number, SimPump>;
  readonly #t0 = performance.now();

  /** Build pumps at `addresses` (default [0]), each with `defaults` and its own overrides. */
  constructor(options: { addresses?: number[]; pumps?: SimPumpOptions[]; defaults?: SimPumpOptions } = {}) {
    const list = options.pumps ?? (options.addresses ?? [0]).map((address) => ({ address }));
    const map = new Map<number, SimPump>();
    for (const p of list) {
      const pump = new SimPump({ ...options.defaults, ...p });
      if (map.has(pump.address)) throw new InvalidInputError({ what: 'sim pump address', value: pump.address, reason: 'appears twice' });
      map.set(pump.address, pump);
    }
    if (map.size === 0) throw new InvalidInputError({ what: 'sim pumps', value: list, reason: 'give at least one pump' });
    this.pumps = map;
  }

  /** Milliseconds since the chain was built (the simulation clock). */
  now(): number {
    return performance.now() - this.#t0;
  }

  /** The pump at `address`, or undefined. */
  pump(address: number): SimPump | undefined {
    return this.pumps.get(address);
  }

  /** The pump at `address`; throws InvalidInputError when there is none. */
  at(address: number): SimPump {
    const p = this.pumps.get(address);
    if (!p) throw new InvalidInputError({ what: 'sim pump address', value: address, reason: `no pump there (have ${[...this.pumps.keys()].join(', ')})` });
    return p;
  }

  /** Power-cycle every pump. */
  reset(): void {
    const now = this.now();
    for (const p of this.pumps.values()) p.reset(now);
  }
}
