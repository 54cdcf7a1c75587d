/**
 * Tango's DevFailed as a labrig error: {@link TangoError} keeps every level of the error stack
 * (reason, description, origin, severity), outermost first as Tango reports it, and its `reason`
 * is the first level's (e.g. `API_AttrNotFound`).
 * @module
 */
import { DeviceError, type ErrorOptions } from '../../core/errors.js';

/** One level of a Tango DevFailed error stack (`Tango::DevError`). */
export interface TangoErrorLevel {
  /** Machine-readable reason, e.g. `API_AttrNotFound`. */
  reason: string;
  /** Human-readable description. */
  desc: string;
  /** Where the error was raised (class::method of the server or client library). */
  origin: string;
  /** `WARN`, `ERR` or `PANIC`. */
  severity: 'WARN' | 'ERR' | 'PANIC';
}

/**
 * Raise when a Tango call fails with DevFailed. `levels` holds the whole stack as Tango reports
 * it (index 0 first); `reason` is that first level's reason, also the error's `vendorCode`.
 */
export class TangoError extends DeviceError {
  /** Every level of the DevFailed stack, as Tango reports it. */
  readonly levels: readonly TangoErrorLevel[];
  /** The first level's reason (e.g. `API_AttrNotFound`). */
  readonly reason: string;
  /** `device` names the Tango device (or address); `operation` what was asked (`read double_scalar`). */
  constructor(options: { device: string; operation: string; levels: readonly TangoErrorLevel[] } & ErrorOptions) {
    const { device, operation, levels } = options;
    const first = levels[0] ?? { reason: 'UNKNOWN', desc: 'DevFailed without error levels', origin: '', severity: 'ERR' as const };
    const chain = levels.map((l) => `${l.reason}: ${l.desc.trim()}${l.origin ? ` (${l.origin})` : ''}`).join(' <- ');
    super({ device, vendorCode: first.reason, vendorMessage: `${operation}: ${chain || first.desc}`, kind: first.severity, cause: options.cause });
    this.levels = levels.length > 0 ? levels : [first];
    this.reason = first.reason;
  }

  /** Tell whether any level carries `reason`. */
  hasReason(reason: string): boolean {
    return this.levels.some((l) => l.reason === reason);
  }
}
