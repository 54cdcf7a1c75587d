/**
 * Options of the labrig OPC UA client and their translation into node-opcua's settings
 * (security mode and policy, user identity, endpoint checks).
 * @module
 */
import { MessageSecurityMode, SecurityPolicy, UserTokenType, type UserIdentityInfo } from 'node-opcua';
import { InvalidInputError } from '../../core/errors.js';

/** OPC UA message security modes by name. */
export type SecurityModeName = 'None' | 'Sign' | 'SignAndEncrypt';

/** OPC UA security policies by name (node-opcua's `SecurityPolicy` keys). */
export type SecurityPolicyName =
  | 'None' | 'Basic128Rsa15' | 'Basic256' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

/** Who the session acts as: anonymous (default), a user name and password, or an X.509 user. */
export type OpcuaUserIdentity =
  | { type: 'anonymous' }
  | { type: 'username'; userName: string; password: string }
  | { type: 'certificate'; certificateData: Uint8Array; privateKey: string };

/** Options of an {@link OpcuaClient}. Durations in milliseconds. */
export interface OpcuaClientOptions {
  /** Name used in errors; default the endpoint. */
  name?: string;
  /** Default limit of each read, write, browse, call and subscribe, in ms. Default 5000. */
  timeoutMs?: number;
  /** Limit of `connect()` (channel and session), in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Message security mode. Default `None`. */
  securityMode?: SecurityModeName;
  /** Security policy. Default `None`. */
  securityPolicy?: SecurityPolicyName;
  /** Session identity. Default anonymous. */
  userIdentity?: OpcuaUserIdentity;
  /**
   * Folder of the client's PKI (own certificate and key, trusted/rejected server certificates).
   * Default: a new temporary folder, removed by `close()`.
   */
  pkiDir?: string;
  /** Trust server certificates not yet in the PKI (matters with Sign/SignAndEncrypt). Default false. */
  acceptUnknownServerCertificates?: boolean;
  /** First delay between reconnect attempts, in ms. Default 200. */
  reconnectInitialDelayMs?: number;
  /** Longest delay between reconnect attempts, in ms. Default 2000. */
  reconnectMaxDelayMs?: number;
  /**
   * What a call made while the link is down does: `reject` at once with DisconnectedError
   * (default), or `wait` for the restored session within the call's timeout.
   */
  whileReconnecting?: 'reject' | 'wait';
  /** Publishing interval of the client's subscription, in ms. Default 100. */
  publishingIntervalMs?: number;
  /** Default server-side sampling interval of monitored items, in ms. Default 100. */
  samplingIntervalMs?: number;
  /** Session timeout requested from the server, in ms. Default 60 000. */
  sessionTimeoutMs?: number;
  /** Application name presented to the server. Default `labrig`. */
  applicationName?: string;
}

const ENDPOINT = /^opc\.tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^\s/:[\]]+)(:\d{1,5})?(\/\S*)?$/;

/** Check an endpoint URL such as `opc.tcp://127.0.0.1:4840` (InvalidInputError otherwise). */
export function checkEndpoint(endpoint: string): string {
  if (typeof endpoint !== 'string' || !ENDPOINT.test(endpoint)) {
    throw new InvalidInputError({ what: 'OPC UA endpoint', value: endpoint, reason: 'expected opc.tcp://host[:port][/path]' });
  }
  const port = /:(\d+)(?:\/|$)/.exec(endpoint.slice('opc.tcp://'.length).replace(/^\[[^\]]*\]/, ''))?.[1];
  if (port !== undefined && Number(port) > 65535) throw new InvalidInputError({ what: 'OPC UA endpoint', value: endpoint, reason: 'port must be 0..65535' });
  return endpoint;
}

/** Map a security mode name to node-opcua's enum. */
export function securityModeOf(name: SecurityModeName | undefined): MessageSecurityMode {
  switch (name ?? 'None') {
    case 'None':
      return MessageSecurityMode.None;
    case 'Sign':
      return MessageSecurityMode.Sign;
    case 'SignAndEncrypt':
      return MessageSecurityMode.SignAndEncrypt;
    default:
      throw new InvalidInputError({ what: 'securityMode', value: name, reason: 'expected None, Sign or SignAndEncrypt' });
  }
}

/** Map a security policy name to node-opcua's policy URI. */
export function securityPolicyOf(name: SecurityPolicyName | undefined): SecurityPolicy {
  const policy = (SecurityPolicy as unknown as Record<string, SecurityPolicy | undefined>)[name ?? 'None'];
  if (policy === undefined || typeof name === 'string' && name.startsWith('http')) {
    throw new InvalidInputError({ what: 'securityPolicy', value: name, reason: `expected one of ${Object.keys(SecurityPolicy).filter((k) => k !== 'Invalid').join(', ')}` });
  }
  return policy;
}

/** Map a labrig user identity to node-opcua's (checking its fields). */
export function userIdentityOf(identity: OpcuaUserIdentity | undefined): UserIdentityInfo {
  if (identity === undefined || identity.type === 'anonymous') return { type: UserTokenType.Anonymous };
  if (identity.type === 'username') {
    if (typeof identity.userName !== 'string' || typeof identity.password !== 'string') {
      throw new InvalidInputError({ what: 'userIdentity', value: { type: 'username' }, reason: 'userName and password must be strings' });
    }
    return { type: UserTokenType.UserName, userName: identity.userName, password: identity.password };
  }
  if (identity.type === 'certificate') {
    if (!(identity.certificateData instanceof Uint8Array) || typeof identity.privateKey !== 'string') {
      throw new InvalidInputError({ what: 'userIdentity', value: { type: 'certificate' }, reason: 'certificateData must be bytes (DER) and privateKey a PEM string' });
    }
    return { type: UserTokenType.Certificate, certificateData: Buffer.from(identity.certificateData), privateKey: identity.privateKey };
  }
  throw new InvalidInputError({ what: 'userIdentity.type', value: (identity as { type?: unknown }).type, reason: 'expected anonymous, username or certificate' });
}

/** Check that a duration option is a non-negative finite number of milliseconds. */
export function checkMs(what: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidInputError({ what, value, reason: 'expected a duration in ms (a finite number ≥ 0)' });
  }
  return value;
}
