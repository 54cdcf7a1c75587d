/**
 * The "not found" error shared by USB device lookup, native library loading and mDNS browsing.
 *
 * It extends DisconnectedError because the transport contracts report a device that cannot be
 * reached (missing, absent library) as a DisconnectedError; `code` is `NOT_FOUND` and `tried`
 * lists every place that was looked at, so the message says exactly where labrig searched.
 * @module
 */
import { DisconnectedError } from '../../core/errors.js';

/** Raise when a device, library or service was looked for everywhere and found nowhere. */
export class NotFoundError extends DisconnectedError {
  /** What was looked for, e.g. `USB device 0x1234:0x5678`. */
  readonly what: string;
  /** Every place tried, each with why it did not match or load. */
  readonly tried: readonly string[];
  constructor(options: { what: string; tried: readonly string[]; detail?: string }) {
    const { what, tried, detail = 'not found' } = options;
    const list = tried.length === 0 ? '' : `; tried:\n  - ${tried.join('\n  - ')}`;
    super({ device: what, detail: `${detail}${list}`, code: 'NOT_FOUND' });
    this.what = what;
    this.tried = [...tried];
  }
}

/** Tell whether an error is a NotFoundError. */
export function isNotFound(err: unknown): err is NotFoundError {
  return err instanceof NotFoundError;
}
