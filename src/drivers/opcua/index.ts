/**
 * Generic OPC UA devices: nodes of a server as signals, declared by a node map or browsed, on the
 * OPC UA client of `labrig/protocols/opcua`. `openOpcuaDevice('opc.tcp://host:4840', { nodes })`
 * connects; the family descriptor `opcuaFamily` (scheme `opc.tcp`) is registered with
 * `registerFamily`; importing this module registers nothing and loads no node-opcua until a
 * device opens.
 * @module
 */
import { openFamily } from '../family.js';
import type { OpcuaDevice } from './device.js';
import { opcuaFamily, type OpcuaFamilyOptions } from './family.js';

export type { OpcuaDevice } from './device.js';
export { isNodeId, loadNodeMap, opcuaFamily, OPCUA_DEVICE_PARAMS, type OpcuaFamilyOptions } from './family.js';

/** Connect an OPC UA device by URI (`nodes`: a node map or a JSON file; none: browse), named `name` (default `opcua`). */
export function openOpcuaDevice(uri: string, options: { nodes?: unknown; name?: string } = {}): Promise<OpcuaDevice> {
  const { name, ...rest } = options;
  return openFamily(opcuaFamily, uri, rest, name === undefined ? {} : { name });
}
