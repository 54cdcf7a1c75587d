/**
 * Galil DMC / RIO wire format: pure encoders and decoders, the TC error table and the SC stop-code
 * table. No I/O, no timers (fuzzed in the tests; the simulator imports the tables).
 *
 * Facts (see `../shared/reference/galil.md`, DMC user manuals ch. 5 "Controller Response to
 * DATA"): a command is two upper-case letters plus operands, ended by CR (or `;`). A command that
 * returns nothing is answered with `:`; an interrogation with its value(s), CR LF, then `:`
 * (` 1000\r\n:`); a rejected command with a bare `?`, after which `TC1` tells `<code> <text>`.
 * @module
 */
import { InvalidInputError, type VendorCodeTable } from '../../core/errors.js';

/** Axis letters of a DMC controller (A is the first axis). */
export const AXIS_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;

/** One axis letter. */
export type AxisLetter = (typeof AXIS_LETTERS)[number];

/** Largest magnitude of a position or distance in counts (32-bit signed, DMC command reference). */
export const MAX_POSITION_COUNTS = 2_147_483_647;
/** Largest slew or jog speed in counts/s (servo axes, DMC-40x0). */
export const MAX_SPEED_COUNTS = 22_000_000;
/** Smallest acceleration / deceleration in counts/s² (resolution 1024). */
export const MIN_ACCEL_COUNTS = 1024;
/** Largest acceleration / deceleration in counts/s² (resolution 1024). */
export const MAX_ACCEL_COUNTS = 1_073_740_800;

/**
 * TC error codes and texts (TC command, DMC command reference; list as in the digest). `kind`
 * classifies the codes a driver reacts to.
 */
export const TC_CODES: VendorCodeTable = {
  1: 'Unrecognized command',
  2: 'Command only valid from program',
  3: 'Command not valid in program',
  4: 'Operand error',
  5: 'Input buffer full',
  6: { text: 'Number out of range', kind: 'range' },
  7: { text: 'Command not valid while running', kind: 'running' },
  8: 'Command not valid while not running',
  9: 'Variable error',
  10: 'Empty program line or undefined label',
  11: 'Invalid label or line number',
  12: 'Subroutine more than 16 deep',
  13: 'JG only valid when running in jog mode',
  14: 'EEPROM check sum error',
  15: 'EEPROM write error',
  16: 'IP incorrect sign during position move or IP given during forced deceleration',
  17: 'ED, BN and DL not valid while program running',
  18: 'Command not valid when contouring',
  19: 'Application strand already executing',
  20: { text: 'Begin not valid with motor off', kind: 'motor-off' },
  21: { text: 'Begin not valid while running', kind: 'running' },
  22: { text: 'Begin not possible due to Limit Switch', kind: 'limit' },
  24: 'Begin not valid because no sequence defined',
  28: 'S operand not valid',
  29: 'Not valid during coordinated move',
  50: 'Not enough fields',
  51: 'Question mark not valid',
  52: 'Missing " or string too long',
  55: 'Missing [ or []',
  56: 'Array index invalid or out of range',
  57: 'Bad function or array',
  58: 'Bad command response (i.e. _GNX)',
  59: 'Mismatched parentheses',
  60: 'Download error - line too long or too many lines',
  61: 'Duplicate or bad label',
  62: 'Too many labels',
  63: 'IF statement without ENDIF',
  66: 'Array space full',
  67: 'Too many arrays or variables',
  80: 'Record mode already running',
  83: 'Not a valid number',
  106: 'Privilege Violation',
  119: 'Not valid for axis configured as stepper',
  123: { text: 'TCP lost sync', kind: 'link' },
  124: { text: 'Ethernet handle already in use', kind: 'link' },
  126: { text: 'Closed Ethernet handle', kind: 'link' },
  131: 'Serial Port Timeout',
  132: 'Analog inputs not present',
  134: { text: 'All motors must be in MO for this command', kind: 'motor-on' },
  135: { text: 'Motor must be in MO', kind: 'motor-on' },
  141: 'Feature not supported',
  143: 'TM timed out',
  160: 'BX failure',
  166: 'Unable to set analog output',
};

/** How a stop code ends a motion: `done` (success), `canceled` (commanded stop) or a failure kind. */
export type StopOutcome = 'running' | 'done' | 'canceled' | 'limit' | 'abort' | 'off-on-error' | 'fault' | 'other';

/** SC stop codes (SC command): text and outcome. */
export const STOP_CODES: Readonly<Record<number, { text: string; outcome: StopOutcome }>> = {
  0: { text: 'Motors are running, independent mode', outcome: 'running' },
  1: { text: 'Motors decelerating or stopped at commanded independent position', outcome: 'done' },
  2: { text: 'Decelerating or stopped by FWD limit switch or soft limit FL', outcome: 'limit' },
  3: { text: 'Decelerating or stopped by REV limit switch or soft limit BL', outcome: 'limit' },
  4: { text: 'Decelerating or stopped by Stop Command (ST)', outcome: 'canceled' },
  6: { text: 'Stopped by Abort input', outcome: 'abort' },
  7: { text: 'Stopped by Abort command (AB)', outcome: 'canceled' },
  8: { text: 'Decelerating or stopped by Off on Error (OE1)', outcome: 'off-on-error' },
  9: { text: 'Stopped after finding edge (FE)', outcome: 'done' },
  10: { text: 'Stopped after homing (HM) or Find Index (FI)', outcome: 'done' },
  11: { text: 'Stopped by selective abort input', outcome: 'abort' },
  12: { text: 'Decelerating or stopped by encoder failure', outcome: 'fault' },
  15: { text: 'Amplifier fault', outcome: 'fault' },
  16: { text: 'Stepper position maintenance error', outcome: 'fault' },
  30: { text: 'Running in PVT mode', outcome: 'running' },
  31: { text: 'PVT mode completed normally', outcome: 'done' },
  32: { text: 'PVT mode exited because buffer is empty', outcome: 'other' },
  50: { text: 'Contour running', outcome: 'running' },
  51: { text: 'Contour stopped', outcome: 'other' },
  99: { text: 'MC timeout', outcome: 'fault' },
  100: { text: 'Motors are running, vector sequence', outcome: 'running' },
  101: { text: 'Motors stopped at commanded vector', outcome: 'done' },
};

/** Describe a stop code (unknown codes get a generic text and outcome `other`). */
export function describeStopCode(code: number): { text: string; outcome: StopOutcome } {
  return STOP_CODES[code] ?? { text: `stop code ${code}`, outcome: 'other' };
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Check an axis letter (A..H); throws InvalidInputError. */
export function checkAxis(axis: unknown): AxisLetter {
  if (typeof axis !== 'string' || !(AXIS_LETTERS as readonly string[]).includes(axis)) {
    throw new InvalidInputError({ what: 'Galil axis', value: axis, reason: `must be one of ${AXIS_LETTERS.join('')}` });
  }
  return axis as AxisLetter;
}

/** Check an integer operand lies in [low, high]; throws InvalidInputError naming `what`. */
export function checkInteger(what: string, value: unknown, low: number, high: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) {
    throw new InvalidInputError({ what, value, reason: `must be an integer in ${low}..${high}` });
  }
  return value;
}

const COMMAND_RE = /^[A-Z]{2}[ -~]*$/;

/**
 * Build the bytes of one command line: `text` plus CR. The text must be printable ASCII starting
 * with a two-letter command; CR, LF and `;` are refused (one command per line, so each request
 * gets exactly one `:` or `?`).
 */
export function encodeCommand(text: string): string {
  if (typeof text !== 'string' || text.length === 0 || text.length > 80) {
    throw new InvalidInputError({ what: 'Galil command', value: text, reason: 'must be a string of 1..80 characters' });
  }
  if (!COMMAND_RE.test(text) || text.includes(';')) {
    throw new InvalidInputError({ what: 'Galil command', value: text, reason: 'must be printable ASCII starting with a two-letter command, without ";" or line breaks' });
  }
  return `${text}\r`;
}

/** Build `XXa=n` (axis assignment form, e.g. `PAA=1000`) after checking the range. */
export function assign(command: string, axis: AxisLetter, value: number, low: number, high: number): string {
  checkAxis(axis);
  checkInteger(`${command}${axis} operand`, value, low, high);
  return `${command}${axis}=${value}`;
}

// ---------------------------------------------------------------------------------------------
// Decoding

const NUMBER_RE = /^[ \t]*[+-]?\d{1,12}(?:\.\d{0,10})?[ \t]*$/;
const HEX_RE = /^[ \t]*\$([0-9A-Fa-f]{1,8})(?:\.([0-9A-Fa-f]{0,4}))?[ \t]*$/;

/**
 * Decode one value as the controller prints it (` 1000`, `-12.5000`, ` 1.0000`, `$3E8.0000` in
 * hex format). Throws InvalidInputError for anything else (empty, garbage, too many digits).
 */
export function parseNumber(text: string): number {
  if (typeof text !== 'string') throw new InvalidInputError({ what: 'Galil number', value: text, reason: 'must be a string' });
  if (NUMBER_RE.test(text)) return Number(text);
  const h = HEX_RE.exec(text);
  if (h) {
    const frac = h[2] ? parseInt(h[2].padEnd(4, '0'), 16) / 65536 : 0;
    return parseInt(h[1]!, 16) + frac;
  }
  throw new InvalidInputError({ what: 'Galil number', value: text.length > 40 ? `${text.slice(0, 40)}...` : text, reason: 'is not a number the controller prints' });
}

/** Decode a comma-separated list of values (` 0, 0, 0, 0`); empty fields are refused. */
export function parseNumberList(text: string): number[] {
  if (typeof text !== 'string') throw new InvalidInputError({ what: 'Galil value list', value: text, reason: 'must be a string' });
  if (text.length > 4096) throw new InvalidInputError({ what: 'Galil value list', value: `${text.length} characters`, reason: 'is too long' });
  return text.split(',').map((part) => parseNumber(part));
}

/** Decode an integer reply (stop codes, TC codes, booleans as 0/1 printed with decimals). */
export function parseInteger(text: string): number {
  const v = parseNumber(text);
  if (!Number.isInteger(v)) throw new InvalidInputError({ what: 'Galil integer', value: text, reason: 'is not an integer' });
  return v;
}

/** Decode a 0/1 flag (` 1.0000` → true); anything but 0 or 1 is refused. */
export function parseFlag(text: string): boolean {
  const v = parseNumber(text);
  if (v !== 0 && v !== 1) throw new InvalidInputError({ what: 'Galil flag', value: text, reason: 'must be 0 or 1' });
  return v === 1;
}

/** Decode a stop code reply (` 1`), checking it is an integer in 0..255. */
export function parseStopCode(text: string): number {
  const v = parseInteger(text);
  if (v < 0 || v > 255) throw new InvalidInputError({ what: 'Galil stop code', value: text, reason: 'must lie in 0..255' });
  return v;
}

/** A decoded `TC1` reply. */
export interface TellCode {
  code: number;
  /** The controller's text ('' when it printed only the number, as `TC0` does). */
  text: string;
}

const TC_RE = /^[ \t]*(\d{1,4})(?:[ \t]+([ -~]*?))?[ \t]*$/;

/** Decode a `TC1` reply (`20 Begin not valid with motor off`). */
export function parseTellCode(text: string): TellCode {
  if (typeof text !== 'string') throw new InvalidInputError({ what: 'Galil TC reply', value: text, reason: 'must be a string' });
  const m = TC_RE.exec(text);
  if (!m) throw new InvalidInputError({ what: 'Galil TC reply', value: text.length > 40 ? `${text.slice(0, 40)}...` : text, reason: 'expected "<code> <text>"' });
  return { code: Number(m[1]), text: m[2] ?? '' };
}

/** One reply found in raw bytes: its payload (CR/LF trimmed) and whether it was accepted (`:`). */
export interface RawReply {
  payload: string;
  ok: boolean;
}

/**
 * Split a raw reply stream into per-command replies: `::: 1000\r\n:` → four replies, the last with
 * payload ` 1000`. Returns the complete replies and the unfinished rest. Pure; never throws for
 * a string input.
 */
export function splitReplies(raw: string): { replies: RawReply[]; rest: string } {
  const replies: RawReply[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x3a || c === 0x3f) {
      replies.push({ payload: raw.slice(start, i).replace(/^[\r\n]+|[\r\n]+$/g, ''), ok: c === 0x3a });
      start = i + 1;
    }
  }
  return { replies, rest: raw.slice(start) };
}

// ---------------------------------------------------------------------------------------------
// Number formatting (shared with the simulator)

/** Format a value as MG prints it by default (VF 10.4): ` 1.0000`, `-2.5000`. */
export function formatVariable(value: number, decimals = 4): string {
  const s = Math.abs(value).toFixed(decimals);
  return value < 0 && Number(s) !== 0 ? `-${s}` : ` ${s}`;
}

/** Format a position as TP prints it with PF `n.m` (`m` decimals; default 0): ` 1000`, `-50`. */
export function formatPosition(value: number, decimals = 0): string {
  const v = decimals === 0 ? Math.round(value) : value;
  const s = Math.abs(v).toFixed(decimals);
  return v < 0 && Number(s) !== 0 ? `-${s}` : ` ${s}`;
}
