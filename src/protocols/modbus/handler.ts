/**
 * Serve one Modbus request PDU against a {@link RegisterStore}, synchronously: decode, check the
 * address range, read or write, encode the response or the exception. Shared by the TCP and RTU
 * servers; pure apart from the store's hooks.
 * @module
 */
import { decodeRequest, encodeException, encodeResponse } from './codec.js';
import { ModbusException, ModbusFrameError } from './errors.js';
import type { ModbusTable, RegisterStore } from './store.js';

const READ_TABLE: Record<1 | 2 | 3 | 4, ModbusTable> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' };

/** Answer a request PDU from `store`; returns the response PDU (normal or exception). */
export function handleRequest(store: RegisterStore, unit: number, pdu: Uint8Array): Buffer {
  const fc = pdu.length > 0 ? (pdu[0] as number) : 0;
  try {
    const req = decodeRequest(pdu);
    switch (req.fc) {
      case 1:
      case 2:
      case 3:
      case 4: {
        const table = READ_TABLE[req.fc];
        if (!store.has(table, req.address, req.count)) return encodeException(fc, ModbusException.IllegalDataAddress);
        const data = store.wireRead(table, req.address, req.count, unit);
        return req.fc <= 2 ? encodeResponse({ fc: req.fc as 1 | 2, bits: data as boolean[] }) : encodeResponse({ fc: req.fc as 3 | 4, registers: data as Uint16Array });
      }
      case 5:
      case 15: {
        const values: ArrayLike<boolean> = req.fc === 5 ? [req.value] : req.values;
        if (!store.has('coil', req.address, values.length)) return encodeException(fc, ModbusException.IllegalDataAddress);
        const code = store.wireWrite('coil', req.address, values, unit);
        if (code) return encodeException(fc, code);
        return req.fc === 5 ? encodeResponse(req) : encodeResponse({ fc: 15, address: req.address, count: values.length });
      }
      case 6:
      case 16: {
        const values: ArrayLike<number> = req.fc === 6 ? [req.value] : req.values;
        if (!store.has('holding', req.address, values.length)) return encodeException(fc, ModbusException.IllegalDataAddress);
        const code = store.wireWrite('holding', req.address, values, unit);
        if (code) return encodeException(fc, code);
        return req.fc === 6 ? encodeResponse(req) : encodeResponse({ fc: 16, address: req.address, count: values.length });
      }
      case 23: {
        if (!store.has('holding', req.readAddress, req.readCount) || !store.has('holding', req.writeAddress, req.values.length)) {
          return encodeException(fc, ModbusException.IllegalDataAddress);
        }
        // The write happens before the read (Modbus Application Protocol, function 0x17).
        const code = store.wireWrite('holding', req.writeAddress, req.values, unit);
        if (code) return encodeException(fc, code);
        const registers = store.wireRead('holding', req.readAddress, req.readCount, unit) as Uint16Array;
        return encodeResponse({ fc: 23, registers });
      }
    }
  } catch (err) {
    if (err instanceof ModbusFrameError) return encodeException(fc, err.exceptionCode ?? ModbusException.IllegalDataValue);
    return encodeException(fc, ModbusException.ServerDeviceFailure);
  }
}

/** Tell whether a request PDU only writes (what an RTU broadcast to unit 0 may carry). */
export function isWriteRequest(pdu: Uint8Array): boolean {
  const fc = pdu[0];
  return fc === 5 || fc === 6 || fc === 15 || fc === 16;
}
