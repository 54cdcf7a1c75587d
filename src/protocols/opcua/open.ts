/**
 * OPC UA addresses (see `address.ts`): `parseOpcua` and `createOpcuaClient` for callers that hold
 * node-opcua already. The generic OPC UA family registers the `opc.tcp` scheme; importing this
 * module registers nothing.
 * @module
 */
import { resolveAddress } from '../address.js';
import type { ParsedUri } from '../uri.js';
import { opcuaTransport, type OpcuaAddress } from './address.js';
import { OpcuaClient } from './client.js';

export type { OpcuaAddress } from './address.js';

declare module '../uri.js' {
  interface SchemeRegistry {
    'opc.tcp': { address: OpcuaAddress; opens: OpcuaClient };
  }
}

/** Parse a split `opc.tcp://` URI. */
export function parseOpcua(p: ParsedUri): OpcuaAddress {
  return resolveAddress(p, opcuaTransport).address;
}

/** Create the client of a parsed address (not yet connected). */
export function createOpcuaClient(a: OpcuaAddress): OpcuaClient {
  return new OpcuaClient(a.endpoint, a.options);
}
