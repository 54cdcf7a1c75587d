/**
 * The generic Modbus simulator: JSON register maps with live values, served over Modbus TCP
 * and/or Modbus RTU on a pseudo-terminal, and the `labrig sim modbus` command.
 * @module
 */
export { DEFAULT_SIM_MAP, resolveSimMap } from './map.js';
export type { ResolvedSimMap, SimBehaviour, SimMap, SimRegister } from './map.js';
export { parseHostPort, startModbusSim } from './sim.js';
export type { ModbusSim, ModbusSimOptions } from './sim.js';
export { simModbusCli } from './cli.js';
export type { SimCliIo } from './cli.js';
export { modbusSimulator, MODBUS_SIM_PARAMS, MODBUS_SIM_USAGE } from './family.js';
