/**
 * The simulated units' command interpreter: one received line (without CR) in, one reply line
 * (with CR) or nothing out. Only the addressed unit answers; a line for an id nobody has gets no
 * reply at all, as on an RS-485 bus. Commands are case-insensitive. Both dialects are understood:
 * the `$$` commands (numat/HELAO) and the current primer's tokens. `$$H`/`HP` hold the valve at
 * its position (flow frozen), `HC` holds it closed (flow decays to zero).
 * @module
 */
import type { AlicatModel, SimAlicatUnit } from './model.js';

/** What the transport offers for streaming (absent on a pty: RS-485 units do not stream). */
export interface StreamHooks {
  /** Start pushing `line()` every `intervalMs` until `stop()`; returns the stop function. */
  start(unit: SimAlicatUnit, line: () => string): () => void;
}

const REJECT = '?\r';

function register(u: SimAlicatUnit, reg: number, value: number): string {
  return `${u.id}   ${String(reg).padStart(3, '0')} = ${value}\r`;
}

/** Interpret one line for the model; `streams` enables `@=@` streaming. */
export class AlicatInterpreter {
  readonly #model: AlicatModel;
  readonly #streams: StreamHooks | undefined;
  readonly #stopStream = new Map<SimAlicatUnit, () => void>();

  /** Serve `model`; `streams` is given by transports that can push unprompted lines. */
  constructor(model: AlicatModel, streams?: StreamHooks) {
    this.#model = model;
    this.#streams = streams;
  }

  /** Handle one line; returns the reply (with CR) or undefined for no reply. */
  handle(raw: string): string | undefined {
    const line = raw.replace(/\0/g, '').trim();
    if (line.length === 0) return undefined;
    if (line.startsWith('@@')) return this.#stopStreaming(line.slice(2));
    const u = this.#model.find(line[0]!);
    if (!u) return undefined;
    const now = this.#model.clock();
    u.advance(now);
    return this.#command(u, line.slice(1).trim(), now);
  }

  /** Stop every stream (transport closing). */
  dispose(): void {
    for (const [u, stop] of this.#stopStream) {
      stop();
      u.streaming = false;
    }
    this.#stopStream.clear();
  }

  #frame(u: SimAlicatUnit, now: number): string {
    return `${u.frameLine(now)}\r`;
  }

  #command(u: SimAlicatUnit, body: string, now: number): string | undefined {
    const cmd = body.toUpperCase();
    const controller = u.kind === 'controller';
    if (cmd === '') return this.#frame(u, now);
    let m: RegExpExecArray | null;
    if ((m = /^S\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/.exec(cmd))) {
      const v = Number(m[1]);
      if (!controller || v < 0 || v > u.setpointMax) return REJECT;
      u.setpoint = v;
      return this.#frame(u, now);
    }
    if ((m = /^(\d{1,5})$/.exec(cmd))) {
      const n = Number(m[1]);
      if (!controller || n > 64000) return REJECT;
      u.setpoint = (n / 64000) * u.setpointMax;
      return this.#frame(u, now);
    }
    switch (cmd) {
      case '$$H':
      case 'HP':
        if (!controller) return REJECT;
        u.valve = 'hold';
        return this.#frame(u, now);
      case 'HC':
        if (!controller) return REJECT;
        u.valve = 'closed';
        return this.#frame(u, now);
      case '$$C':
      case 'C':
        if (!controller) return REJECT;
        u.valve = 'auto';
        return this.#frame(u, now);
      case '$$L':
      case 'L':
        u.locked = true;
        return this.#frame(u, now);
      case '$$U':
      case 'U':
        u.locked = false;
        return this.#frame(u, now);
      case '$$PC':
      case 'PC':
        u.tarePressure();
        return this.#frame(u, now);
      case '$$V':
      case 'V':
        u.tareFlow();
        return this.#frame(u, now);
      case 'T':
      case 'T 1':
        if (!u.totalizerEnabled) return REJECT;
        u.total = 0;
        return this.#frame(u, now);
      case 'VE':
        return `${u.id}   ${u.firmware}\r`;
    }
    if ((m = /^(?:\$\$)?R(\d{1,3})$/.exec(cmd))) return this.#readRegister(u, Number(m[1]));
    if ((m = /^(?:\$\$)?W(\d{1,3})\s*=\s*(\d{1,5})$/.exec(cmd))) return this.#writeRegister(u, Number(m[1]), Number(m[2]));
    if ((m = /^G\s*(\d{1,3})$/.exec(cmd))) return u.selectGas(Number(m[1])) ? this.#frame(u, now) : REJECT;
    if ((m = /^@\s*=\s*([A-Z@])$/.exec(cmd))) return this.#rename(u, m[1]!, now);
    return REJECT;
  }

  #readRegister(u: SimAlicatUnit, reg: number): string {
    if (reg === 46) return register(u, reg, u.reg46);
    if (reg === 122) {
      if (u.kind !== 'controller') return REJECT;
      const codes: Record<string, number> = { 'mass-flow': 37, 'volumetric-flow': 36, 'absolute-pressure': 34, 'gauge-pressure': 38, 'differential-pressure': 39 };
      return register(u, reg, codes[u.controlVariable]!);
    }
    if (reg === 91) return register(u, reg, u.streamIntervalMs);
    return register(u, reg, u.registers.get(reg) ?? 0);
  }

  #writeRegister(u: SimAlicatUnit, reg: number, value: number): string {
    if (value > 65535) return REJECT;
    if (reg === 46) {
      if (!u.selectGas(value & 0x1ff)) return REJECT;
      u.reg46 = value;
    } else if (reg === 122) {
      if (u.kind !== 'controller' || !u.setControlCode(value)) return REJECT;
    } else if (reg === 91) {
      if (value < 1) return REJECT;
      u.streamIntervalMs = value;
    } else u.registers.set(reg, value);
    return this.#readRegister(u, reg);
  }

  #rename(u: SimAlicatUnit, id: string, now: number): string | undefined {
    if (id === '@') {
      if (!this.#streams || this.#stopStream.size > 0) return REJECT;
      u.streaming = true;
      const stop = this.#streams.start(u, () => this.#frame(u, this.#model.clock()));
      this.#stopStream.set(u, stop);
      return undefined;
    }
    if (!this.#model.rename(u, id)) return REJECT;
    return this.#frame(u, now);
  }

  #stopStreaming(rest: string): string | undefined {
    const m = /^\s*=?\s*([A-Za-z])$/.exec(rest);
    const u = this.#model.find('@');
    if (!m || !u) return undefined;
    this.#stopStream.get(u)?.();
    this.#stopStream.delete(u);
    u.streaming = false;
    if (!this.#model.rename(u, m[1]!.toUpperCase())) return REJECT;
    return this.#frame(u, this.#model.clock());
  }
}
