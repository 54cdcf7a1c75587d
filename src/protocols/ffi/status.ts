/**
 * Vendor status codes → typed errors. Many C APIs (NI-DAQmx, BioLogic EClib, ...) return a status
 * from every call: 0 for success, negative for an error, positive for a warning. `checkStatus`
 * looks the text up (the vendor's own "get error string" function first, then a table), throws
 * a DeviceError for errors and hands warnings to a callback.
 * @module
 */
import { DeviceError, type VendorCodeTable } from '../../core/errors.js';

/** A vendor warning: the call succeeded but the library reported something. */
export interface FfiWarning {
  /** Device or library name. */
  device: string;
  /** C function that returned the code. */
  fn: string;
  code: number;
  /** Vendor text for the code. */
  message: string;
  /** Short classification from the vendor table, if any. */
  kind?: string;
}

/** How a library's status codes are read. */
export interface StatusPolicy {
  /** Device or library name for messages. */
  device: string;
  /** Vendor code → text (and optional kind). */
  table?: VendorCodeTable;
  /** The vendor's own text lookup (e.g. a bound DAQmxGetErrorString); undefined when it has none. */
  text?: (code: number) => string | undefined;
  /** Tell whether a code is an error. Default: negative. */
  isError?: (code: number) => boolean;
  /** Tell whether a code is a warning. Default: positive. */
  isWarning?: (code: number) => boolean;
  /** Receive warnings. Default: `process.emitWarning`. */
  onWarning?: (warning: FfiWarning) => void;
}

/** Find the vendor's text for `code`: the vendor function first, then the table. */
export function statusText(policy: StatusPolicy, code: number): { message: string; kind?: string } {
  const entry = policy.table?.[code];
  const kind = typeof entry === 'object' ? entry.kind : undefined;
  let fromVendor: string | undefined;
  try {
    fromVendor = policy.text?.(code);
  } catch {
    fromVendor = undefined; // a failing lookup must not hide the original error
  }
  if (fromVendor) return kind === undefined ? { message: fromVendor } : { message: fromVendor, kind };
  if (typeof entry === 'string') return { message: entry };
  if (entry) return kind === undefined ? { message: entry.text } : { message: entry.text, kind };
  return { message: `unknown vendor status code ${code}` };
}

/**
 * Check a status returned by `fn`: return for success, throw DeviceError (vendorCode = code,
 * vendorMessage = the vendor's text) for an error, report a warning and return for a warning.
 */
export function checkStatus(policy: StatusPolicy, code: number, fn: string): void {
  const isError = policy.isError ?? ((c: number) => c < 0);
  const isWarning = policy.isWarning ?? ((c: number) => c > 0);
  if (isError(code)) {
    const { message, kind } = statusText(policy, code);
    throw new DeviceError({ device: policy.device, vendorMessage: `${fn}: ${message}`, vendorCode: code, kind });
  }
  if (isWarning(code)) {
    const { message, kind } = statusText(policy, code);
    const warning: FfiWarning = kind === undefined ? { device: policy.device, fn, code, message } : { device: policy.device, fn, code, message, kind };
    if (policy.onWarning) policy.onWarning(warning);
    else process.emitWarning(`${policy.device}: ${fn}: warning ${code}: ${message}`, { code: 'LABRIG_FFI_WARNING' });
  }
}

/**
 * Wrap a vendor function shaped like `int32 GetErrorString(int32 code, char *buf, uint32 size)`
 * as a text lookup; the text is read up to its NUL. Returns undefined when the function fails.
 */
export function bufferedErrorText(fn: (code: number, buf: Buffer, size: number) => number, bufferBytes = 2048): (code: number) => string | undefined {
  return (code) => {
    const buf = Buffer.alloc(bufferBytes);
    const status = fn(code, buf, bufferBytes);
    if (typeof status === 'number' && status < 0) return undefined;
    const end = buf.indexOf(0);
    const text = buf.toString('latin1', 0, end < 0 ? bufferBytes : end).trim();
    return text || undefined;
  };
}
