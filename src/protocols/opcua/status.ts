/**
 * OPC UA status codes → labrig errors and reading severities.
 * @module
 */
import type { StatusCode } from 'node-opcua';
import { DeviceError } from '../../core/errors.js';

/** Format a status code as `BadOutOfRange (0x803C0000)`. */
export function describeStatus(status: StatusCode): string {
  return `${status.name} (0x${status.value.toString(16).toUpperCase().padStart(8, '0')})`;
}

/**
 * Build the DeviceError for a bad status: `vendorCode` is the status name (e.g.
 * `BadNotWritable`), `vendorMessage` its description with the numeric code, `kind` is `bad` or
 * `uncertain`.
 */
export function statusError(device: string, operation: string, status: StatusCode): DeviceError {
  const text = status.description ? `${status.description} ` : '';
  const kind = status.isBad() ? 'bad' : 'uncertain';
  return new DeviceError({ device, vendorMessage: `${operation}: ${text}[${describeStatus(status)}]`, vendorCode: status.name, kind });
}

/** Throw the DeviceError of a status that is not Good (writes, calls: Uncertain fails too). */
export function throwIfNotGood(device: string, operation: string, status: StatusCode): void {
  if (status.isNotGood()) throw statusError(device, operation, status);
}

/** Throw the DeviceError of a Bad status (reads: an Uncertain value is still a value). */
export function throwIfBad(device: string, operation: string, status: StatusCode): void {
  if (status.isBad()) throw statusError(device, operation, status);
}

/**
 * Return the EPICS-style alarm severity of a status (0 good, 1 uncertain, 3 bad/invalid) for
 * readings delivered by a subscription.
 */
export function severityOf(status: StatusCode): number {
  if (status.isGood()) return 0;
  return status.isBad() ? 3 : 1;
}

/** Pick the name of the first `Bad...`/`Uncertain...` status that an error message mentions. */
export function statusNameIn(message: string): string | undefined {
  return /\b(Bad[A-Za-z]+|Uncertain[A-Za-z]+)\b/.exec(message)?.[1];
}
