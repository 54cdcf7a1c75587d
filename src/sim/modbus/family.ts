/**
 * The Modbus simulator descriptor: `sim:modbus[?link=tcp|pty&map=FILE]` (Modbus TCP on 127.0.0.1
 * by default, RTU behind a pty with `link=pty`; the default register map unless `map` names a
 * JSON simulator map) and `labrig sim modbus`. The device of a `sim:modbus` rig entry gets the
 * simulator's register map, so its registers are signals by name.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { readJsonParam, reasonOf, type ParamSchema } from '../../protocols/params.js';
import { defineSimulator, linkParam } from '../family.js';
import { resolveSimMap, type SimMap } from './map.js';

/** The usage line of `labrig sim modbus`. */
export const MODBUS_SIM_USAGE = 'usage: labrig sim modbus [--tcp HOST:PORT | --pty] [--map FILE] [--baud N]';

/** Parameters of `sim:modbus`. */
export const MODBUS_SIM_PARAMS = {
  link: linkParam('tcp'),
  map: {
    type: 'string',
    doc: 'JSON simulator map (default: setpoint, temperature, pressure, uptime, coils, ...)',
    check: (v, what) => {
      const parsed = readJsonParam(v, what, 'simulator map');
      try {
        resolveSimMap(parsed as SimMap);
      } catch (e) {
        if (e instanceof InvalidInputError) throw new InvalidInputError({ what, value: v, reason: `${e.what}: ${reasonOf(e)}` });
        throw e;
      }
      return v;
    },
  },
} as const satisfies ParamSchema;

/** Checked `sim:modbus` parameters. */
export interface ModbusSimParams {
  link?: 'tcp' | 'pty';
  map?: string;
}

/** The Modbus simulator descriptor (see the module notes). */
export const modbusSimulator = defineSimulator<ModbusSimParams>({
  name: 'modbus',
  family: 'modbus',
  title: 'generic Modbus TCP/RTU device from a JSON register map, with live values',
  params: MODBUS_SIM_PARAMS,
  async start(params) {
    const { startModbusSim } = await import('./sim.js');
    const { DEFAULT_SIM_MAP } = await import('./map.js');
    const map: SimMap = params.map === undefined ? DEFAULT_SIM_MAP : (readJsonParam(params.map, "parameter 'map'", 'simulator map') as SimMap);
    const sim = await startModbusSim({ ...((params.link ?? 'tcp') === 'tcp' ? { tcp: '127.0.0.1:0' } : { pty: true }), map });
    return { uri: sim.address, handle: sim, deviceOptions: { map: resolveSimMap(map).registers.map((r) => r.entry) }, close: () => sim.close() };
  },
  usage: MODBUS_SIM_USAGE,
  cli: async (args) => (await import('./cli.js')).simModbusCli(args),
});
