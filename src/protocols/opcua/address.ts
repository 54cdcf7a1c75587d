/**
 * OPC UA addresses: `opc.tcp://HOST[:PORT][/PATH]` (port default 4840) with the parameters
 * `timeoutMs`, `connectTimeoutMs`, `securityMode` (None, Sign, SignAndEncrypt) and
 * `securityPolicy` (None, Basic256Sha256, ...). This module does not load node-opcua: the
 * transport opens its client on demand. The generic OPC UA family (`src/drivers/opcua`) registers
 * the scheme; importing this module registers nothing.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { badPort, type Transport } from '../address.js';
import type { ParamSchema } from '../params.js';
import type { AddressBase } from '../uri.js';
import type { OpcuaClient } from './client.js';
import type { OpcuaClientOptions, SecurityModeName, SecurityPolicyName } from './options.js';

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

/** Security modes by name. */
export const SECURITY_MODES: readonly SecurityModeName[] = ['None', 'Sign', 'SignAndEncrypt'];
/** Security policies by name. */
export const SECURITY_POLICIES: readonly SecurityPolicyName[] = ['None', 'Basic128Rsa15', 'Basic256', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'];

/** Parameters of an `opc.tcp://` address. */
export const OPCUA_PARAMS = {
  timeoutMs: { type: 'integer', min: 1, units: 'ms', default: 5000, doc: 'limit of each read, write, browse and call' },
  connectTimeoutMs: { type: 'integer', min: 1, units: 'ms', default: 10000, doc: 'limit of connecting (channel and session)' },
  securityMode: { type: 'string', choices: SECURITY_MODES, default: 'None', doc: 'message security mode' },
  securityPolicy: { type: 'string', choices: SECURITY_POLICIES, default: 'None', doc: 'security policy' },
} as const satisfies ParamSchema;

/** The `opc.tcp://host[:4840][/path]` address parser; `open` loads node-opcua and connects an {@link OpcuaClient}. */
export const opcuaTransport: Transport<OpcuaAddress, OpcuaClient> = {
  kind: 'opc.tcp',
  params: OPCUA_PARAMS,
  address(p, v) {
    if (!p.host) throw new InvalidInputError({ what: 'opc.tcp address host', value: p.uri, reason: 'missing host (opc.tcp://host:4840)' });
    if (p.portText !== undefined && p.port === undefined) throw badPort(p);
    const options: OpcuaClientOptions = {};
    if (v['timeoutMs'] !== undefined) options.timeoutMs = v['timeoutMs'] as number;
    if (v['connectTimeoutMs'] !== undefined) options.connectTimeoutMs = v['connectTimeoutMs'] as number;
    if (v['securityMode'] !== undefined) options.securityMode = v['securityMode'] as SecurityModeName;
    if (v['securityPolicy'] !== undefined) options.securityPolicy = v['securityPolicy'] as SecurityPolicyName;
    const port = p.port ?? 4840;
    const host = p.host.includes(':') ? `[${p.host}]` : p.host;
    const path = p.path === '/' ? '' : p.path;
    return { scheme: 'opc.tcp', uri: p.uri, params: {}, host: p.host, port, path, endpoint: `opc.tcp://${host}:${port}${path}`, options };
  },
  async open(a, options) {
    const { OpcuaClient } = await import('./client.js');
    const client = new OpcuaClient(a.endpoint, a.options);
    try {
      await client.connect(options);
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
    return client;
  },
};
