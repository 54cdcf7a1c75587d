/**
 * Modbus PDU codec: pure encode/decode of requests and responses for function codes 1, 2, 3, 4,
 * 5, 6, 15, 16 and 23, and of exception responses. No I/O.
 *
 * Addresses are the 0-based protocol addresses that travel on the wire (register "40001" in a
 * vendor's 1-based table is protocol address 0 of the holding registers). Register values are
 * unsigned 16-bit integers (0..65535); signed and wider types are the register map's business.
 *
 * Malformed bytes raise {@link ModbusFrameError}; bad arguments to an encoder raise
 * InvalidInputError before anything is sent. Decoders never throw anything else.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { ModbusFrameError } from './errors.js';

/** Function codes this codec speaks. */
export const FunctionCode = {
  ReadCoils: 1,
  ReadDiscreteInputs: 2,
  ReadHoldingRegisters: 3,
  ReadInputRegisters: 4,
  WriteSingleCoil: 5,
  WriteSingleRegister: 6,
  WriteMultipleCoils: 15,
  WriteMultipleRegisters: 16,
  ReadWriteMultipleRegisters: 23,
} as const;

/** Protocol limits on quantities per request (Modbus Application Protocol v1.1b3, section 6). */
export const Limits = {
  readBits: 2000,
  readRegisters: 125,
  writeBits: 1968,
  writeRegisters: 123,
  readWriteWrite: 121,
  /** Largest PDU (function code + data), in bytes. */
  maxPdu: 253,
} as const;

/** A Modbus request, by function code. */
export type ModbusRequest =
  | { fc: 1 | 2 | 3 | 4; address: number; count: number }
  | { fc: 5; address: number; value: boolean }
  | { fc: 6; address: number; value: number }
  | { fc: 15; address: number; values: ArrayLike<boolean> }
  | { fc: 16; address: number; values: ArrayLike<number> }
  | { fc: 23; readAddress: number; readCount: number; writeAddress: number; values: ArrayLike<number> };

/** A normal (non-exception) Modbus response, by function code. */
export type ModbusResponse =
  | { fc: 1 | 2; bits: boolean[] }
  | { fc: 3 | 4 | 23; registers: Uint16Array }
  | { fc: 5; address: number; value: boolean }
  | { fc: 6; address: number; value: number }
  | { fc: 15 | 16; address: number; count: number };

/** An exception response: `fc` is the request's function code (without the 0x80 flag). */
export interface ModbusExceptionResponse {
  fc: number;
  exception: number;
}

/** Tell an exception response from a normal one. */
export function isException(res: ModbusResponse | ModbusExceptionResponse): res is ModbusExceptionResponse {
  return 'exception' in res;
}

// ---------------------------------------------------------------- argument checks (encoders)

function checkAddress(what: string, address: number, count: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 0xffff) {
    throw new InvalidInputError({ what: `${what} address`, value: address, reason: 'must be an integer protocol address 0..65535 (0-based)' });
  }
  if (address + count > 0x10000) {
    throw new InvalidInputError({ what: `${what} address`, value: address, reason: `address + count (${count}) runs past 65535` });
  }
}

function checkCount(what: string, count: number, max: number): void {
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw new InvalidInputError({ what: `${what} count`, value: count, reason: `must be an integer 1..${max}` });
  }
}

function checkWord(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new InvalidInputError({ what, value, reason: 'a register holds an unsigned 16-bit integer 0..65535' });
  }
}

function checkWords(what: string, values: ArrayLike<number>): void {
  if (values instanceof Uint16Array) return;
  for (let i = 0; i < values.length; i++) checkWord(what, values[i] as number);
}

/** Check a request's fields; throw InvalidInputError naming the first bad one. */
export function validateRequest(req: ModbusRequest): void {
  switch (req.fc) {
    case 1:
    case 2:
      checkCount('read bits', req.count, Limits.readBits);
      checkAddress('read bits', req.address, req.count);
      return;
    case 3:
    case 4:
      checkCount('read registers', req.count, Limits.readRegisters);
      checkAddress('read registers', req.address, req.count);
      return;
    case 5:
      checkAddress('write coil', req.address, 1);
      if (typeof (req.value as unknown) !== 'boolean') throw new InvalidInputError({ what: 'write coil value', value: req.value, reason: 'must be a boolean' });
      return;
    case 6:
      checkAddress('write register', req.address, 1);
      checkWord('write register value', req.value);
      return;
    case 15:
      checkCount('write coils', req.values.length, Limits.writeBits);
      checkAddress('write coils', req.address, req.values.length);
      for (let i = 0; i < req.values.length; i++) {
        if (typeof req.values[i] !== 'boolean') throw new InvalidInputError({ what: 'write coils value', value: req.values[i], reason: 'must be a boolean' });
      }
      return;
    case 16:
      checkCount('write registers', req.values.length, Limits.writeRegisters);
      checkAddress('write registers', req.address, req.values.length);
      checkWords('write registers value', req.values);
      return;
    case 23:
      checkCount('read/write read', req.readCount, Limits.readRegisters);
      checkAddress('read/write read', req.readAddress, req.readCount);
      checkCount('read/write write', req.values.length, Limits.readWriteWrite);
      checkAddress('read/write write', req.writeAddress, req.values.length);
      checkWords('read/write value', req.values);
      return;
    default:
      throw new InvalidInputError({ what: 'function code', value: (req as { fc: unknown }).fc, reason: 'must be one of 1, 2, 3, 4, 5, 6, 15, 16, 23' });
  }
}

// ---------------------------------------------------------------- byte helpers

function u16(b: Uint8Array, i: number): number {
  return ((b[i] as number) << 8) | (b[i + 1] as number);
}

function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 8) & 0xff;
  b[i + 1] = v & 0xff;
}

function packBits(out: Uint8Array, at: number, bits: ArrayLike<boolean>): void {
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[at + (i >> 3)] = (out[at + (i >> 3)] as number) | (1 << (i & 7));
}

function words(b: Uint8Array, at: number, count: number): Uint16Array {
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = ((b[at + 2 * i] as number) << 8) | (b[at + 2 * i + 1] as number);
  return out;
}

function unpackBits(b: Uint8Array, at: number, count: number): boolean[] {
  const out = new Array<boolean>(count);
  for (let i = 0; i < count; i++) out[i] = (((b[at + (i >> 3)] as number) >> (i & 7)) & 1) === 1;
  return out;
}

function frameError(reason: string, pdu: Uint8Array, exceptionCode?: number): ModbusFrameError {
  return new ModbusFrameError({ reason, bytes: pdu, exceptionCode });
}

// ---------------------------------------------------------------- requests

/** Encode a request PDU (function code + data); throws InvalidInputError on bad fields. */
export function encodeRequest(req: ModbusRequest): Buffer {
  validateRequest(req);
  switch (req.fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      const b = Buffer.allocUnsafe(5);
      b[0] = req.fc;
      put16(b, 1, req.address);
      put16(b, 3, req.count);
      return b;
    }
    case 5:
    case 6: {
      const b = Buffer.allocUnsafe(5);
      b[0] = req.fc;
      put16(b, 1, req.address);
      put16(b, 3, req.fc === 5 ? (req.value ? 0xff00 : 0) : req.value);
      return b;
    }
    case 15: {
      const n = (req.values.length + 7) >> 3;
      const b = Buffer.alloc(6 + n);
      b[0] = 15;
      put16(b, 1, req.address);
      put16(b, 3, req.values.length);
      b[5] = n;
      packBits(b, 6, req.values);
      return b;
    }
    case 16: {
      const b = Buffer.allocUnsafe(6 + 2 * req.values.length);
      b[0] = 16;
      put16(b, 1, req.address);
      put16(b, 3, req.values.length);
      b[5] = 2 * req.values.length;
      for (let i = 0; i < req.values.length; i++) put16(b, 6 + 2 * i, req.values[i] as number);
      return b;
    }
    case 23: {
      const b = Buffer.allocUnsafe(10 + 2 * req.values.length);
      b[0] = 23;
      put16(b, 1, req.readAddress);
      put16(b, 3, req.readCount);
      put16(b, 5, req.writeAddress);
      put16(b, 7, req.values.length);
      b[9] = 2 * req.values.length;
      for (let i = 0; i < req.values.length; i++) put16(b, 10 + 2 * i, req.values[i] as number);
      return b;
    }
  }
}

/**
 * Decode a request PDU (server side). Throws ModbusFrameError with `exceptionCode` 1 for an
 * unknown function code and 3 for a malformed or out-of-range body. Address ranges beyond the
 * 16-bit space are left to the server (exception 2).
 */
export function decodeRequest(pdu: Uint8Array): ModbusRequest {
  if (pdu.length < 1) throw frameError('empty request PDU', pdu, 3);
  const fc = pdu[0] as number;
  const need = (n: number): void => {
    if (pdu.length !== n) throw frameError(`function ${fc} request needs ${n} bytes, got ${pdu.length}`, pdu, 3);
  };
  const count = (n: number, max: number): void => {
    if (n < 1 || n > max) throw frameError(`function ${fc} quantity ${n} outside 1..${max}`, pdu, 3);
  };
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      need(5);
      const n = u16(pdu, 3);
      count(n, fc <= 2 ? Limits.readBits : Limits.readRegisters);
      return { fc, address: u16(pdu, 1), count: n };
    }
    case 5: {
      need(5);
      const v = u16(pdu, 3);
      if (v !== 0xff00 && v !== 0) throw frameError(`coil value 0x${v.toString(16)} is neither 0xFF00 nor 0x0000`, pdu, 3);
      return { fc, address: u16(pdu, 1), value: v === 0xff00 };
    }
    case 6:
      need(5);
      return { fc, address: u16(pdu, 1), value: u16(pdu, 3) };
    case 15:
    case 16: {
      if (pdu.length < 6) throw frameError(`function ${fc} request too short`, pdu, 3);
      const n = u16(pdu, 3);
      count(n, fc === 15 ? Limits.writeBits : Limits.writeRegisters);
      const bytes = fc === 15 ? (n + 7) >> 3 : 2 * n;
      if (pdu[5] !== bytes) throw frameError(`byte count ${pdu[5]} does not match quantity ${n}`, pdu, 3);
      need(6 + bytes);
      if (fc === 15) return { fc, address: u16(pdu, 1), values: unpackBits(pdu, 6, n) };
      return { fc, address: u16(pdu, 1), values: words(pdu, 6, n) };
    }
    case 23: {
      if (pdu.length < 10) throw frameError('function 23 request too short', pdu, 3);
      const readCount = u16(pdu, 3);
      const n = u16(pdu, 7);
      count(readCount, Limits.readRegisters);
      count(n, Limits.readWriteWrite);
      if (pdu[9] !== 2 * n) throw frameError(`byte count ${pdu[9]} does not match quantity ${n}`, pdu, 3);
      need(10 + 2 * n);
      return { fc, readAddress: u16(pdu, 1), readCount, writeAddress: u16(pdu, 5), values: words(pdu, 10, n) };
    }
    default:
      throw frameError(`unsupported function code ${fc}`, pdu, 1);
  }
}

// ---------------------------------------------------------------- responses

/** A response to encode (server side): like ModbusResponse, with registers as any array of words. */
export type ModbusResponseInput =
  | Exclude<ModbusResponse, { registers: Uint16Array }>
  | { fc: 3 | 4 | 23; registers: ArrayLike<number> };

/** Encode a normal response PDU (server side). Values must already be in range. */
export function encodeResponse(res: ModbusResponseInput): Buffer {
  switch (res.fc) {
    case 1:
    case 2: {
      const n = (res.bits.length + 7) >> 3;
      const b = Buffer.alloc(2 + n);
      b[0] = res.fc;
      b[1] = n;
      packBits(b, 2, res.bits);
      return b;
    }
    case 3:
    case 4:
    case 23: {
      const b = Buffer.allocUnsafe(2 + 2 * res.registers.length);
      b[0] = res.fc;
      b[1] = 2 * res.registers.length;
      for (let i = 0; i < res.registers.length; i++) put16(b, 2 + 2 * i, (res.registers[i] as number) & 0xffff);
      return b;
    }
    case 5:
    case 6:
    case 15:
    case 16: {
      const b = Buffer.allocUnsafe(5);
      b[0] = res.fc;
      put16(b, 1, res.address);
      put16(b, 3, res.fc === 5 ? (res.value ? 0xff00 : 0) : res.fc === 6 ? res.value : res.count);
      return b;
    }
  }
}

/** Encode an exception response PDU for function `fc` with exception code `code`. */
export function encodeException(fc: number, code: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b[0] = (fc | 0x80) & 0xff;
  b[1] = code & 0xff;
  return b;
}

/**
 * Decode a response PDU (client side). Bit reads return whole bytes of bits (a multiple of 8);
 * {@link matchResponse} trims them to the request. Throws ModbusFrameError on malformed bytes.
 */
export function decodeResponse(pdu: Uint8Array): ModbusResponse | ModbusExceptionResponse {
  if (pdu.length < 2) throw frameError('response PDU shorter than 2 bytes', pdu);
  const fc = pdu[0] as number;
  if (fc & 0x80) {
    if (pdu.length !== 2) throw frameError('exception response must be 2 bytes', pdu);
    return { fc: fc & 0x7f, exception: pdu[1] as number };
  }
  switch (fc) {
    case 1:
    case 2: {
      const n = pdu[1] as number;
      if (pdu.length !== 2 + n || n === 0) throw frameError(`byte count ${n} does not match a ${pdu.length}-byte PDU`, pdu);
      return { fc, bits: unpackBits(pdu, 2, 8 * n) };
    }
    case 3:
    case 4:
    case 23: {
      const n = pdu[1] as number;
      if (pdu.length !== 2 + n || n === 0 || n % 2 !== 0) throw frameError(`byte count ${n} does not match a ${pdu.length}-byte PDU`, pdu);
      return { fc, registers: words(pdu, 2, n >> 1) };
    }
    case 5:
    case 6:
    case 15:
    case 16: {
      if (pdu.length !== 5) throw frameError(`function ${fc} response must be 5 bytes`, pdu);
      const address = u16(pdu, 1);
      const v = u16(pdu, 3);
      if (fc === 5) {
        if (v !== 0xff00 && v !== 0) throw frameError(`coil echo 0x${v.toString(16)} is neither 0xFF00 nor 0x0000`, pdu);
        return { fc, address, value: v === 0xff00 };
      }
      if (fc === 6) return { fc, address, value: v };
      return { fc, address, count: v };
    }
    default:
      throw frameError(`unsupported function code ${fc} in response`, pdu);
  }
}

/** What a request yields once its response has been checked. */
export type RequestResult = boolean[] | Uint16Array | undefined;

/**
 * Check that `res` answers `req` (same function, expected size, echoed fields) and return the
 * data: bits trimmed to the requested count, registers, or undefined for writes.
 * Throws ModbusFrameError on any mismatch. Exception responses must be handled before.
 */
export function matchResponse(req: ModbusRequest, res: ModbusResponse): RequestResult {
  const bad = (why: string): ModbusFrameError => new ModbusFrameError({ reason: `response does not match request: ${why}` });
  if (res.fc !== req.fc) throw bad(`function ${res.fc} answers function ${req.fc}`);
  switch (req.fc) {
    case 1:
    case 2: {
      const bits = (res as { bits: boolean[] }).bits;
      if (bits.length !== ((req.count + 7) >> 3) * 8) throw bad(`${bits.length / 8} data bytes for ${req.count} bits`);
      return bits.slice(0, req.count);
    }
    case 3:
    case 4: {
      const regs = (res as { registers: Uint16Array }).registers;
      if (regs.length !== req.count) throw bad(`${regs.length} registers for ${req.count} asked`);
      return regs;
    }
    case 23: {
      const regs = (res as { registers: Uint16Array }).registers;
      if (regs.length !== req.readCount) throw bad(`${regs.length} registers for ${req.readCount} asked`);
      return regs;
    }
    case 5:
    case 6: {
      const r = res as { address: number; value: boolean | number };
      if (r.address !== req.address || r.value !== req.value) throw bad('write echo differs from the request');
      return undefined;
    }
    case 15:
    case 16: {
      const r = res as { address: number; count: number };
      if (r.address !== req.address || r.count !== req.values.length) throw bad('write echo differs from the request');
      return undefined;
    }
  }
}
