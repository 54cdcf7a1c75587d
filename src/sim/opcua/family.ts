/**
 * The OPC UA simulator descriptor: `sim:opcua[?nodes=FILE&updateMs=N]` (on 127.0.0.1, a free port;
 * the default node set unless `nodes` names a JSON node list) and `labrig sim opcua`. The device
 * of a `sim:opcua` rig entry gets the simulator's nodes as its node map. node-opcua loads only
 * when the simulator starts.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { readJsonParam, reasonOf, type ParamSchema } from '../../protocols/params.js';
import { defineSimulator } from '../family.js';
import { DEFAULT_SIM_NODES, parseSimNodes, type SimNodeSpec } from './nodes.js';

/** The usage line of `labrig sim opcua`. */
export const OPCUA_SIM_USAGE = 'usage: labrig sim opcua [--port N] [--nodes FILE] [--update-ms N]';

/** Parameters of `sim:opcua`. */
export const OPCUA_SIM_PARAMS = {
  nodes: {
    type: 'string',
    doc: 'JSON node list (default: sensors, setpoints, a counter, booleans, strings, arrays)',
    check: (v, what) => {
      const parsed = readJsonParam(v, what, 'node list');
      try {
        parseSimNodes(parsed as SimNodeSpec[]);
      } catch (e) {
        if (e instanceof InvalidInputError) throw new InvalidInputError({ what, value: v, reason: `${e.what}: ${reasonOf(e)}` });
        throw e;
      }
      return v;
    },
  },
  updateMs: { type: 'integer', min: 10, units: 'ms', default: 100, doc: 'period of the simulation steps' },
} as const satisfies ParamSchema;

/** Checked `sim:opcua` parameters. */
export interface OpcuaSimParams {
  nodes?: string;
  updateMs?: number;
}

/** The OPC UA simulator descriptor (see the module notes). */
export const opcuaSimulator = defineSimulator<OpcuaSimParams>({
  name: 'opcua',
  family: 'opcua',
  title: 'generic OPC UA server (node-opcua) with nodes that change by themselves',
  params: OPCUA_SIM_PARAMS,
  async start(params) {
    const { startOpcuaSim } = await import('./server.js');
    const nodes = params.nodes === undefined ? DEFAULT_SIM_NODES : (readJsonParam(params.nodes, "parameter 'nodes'", 'node list') as SimNodeSpec[]);
    const sim = await startOpcuaSim({ nodes, ...(params.updateMs === undefined ? {} : { updateMs: params.updateMs }) });
    const map = Object.fromEntries(sim.nodes.map((n) => [n.browseName, { nodeId: n.nodeId, writable: n.writable }]));
    return { uri: sim.endpoint, handle: sim, deviceOptions: { nodes: map }, close: () => sim.close() };
  },
  usage: OPCUA_SIM_USAGE,
  cli: async (args) => (await import('./cli.js')).simOpcuaCli(args),
});
