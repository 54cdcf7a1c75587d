/**
 * GalilIO: a typed mirror of the DMC / RIO commands labrig uses, one method per command, on a
 * RequestChannel framed by `galilFramer` (replies end at `:` or `?`) with no suffix (this class
 * appends the CR). Section references are to the DMC command reference / user manual.
 *
 * Every rejected command (`?`) is followed by `TC1`, and the call rejects with a `DeviceError`
 * whose `vendorCode` is the TC code and `vendorMessage` the controller's text (or the table's).
 * A command and its `TC1` hold a per-controller lock, so no other command slips in between;
 * `priority: 'high'` commands (ST, AB, MO for stops) skip the lock and jump the channel's queue.
 *
 * Galil replies carry no sequence number, so a reply that arrives after its command timed out
 * would be taken for the next command's. After a timeout, a cancellation or an undecodable reply,
 * the next (normal) command is therefore preceded by a resync: `MG <token>`, with every frame
 * before the token's echo discarded as stale.
 * @module
 */
import { CanceledError, DeviceError, DisconnectedError, InvalidInputError, LabrigError, TimeoutError, toError } from '../../core/errors.js';
import type { RequestChannel, RequestOptions } from '../../protocols/contracts.js';
import {
  assign, checkAxis, checkInteger, encodeCommand, MAX_ACCEL_COUNTS, MAX_POSITION_COUNTS, MAX_SPEED_COUNTS, MIN_ACCEL_COUNTS,
  parseFlag, parseInteger, parseNumber, parseNumberList, parseStopCode, parseTellCode, TC_CODES, type AxisLetter,
} from './protocol.js';

/** Options of one Galil command. */
export interface CommandOptions {
  /** Time allowed for the reply (and the TC1 that follows a `?`), in ms. Default: the channel's. */
  timeoutMs?: number;
  /** Abort the wait (CanceledError). */
  signal?: AbortSignal;
  /** `high`: skip the lock and jump the queue (stops, e-stop). Default `normal`. */
  priority?: 'normal' | 'high';
}

const NO_OPTIONS: CommandOptions = {};

/** Options of a GalilIO. */
export interface GalilIOOptions {
  /** Name used in errors. Default: the channel's address. */
  name?: string;
  /** Default time allowed per command (lock wait, reply and TC1 included), in ms. Default 1000. */
  timeoutMs?: number;
}

/** Send DMC commands and decode their replies (see the module notes). */
export class GalilIO {
  /** Name used in errors. */
  readonly name: string;
  /** Default time allowed per command, in ms. */
  readonly timeoutMs: number;
  readonly #channel: RequestChannel | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #active = 0;
  readonly #lines = new Map<string, string>();
  #resync = false;
  #syncs = 0;

  /** Talk through `channel` (framed by `galilFramer`, no suffix); without one every call fails with DisconnectedError. */
  constructor(channel: RequestChannel | undefined, options: GalilIOOptions = {}) {
    this.#channel = channel;
    this.name = options.name ?? channel?.address ?? 'galil';
    const t = options.timeoutMs ?? 1000;
    if (!(t > 0) || !Number.isFinite(t)) throw new InvalidInputError({ what: 'Galil timeoutMs', value: t, reason: 'must be a finite number > 0' });
    this.timeoutMs = t;
  }

  /** Address of the channel ('' without one). */
  get address(): string {
    return this.#channel?.address ?? '';
  }

  /** Open the channel (no-op when connected). */
  async open(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (!this.#channel) throw new DisconnectedError({ device: this.name, detail: 'no transport (created for mock use only)' });
    if (this.#channel.state !== 'connected' && this.#channel.state !== 'reconnecting') await this.#channel.open(options);
  }

  /** Close the channel. */
  async close(): Promise<void> {
    await this.#channel?.close();
  }

  /**
   * Send one command (without CR) and resolve with its reply payload, CR/LF trimmed (`''` for a
   * bare `:`). A `?` reply is followed by `TC1` and rejects with the DeviceError it describes.
   */
  command(text: string, options: CommandOptions = NO_OPTIONS): Promise<string> {
    let line = this.#lines.get(text);
    if (line === undefined || !this.#channel) {
      try {
        if (!this.#channel) throw new DisconnectedError({ device: this.name, detail: 'no transport (created for mock use only)' });
        line = encodeCommand(text);
      } catch (e) {
        return Promise.reject(toError(e));
      }
      if (this.#lines.size >= 512) this.#lines.clear();
      this.#lines.set(text, line);
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const deadline = performance.now() + timeoutMs;
    const l = line;
    if (options.priority === 'high') return this.#exchange(l, text, options, deadline, timeoutMs);
    // The lock: run at once when idle, else after the commands before (and their TC1).
    // (#tail never rejects.)
    const result = this.#active === 0
      ? this.#exchange(l, text, options, deadline, timeoutMs)
      : this.#tail.then(() => this.#exchange(l, text, options, deadline, timeoutMs));
    this.#active++;
    this.#tail = result.then(this.#release, this.#release);
    return result;
  }

  readonly #release = (): void => {
    this.#active--;
  };

  async #exchange(line: string, text: string, options: CommandOptions, deadline: number, timeoutMs: number): Promise<string> {
    const channel = this.#channel!;
    if (options.signal?.aborted) throw new CanceledError(`${this.name}: ${text} canceled`);
    // Whole milliseconds: Node keeps one timer list per distinct duration, so a fractional limit
    // per request would build and tear down a list every time.
    const left = Math.round(deadline - performance.now());
    if (left < 1) throw new TimeoutError({ operation: `${this.name}: ${text} (waiting for earlier commands)`, afterMs: timeoutMs });
    const req: RequestOptions = { timeoutMs: left };
    if (options.signal) req.signal = options.signal;
    if (options.priority === 'high') req.priority = 'high';
    try {
      if (this.#resync && options.priority !== 'high') {
        await this.#sync(req);
        req.timeoutMs = Math.max(1, Math.round(deadline - performance.now()));
      }
      return (await channel.request(line, req)).text;
    } catch (e) {
      if (e instanceof TimeoutError || e instanceof CanceledError || e instanceof InvalidInputError) this.#resync = true;
      if (!(e instanceof DeviceError) || e.kind !== 'rejected' || e.vendorCode !== undefined) throw e;
      req.timeoutMs = Math.max(1, Math.round(deadline - performance.now()));
      throw await this.#explain(text, req, e);
    }
  }

  /** Send `MG <token>` and drop every frame until its echo: whatever came late is gone. */
  async #sync(req: RequestOptions): Promise<void> {
    const token = 1000 + (this.#syncs++ % 9000);
    const echo = `${token}.0000`;
    await this.#channel!.request(`MG ${token}\r`, { ...req, match: (r) => r.text.trim() === echo });
    this.#resync = false;
  }

  /** Ask TC1 why `text` was rejected and build the DeviceError (TC failures are reported as such). */
  async #explain(text: string, req: RequestOptions, rejected: DeviceError): Promise<LabrigError> {
    let reply: string;
    try {
      reply = (await this.#channel!.request('TC1\r', { ...req, priority: 'high' })).text;
    } catch (e) {
      const err = toError(e);
      if (err instanceof TimeoutError || err instanceof CanceledError || err instanceof InvalidInputError) this.#resync = true;
      if (err instanceof LabrigError && !(err instanceof DeviceError)) return err;
      return new DeviceError({ device: this.name, vendorMessage: `${text} rejected; TC1 failed: ${err.message}`, kind: 'rejected', cause: rejected });
    }
    let tc;
    try {
      tc = parseTellCode(reply);
    } catch (e) {
      this.#resync = true;
      return new DeviceError({ device: this.name, vendorMessage: `${text} rejected; TC1 gave ${JSON.stringify(reply)}`, kind: 'rejected', cause: e });
    }
    const known = DeviceError.fromCode({ device: this.name, code: tc.code, table: TC_CODES });
    const message = `${text}: ${tc.text || known.vendorMessage}`;
    return new DeviceError({ device: this.name, vendorMessage: message, vendorCode: tc.code, kind: known.kind ?? 'rejected', cause: rejected });
  }

  /** Send a query and decode its reply with `decode` (an undecodable reply triggers a resync). */
  query<T>(text: string, decode: (reply: string) => T, options?: CommandOptions): Promise<T> {
    return this.command(text, options).then((reply) => {
      try {
        return decode(reply);
      } catch (e) {
        this.#resync = true;
        throw e;
      }
    });
  }

  // ------------------------------------------------------------------------------------------
  // Motion (command reference: SH, MO, SP, AC, DC, PA, PR, JG, BG, ST, AB, HM, FE, FI, DP)

  /** SH: servo here — enable the axis (command position := actual position). */
  servoHere(axis: AxisLetter, options?: CommandOptions): Promise<string> {
    return this.command(`SH${checkAxis(axis)}`, options);
  }

  /** MO: motor off for one axis, or every axis without an argument. */
  motorOff(axis?: AxisLetter, options?: CommandOptions): Promise<string> {
    return this.command(axis === undefined ? 'MO' : `MO${checkAxis(axis)}`, options);
  }

  /** SP: slew speed, counts/s. */
  speed(axis: AxisLetter, countsPerS: number, options?: CommandOptions): Promise<string> {
    return this.command(assign('SP', axis, countsPerS, 0, MAX_SPEED_COUNTS), options);
  }

  /** AC: acceleration, counts/s². */
  acceleration(axis: AxisLetter, countsPerS2: number, options?: CommandOptions): Promise<string> {
    return this.command(assign('AC', axis, countsPerS2, MIN_ACCEL_COUNTS, MAX_ACCEL_COUNTS), options);
  }

  /** DC: deceleration, counts/s². */
  deceleration(axis: AxisLetter, countsPerS2: number, options?: CommandOptions): Promise<string> {
    return this.command(assign('DC', axis, countsPerS2, MIN_ACCEL_COUNTS, MAX_ACCEL_COUNTS), options);
  }

  /** PA: absolute target, counts (motion starts with BG). */
  positionAbsolute(axis: AxisLetter, counts: number, options?: CommandOptions): Promise<string> {
    return this.command(assign('PA', axis, counts, -MAX_POSITION_COUNTS, MAX_POSITION_COUNTS), options);
  }

  /** PR: relative distance, counts (motion starts with BG). */
  positionRelative(axis: AxisLetter, counts: number, options?: CommandOptions): Promise<string> {
    return this.command(assign('PR', axis, counts, -MAX_POSITION_COUNTS, MAX_POSITION_COUNTS), options);
  }

  /** JG: jog speed, counts/s (signed; motion starts with BG). */
  jog(axis: AxisLetter, countsPerS: number, options?: CommandOptions): Promise<string> {
    return this.command(assign('JG', axis, countsPerS, -MAX_SPEED_COUNTS, MAX_SPEED_COUNTS), options);
  }

  /** BG: begin the motion prepared by PA/PR/JG/HM/FE/FI. */
  begin(axis: AxisLetter, options?: CommandOptions): Promise<string> {
    return this.command(`BG${checkAxis(axis)}`, options);
  }

  /** ST: decelerate to a stop (stop code 4); every axis without an argument. */
  stop(axis?: AxisLetter, options?: CommandOptions): Promise<string> {
    return this.command(axis === undefined ? 'ST' : `ST${checkAxis(axis)}`, options);
  }

  /** AB: abort motion on every axis at once (stop code 7). */
  abort(options?: CommandOptions): Promise<string> {
    return this.command('AB', options);
  }

  /** HM: prepare a home sequence (switch, then index; position 0 there); BG runs it. */
  home(axis: AxisLetter, options?: CommandOptions): Promise<string> {
    return this.command(`HM${checkAxis(axis)}`, options);
  }

  /** FE: prepare a find-edge of the home switch; BG runs it. */
  findEdge(axis: AxisLetter, options?: CommandOptions): Promise<string> {
    return this.command(`FE${checkAxis(axis)}`, options);
  }

  /** FI: prepare a find-index; BG runs it. */
  findIndex(axis: AxisLetter, options?: CommandOptions): Promise<string> {
    return this.command(`FI${checkAxis(axis)}`, options);
  }

  /** DP: define the current position as `counts`. */
  definePosition(axis: AxisLetter, counts: number, options?: CommandOptions): Promise<string> {
    return this.command(assign('DP', axis, counts, -MAX_POSITION_COUNTS, MAX_POSITION_COUNTS), options);
  }

  /** TP: tell position of one axis, counts. */
  tellPosition(axis: AxisLetter, options?: CommandOptions): Promise<number> {
    return this.query(`TP${checkAxis(axis)}`, parseNumber, options);
  }

  /** TP: tell position of every axis, counts (the list's length is the axis count). */
  tellPositions(options?: CommandOptions): Promise<number[]> {
    return this.query('TP', parseNumberList, options);
  }

  /** TE: tell position error, counts. */
  tellError(axis: AxisLetter, options?: CommandOptions): Promise<number> {
    return this.query(`TE${checkAxis(axis)}`, parseNumber, options);
  }

  /** SC: stop code of one axis. */
  stopCode(axis: AxisLetter, options?: CommandOptions): Promise<number> {
    return this.query(`SC${checkAxis(axis)}`, parseStopCode, options);
  }

  /** MG _XXa: read an axis operand (`BG`, `MO`, `SP`, `PA`, `LF`, ...) as a number. */
  operand(name: string, axis: AxisLetter, options?: CommandOptions): Promise<number> {
    if (!/^[A-Z]{2}$/.test(name)) throw new InvalidInputError({ what: 'Galil operand', value: name, reason: 'must be two upper-case letters' });
    return this.query(`MG _${name}${checkAxis(axis)}`, parseNumber, options);
  }

  /** MG _BGa: true while the axis' profiler runs. */
  moving(axis: AxisLetter, options?: CommandOptions): Promise<boolean> {
    return this.query(`MG _BG${checkAxis(axis)}`, parseFlag, options);
  }

  /** MG _MOa: true when the motor is off. */
  isMotorOff(axis: AxisLetter, options?: CommandOptions): Promise<boolean> {
    return this.query(`MG _MO${checkAxis(axis)}`, parseFlag, options);
  }

  // ------------------------------------------------------------------------------------------
  // I/O (DMC and RIO: SB, CB, @IN, @OUT, @AN, AO)

  /** SB: set digital output bit `n`. */
  setBit(n: number, options?: CommandOptions): Promise<string> {
    return this.command(`SB ${checkInteger('output bit', n, 0, 999)}`, options);
  }

  /** CB: clear digital output bit `n`. */
  clearBit(n: number, options?: CommandOptions): Promise<string> {
    return this.command(`CB ${checkInteger('output bit', n, 0, 999)}`, options);
  }

  /** MG @IN[n]: digital input `n` (true = high). */
  digitalInput(n: number, options?: CommandOptions): Promise<boolean> {
    return this.query(`MG @IN[${checkInteger('input bit', n, 0, 999)}]`, parseFlag, options);
  }

  /** MG @OUT[n]: state of digital output `n`. */
  digitalOutput(n: number, options?: CommandOptions): Promise<boolean> {
    return this.query(`MG @OUT[${checkInteger('output bit', n, 0, 999)}]`, parseFlag, options);
  }

  /** MG @AN[n]: analog input `n`, volts. */
  analogInput(n: number, options?: CommandOptions): Promise<number> {
    return this.query(`MG @AN[${checkInteger('analog input', n, 0, 99)}]`, parseNumber, options);
  }

  /** TC1: the last error code and its text. */
  tellCode(options?: CommandOptions): Promise<{ code: number; text: string }> {
    return this.query('TC1', parseTellCode, options);
  }

  /** TC0: the last error code only. */
  tellCodeNumber(options?: CommandOptions): Promise<number> {
    return this.query('TC0', parseInteger, options);
  }
}
