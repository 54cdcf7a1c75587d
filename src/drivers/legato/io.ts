/**
 * LegatoIO: a typed mirror of the pump-chain commands of one pump (Legato 100/200 manuals,
 * "Pump chain commands"), on a RequestChannel. Every call sends one command, waits for its reply
 * (ended by the prompt, plus XON in poll mode), remembers the prompt as the pump's state, and
 * turns an error line into a DeviceError. Several LegatoIOs (one per address) may share a
 * channel: the daisy chain's pumps then take turns on the line.
 * @module
 */
import { DeviceError, DisconnectedError, InvalidInputError, TimeoutError } from '../../core/errors.js';
import type { Reply, RequestChannel, RequestOptions, Unsubscribe, WaitOptions } from '../../protocols/contracts.js';
import {
  checkAddress, decodeReply, decodeStatus, encodeCommand, ERROR_REPLIES, findError, flPerSToUlPerMin, flToUl, LegatoFramer, parsePromptLine, replyLines,
  type AddressForm, type DecodedReply, type Direction, type PumpState, type PumpStatus,
} from './protocol.js';
import { encodeRate, encodeVolume, formatNumber, parseRate, parseVolume, splitQuantity } from './units.js';

/** Options of a LegatoIO. */
export interface LegatoIOOptions {
  /** Name used in errors. Default `legato`. */
  name?: string;
  /** Pump address on the chain, 0..99. Default 0. */
  address?: number;
  /** `plain` (`1irate`, the manual's form; default) or `at` (`01@irate`, HELAO's). */
  form?: AddressForm;
  /** Poll mode: `poll on` at init, replies end with XON. Default true. */
  poll?: boolean;
  /** Limit of each command, in ms. Default 1000. */
  timeoutMs?: number;
}

/** Options of one command. */
export interface CommandOptions extends WaitOptions {
  /** Jump the queue (stop). */
  urgent?: boolean;
  /** With `urgent`, cancel the command on the wire and send this one at once (e-stop). */
  interrupt?: boolean;
}

/** A `status` reply with its values in labrig's units and the prompt. */
export interface StatusReport extends PumpStatus {
  /** Rate of the current direction, µl/min. */
  rateUlPerMin: number;
  /** Volume pumped in the current direction, µl. */
  volumeUl: number;
  /** Time pumped in the current direction, s. */
  elapsedS: number;
  /** State from the reply's prompt. */
  state: PumpState;
}

/** Talk to one pump of a chain (see the module notes). */
export class LegatoIO {
  /** Name used in errors. */
  readonly name: string;
  /** Pump address, 0..99. */
  readonly pump: number;
  /** How the address is written. */
  readonly form: AddressForm;
  /** Limit of each command, ms. */
  readonly timeoutMs: number;
  readonly #channel: RequestChannel | undefined;
  readonly #xon = new LegatoFramer({ mode: 'xon' });
  readonly #prompt = new LegatoFramer({ mode: 'prompt' });
  readonly #listeners = new Set<(state: PumpState) => void>();
  /** Encoded commands (with address and CR), reused for repeated ones such as `status`. */
  readonly #encoded = new Map<string, string>();
  readonly #unsub: Unsubscribe | undefined;
  #poll: boolean;
  #needsInit: boolean;
  #initializing: Promise<void> | undefined;
  #state: PumpState | undefined;

  /** Talk through `channel` (undefined: a device that only runs in mock mode). */
  constructor(channel: RequestChannel | undefined, options: LegatoIOOptions = {}) {
    this.#channel = channel;
    this.name = options.name ?? 'legato';
    this.pump = checkAddress(options.address ?? 0);
    this.form = options.form ?? 'plain';
    if (this.form !== 'plain' && this.form !== 'at') throw new InvalidInputError({ what: `${this.name} form`, value: this.form, reason: "must be 'plain' or 'at'" });
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.#xonRequest = Object.freeze({ expect: this.#xon, timeoutMs: this.timeoutMs, match: this.#accept });
    this.#xonLinesRequest = Object.freeze({ expect: this.#xon, timeoutMs: this.timeoutMs, match: this.#acceptLines });
    this.#poll = options.poll ?? true;
    this.#needsInit = this.#poll;
    this.#unsub = channel?.onState((s) => {
      if (s === 'disconnected' || s === 'reconnecting') this.#needsInit = this.#poll;
    });
  }

  /** Address of the channel, e.g. `tcp://127.0.0.1:5000`. */
  get address(): string {
    return this.#channel?.address ?? '';
  }

  /** True when poll mode is wanted (replies end with XON). */
  get poll(): boolean {
    return this.#poll;
  }

  /** The pump's state from the last prompt seen, or undefined before the first reply. */
  get state(): PumpState | undefined {
    return this.#state;
  }

  /** Listen to every prompt (the pump's state after each reply). */
  onState(listener: (state: PumpState) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Open the channel. */
  async open(options: WaitOptions = {}): Promise<void> {
    await this.#require().open(options);
  }

  /** Stop listening to the channel and close it. */
  async close(): Promise<void> {
    this.#unsub?.();
    await this.#channel?.close();
  }

  /** Stop listening to the channel but leave it open (a pump of a shared chain). */
  release(): void {
    this.#unsub?.();
  }

  /**
   * Send `command` and return the decoded reply. DeviceError for an error line (vendorCode is
   * the line, e.g. `Out of range`); InvalidInputError for a reply that cannot be decoded;
   * TimeoutError, DisconnectedError, CanceledError as the channel reports them. In poll mode,
   * `poll on` is sent first whenever the link was lost or a reply timed out (a restarted pump
   * comes back with poll off). With `lines`, a reply must carry a text line (a query's).
   */
  request(command: string, options: CommandOptions = NO_OPTIONS, lines = false): Promise<DecodedReply> {
    return this.#request(command, options, lines, same);
  }

  /** Send `command` and map its decoded reply in the same step (no extra promise layer). */
  #request<R>(command: string, options: CommandOptions, lines: boolean, map: (d: DecodedReply) => R): Promise<R> {
    let channel: RequestChannel;
    let text: string | undefined;
    try {
      channel = this.#require();
      text = this.#encoded.get(command);
      if (text === undefined) {
        text = `${encodeCommand(this.pump, command, this.form)}\r`;
        if (this.#encoded.size >= 64) this.#encoded.clear();
        this.#encoded.set(command, text);
      }
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (this.#needsInit && options.urgent) {
      // A stop does not wait for `poll on`; the prompt framer reads either kind of reply.
      return this.#send(channel, text, this.#prompt, options, lines, map);
    }
    if (this.#needsInit) return this.#initThenSend(channel, text, options, lines, map);
    return this.#send(channel, text, this.#poll ? this.#xon : this.#prompt, options, lines, map);
  }

  /** Send a command that answers with a prompt only; resolve with the new state. */
  async command(command: string, options: CommandOptions = {}): Promise<PumpState> {
    return (await this.request(command, options)).state;
  }

  /** Send a query and return its first text line. */
  async query(command: string, options: CommandOptions = {}): Promise<string> {
    const r = await this.request(command, options, true);
    return r.lines[0]!.trim();
  }

  /** Turn poll mode on or off (`poll on|off`); later replies are framed accordingly. */
  async setPoll(on: boolean, options: CommandOptions = {}): Promise<void> {
    const text = `${encodeCommand(this.pump, `poll ${on ? 'on' : 'off'}`, this.form)}\r`;
    await this.#send(this.#require(), text, this.#prompt, options, false, same);
    this.#poll = on;
    this.#needsInit = false;
  }

  // --- typed commands (Legato 100/200 manuals, "Pump chain commands") --------------------------

  /** DIAMETER query: syringe inner diameter, mm. */
  async diameter(options?: CommandOptions): Promise<number> {
    return number('diameter', await this.query('diameter', options));
  }

  /** DIAMETER: set the syringe inner diameter, mm. */
  async setDiameter(mm: number, options?: CommandOptions): Promise<void> {
    await this.command(`diameter ${formatNumber(positive('diameter', mm))}`, options);
  }

  /** SVOLUME query: syringe volume, µl. */
  async syringeVolume(options?: CommandOptions): Promise<number> {
    return parseVolume(await this.query('svolume', options), 'svolume reply');
  }

  /** SVOLUME: set the syringe volume, µl. */
  async setSyringeVolume(ul: number, options?: CommandOptions): Promise<void> {
    await this.command(`svolume ${encodeVolume(positive('syringe volume', ul))}`, options);
  }

  /** IRATE / WRATE query: the rate of a direction, µl/min. */
  async rate(direction: Direction, options?: CommandOptions): Promise<number> {
    return parseRate(await this.query(rateCommand(direction), options), `${rateCommand(direction)} reply`);
  }

  /** IRATE / WRATE: set the rate of a direction, µl/min. */
  async setRate(direction: Direction, ulPerMin: number, options?: CommandOptions): Promise<void> {
    await this.command(`${rateCommand(direction)} ${encodeRate(positive('rate', ulPerMin))}`, options);
  }

  /** TVOLUME query: target volume, µl (0 when none is set). */
  async targetVolume(options?: CommandOptions): Promise<number> {
    const line = await this.query('tvolume', options);
    return /not set/i.test(line) ? 0 : parseVolume(line, 'tvolume reply');
  }

  /** TVOLUME: set the target volume, µl (the pump stops and prompts `T*` there). */
  async setTargetVolume(ul: number, options?: CommandOptions): Promise<void> {
    await this.command(`tvolume ${encodeVolume(positive('target volume', ul))}`, options);
  }

  /** CTVOLUME: clear the target volume. */
  async clearTargetVolume(options?: CommandOptions): Promise<void> {
    await this.command('ctvolume', options);
  }

  /** TTIME query: target time, s (0 when none is set). */
  async targetTime(options?: CommandOptions): Promise<number> {
    const line = await this.query('ttime', options);
    return /not set/i.test(line) ? 0 : seconds(line);
  }

  /** TTIME: set the target time, s. */
  async setTargetTime(s: number, options?: CommandOptions): Promise<void> {
    await this.command(`ttime ${formatNumber(positive('target time', s))}`, options);
  }

  /** CTTIME: clear the target time. */
  async clearTargetTime(options?: CommandOptions): Promise<void> {
    await this.command('cttime', options);
  }

  /** IRUN / WRUN: start pumping in a direction. */
  async run(direction: Direction, options?: CommandOptions): Promise<PumpState> {
    return this.command(direction === 'infuse' ? 'irun' : 'wrun', options);
  }

  /** STOP: stop pumping (sent at high priority; `interrupt` also displaces the command on the wire). */
  async stop(options: CommandOptions = {}): Promise<PumpState> {
    return this.command('stop', { urgent: true, interrupt: options.interrupt ?? false, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** STATUS: rate, time, volume and flags of the current direction, plus the prompt. */
  status(options?: CommandOptions): Promise<StatusReport> {
    return this.#request('status', options ?? NO_OPTIONS, true, statusReport);
  }

  /** IVOLUME / WVOLUME: volume pumped in a direction since it was cleared, µl. */
  async volume(direction: Direction, options?: CommandOptions): Promise<number> {
    const cmd = direction === 'infuse' ? 'ivolume' : 'wvolume';
    return parseVolume(await this.query(cmd, options), `${cmd} reply`);
  }

  /** CIVOLUME / CWVOLUME / CVOLUME: clear the volume counter of a direction or both. */
  async clearVolume(direction: Direction | 'both', options?: CommandOptions): Promise<void> {
    await this.command(direction === 'both' ? 'cvolume' : direction === 'infuse' ? 'civolume' : 'cwvolume', options);
  }

  /** ITIME / WTIME: time pumped in a direction since it was cleared, s. */
  async time(direction: Direction, options?: CommandOptions): Promise<number> {
    return seconds(await this.query(direction === 'infuse' ? 'itime' : 'wtime', options));
  }

  /** CITIME / CWTIME / CTIME: clear the time counter of a direction or both. */
  async clearTime(direction: Direction | 'both', options?: CommandOptions): Promise<void> {
    await this.command(direction === 'both' ? 'ctime' : direction === 'infuse' ? 'citime' : 'cwtime', options);
  }

  /** FORCE query: pushing force, percent. */
  async force(options?: CommandOptions): Promise<number> {
    return number('force', (await this.query('force', options)).replace('%', ''));
  }

  /** FORCE: set the pushing force, 1..100 percent. */
  async setForce(percent: number, options?: CommandOptions): Promise<void> {
    if (!Number.isInteger(percent) || percent < 1 || percent > 100) throw new InvalidInputError({ what: `${this.name} force`, value: percent, reason: 'must be an integer 1..100 (%)' });
    await this.command(`force ${percent}`, options);
  }

  /** VERSION: firmware version text. */
  async version(options?: CommandOptions): Promise<string> {
    return this.query('version', options);
  }

  /** NVRAM: turn writing settings to memory on or off (off is advised under computer control). */
  async setNvram(on: boolean, options?: CommandOptions): Promise<void> {
    await this.command(`nvram ${on ? 'on' : 'off'}`, options);
  }

  // --- internals -------------------------------------------------------------------------------

  #require(): RequestChannel {
    if (!this.#channel) throw new DisconnectedError({ device: this.name, detail: 'no transport (this pump was built for mock use)' });
    return this.#channel;
  }

  async #initThenSend<R>(channel: RequestChannel, text: string, options: CommandOptions, lines: boolean, map: (d: DecodedReply) => R): Promise<R> {
    await this.#init(options);
    return this.#send(channel, text, this.#poll ? this.#xon : this.#prompt, options, lines, map);
  }

  async #init(options: WaitOptions): Promise<void> {
    this.#initializing ??= this.setPoll(true, { timeoutMs: options.timeoutMs }).finally(() => {
      this.#initializing = undefined;
    });
    await this.#initializing;
  }

  #send<R>(channel: RequestChannel, text: string, framer: LegatoFramer, options: CommandOptions, wantLines: boolean, map: (d: DecodedReply) => R): Promise<R> {
    const match = wantLines ? this.#acceptLines : options.urgent ? this.#acceptBare : this.#accept;
    let req: RequestOptions;
    if (options.timeoutMs === undefined && !options.signal && !options.urgent && framer === this.#xon) {
      req = wantLines ? this.#xonLinesRequest : this.#xonRequest;
    } else {
      req = { expect: framer, timeoutMs: options.timeoutMs ?? this.timeoutMs, match };
      if (options.signal) req.signal = options.signal;
      if (options.urgent) {
        req.priority = 'high';
        req.interrupt = options.interrupt ?? false;
      }
    }
    let sent: Promise<Reply>;
    try {
      sent = channel.request(text, req);
    } catch (e) {
      sent = Promise.reject(e as Error);
    }
    return sent.then((reply) => map(this.#decode(reply, text, wantLines)), this.#failed);
  }

  /** A timeout in poll mode means the pump may have restarted (poll off): init again next time. */
  readonly #failed = (e: unknown): never => {
    if (e instanceof TimeoutError && this.#poll) this.#needsInit = true;
    throw e;
  };

  /** Decode a reply, note the prompt, and turn an error line (or a missing text line) into an error. */
  #decode(reply: Reply, text: string, wantLines: boolean): DecodedReply {
    const decoded = decodeReply(reply.text);
    this.#setState(decoded.state);
    if (decoded.error) {
      const entry = ERROR_REPLIES[decoded.error] as { text: string; kind: string };
      throw new DeviceError({ device: this.name, vendorMessage: `${JSON.stringify(text.trim())} rejected: ${decoded.error} (${entry.text})`, vendorCode: decoded.error, kind: entry.kind });
    }
    if (wantLines && decoded.lines.length === 0) throw new InvalidInputError({ what: `${this.name} reply`, value: reply.text, reason: `no text line in the reply to ${JSON.stringify(text.trim())}` });
    return decoded;
  }

  readonly #accept = (r: Reply): boolean => this.#accepts(r, false);
  readonly #acceptLines = (r: Reply): boolean => this.#accepts(r, true);
  /** Request options of the common case (poll mode, no per-call options); shared, never modified. */
  readonly #xonRequest: Readonly<RequestOptions>;
  readonly #xonLinesRequest: Readonly<RequestOptions>;
  /**
   * A stop answers with a prompt only (or an error line), and that prompt is not a moving one: a
   * reply with other text, or a bare `>`/`<`, is the late reply of the command the stop displaced
   * (a status, or the IRUN/WRUN it overtook), not the stop's. Taking a displaced run's `>` for the
   * stop's answer would confirm a stop the pump has not made yet.
   */
  readonly #acceptBare = (r: Reply): boolean => {
    if (!this.#accepts(r, false)) return false;
    const lines = replyLines(r.text);
    if (findError(lines) !== undefined) return true;
    if (r.bytes.indexOf(0x0a) >= 0 || r.bytes.indexOf(0x0d) >= 0) return false;
    const prompt = parsePromptLine(lines.at(-1) ?? '')?.prompt;
    return prompt !== '>' && prompt !== '<';
  };

  /** Accept a frame from this pump; a query's reply must have a line (an unasked `T*` has none). */
  #accepts(r: Reply, wantLines: boolean): boolean {
    const from = r.address === undefined ? (this.form === 'at' ? undefined : 0) : Number(r.address);
    if (from !== undefined && from !== this.pump) return false;
    // An event prompt that came by itself (no line break inside) is not a query's reply.
    return !wantLines || r.bytes.indexOf(0x0a) >= 0 || r.bytes.indexOf(0x0d) >= 0;
  }

  #setState(state: PumpState): void {
    this.#state = state;
    if (this.#listeners.size === 0) return;
    for (const l of [...this.#listeners]) l(state);
  }
}

const NO_OPTIONS: CommandOptions = Object.freeze({});

function same(d: DecodedReply): DecodedReply {
  return d;
}

/** Build a status report from a decoded `status` reply. */
function statusReport(r: DecodedReply): StatusReport {
  const s = decodeStatus(r.lines[0]!);
  // Listed field by field: an object spread here costs ten times the decoding.
  return {
    rateFlPerS: s.rateFlPerS, timeMs: s.timeMs, volumeFl: s.volumeFl, flags: s.flags, direction: s.direction, running: s.running,
    limit: s.limit, stalled: s.stalled, trigger: s.trigger, directionPort: s.directionPort, targetReached: s.targetReached,
    rateUlPerMin: flPerSToUlPerMin(s.rateFlPerS), volumeUl: flToUl(s.volumeFl), elapsedS: s.timeMs / 1000, state: r.state,
  };
}

function rateCommand(direction: Direction): 'irate' | 'wrate' {
  if (direction !== 'infuse' && direction !== 'withdraw') throw new InvalidInputError({ what: 'direction', value: direction, reason: "must be 'infuse' or 'withdraw'" });
  return direction === 'infuse' ? 'irate' : 'wrate';
}

function positive(what: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidInputError({ what, value: v, reason: 'must be a finite number > 0' });
  return v;
}

function number(what: string, text: string): number {
  return splitQuantity(text, `${what} reply`).value;
}

/** Read a time reply: `30`, `30 s`, `1.5 min`, `2 h` or `h:m:s`, in seconds. */
function seconds(text: string): number {
  const hms = /^\s*(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$/.exec(text);
  if (hms) return Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  const q = splitQuantity(text, 'time reply');
  const u = q.units.toLowerCase();
  const f = u === '' || u === 's' || u === 'sec' || u === 'seconds' ? 1 : u === 'm' || u === 'min' ? 60 : u === 'h' || u === 'hr' ? 3600 : NaN;
  if (Number.isNaN(f)) throw new InvalidInputError({ what: 'time reply', value: text, reason: 'expected seconds, minutes, hours or h:m:s' });
  return q.value * f;
}
