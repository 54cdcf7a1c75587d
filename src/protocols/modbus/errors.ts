/**
 * Modbus exception codes and the framing error.
 *
 * An exception response from a device becomes a {@link DeviceError} whose `vendorCode` is the
 * Modbus exception code and whose `vendorMessage` is the text below. Bytes that do not form a valid
 * Modbus frame become a {@link ModbusFrameError}.
 * @module
 */
import { DeviceError, LabrigError } from '../../core/errors.js';
import type { VendorCodeTable } from '../../core/errors.js';

/** Modbus exception codes (Modbus Application Protocol v1.1b3, section 7). */
export const ModbusException = {
  IllegalFunction: 0x01,
  IllegalDataAddress: 0x02,
  IllegalDataValue: 0x03,
  ServerDeviceFailure: 0x04,
  Acknowledge: 0x05,
  ServerDeviceBusy: 0x06,
  MemoryParityError: 0x08,
  GatewayPathUnavailable: 0x0a,
  GatewayTargetFailed: 0x0b,
} as const;

/** Texts of the Modbus exception codes, in the form DeviceError.fromCode expects. */
export const MODBUS_EXCEPTIONS: VendorCodeTable = {
  1: { text: 'illegal function: the server does not support this function code', kind: 'ILLEGAL_FUNCTION' },
  2: { text: 'illegal data address: the address range is not available on the server', kind: 'ILLEGAL_DATA_ADDRESS' },
  3: { text: 'illegal data value: a value in the request is not allowed', kind: 'ILLEGAL_DATA_VALUE' },
  4: { text: 'server device failure: an unrecoverable error occurred while performing the action', kind: 'SERVER_DEVICE_FAILURE' },
  5: { text: 'acknowledge: the request was accepted but will take a long time to process', kind: 'ACKNOWLEDGE' },
  6: { text: 'server device busy: the server is processing a long command, retry later', kind: 'SERVER_DEVICE_BUSY' },
  8: { text: 'memory parity error: the extended file area failed its consistency check', kind: 'MEMORY_PARITY_ERROR' },
  10: { text: 'gateway path unavailable: the gateway could not route the request', kind: 'GATEWAY_PATH_UNAVAILABLE' },
  11: { text: 'gateway target device failed to respond', kind: 'GATEWAY_TARGET_FAILED' },
};

/** Build the DeviceError for a Modbus exception response (`device` names the peer and unit). */
export function exceptionError(device: string, functionCode: number, exceptionCode: number): DeviceError {
  const err = DeviceError.fromCode({ device, code: exceptionCode, table: MODBUS_EXCEPTIONS, fallback: `unknown Modbus exception code (function ${functionCode})` });
  return err;
}

/**
 * Raise when bytes do not form a valid Modbus frame (bad CRC, wrong length field, unknown function
 * code, a reply that does not match its request). `exceptionCode` is what a server answers for it
 * (1 illegal function, 3 illegal data value) when the frame itself could be delimited.
 */
export class ModbusFrameError extends LabrigError {
  /** What was wrong, in a few words. */
  readonly reason: string;
  /** Up to 32 bytes of the offending frame, as hex. */
  readonly bytes: string;
  /** Exception code a server should reply with, if the frame can be answered at all. */
  readonly exceptionCode: number | undefined;
  constructor(options: { reason: string; bytes?: Uint8Array | undefined; exceptionCode?: number | undefined }) {
    const { reason, bytes, exceptionCode } = options;
    const hex = bytes ? toHex(bytes) : '';
    super({ code: 'MODBUS_FRAME', message: `malformed Modbus frame: ${reason}${hex ? ` [${hex}]` : ''}` });
    this.reason = reason;
    this.bytes = hex;
    this.exceptionCode = exceptionCode;
  }
}

function toHex(bytes: Uint8Array): string {
  const n = Math.min(bytes.length, 32);
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + (bytes[i] as number).toString(16).padStart(2, '0');
  return bytes.length > n ? `${s} ...(${bytes.length} bytes)` : s;
}
