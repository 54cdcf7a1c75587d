/**
 * labrig's few error classes. Every error carries typed fields and a message a person can read;
 * nothing in labrig throws strings or empty classes (STYLE.md rule 8).
 * @module
 */

/** Base class of every error labrig throws; `code` is a stable machine-readable name. */
export class LabrigError extends Error {
  /** Stable identifier of the error kind, e.g. `LIMITS`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
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
  constructor(device: string, errors: ReadonlyMap<string, ConnectFailure> | string) {
    const map = typeof errors === 'string' ? new Map<string, Error>() : errors;
    const text = typeof errors === 'string' ? errors : NotConnectedError.format(map, 1);
    super('NOT_CONNECTED', `${device || '<unnamed>'}: not connected${typeof errors === 'string' ? `: ${text}` : `\n${text}`}`);
    this.device = device;
    this.errors = map;
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
  constructor(device: string, value: number, low: number, high: number, units?: string) {
    const u = units ? ` ${units}` : '';
    super('LIMITS', `${device}: ${value}${u} is outside the limits [${low}${u}, ${high}${u}]`);
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
  constructor(device: string, vendorMessage: string, vendorCode?: string | number, kind?: string, options?: { cause?: unknown }) {
    const c = vendorCode === undefined ? '' : ` [${vendorCode}]`;
    super('DEVICE', `${device}: device error${c}: ${vendorMessage}`, options);
    this.device = device;
    this.vendorCode = vendorCode;
    this.vendorMessage = vendorMessage;
    this.kind = kind;
  }

  /** Build a DeviceError from a vendor code, looking its text up in `table`. */
  static fromCode(device: string, code: string | number, table: VendorCodeTable, fallback?: string): DeviceError {
    const entry = table[code];
    if (entry === undefined) return new DeviceError(device, fallback ?? 'unknown vendor error code', code);
    if (typeof entry === 'string') return new DeviceError(device, entry, code);
    return new DeviceError(device, entry.text, code, entry.kind);
  }
}

/** Raise when an operation did not finish within its time limit. */
export class TimeoutError extends LabrigError {
  /** What timed out, e.g. `motor.set(3)` or `read reply`. */
  readonly operation: string;
  /** The limit that expired, in milliseconds. */
  readonly afterMs: number;
  constructor(operation: string, afterMs: number, code = 'TIMEOUT', extra = '') {
    super(code, `${operation}: timed out after ${afterMs} ms${extra}`);
    this.operation = operation;
    this.afterMs = afterMs;
  }
}

/** Raise when a Status failed because its own timeout (plus settle time) expired. */
export class StatusTimeoutError extends TimeoutError {
  constructor(operation: string, afterMs: number) {
    super(operation, afterMs, 'STATUS_TIMEOUT');
  }
}

/** Raise when waiting on a Status gave up; the Status itself is unaffected and may still finish. */
export class WaitTimeoutError extends TimeoutError {
  constructor(operation: string, afterMs: number) {
    super(operation, afterMs, 'WAIT_TIMEOUT', ' (still pending)');
  }
}

/** Raise when an object is used in a state that forbids the call (e.g. a Status completed twice). */
export class InvalidStateError extends LabrigError {
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}

/** Raise when input is malformed or not allowed, before anything reaches hardware. */
export class InvalidInputError extends LabrigError {
  /** What was wrong: the device, parameter or field named. */
  readonly what: string;
  readonly value: unknown;
  constructor(what: string, value: unknown, reason: string) {
    super('INVALID_INPUT', `${what}: ${reason} (got ${describeValue(value)})`);
    this.what = what;
    this.value = value;
  }
}

/** Raise when a device lacks a verb the caller needs (e.g. `set` on a read-only device). */
export class UnsupportedError extends LabrigError {
  readonly device: string;
  readonly verb: string;
  constructor(device: string, verb: string) {
    super('UNSUPPORTED', `${device} does not support '${verb}'`);
    this.device = device;
    this.verb = verb;
  }
}

/** Mark an operation that was canceled (stopped by request); `reason` says by whom or why. */
export class CanceledError extends LabrigError {
  readonly reason: string;
  constructor(reason = 'canceled') {
    super('CANCELED', reason);
    this.reason = reason;
  }
}

/** Mark an operation that failed because the link to the device went away. */
export class DisconnectedError extends LabrigError {
  readonly device: string;
  constructor(device: string, detail = 'disconnected', options?: { cause?: unknown }) {
    super('DISCONNECTED', `${device}: ${detail}`, options);
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
  return new LabrigError('THROWN', `non-Error thrown: ${describeValue(thrown)}`, { cause: thrown });
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
