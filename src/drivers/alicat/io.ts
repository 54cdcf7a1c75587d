/**
 * AlicatIO: a typed mirror of the Alicat serial commands labrig uses, one method per command, for
 * one unit id on a RequestChannel view (`alicatChannel(stream).forAddress('A')`: the view puts the
 * unit id in front, the channel appends CR). Sections refer to the Alicat Serial Primer; the
 * `legacy` dialect sends the `$$` commands of numat/alicat and HELAO (reference digest), the
 * `primer` dialect the tokens of the current primer (firmware 5v07 and later).
 *
 * A `?` reply rejects with `DeviceError` (vendorCode `?`, kind `rejected`). A reply that is not
 * what the command answers (garbled frame, wrong register) rejects with `InvalidInputError`
 * naming the reply. A command whose reply shows it had no effect (hold without `HLD`, a setpoint
 * echo that differs) rejects with `DeviceError`. Timeouts, cancellation and lost links come from
 * the channel (`TimeoutError`, `CanceledError`, `DisconnectedError`).
 * @module
 */
import { DeviceError, DisconnectedError, InvalidInputError, UnsupportedError } from '../../core/errors.js';
import type { Reply, RequestChannel, RequestOptions } from '../../protocols/contracts.js';
import {
  checkControlVariable, checkDialect, checkUnit, cleanLine, controlVariableOf, CONTROL_VARIABLES, decodeFirmware, decodeFrame,
  decodeRegister, DIALECTS, encodeSetpoint, GAS_MASK, gasName, gasNumber, isRejection, REG_CONTROL_VARIABLE, REG_GAS, tryDecodeFrame,
  type AlicatFrame, type ControlVariable, type Dialect, type DialectCommands, type FirmwareInfo, type StatusCode, type UnitKind,
} from './protocol.js';

/** Options of one command. */
export interface CommandOptions {
  /** Time allowed for the reply (queue wait included), in ms. Default: the IO's `timeoutMs`. */
  timeoutMs?: number;
  /** Abort the wait (CanceledError). */
  signal?: AbortSignal;
  /** `high` jumps the channel's queue (emergency stop). Default `normal`. */
  priority?: 'normal' | 'high';
}

/** Options of an AlicatIO. */
export interface AlicatIOOptions {
  /** Unit id A–Z. Default `A`. */
  unit?: string;
  /** Name used in errors. Default `alicat <unit>`. */
  name?: string;
  /** Time allowed per command, in ms. Default 1000. */
  timeoutMs?: number;
  /** Command dialect. Default `legacy`. */
  dialect?: Dialect;
  /** Controller or meter (tells a meter's totalizer column from a setpoint). Default `controller`. */
  kind?: UnitKind;
  /** Address of the line, for data key sources (a unit view's own address is its unit id). */
  lineAddress?: string;
}

/** Largest difference between a setpoint and its echo in the reply (numat's check). */
export const SETPOINT_ECHO_TOLERANCE = 0.01;

/** Send Alicat commands for one unit and decode their replies (see the module notes). */
export class AlicatIO {
  /** Unit id. */
  readonly unit: string;
  /** Name used in errors. */
  readonly name: string;
  /** Default time allowed per command, in ms. */
  readonly timeoutMs: number;
  /** Command dialect. */
  readonly dialect: Dialect;
  /** Controller or meter. */
  readonly kind: UnitKind;
  /** Command bodies of the dialect. */
  readonly commands: DialectCommands;
  readonly #channel: RequestChannel | undefined;
  readonly #lineAddress: string | undefined;
  readonly #frameRequest: Readonly<RequestOptions>;
  readonly #anyRequest: Readonly<RequestOptions>;

  /** Talk through `channel` (a view for this unit); without one every call fails with DisconnectedError. */
  constructor(channel: RequestChannel | undefined, options: AlicatIOOptions = {}) {
    this.unit = checkUnit(options.unit ?? 'A');
    this.name = options.name ?? `alicat ${this.unit}`;
    const t = options.timeoutMs ?? 1000;
    if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t)) throw new InvalidInputError({ what: 'Alicat timeoutMs', value: t, reason: 'must be a finite number > 0' });
    this.timeoutMs = t;
    this.dialect = checkDialect(options.dialect ?? 'legacy');
    this.commands = DIALECTS[this.dialect];
    const kind = options.kind ?? 'controller';
    if (kind !== 'controller' && kind !== 'meter') throw new InvalidInputError({ what: 'Alicat kind', value: kind, reason: "must be 'controller' or 'meter'" });
    this.kind = kind;
    this.#channel = channel;
    this.#lineAddress = options.lineAddress;
    this.#frameRequest = Object.freeze({ timeoutMs: t, match: matchFrame });
    this.#anyRequest = Object.freeze({ timeoutMs: t });
  }

  /** Address of the line ('' without a channel). */
  get address(): string {
    if (!this.#channel) return '';
    return this.#lineAddress ?? this.#channel.address;
  }

  /** Open the channel (no-op when connected or reconnecting). */
  async open(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const ch = this.#require();
    if (ch.state !== 'connected' && ch.state !== 'reconnecting') await ch.open(options);
  }

  /** Close this unit's view of the channel (queued commands of this unit are canceled). */
  async close(): Promise<void> {
    await this.#channel?.close();
  }

  /**
   * Send a command body (without unit id and CR) and resolve with the reply line, NULs and blanks
   * trimmed. `expect` drops replies of the wrong kind as stale (a late data frame is not taken
   * for a register reply, nor a register reply for a frame): `frame`, a register number, or `any`.
   */
  async command(body: string, options: CommandOptions = {}, expect: ReplyKind = 'any'): Promise<string> {
    const ch = this.#require();
    if (typeof body !== 'string' || /[\r\n]/.test(body)) throw new InvalidInputError({ what: `${this.name} command`, value: body, reason: 'must be a string without CR or LF' });
    return this.#checkReply(body, (await ch.request(body, this.#requestOptions(options, expect))).text);
  }

  /** Send a command answered by a data frame and decode it. */
  async frameCommand(body: string, options?: CommandOptions): Promise<AlicatFrame> {
    const ch = this.#require();
    if (typeof body !== 'string' || /[\r\n]/.test(body)) throw new InvalidInputError({ what: `${this.name} command`, value: body, reason: 'must be a string without CR or LF' });
    const text = (await ch.request(body, this.#requestOptions(options, 'frame'))).text;
    // A plain frame from this unit decodes in one scan; anything else takes the checks below.
    const fast = tryDecodeFrame(text, this.kind);
    if (fast !== undefined && fast.unit === this.unit) return fast;
    const reply = this.#checkReply(body, text);
    const frame = decodeFrame(reply, { kind: this.kind });
    if (frame.unit !== this.unit) throw new InvalidInputError({ what: `${this.name} reply to ${JSON.stringify(body)}`, value: reply, reason: `came from unit ${frame.unit}` });
    return frame;
  }

  /** Trim a reply; a rejection (`?`) becomes a DeviceError. */
  #checkReply(body: string, text: string): string {
    const reply = cleanLine(text);
    if (isRejection(reply)) throw new DeviceError({ device: this.name, vendorMessage: `${this.unit}${body} rejected by the device (reply "?")`, vendorCode: '?', kind: 'rejected' });
    return reply;
  }

  /** Request options of a command (shared, never modified, when the caller gives none). */
  #requestOptions(options: CommandOptions | undefined, expect: ReplyKind): RequestOptions {
    const plain = options === undefined || (options.timeoutMs === undefined && !options.signal && options.priority !== 'high');
    if (plain && expect === 'frame') return this.#frameRequest;
    if (plain && expect === 'any') return this.#anyRequest;
    const req: RequestOptions = { timeoutMs: options?.timeoutMs ?? this.timeoutMs };
    if (options?.signal) req.signal = options.signal;
    if (options?.priority === 'high') req.priority = 'high';
    if (expect === 'frame') req.match = matchFrame;
    else if (expect !== 'any') req.match = (r) => replyMatches(r.text, expect);
    return req;
  }

  // --------------------------------------------------------------------------------------------
  // Polling (primer: Polling, The Alicat Data Frame)

  /** Poll: `A` → data frame. */
  poll(options?: CommandOptions): Promise<AlicatFrame> {
    return this.frameCommand('', options);
  }

  // --------------------------------------------------------------------------------------------
  // Setpoint (primer: Query/Change Setpoint)

  /** Set the setpoint (`AS12.50`), in units of the control variable; the echo must match within 0.01. */
  async setSetpoint(value: number, options?: CommandOptions): Promise<AlicatFrame> {
    const frame = await this.frameCommand(encodeSetpoint(value), options);
    if (frame.setpoint === undefined) throw new DeviceError({ device: this.name, vendorMessage: `setpoint ${value}: the reply has no setpoint column (is this a meter?)`, kind: 'no-setpoint' });
    const want = Number(value.toFixed(2));
    if (Math.abs(frame.setpoint - want) > SETPOINT_ECHO_TOLERANCE + 1e-9) {
      throw new DeviceError({ device: this.name, vendorMessage: `setpoint ${want} not accepted: the device reports ${frame.setpoint}`, kind: 'setpoint-echo' });
    }
    return frame;
  }

  // --------------------------------------------------------------------------------------------
  // Valve control (primer: Hold Valve(s), Hold Valves Closed, Cancel Valve Hold; numat hold/cancel_hold)

  /** Hold the valve(s) at the current position (`$$H` / `HP`); the reply must show HLD. */
  hold(options?: CommandOptions): Promise<AlicatFrame> {
    return this.#expect(this.commands.hold, 'HLD', true, options);
  }

  /** Hold the valve(s) closed (`HC`, primer dialect only); the reply must show HLD. */
  holdClosed(options?: CommandOptions): Promise<AlicatFrame> {
    const body = this.commands.holdClosed;
    if (body === undefined) return Promise.reject(new UnsupportedError({ device: `${this.name} (dialect ${this.dialect})`, verb: 'holdClosed' }));
    return this.#expect(body, 'HLD', true, options);
  }

  /** Cancel a valve hold (`$$C` / `C`); the reply must not show HLD. */
  cancelHold(options?: CommandOptions): Promise<AlicatFrame> {
    return this.#expect(this.commands.cancelHold, 'HLD', false, options);
  }

  /** Emergency stop: the dialect's hold command at high priority; the reply must show HLD. */
  estop(options: CommandOptions = {}): Promise<AlicatFrame> {
    return this.#expect(this.commands.estop, 'HLD', true, { ...options, priority: 'high' });
  }

  // --------------------------------------------------------------------------------------------
  // Display lock (primer: Lock Device Display)

  /** Lock the front panel (`$$L` / `L`); the reply must show LCK. */
  lock(options?: CommandOptions): Promise<AlicatFrame> {
    return this.#expect(this.commands.lock, 'LCK', true, options);
  }

  /** Unlock the front panel (`$$U` / `U`); the reply must not show LCK. */
  unlock(options?: CommandOptions): Promise<AlicatFrame> {
    return this.#expect(this.commands.unlock, 'LCK', false, options);
  }

  // --------------------------------------------------------------------------------------------
  // Tares and totalizer (primer: Tares; numat tare_pressure, tare_volumetric, reset_totalizer)

  /** Tare absolute pressure (`$$PC` / `PC`). */
  tarePressure(options?: CommandOptions): Promise<AlicatFrame> {
    return this.frameCommand(this.commands.tarePressure, options);
  }

  /** Tare flow (`$$V` / `V`); only meaningful with no flow through the unit. */
  tareFlow(options?: CommandOptions): Promise<AlicatFrame> {
    return this.frameCommand(this.commands.tareFlow, options);
  }

  /** Reset the totalizer (`T` / `T 1`). */
  resetTotalizer(options?: CommandOptions): Promise<AlicatFrame> {
    return this.frameCommand(this.commands.resetTotalizer, options);
  }

  // --------------------------------------------------------------------------------------------
  // Registers, control variable, gas (numat registers; primer: Loop Control Variable, Gas)

  /** Read a register (`R122`, or `$$R46` with prefix `$$`). */
  async readRegister(register: number, prefix = '', options?: CommandOptions): Promise<number> {
    checkRegister(register);
    return decodeRegister(await this.command(`${prefix}R${register}`, options, register), register).value;
  }

  /** Write a register (`W122=37`, or `$$W46=8`) and resolve with the value the device reports. */
  async writeRegister(register: number, value: number, prefix = '', options?: CommandOptions): Promise<number> {
    checkRegister(register);
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new InvalidInputError({ what: `${this.name} register ${register} value`, value, reason: 'must be an integer 0..65535' });
    return decodeRegister(await this.command(`${prefix}W${register}=${value}`, options, register), register).value;
  }

  /** Read the loop control variable (register 122). */
  async controlVariable(options?: CommandOptions): Promise<ControlVariable> {
    return controlVariableOf(await this.readRegister(REG_CONTROL_VARIABLE, '', options));
  }

  /** Write the loop control variable (register 122); the device must report the new code. */
  async setControlVariable(cv: ControlVariable, options?: CommandOptions): Promise<ControlVariable> {
    const code = CONTROL_VARIABLES[checkControlVariable(cv)];
    const got = await this.writeRegister(REG_CONTROL_VARIABLE, code, '', options);
    if (got !== code) throw new DeviceError({ device: this.name, vendorMessage: `control variable ${cv} (${code}) not accepted: register 122 = ${got}`, vendorCode: got, kind: 'control-variable' });
    return cv;
  }

  /**
   * Select a gas by name or number. Legacy: `$$W46=<n>` then `$$R46`, whose low 9 bits must be
   * `n`; primer: `G<n>`, whose data frame must name the gas. Unknown gases are rejected
   * (InvalidInputError) before anything is sent.
   */
  async setGas(gas: string | number, options?: CommandOptions): Promise<number> {
    const n = gasNumber(gas);
    if (this.dialect === 'primer') {
      const frame = await this.frameCommand(`G${n}`, options);
      const name = gasName(n);
      if (name !== undefined && frame.gas.toLowerCase() !== name.toLowerCase()) {
        throw new DeviceError({ device: this.name, vendorMessage: `gas ${name} (${n}) not accepted: the device reports ${frame.gas}`, kind: 'gas' });
      }
      return n;
    }
    await this.writeRegister(REG_GAS, n, '$$', options);
    const got = (await this.readRegister(REG_GAS, '$$', options)) & GAS_MASK;
    if (got !== n) throw new DeviceError({ device: this.name, vendorMessage: `gas ${gasName(n) ?? n} (${n}) not accepted: register 46 holds gas ${got}`, vendorCode: got, kind: 'gas' });
    return n;
  }

  /** Read the firmware identification (`VE`). */
  async firmware(options?: CommandOptions): Promise<FirmwareInfo> {
    return decodeFirmware(await this.command('VE', options));
  }

  async #expect(body: string, code: StatusCode, present: boolean, options?: CommandOptions): Promise<AlicatFrame> {
    const frame = await this.frameCommand(body, options);
    if (frame.status.includes(code) !== present) {
      throw new DeviceError({ device: this.name, vendorMessage: `${this.unit}${body} had no effect: ${code} is ${present ? 'missing from' : 'still in'} the reply`, vendorCode: code, kind: 'no-effect' });
    }
    return frame;
  }

  #require(): RequestChannel {
    if (!this.#channel) throw new DisconnectedError({ device: this.name, detail: 'no transport (created for mock use only)' });
    return this.#channel;
  }
}

/** What reply a command waits for: a data frame, a register (by number), or anything. */
export type ReplyKind = 'frame' | 'any' | number;

const REGISTER_REPLY = /^\s*[A-Za-z@]\s+(\d{1,4})\s*=/;

/** Tell whether a reply can answer a command expecting `kind` (rejections always can). */
export function replyMatches(text: string, kind: ReplyKind): boolean {
  if (kind === 'any' || isRejection(text)) return true;
  const m = text.includes('=') ? REGISTER_REPLY.exec(text) : null;
  if (kind === 'frame') return m === null;
  return m !== null && Number(m[1]) === kind;
}

function matchFrame(r: Reply): boolean {
  return replyMatches(r.text, 'frame');
}

function checkRegister(register: number): void {
  if (!Number.isInteger(register) || register < 0 || register > 999) throw new InvalidInputError({ what: 'Alicat register', value: register, reason: 'must be an integer 0..999' });
}
