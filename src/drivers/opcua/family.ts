/**
 * The generic OPC UA family: `opc.tcp://host[:4840][/path]`, a device declared from a node map
 * (`nodes`: a JSON file, in the URI as `?nodes=nodes.json`, or `{ name: nodeId | { nodeId, ... } }`
 * as an option; without one, the server's variables are browsed), and nodes by NodeId for
 * `labrig read|set` (`ns=1;s=Temperature`). node-opcua (seconds to load) loads only when a device
 * is opened or mocked: this module and the address parser import nothing of it.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { OpcuaClient } from '../../protocols/opcua/client.js';
import { opcuaTransport, type OpcuaAddress } from '../../protocols/opcua/address.js';
import type { OpcuaNodeSpec } from '../../protocols/opcua/signals.js';
import { readJsonParam, type ParamSchema } from '../../protocols/params.js';
import { defineFamily } from '../family.js';
import type { OpcuaDevice } from './device.js';

const NODE_ID_RE = /^(?:ns=\d+;)?[isgb]=.+$/;

/** Tell whether `path` is an OPC UA NodeId (`ns=1;s=Temperature`, `i=2258`). */
export function isNodeId(path: string): boolean {
  return NODE_ID_RE.test(path.trim());
}

/** Read a node map from a JSON file (an object, or the simulator's node list) or take it as given; checked. */
export function loadNodeMap(value: unknown, what = "parameter 'nodes'"): Record<string, OpcuaNodeSpec> {
  const v = typeof value === 'string' ? readJsonParam(value, what, 'node map') : value;
  if (Array.isArray(v)) {
    // A simulator node list: [{ browseName, nodeId?, writable? }].
    const out: Record<string, OpcuaNodeSpec> = {};
    for (const n of v as Array<{ browseName?: unknown; nodeId?: unknown; writable?: unknown }>) {
      if (typeof n !== 'object' || n === null || typeof n.browseName !== 'string') throw new InvalidInputError({ what, value: n, reason: 'list entries need a browseName' });
      out[n.browseName] = { nodeId: typeof n.nodeId === 'string' ? n.nodeId : `ns=1;s=${n.browseName}`, ...(typeof n.writable === 'boolean' ? { writable: n.writable } : {}) };
    }
    return out;
  }
  if (typeof v !== 'object' || v === null) throw new InvalidInputError({ what, value, reason: 'must be an object of name → NodeId (or { nodeId, writable, units, ... }), or a JSON file of one' });
  for (const [name, spec] of Object.entries(v as Record<string, unknown>)) {
    const nodeId = typeof spec === 'string' ? spec : typeof spec === 'object' && spec !== null ? (spec as { nodeId?: unknown }).nodeId : undefined;
    if (typeof nodeId !== 'string' || !isNodeId(nodeId)) throw new InvalidInputError({ what: `${what.slice(0, -1)}.${name}'`, value: spec, reason: 'must be a NodeId (ns=1;s=Temperature) or { nodeId, ... }' });
  }
  return v as Record<string, OpcuaNodeSpec>;
}

/** Parameters of a generic OPC UA device (besides the address's `timeoutMs`, `securityMode`, ...). */
export const OPCUA_DEVICE_PARAMS = {
  nodes: {
    type: 'object',
    text: true,
    shape: 'a JSON file, or { name: nodeId | { nodeId, writable, units, ... } }',
    doc: 'node map: one signal per node (default: the variables under Objects)',
    check: (v, what) => loadNodeMap(v, what),
  },
} as const satisfies ParamSchema;

/** Options of the OPC UA family. */
export interface OpcuaFamilyOptions {
  nodes?: Record<string, OpcuaNodeSpec>;
}

/** The generic OPC UA family descriptor (see the module notes). */
export const opcuaFamily = defineFamily<OpcuaFamilyOptions, OpcuaDevice>({
  name: 'opcua',
  title: 'generic OPC UA servers: nodes as signals (declared or browsed)',
  schemes: [{ scheme: 'opc.tcp', transport: opcuaTransport, example: 'opc.tcp://10.0.0.30:4840?nodes=nodes.json' }],
  params: OPCUA_DEVICE_PARAMS,
  async open(target, options, { name }) {
    const a = target.address as OpcuaAddress;
    const client: OpcuaClient = await opcuaTransport.open!(a, { timeoutMs: a.options.connectTimeoutMs ?? 10_000 });
    try {
      const { OpcuaDevice } = await import('./device.js');
      const d = await OpcuaDevice.fromServer(name, client, options.nodes);
      await d.connect();
      return d;
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
  },
  createMock: async (options, { name }) => (await import('./device.js')).OpcuaDevice.mock(name, options.nodes ?? {}),
  confirmStopped: () => Promise.resolve('nothing to stop (generic OPC UA device)'),
  pathExample: 'ns=1;s=Temperature',
  resolvePath: async (device, path) => (isNodeId(path) ? device.node(path) : undefined),
});
