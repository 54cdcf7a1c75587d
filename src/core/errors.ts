/**
 * labrig's few error classes. Every error carries typed fields and a message a person can read;
 * nothing in labrig throws strings or empty classes (STYLE.md rule 8). Constructors take one
 * options object (`new DeviceError({ device, vendorMessage, vendorCode })`), never positional
 * holes; the only exceptions are the one-field errors `InvalidStateError(message)` and
 * `CanceledError(reason)`.
 * @module
 */

/** What every labrig error may carry besides its own fields. */
export interface ErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
}

// C0 controls but line feed and tab, DEL, C1 controls, and the bidi overrides/isolates that reorder text.
const CONTROL_RE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Readonly<Record<string, string>> = { '\r': '\\r', '\x1b': '\\e', '\0': '\\0' };

/**
 * Escape control bytes in `text` so that a device's raw reply cannot move the cursor, clear the
 * screen or reorder the line when an error is printed: CR as `\r`, ESC as `\e`, NUL as `\0`,
 * other C0/C1 controls and DEL as `\xHH`, bidi controls as `\u{HHHH}`. Line feeds and tabs stay.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL_RE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
}

/**
 * Base class of every error labrig throws; `code` is a stable machine-readable name. The message
 * has control bytes escaped ({@link escapeControl}), since it often quotes what a device sent;
 * typed fields (a DeviceError's `vendorMessage`) keep the raw text.
 */
export class LabrigError extends Error {
  /** Stable identifier of the error kind, e.g. `LIMITS`. */
  readonly code: string;
  constructor(options: { code: string; message: string } & ErrorOptions) {
    super(escapeControl(options.message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.name = new.target.name;
  }
}

/** Failure of one node in a device tree: either a leaf error or a subtree of failures. */
export type ConnectFailure = Error;

/** Raise when one or more devices of a tree failed to connect; `errors` maps child names to failures. */
export class NotConnectedError extends LabrigError {
  /** Failures by child name; a value may itself be a NotConnectedError (a subtree). */
  readonly errors: ReadonlyMap<string, ConnectFailure>;
  /** Name of the device whose connect failed. */
  readonly device: string;
  /** `errors` lists the failed children; `detail` says why when there are none (a leaf failure). */
  constructor(options: { device: string; errors?: ReadonlyMap<string, ConnectFailure>; detail?: string } & ErrorOptions) {
    const { device, errors = new Map<string, Error>(), detail } = options;
    const text = errors.size > 0 ? `\n${NotConnectedError.format(errors, 1)}` : detail ? `: ${detail}` : '';
    super({ code: 'NOT_CONNECTED', message: `${device || '<unnamed>'}: not connected${text}`, cause: options.cause });
    this.device = device;
    this.errors = errors;
  }

  /** List every leaf failure as `[dotted path, error]` pairs. */
  leaves(prefix = ''): Array<[string, Error]> {
    const out: Array<[string, Error]> = [];
    if (this.errors.size === 0) out.push([prefix || this.device, this]);
    for (const [name, err] of this.errors) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (err instanceof NotConnectedError && err.errors.size > 0) out.push(...err.leaves(path));
      else out.push([path, err]);
    }
    return out;
  }

  private static format(errors: ReadonlyMap<string, Error>, depth: number): string {
    const pad = '  '.repeat(depth);
    const lines: string[] = [];
    for (const [name, err] of errors) {
      if (err instanceof NotConnectedError && err.errors.size > 0) {
        lines.push(`${pad}${name}:`, NotConnectedError.format(err.errors, depth + 1));
      } else {
        lines.push(`${pad}${name}: ${err.name}: ${err.message}`);
      }
    }
    return lines.join('\n');
  }
}

/** Raise when a requested value lies outside a device's limits; nothing was sent to hardware. */
export class LimitsError extends LabrigError {
  readonly device: string;
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly units: string | undefined;
  constructor(options: { device: string; value: number; low: number; high: number; units?: string | undefined }) {
    const { device, value, low, high, units } = options;
    const u = units ? ` ${units}` : '';
    super({ code: 'LIMITS', message: `${device}: ${value}${u} is outside the limits [${low}${u}, ${high}${u}]` });
    this.device = device;
    this.value = value;
    this.low = low;
    this.high = high;
    this.units = units;
  }
}

/** A vendor's table of error codes: code → human text (and optionally a short kind). */
export type VendorCodeTable = Readonly<Record<string | number, string | { text: string; kind?: string }>>;

/** Raise when an instrument reports an error; `code` and `vendorMessage` come from the device. */
export class DeviceError extends LabrigError {
  readonly device: string;
  /** The vendor's error code as the instrument reported it. */
  readonly vendorCode: string | number | undefined;
  /** The vendor's text for the code (from the device or the vendor table). */
  readonly vendorMessage: string;
  /** A short classification from the vendor table, if it gives one. */
  readonly kind: string | undefined;
  constructor(
    options: { device: string; vendorMessage: string; vendorCode?: string | number | undefined; kind?: string | undefined } & ErrorOptions,
  ) {
    const { device, vendorMessage, vendorCode, kind } = options;
    const c = vendorCode === undefined ? '' : ` [${vendorCode}]`;
    super({ code: 'DEVICE', message: `${device}: device error${c}: ${vendorMessage}`, cause: options.cause });
    this.device = device;
    this.vendorCode = vendorCode;
    this.vendorMessage = vendorMessage;
    this.kind = kind;
  }

  /** Build a DeviceError from a vendor code, looking its text up in `table` (`fallback` when absent). */
  static fromCode(options: { device: string; code: string | number; table: VendorCodeTable; fallback?: string } & ErrorOptions): DeviceError {
    const { device, code, table, fallback, cause } = options;
    const entry = table[code];
    if (entry === undefined) return new DeviceError({ device, vendorMessage: fallback ?? 'unknown vendor error code', vendorCode: code, cause });
    if (typeof entry === 'string') return new DeviceError({ device, vendorMessage: entry, vendorCode: code, cause });
    return new DeviceError({ device, vendorMessage: entry.text, vendorCode: code, kind: entry.kind, cause });
  }
}

/** Raise when an operation did not finish within its time limit. */
export class TimeoutError extends LabrigError {
  /** What timed out, e.g. `motor.set(3)` or `read reply`. */
  readonly operation: string;
  /** The limit that expired, in milliseconds. */
  readonly afterMs: number;
  /** `detail` is appended to the message, e.g. ` (still queued)`; `code` defaults to `TIMEOUT`. */
  constructor(options: { operation: string; afterMs: number; detail?: string; code?: string } & ErrorOptions) {
    const { operation, afterMs, detail = '', code = 'TIMEOUT' } = options;
    super({ code, message: `${operation}: timed out after ${afterMs} ms${detail}`, cause: options.cause });
    this.operation = operation;
    this.afterMs = afterMs;
  }
}

/** Raise when a Status failed because its own timeout (plus settle time) expired. */
export class StatusTimeoutError extends TimeoutError {
  constructor(options: { operation: string; afterMs: number }) {
    super({ ...options, code: 'STATUS_TIMEOUT' });
  }
}

/** Raise when waiting on a Status gave up; the Status itself is unaffected and may still finish. */
export class WaitTimeoutError extends TimeoutError {
  constructor(options: { operation: string; afterMs: number }) {
    super({ ...options, code: 'WAIT_TIMEOUT', detail: ' (still pending)' });
  }
}

/** Raise when an object is used in a state that forbids the call (e.g. a Status completed twice). */
export class InvalidStateError extends LabrigError {
  constructor(message: string) {
    super({ code: 'INVALID_STATE', message });
  }
}

/** Raise when input is malformed or not allowed, before anything reaches hardware. */
export class InvalidInputError extends LabrigError {
  /** What was wrong: the device, parameter or field named. */
  readonly what: string;
  readonly value: unknown;
  constructor(options: { what: string; value: unknown; reason: string } & ErrorOptions) {
    const { what, value, reason } = options;
    super({ code: 'INVALID_INPUT', message: `${what}: ${reason} (got ${describeValue(value)})`, cause: options.cause });
    this.what = what;
    this.value = value;
  }
}

/** Raise when a device lacks a verb the caller needs (e.g. `set` on a read-only device). */
export class UnsupportedError extends LabrigError {
  readonly device: string;
  readonly verb: string;
  constructor(options: { device: string; verb: string }) {
    const { device, verb } = options;
    super({ code: 'UNSUPPORTED', message: `${device} does not support '${verb}'` });
    this.device = device;
    this.verb = verb;
  }
}

/** Mark an operation that was canceled (stopped by request); `reason` says by whom or why. */
export class CanceledError extends LabrigError {
  readonly reason: string;
  constructor(reason = 'canceled') {
    super({ code: 'CANCELED', message: reason });
    this.reason = reason;
  }
}

/** Mark an operation that failed because the link to the device went away. */
export class DisconnectedError extends LabrigError {
  readonly device: string;
  constructor(options: { device: string; detail?: string; code?: string } & ErrorOptions) {
    const { device, detail = 'disconnected', code = 'DISCONNECTED' } = options;
    super({ code, message: `${device}: ${detail}`, cause: options.cause });
    this.device = device;
  }
}

/** Tell whether an error marks a cancellation. */
export function isCanceled(err: unknown): err is CanceledError {
  return err instanceof CanceledError;
}

/** Tell whether an error marks a lost connection. */
export function isDisconnected(err: unknown): err is DisconnectedError {
  return err instanceof DisconnectedError;
}

/** Turn anything thrown into an Error, keeping Errors as they are. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new LabrigError({ code: 'THROWN', message: `non-Error thrown: ${describeValue(thrown)}`, cause: thrown });
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
