/**
 * OPC UA addresses in the URI factory: `opc.tcp://HOST[:PORT][/PATH]` (port default 4840) with
 * optional parameters `timeoutMs`, `connectTimeoutMs`, `securityMode` (None, Sign,
 * SignAndEncrypt) and `securityPolicy` (None, Basic256Sha256, ...). `openAddress` returns a
 * connected {@link OpcuaClient}. Importing this module registers the scheme.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { registerScheme } from '../uri.js';
import type { AddressBase, ParsedUri } from '../uri.js';
import { OpcuaClient } from './client.js';
import { securityModeOf, securityPolicyOf, type OpcuaClientOptions, type SecurityModeName, type SecurityPolicyName } from './options.js';

/** A parsed `opc.tcp://` address. */
export interface OpcuaAddress extends AddressBase {
  scheme: 'opc.tcp';
  host: string;
  port: number;
  /** Path after the port ('' when none). */
  path: string;
  /** The endpoint URL without the labrig parameters, as the server sees it. */
  endpoint: string;
  /** Client options taken from the query. */
  options: OpcuaClientOptions;
}

declare module '../uri.js' {
  interface SchemeRegistry {
    'opc.tcp': { address: OpcuaAddress; opens: OpcuaClient };
  }
}

function msParam(params: Map<string, string>, key: string): number | undefined {
  const s = params.get(key);
  params.delete(key);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new InvalidInputError({ what: `address parameter '${key}'`, value: s, reason: 'must be a positive integer (ms)' });
  return Number(s);
}

/** Parse a split `opc.tcp://` URI. */
export function parseOpcua(p: ParsedUri): OpcuaAddress {
  const params = new Map(p.params);
  if (!p.host) throw new InvalidInputError({ what: 'opc.tcp address host', value: p.uri, reason: 'missing host (opc.tcp://host:4840)' });
  const options: OpcuaClientOptions = {};
  const timeoutMs = msParam(params, 'timeoutMs');
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  const connectTimeoutMs = msParam(params, 'connectTimeoutMs');
  if (connectTimeoutMs !== undefined) options.connectTimeoutMs = connectTimeoutMs;
  const mode = params.get('securityMode');
  params.delete('securityMode');
  if (mode !== undefined) {
    securityModeOf(mode as SecurityModeName);
    options.securityMode = mode as SecurityModeName;
  }
  const policy = params.get('securityPolicy');
  params.delete('securityPolicy');
  if (policy !== undefined) {
    securityPolicyOf(policy as SecurityPolicyName);
    options.securityPolicy = policy as SecurityPolicyName;
  }
  for (const [k, v] of params) throw new InvalidInputError({ what: `address parameter '${k}'`, value: v, reason: 'unknown parameter for opc.tcp://' });
  const port = p.port ?? 4840;
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  const path = p.path === '/' ? '' : p.path;
  const endpoint = `opc.tcp://${host}:${port}${path}`;
  return { scheme: 'opc.tcp', uri: p.uri, params: {}, host: p.host, port, path, endpoint, options };
}

/** Create the client of a parsed address (not yet connected). */
export function createOpcuaClient(a: OpcuaAddress): OpcuaClient {
  return new OpcuaClient(a.endpoint, a.options);
}

registerScheme('opc.tcp', {
  parse: parseOpcua,
  create: createOpcuaClient,
  connect: (client, options) => client.connect(options),
});
