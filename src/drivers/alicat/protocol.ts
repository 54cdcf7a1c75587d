/**
 * Alicat serial ASCII protocol: pure encode/decode, no I/O, no timers (fuzzed in the tests).
 *
 * Wire facts (see `shared/reference/alicat.md` and the Alicat Serial Primer): every command starts
 * with the unit id (`A`–`Z`) and ends with CR; every reply is one CR-terminated line starting with
 * the unit id; a bare `?` (or `A ?`) means the command was rejected. The poll reply (data frame)
 * is whitespace-separated: `ID P T Qvol Qmass [Setpoint] [Total] Gas [status codes...]`.
 * An over-range value may be sent as a run of dashes; it decodes to NaN.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** Status codes that may follow the gas in a data frame. */
export type StatusCode = 'ADC' | 'EXH' | 'HLD' | 'LCK' | 'MOV' | 'OPL' | 'OVR' | 'P2O' | 'POV' | 'TMF' | 'TOV' | 'VOV';

/** Every status code with the flag name the driver uses and its meaning (primer, Status/Error Codes). */
export const STATUS_CODES: Readonly<Record<StatusCode, { flag: string; text: string }>> = {
  ADC: { flag: 'adcError', text: 'internal analog-to-digital converter communication error' },
  EXH: { flag: 'exhaust', text: 'exhaust valve override active' },
  HLD: { flag: 'hold', text: 'valve hold active (closed-loop control bypassed)' },
  LCK: { flag: 'locked', text: 'front display buttons locked' },
  MOV: { flag: 'massFlowOverRange', text: 'mass flow outside the measurable range' },
  OPL: { flag: 'overPressureLimit', text: 'over-pressure limit active' },
  OVR: { flag: 'totalizerRolledOver', text: 'totalizer rolled over or frozen at its maximum' },
  P2O: { flag: 'secondaryPressureOverRange', text: 'secondary pressure outside the measurable range' },
  POV: { flag: 'pressureOverRange', text: 'pressure outside the measurable range' },
  TMF: { flag: 'totalizerMissedFlow', text: 'totalizer missed flow while mass or volumetric flow was over range' },
  TOV: { flag: 'temperatureOverRange', text: 'temperature outside the measurable range' },
  VOV: { flag: 'volumetricFlowOverRange', text: 'volumetric flow outside the measurable range' },
};

/** Status codes in a stable order. */
export const STATUS_CODE_LIST = Object.keys(STATUS_CODES) as StatusCode[];

/** Standard gas table: the index is the Alicat gas number (numat/alicat order, primer gas list 0–29). */
export const GASES: readonly string[] = [
  'Air', 'Ar', 'CH4', 'CO', 'CO2', 'C2H6', 'H2', 'He', 'N2', 'N2O', 'Ne', 'O2', 'C3H8', 'n-C4H10', 'C2H2',
  'C2H4', 'i-C2H10', 'Kr', 'Xe', 'SF6', 'C-25', 'C-10', 'C-8', 'C-2', 'C-75', 'A-75', 'A-25', 'A1025', 'Star29', 'P-5',
];

/** Gas numbers of user (COMPOSER) mixes. */
export const MIX_NUMBERS = { low: 236, high: 255 } as const;

/** What a flow controller regulates. */
export type ControlVariable = 'mass-flow' | 'volumetric-flow' | 'absolute-pressure' | 'gauge-pressure' | 'differential-pressure';

/** Register 122 (loop control variable) codes. */
export const CONTROL_VARIABLES: Readonly<Record<ControlVariable, number>> = {
  'mass-flow': 0b00100101,
  'volumetric-flow': 0b00100100,
  'absolute-pressure': 0b00100010,
  'gauge-pressure': 0b00100110,
  'differential-pressure': 0b00100111,
};

/** Register holding the loop control variable. */
export const REG_CONTROL_VARIABLE = 122;
/** Register holding the active gas (low 9 bits). */
export const REG_GAS = 46;
/** Mask of the gas number in register 46. */
export const GAS_MASK = 0x1ff;

/** One decoded data frame. Units are the device's (typically psia, °C, LPM, SLPM). */
export interface AlicatFrame {
  /** Unit id that sent the frame (`@` while streaming). */
  unit: string;
  /** Absolute pressure. */
  pressure: number;
  /** Gas temperature. */
  temperature: number;
  /** Volumetric flow. */
  volumetricFlow: number;
  /** Mass flow (standardised). */
  massFlow: number;
  /** Setpoint in units of the control variable (controllers only). */
  setpoint: number | undefined;
  /** Totalized mass flow (units with the totalizer option only). */
  totalizer: number | undefined;
  /** Short name of the active gas. */
  gas: string;
  /** Status codes present, in frame order. */
  status: StatusCode[];
}

/** Which unit kind sent a frame; it tells a meter's totalizer from a controller's setpoint. */
export type UnitKind = 'controller' | 'meter';

const MAX_LINE = 512;
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const DASHES_RE = /^[+-]?-{2,}(?:\.-*)?$/;
const UNIT_RE = /^[A-Za-z@]$/;
const GAS_RE = /^[A-Za-z][!-~]{0,15}$/;

/** Remove NUL bytes and surrounding whitespace (some converters pad replies with NULs). */
export function cleanLine(text: string): string {
  if (typeof text !== 'string') throw new InvalidInputError({ what: 'Alicat reply', value: text, reason: 'must be a string' });
  return (text.includes('\0') ? text.replace(/\0/g, '') : text).trim();
}

/** Tell whether a reply is the rejection marker `?` (bare, or after a unit id). */
export function isRejection(text: string): boolean {
  if (!text.includes('?')) return false;
  return /^\s*(?:[A-Za-z@]\s+)?\?\s*$/.test(text.includes('\0') ? text.replace(/\0/g, '') : text);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 0 || c === 10 || c === 13 || c === 11 || c === 12;
}

/** Return the unit id a reply starts with (upper case), or undefined when it has none. */
export function replyUnit(text: string): string | undefined {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 64;
  if (!letter || (i + 1 < text.length && !isSpace(text.charCodeAt(i + 1)))) return undefined;
  return text[i]!.toUpperCase();
}

/** Check a unit id (A–Z, either case) and return it in upper case. */
export function checkUnit(unit: unknown): string {
  if (typeof unit !== 'string' || !/^[A-Za-z]$/.test(unit)) throw new InvalidInputError({ what: 'Alicat unit id', value: unit, reason: 'must be one letter A-Z' });
  return unit.toUpperCase();
}

function parseNumber(token: string, field: string, line: string): number {
  if (token.length <= 24 && NUMBER_RE.test(token)) return Number(token);
  if (DASHES_RE.test(token)) return Number.NaN;
  throw new InvalidInputError({ what: `Alicat frame ${field}`, value: line, reason: `expected a number, got ${JSON.stringify(token.slice(0, 24))}` });
}

function isNumeric(token: string): boolean {
  return NUMBER_RE.test(token) || DASHES_RE.test(token);
}

/**
 * Decode a data frame (reply to a poll or to a command that answers with one).
 * 4 numbers: meter; 5: controller (or a meter with totalizer when `kind` is `meter`);
 * 6: controller with totalizer. Throws InvalidInputError for anything else.
 */
export function decodeFrame(text: string, options: { kind?: UnitKind } = {}): AlicatFrame {
  const fast = typeof text === 'string' ? tryDecodeFrame(text, options.kind) : undefined;
  if (fast !== undefined) return fast;
  const line = cleanLine(text);
  if (line.length === 0) throw new InvalidInputError({ what: 'Alicat frame', value: text, reason: 'empty reply' });
  if (line.length > MAX_LINE) throw new InvalidInputError({ what: 'Alicat frame', value: `${line.slice(0, 40)}...`, reason: `longer than ${MAX_LINE} characters` });
  if (isRejection(line)) throw new InvalidInputError({ what: 'Alicat frame', value: line, reason: 'the device rejected the command (?)' });
  const tokens = line.split(/\s+/);
  const unit = tokens.shift()!;
  if (!UNIT_RE.test(unit)) throw new InvalidInputError({ what: 'Alicat frame unit id', value: line, reason: 'must start with a unit id A-Z or @' });
  const status: StatusCode[] = [];
  while (tokens.length > 0 && Object.hasOwn(STATUS_CODES, tokens[tokens.length - 1]!.toUpperCase())) {
    status.unshift(tokens.pop()!.toUpperCase() as StatusCode);
  }
  const gas = tokens.pop();
  if (gas === undefined || isNumeric(gas) || !GAS_RE.test(gas)) throw new InvalidInputError({ what: 'Alicat frame gas', value: line, reason: 'expected a gas name after the numbers' });
  const n = tokens.length;
  if (n < 4 || n > 6) throw new InvalidInputError({ what: 'Alicat frame', value: line, reason: `expected 4 to 6 numbers before the gas, got ${n}` });
  const v = tokens.map((tok, i) => parseNumber(tok, `field ${i + 1}`, line));
  let setpoint: number | undefined;
  let totalizer: number | undefined;
  if (n === 5) {
    if (options.kind === 'meter') totalizer = v[4];
    else setpoint = v[4];
  } else if (n === 6) {
    setpoint = v[4];
    totalizer = v[5];
  }
  return { unit: unit.toUpperCase(), pressure: v[0]!, temperature: v[1]!, volumetricFlow: v[2]!, massFlow: v[3]!, setpoint, totalizer, gas, status };
}

// Character codes of the fast frame scan.
const TAB = 9, LF = 10, CR = 13, SPACE = 32, PLUS = 43, MINUS = 45, DOT = 46, ZERO = 48, NINE = 57, AT = 64;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === LF;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** Same test as NUMBER_RE on `t[s, e)`, without a substring. */
function isNumberAt(t: string, s: number, e: number): boolean {
  let i = s;
  const c = t.charCodeAt(i);
  if (c === PLUS || c === MINUS) i++;
  let digits = 0;
  while (i < e && isDigit(t.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < e && t.charCodeAt(i) === DOT) {
    i++;
    let frac = 0;
    while (i < e && isDigit(t.charCodeAt(i))) {
      i++;
      frac++;
    }
    if (digits === 0 && frac === 0) return false;
  } else if (digits === 0) return false;
  return i === e;
}

/** The status code spelled in upper case at `t[s, e)`, else undefined. */
function statusCodeAt(t: string, s: number, e: number): StatusCode | undefined {
  if (e - s !== 3) return undefined;
  const code = t.slice(s, e);
  return Object.hasOwn(STATUS_CODES, code) ? (code as StatusCode) : undefined;
}

/**
 * Decode a plain, well-formed data frame in one scan (printable ASCII, blanks between tokens,
 * decimal numbers, status codes in upper case). Return undefined for anything else (rejections,
 * NULs, dashes, lower-case codes, errors): {@link decodeFrame} then decides. Where this returns a
 * frame, it is the one decodeFrame returns.
 */
export function tryDecodeFrame(text: string, kind?: UnitKind): AlicatFrame | undefined {
  let end = text.length;
  let i = 0;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  while (end > i && isBlank(text.charCodeAt(end - 1))) end--;
  if (end - i > MAX_LINE || end - i < 3) return undefined;
  const u = text.charCodeAt(i);
  if ((!isLetter(u) && u !== AT) || !isBlank(text.charCodeAt(i + 1))) return undefined;
  const unit = text[i]!.toUpperCase();
  i += 2;
  let n = 0;
  let v0 = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0;
  let gas: string | undefined;
  const status: StatusCode[] = [];
  while (true) {
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i >= end) break;
    const s = i;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c <= SPACE || c > 126) {
        if (isBlank(c)) break;
        return undefined;
      }
    }
    if (gas === undefined) {
      if (i - s <= 24 && isNumberAt(text, s, i)) {
        const x = Number(text.slice(s, i));
        switch (n++) {
          case 0: v0 = x; break;
          case 1: v1 = x; break;
          case 2: v2 = x; break;
          case 3: v3 = x; break;
          case 4: v4 = x; break;
          case 5: v5 = x; break;
          default: return undefined;
        }
        continue;
      }
      // The gas: a letter, up to 16 printable characters, and not something the full decoder reads as a status code.
      if (n < 4 || i - s > 16 || !isLetter(text.charCodeAt(s))) return undefined;
      if (i - s === 3 && Object.hasOwn(STATUS_CODES, text.slice(s, i).toUpperCase())) return undefined;
      gas = text.slice(s, i);
      continue;
    }
    const code = statusCodeAt(text, s, i);
    if (code === undefined) return undefined;
    status.push(code);
  }
  if (gas === undefined) return undefined;
  let setpoint: number | undefined;
  let totalizer: number | undefined;
  if (n === 5) {
    if (kind === 'meter') totalizer = v4;
    else setpoint = v4;
  } else if (n === 6) {
    setpoint = v4;
    totalizer = v5;
  }
  return { unit, pressure: v0, temperature: v1, volumetricFlow: v2, massFlow: v3, setpoint, totalizer, gas, status };
}

/** Tell whether a frame carries a status code. */
export function hasStatus(frame: AlicatFrame, code: StatusCode): boolean {
  return frame.status.includes(code);
}

/** A register read or write reply, e.g. `A   122 = 37`. */
export interface RegisterReply {
  unit: string;
  register: number;
  value: number;
}

/** Decode a register reply (`A   046 = 8`); throws InvalidInputError otherwise. */
export function decodeRegister(text: string, expected?: number): RegisterReply {
  const line = cleanLine(text);
  const m = /^([A-Za-z@])\s+(\d{1,4})\s*=\s*([+-]?\d{1,10})$/.exec(line);
  if (!m) throw new InvalidInputError({ what: 'Alicat register reply', value: line.slice(0, 60), reason: 'expected "<unit> <register> = <value>"' });
  const register = Number(m[2]);
  if (expected !== undefined && register !== expected) throw new InvalidInputError({ what: 'Alicat register reply', value: line, reason: `expected register ${expected}` });
  return { unit: m[1]!.toUpperCase(), register, value: Number(m[3]) };
}

/** Firmware identification from `VE`. */
export interface FirmwareInfo {
  unit: string;
  /** The text after the unit id, e.g. `6v21.0-R22 Nov 30 2016,16:04:20`. */
  text: string;
  /** Major and minor version (`6v21` → 6, 21), when the text has one. */
  major: number | undefined;
  minor: number | undefined;
}

/** Decode the reply to `VE`. */
export function decodeFirmware(text: string): FirmwareInfo {
  const line = cleanLine(text);
  const m = /^([A-Za-z@])\s+(\S.*)$/.exec(line);
  if (!m || line.length > MAX_LINE) throw new InvalidInputError({ what: 'Alicat firmware reply', value: line.slice(0, 60), reason: 'expected "<unit> <version text>"' });
  const rest = m[2]!;
  const v = /(\d{1,2})v(\d{2})/i.exec(rest);
  return { unit: m[1]!.toUpperCase(), text: rest, major: v ? Number(v[1]) : undefined, minor: v ? Number(v[2]) : undefined };
}

/** Resolve a gas name (case-insensitive) or number to its Alicat gas number. */
export function gasNumber(gas: string | number): number {
  if (typeof gas === 'number') {
    const ok = Number.isInteger(gas) && ((gas >= 0 && gas < GASES.length) || (gas >= MIX_NUMBERS.low && gas <= MIX_NUMBERS.high));
    if (!ok) throw new InvalidInputError({ what: 'Alicat gas number', value: gas, reason: `must be 0..${GASES.length - 1} or a mix ${MIX_NUMBERS.low}..${MIX_NUMBERS.high}` });
    return gas;
  }
  if (typeof gas !== 'string') throw new InvalidInputError({ what: 'Alicat gas', value: gas, reason: 'must be a gas name or number' });
  const i = GASES.findIndex((g) => g.toLowerCase() === gas.trim().toLowerCase());
  if (i >= 0) return i;
  if (/^\d+$/.test(gas.trim())) return gasNumber(Number(gas.trim()));
  throw new InvalidInputError({ what: 'Alicat gas', value: gas, reason: `unknown gas; known: ${GASES.join(', ')} (or a mix number ${MIX_NUMBERS.low}..${MIX_NUMBERS.high})` });
}

/** Return the short name of a standard gas number, or undefined for mixes and unknown numbers. */
export function gasName(n: number): string | undefined {
  return GASES[n];
}

/** Return the control variable of a register-122 code, or throw InvalidInputError. */
export function controlVariableOf(code: number): ControlVariable {
  for (const [name, c] of Object.entries(CONTROL_VARIABLES)) if (c === code) return name as ControlVariable;
  throw new InvalidInputError({ what: 'Alicat register 122', value: code, reason: `unknown loop control code (known: ${Object.values(CONTROL_VARIABLES).join(', ')})` });
}

/** Check a control variable name. */
export function checkControlVariable(cv: unknown): ControlVariable {
  if (typeof cv !== 'string' || !Object.hasOwn(CONTROL_VARIABLES, cv)) {
    throw new InvalidInputError({ what: 'Alicat control variable', value: cv, reason: `must be one of ${Object.keys(CONTROL_VARIABLES).join(', ')}` });
  }
  return cv as ControlVariable;
}

/** Largest setpoint magnitude the encoder writes (keeps the fixed-point text short). */
export const MAX_SETPOINT = 1e6;

/** Encode the setpoint command body `S12.50` (two decimals, as numat sends it). */
export function encodeSetpoint(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) >= MAX_SETPOINT) {
    throw new InvalidInputError({ what: 'Alicat setpoint', value, reason: `must be a finite number with magnitude below ${MAX_SETPOINT}` });
  }
  const text = value.toFixed(2);
  return `S${text === '-0.00' ? '0.00' : text}`;
}

/** Command dialects: `legacy` = the `$$` commands numat and HELAO send; `primer` = the current primer's tokens. */
export type Dialect = 'legacy' | 'primer';

/** Command bodies (after the unit id) per dialect; see the driver README for the sources. */
export interface DialectCommands {
  /** Hold the valve(s) at the current position. */
  hold: string;
  /** Hold the valve(s) closed, or undefined when the dialect has no such command. */
  holdClosed: string | undefined;
  /** Cancel a valve hold and resume closed-loop control. */
  cancelHold: string;
  lock: string;
  unlock: string;
  /** Tare absolute pressure (against the barometer). */
  tarePressure: string;
  /** Tare flow (zero the flow reading; the line must not flow). */
  tareFlow: string;
  resetTotalizer: string;
  /** What the emergency stop sends. */
  estop: string;
}

/** Commands of each dialect. */
export const DIALECTS: Readonly<Record<Dialect, DialectCommands>> = {
  legacy: { hold: '$$H', holdClosed: undefined, cancelHold: '$$C', lock: '$$L', unlock: '$$U', tarePressure: '$$PC', tareFlow: '$$V', resetTotalizer: 'T', estop: '$$H' },
  primer: { hold: 'HP', holdClosed: 'HC', cancelHold: 'C', lock: 'L', unlock: 'U', tarePressure: 'PC', tareFlow: 'V', resetTotalizer: 'T 1', estop: 'HC' },
};

/** Check a dialect name. */
export function checkDialect(d: unknown): Dialect {
  if (d !== 'legacy' && d !== 'primer') throw new InvalidInputError({ what: 'Alicat dialect', value: d, reason: "must be 'legacy' or 'primer'" });
  return d;
}

/** Format a number as Alicat does in a data frame: sign, zero-padded, fixed decimals (`+014.70`). */
export function formatField(value: number, decimals = 2, width = 6): string {
  if (Number.isNaN(value)) return '-'.repeat(width + 1);
  const sign = value < 0 && Math.abs(value) >= 0.5 * 10 ** -decimals ? '-' : '+';
  return sign + Math.abs(value).toFixed(decimals).padStart(width, '0');
}

/** Encode a data frame line (without CR), the way the simulator and tests build replies. */
export function encodeFrame(frame: AlicatFrame): string {
  const parts = [frame.unit, formatField(frame.pressure), formatField(frame.temperature), formatField(frame.volumetricFlow), formatField(frame.massFlow)];
  if (frame.setpoint !== undefined) parts.push(formatField(frame.setpoint));
  if (frame.totalizer !== undefined) parts.push(formatField(frame.totalizer, 2, 10));
  let line = `${parts.join(' ')} ${frame.gas.padStart(6)}`;
  for (const s of frame.status) line += ` ${s}`;
  return line;
}
