/**
 * Generic Modbus devices declared from a register map, on the Modbus TCP / RTU clients of
 * `labrig/protocols`. `openModbusDevice('modbus+tcp://10.0.0.20:502?unit=1', { map })` connects;
 * the family descriptor `modbusFamily` (schemes `modbus+tcp`, `modbus+rtu`) is registered with
 * `registerFamily`; importing this module registers nothing.
 * @module
 */
import { openFamily } from '../family.js';
import type { ModbusDevice } from './device.js';
import { modbusFamily, type ModbusFamilyOptions } from './family.js';

export { ModbusDevice, registerPath, type ModbusDeviceOptions } from './device.js';
export { loadRegisterMap, modbusFamily, MODBUS_DEVICE_PARAMS, type ModbusFamilyOptions } from './family.js';

/** Connect a Modbus device by URI with its register map (`map`: entries or a JSON file), named `name` (default `modbus`). */
export function openModbusDevice(uri: string, options: Omit<ModbusFamilyOptions, 'map'> & { map?: unknown; name?: string } = {}): Promise<ModbusDevice> {
  const { name, ...rest } = options;
  return openFamily(modbusFamily, uri, rest as Record<string, unknown>, name === undefined ? {} : { name });
}
