/**
 * The generic Modbus family: `modbus+tcp://host[:502]?unit=1` and
 * `modbus+rtu:///dev/ttyUSB0?baud=9600&unit=1`, a device declared from a register map (`map`: a
 * JSON file, in the URI as `?map=map.json`, or the entries themselves as an option; a simulator
 * map `{ registers: [...] }` works too), and registers by address for `labrig read|set`
 * (`hr/0:float32`, `ir/2`, `co/1`, `di/0`).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { modbusRtuTransport, modbusTcpTransport } from '../../protocols/modbus/open.js';
import { parseRegisterMap, type RegisterEntry } from '../../protocols/modbus/register-map.js';
import { readJsonParam, reasonOf, type ParamSchema } from '../../protocols/params.js';
import type { RegisterBus, WaitOptions } from '../../protocols/contracts.js';
import { defineFamily } from '../family.js';
import { ModbusDevice, registerPath } from './device.js';

/** Read a register map from a JSON file, an array of entries, or a simulator map `{ registers }`; checked. */
export function loadRegisterMap(value: unknown, what = "parameter 'map'"): RegisterEntry[] {
  let v = typeof value === 'string' ? readJsonParam(value, what, 'register map') : value;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Array.isArray((v as { registers?: unknown }).registers)) v = (v as { registers: unknown[] }).registers;
  try {
    return parseRegisterMap(v).map(({ name, table, address, type, wordOrder, scale, offset, writable, units, precision, limits, description }) => ({
      name, table, address, type, wordOrder, scale, offset, writable,
      ...(units === undefined ? {} : { units }), ...(precision === undefined ? {} : { precision }), ...(limits === undefined ? {} : { limits }), ...(description === undefined ? {} : { description }),
    }));
  } catch (e) {
    if (e instanceof InvalidInputError) throw new InvalidInputError({ what: `${what} ${e.what}`, value: e.value, reason: reasonOf(e) });
    throw e;
  }
}

/** Parameters of a generic Modbus device (besides the address's `unit`, `timeoutMs`, ...). */
export const MODBUS_DEVICE_PARAMS = {
  map: {
    type: 'object',
    text: true,
    shape: 'a JSON file, or [{ name, table, address, type, scale, offset, units, limits, writable }]',
    doc: 'register map: one signal per entry',
    check: (v, what) => loadRegisterMap(v, what),
  },
  pollMs: { type: 'number', above: 0, units: 'ms', default: 1000, doc: 'poll period of subscribed registers' },
} as const satisfies ParamSchema;

/** Options of the Modbus family. */
export interface ModbusFamilyOptions {
  map?: RegisterEntry[];
  pollMs?: number;
}

/** The generic Modbus family descriptor (see the module notes). */
export const modbusFamily = defineFamily<ModbusFamilyOptions, ModbusDevice>({
  name: 'modbus',
  title: 'generic Modbus TCP / RTU devices declared from a register map',
  schemes: [
    { scheme: 'modbus+tcp', transport: modbusTcpTransport, example: 'modbus+tcp://10.0.0.20:502?unit=1&map=map.json' },
    { scheme: 'modbus+rtu', transport: modbusRtuTransport, example: 'modbus+rtu:///dev/ttyUSB0?baud=19200&parity=even&unit=3' },
  ],
  params: MODBUS_DEVICE_PARAMS,
  async open(target, options, { name }) {
    const transport = target.scheme.transport as { create(a: unknown): RegisterBus & { open(o: WaitOptions): Promise<void> } };
    const bus = transport.create(target.address);
    try {
      await bus.open({ timeoutMs: 5000 });
      const d = new ModbusDevice(name, bus, options.map ?? [], { ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }) }, () => bus.close());
      await d.connect();
      return d;
    } catch (e) {
      await bus.close().catch(() => undefined);
      throw e;
    }
  },
  createMock: (options, { name }) => new ModbusDevice(name, undefined, options.map ?? [], { ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }) }),
  confirmStopped: () => Promise.resolve('nothing to stop (generic Modbus device)'),
  pathExample: 'hr/0:float32',
  resolvePath: async (device, path) => (registerPath(path) ? device.register(path) : undefined),
});
