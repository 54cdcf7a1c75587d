/**
 * The Legato / Pump 11 Elite / PHD Ultra ASCII protocol, pure encode/decode (no I/O, no timers).
 *
 * Wire format (Legato 100/200 manuals, "Pump chain commands"; Harvard Pump 33 DDS manual, POLL):
 * - A command is `[address]command[ args]` + CR. Pump 0 (the one on the computer) takes no
 *   address; pump 1..99 is addressed by its one- or two-digit number with no separator
 *   (`12irat 3.2 u/m`). HELAO sends `NN@command` with `poll on` (form `at`; not in the manuals
 *   we could read).
 * - A reply is each text line as `<lf>[NN<p>]text<cr>` and then the prompt `<lf>[NN]<p>`, where
 *   `<p>` is the pump's state: `:` idle, `>` infusing, `<` withdrawing, `*` stalled, `T*` target
 *   reached. The manual prints the text-line prefix of an idle pump (`NN:`); HELAO and flowchem
 *   read the state character there for any state, which is what this decoder accepts.
 * - With `poll on`, an XON (0x11) follows the prompt, and the pump sends nothing unasked. With
 *   `poll off` (the default), the pump also prints a prompt by itself when an event happens
 *   (target reached, stall).
 * - Errors are text lines: `Command error`, `Unknown command`, `Argument error`, `Out of range`.
 * @module
 */
import { InvalidInputError, type VendorCodeTable } from '../../core/errors.js';
import type { FrameMatch, Framer } from '../../protocols/contracts.js';

// Models and rate limits live in units.ts; simulators reach them through this module.
export { PUMP_MODELS, rateLimits, type PumpModel } from './units.js';

/** A prompt: the pump's state at the end of every reply. */
export type Prompt = ':' | '>' | '<' | '*' | 'T*';
/** The pump's state, as the prompt tells it. */
export type PumpState = 'idle' | 'infusing' | 'withdrawing' | 'stalled' | 'target';
/** Direction of pumping. */
export type Direction = 'infuse' | 'withdraw';

/** Prompt → state. */
export const PROMPT_STATES: Readonly<Record<Prompt, PumpState>> = { ':': 'idle', '>': 'infusing', '<': 'withdrawing', '*': 'stalled', 'T*': 'target' };
/** Every state, for signal choices. */
export const PUMP_STATES: readonly PumpState[] = ['idle', 'infusing', 'withdrawing', 'stalled', 'target'];
/** XON, sent after the prompt in poll mode. */
export const XON = 0x11;

/**
 * The error lines a pump prints, mapped to a short kind (flowchem's list; the manuals we read do
 * not print the full list, see the README).
 */
export const ERROR_REPLIES: VendorCodeTable = {
  'Command error': { text: 'command not valid in this state', kind: 'command' },
  'Unknown command': { text: 'the pump does not know this command', kind: 'unknown' },
  'Argument error': { text: 'an argument could not be read', kind: 'argument' },
  'Out of range': { text: 'a value is outside the pump\'s range', kind: 'range' },
};

/** How an address is put before a command: `NNcmd` (manual) or `NN@cmd` (HELAO, poll mode). */
export type AddressForm = 'plain' | 'at';

/** Check a pump address (an integer 0..99); InvalidInputError otherwise. */
export function checkAddress(address: unknown): number {
  if (typeof address !== 'number' || !Number.isInteger(address) || address < 0 || address > 99) {
    throw new InvalidInputError({ what: 'pump address', value: address, reason: 'must be an integer 0..99' });
  }
  return address;
}

const COMMAND_RE = /^[a-z][a-z0-9 ./:%-]*$/i;

/**
 * Build the command text for a pump (without the CR): `irate 10 ul/min` for pump 0,
 * `1irate 10 ul/min` for pump 1, `01@irate 10 ul/min` in the `at` form.
 * InvalidInputError for a bad address or a command with characters the pump does not take.
 */
export function encodeCommand(address: number, command: string, form: AddressForm = 'plain'): string {
  checkAddress(address);
  if (typeof command !== 'string' || !COMMAND_RE.test(command) || command.length > 80) {
    throw new InvalidInputError({ what: 'pump command', value: command, reason: 'expected a word and arguments in printable ASCII (no CR/LF)' });
  }
  if (form === 'at') return `${String(address).padStart(2, '0')}@${command}`;
  if (form !== 'plain') throw new InvalidInputError({ what: 'address form', value: form, reason: "must be 'plain' or 'at'" });
  return address === 0 ? command : `${address}${command}`;
}

const PROMPT_LINE_RE = /^(\d\d)?(T\*|[:<>*])$/;
const PREFIX_RE = /^(\d\d)(T\*|[:<>*])/;

/** Read a prompt line such as `:`, `01>` or `T*`; undefined when the line is not one. */
export function parsePromptLine(line: string): { address: number | undefined; prompt: Prompt } | undefined {
  const m = PROMPT_LINE_RE.exec(line);
  if (!m) return undefined;
  return { address: m[1] === undefined ? undefined : Number(m[1]), prompt: m[2] as Prompt };
}

/** A decoded reply. */
export interface DecodedReply {
  /** Address the pump printed (undefined: none, i.e. pump 0 in the plain form). */
  address: number | undefined;
  /** The final prompt. */
  prompt: Prompt;
  /** The state it means. */
  state: PumpState;
  /** Text lines without their address prefix. */
  lines: string[];
  /** The error line, when the pump rejected the command. */
  error: string | undefined;
}

/** Split reply text into its non-empty lines (CR, LF and XON separate lines). */
export function replyLines(text: string): string[] {
  return text.split(/[\r\n\x11]+/).filter((l) => l.length > 0);
}

/** Return the error line among `lines` (one of ERROR_REPLIES, any case), if any. */
export function findError(lines: readonly string[]): string | undefined {
  for (const l of lines) {
    const t = l.trim().toLowerCase();
    for (let k = 0; k < ERROR_KEYS.length; k++) if (t.startsWith(ERROR_LOWER[k]!)) return ERROR_KEYS[k];
  }
  return undefined;
}

const ERROR_KEYS = Object.keys(ERROR_REPLIES);
const ERROR_LOWER = ERROR_KEYS.map((e) => e.toLowerCase());

/**
 * Decode one reply (the frame's text: lines, then the prompt line). Throws InvalidInputError
 * when there is no prompt at the end or a line does not carry the prompt's address.
 */
export function decodeReply(text: string): DecodedReply {
  const all = replyLines(typeof text === 'string' ? text : '');
  const last = all.pop();
  const p = last === undefined ? undefined : parsePromptLine(last);
  if (!p) throw new InvalidInputError({ what: 'pump reply', value: text, reason: 'no prompt (: > < * T*) at its end' });
  const lines = all;
  if (p.address !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const m = PREFIX_RE.exec(line);
      if (!m || Number(m[1]) !== p.address) {
        throw new InvalidInputError({ what: 'pump reply line', value: line, reason: `expected the prefix ${String(p.address).padStart(2, '0')} and a state` });
      }
      lines[i] = line.slice(m[0].length);
    }
  }
  return { address: p.address, prompt: p.prompt, state: PROMPT_STATES[p.prompt], lines, error: findError(lines) };
}

// ---------------------------------------------------------------------------------------------
// STATUS

/** The six status flags (Legato manual, STATUS). */
export interface StatusFlags {
  /** Motor direction (flag 1, `i`/`w`). */
  direction: Direction;
  /** True when the motor runs (flag 1 upper case). */
  running: boolean;
  /** Limit switch hit (flag 2): `infuse`, `withdraw` or none. */
  limit: Direction | undefined;
  /** Stalled (flag 3 `S`). */
  stalled: boolean;
  /** Trigger input high (flag 4 `T`). */
  trigger: boolean;
  /** Direction port state (flag 5 `I`/`W`). */
  directionPort: Direction;
  /** Target time or volume reached (flag 6 `T`). */
  targetReached: boolean;
}

/** A decoded `status` line. */
export interface PumpStatus extends StatusFlags {
  /** Rate of the current direction, fL/s. */
  rateFlPerS: number;
  /** Time pumped in the current direction, ms. */
  timeMs: number;
  /** Volume pumped in the current direction, fL. */
  volumeFl: number;
  /** The flag field as sent. */
  flags: string;
}

const STATUS_RE = /^\s*(\d{1,20})\s+(\d{1,20})\s+(\d{1,20})\s+([iIwW][iIwW.][S.][T.][iIwW][T.])\s*$/;

/** Decode a `status` line: `<rate fL/s> <time ms> <volume fL> <6 flags>`; InvalidInputError otherwise. */
export function decodeStatus(line: string): PumpStatus {
  const m = typeof line === 'string' ? STATUS_RE.exec(line) : null;
  if (!m) throw new InvalidInputError({ what: 'status line', value: line, reason: 'expected "<rate fL/s> <time ms> <volume fL> <flags>", e.g. "0 0 0 i....."' });
  const f = m[4]!;
  return {
    rateFlPerS: Number(m[1]),
    timeMs: Number(m[2]),
    volumeFl: Number(m[3]),
    flags: f,
    direction: dir(f[0]!),
    running: f[0] === 'I' || f[0] === 'W',
    limit: f[1] === '.' ? undefined : dir(f[1]!),
    stalled: f[2] === 'S',
    trigger: f[3] === 'T',
    directionPort: dir(f[4]!),
    targetReached: f[5] === 'T',
  };
}

function dir(c: string): Direction {
  return c === 'i' || c === 'I' ? 'infuse' : 'withdraw';
}

/** Convert fL/s to µl/min. */
export const flPerSToUlPerMin = (fl: number): number => (fl * 60) / 1e9;
/** Convert fL to µl. */
export const flToUl = (fl: number): number => fl / 1e9;

// ---------------------------------------------------------------------------------------------
// Framing

/** Options of the reply framer. */
export interface LegatoFramerOptions {
  /**
   * `xon`: a reply ends at the XON after the prompt (poll on; unambiguous). `prompt`: a reply
   * ends at a line that is exactly a prompt, either followed by CR/LF or at the end of the bytes
   * so far (poll off); an XON right after it is taken along.
   */
  mode: 'xon' | 'prompt';
  /** Largest reply in bytes. Default 4096. */
  maxBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const isBreak = (b: number | undefined): boolean => b === CR || b === LF || b === XON;

/**
 * Find Legato replies in a byte buffer. A line starting with an address and a state (`01>10
 * ul/min`) is a text line, not a prompt, so the channel's generic prompt framer cannot be used.
 * Empty frames (a stray XON, an unasked newline) are skipped.
 */
export class LegatoFramer implements Framer {
  readonly description: string;
  readonly mode: 'xon' | 'prompt';
  private readonly maxBytes: number;

  constructor(options: LegatoFramerOptions) {
    if (options?.mode !== 'xon' && options?.mode !== 'prompt') throw new InvalidInputError({ what: 'legato framer mode', value: options?.mode, reason: "must be 'xon' or 'prompt'" });
    this.mode = options.mode;
    this.maxBytes = options.maxBytes ?? 4096;
    this.description = this.mode === 'xon' ? 'Legato reply ending in prompt + XON' : 'Legato reply ending in a prompt line';
  }

  /** Find the first complete reply in `buf[0, len)` (replies are short: it rescans from 0). */
  scan(buf: Uint8Array, len: number, _from = 0): FrameMatch | undefined {
    return this.mode === 'xon' ? this.scanXon(buf, len) : this.scanPrompt(buf, len);
  }

  private scanXon(buf: Uint8Array, len: number): FrameMatch | undefined {
    let start = 0;
    for (let i = 0; i < len; i++) {
      if (buf[i] !== XON) continue;
      const m = this.frame(buf, start, i, i + 1);
      if (m) return m;
      start = i + 1; // an empty frame: skip it
    }
    this.checkSize(len - start);
    return undefined;
  }

  private scanPrompt(buf: Uint8Array, len: number): FrameMatch | undefined {
    let ls = 0;
    while (ls <= len) {
      let le = ls;
      while (le < len && !isBreak(buf[le])) le++;
      const n = le - ls;
      if (n >= 1 && n <= 4 && parsePromptLine(latin1(buf, ls, le))) {
        const consumed = le < len && buf[le] === XON ? le + 1 : le;
        return this.frame(buf, 0, le, consumed);
      }
      if (le >= len) break;
      ls = le + 1;
    }
    this.checkSize(len);
    return undefined;
  }

  /** Build the match for payload `[start, end)`, or undefined when it holds no text. */
  private frame(buf: Uint8Array, start: number, end: number, consumed: number): FrameMatch | undefined {
    let s = start;
    let e = end;
    while (s < e && isBreak(buf[s])) s++;
    while (e > s && isBreak(buf[e - 1])) e--;
    if (s === e) return undefined;
    this.checkSize(e - s);
    let ls = e;
    while (ls > s && !isBreak(buf[ls - 1])) ls--;
    const p = parsePromptLine(latin1(buf, ls, e));
    const m: FrameMatch = { consumed, payloadStart: s, payloadEnd: e, end: p?.prompt ?? '', isError: false };
    if (p?.address !== undefined) m.address = String(p.address).padStart(2, '0');
    return m;
  }

  private checkSize(n: number): void {
    if (n > this.maxBytes) throw new InvalidInputError({ what: 'pump reply', value: `${n} bytes`, reason: `no complete reply (${this.description}) within ${this.maxBytes} bytes` });
  }

  /** Nothing is carried between frames. */
  reset(): void {}
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}
