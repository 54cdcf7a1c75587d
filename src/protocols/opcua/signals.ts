/**
 * Build labrig signals from a map of OPC UA nodes.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { SignalR, SignalRW } from '../../core/signal/index.js';
import type { WaitOptions } from '../contracts.js';
import { OpcuaNodeBackend, type OpcuaNodeBackendOptions, type OpcuaNodeSource } from './backend.js';

/** One node of a node map: its NodeId, or the NodeId with options. */
export type OpcuaNodeSpec = string | (OpcuaNodeBackendOptions & {
  /** NodeId, e.g. `ns=1;s=Temperature`. */
  nodeId: string;
  /** Make a SignalRW (true) or a SignalR (false). Default false; `opcuaSignalsFromServer` asks the server. */
  writable?: boolean;
});

/** Signals by name: SignalRW for writable nodes, SignalR for the others. */
export type OpcuaSignals = Record<string, SignalR<unknown> | SignalRW<unknown>>;

function normalise(name: string, spec: OpcuaNodeSpec): OpcuaNodeBackendOptions & { nodeId: string; writable?: boolean } {
  if (typeof spec === 'string') return { nodeId: spec };
  if (typeof spec !== 'object' || spec === null || typeof spec.nodeId !== 'string' || spec.nodeId === '') {
    throw new InvalidInputError({ what: `OPC UA node map entry '${name}'`, value: spec, reason: 'expected a NodeId string or { nodeId, ... }' });
  }
  return spec;
}

/**
 * Build one signal per entry of `nodes` on `client`: a SignalRW where the entry says
 * `writable: true`, else a SignalR. Nothing is sent until the signals connect.
 */
export function opcuaSignals(client: OpcuaNodeSource, nodes: Record<string, OpcuaNodeSpec>, defaults: OpcuaNodeBackendOptions = {}): OpcuaSignals {
  const out: OpcuaSignals = {};
  for (const [name, raw] of Object.entries(nodes)) {
    const { nodeId, writable, ...opts } = normalise(name, raw);
    const backendOptions: OpcuaNodeBackendOptions = { ...defaults, ...opts, name };
    const backend = new OpcuaNodeBackend<unknown>(client, nodeId, backendOptions);
    const sigOpts = { name, ...(backendOptions.timeoutMs === undefined ? {} : { timeoutMs: backendOptions.timeoutMs }) };
    out[name] = writable ? new SignalRW(backend, sigOpts) : new SignalR(backend, sigOpts);
  }
  return out;
}

/**
 * Like {@link opcuaSignals}, but ask the server which nodes the session may write (their
 * UserAccessLevel) where an entry does not say. Needs a connected client that can describe
 * nodes; an unknown node rejects with the client's DeviceError.
 */
export async function opcuaSignalsFromServer(
  client: OpcuaNodeSource,
  nodes: Record<string, OpcuaNodeSpec>,
  defaults: OpcuaNodeBackendOptions = {},
  options: WaitOptions = {},
): Promise<OpcuaSignals> {
  const readInfo = client.readInfo?.bind(client);
  if (!readInfo) throw new InvalidInputError({ what: 'OPC UA client', value: client.address, reason: 'cannot describe nodes (no readInfo)' });
  const resolved: Record<string, OpcuaNodeSpec> = {};
  await Promise.all(
    Object.entries(nodes).map(async ([name, raw]) => {
      const spec = normalise(name, raw);
      const writable = spec.writable ?? (await readInfo(spec.nodeId, options)).writable;
      resolved[name] = { ...spec, writable };
    }),
  );
  const ordered: Record<string, OpcuaNodeSpec> = {};
  for (const name of Object.keys(nodes)) ordered[name] = resolved[name]!;
  return opcuaSignals(client, ordered, defaults);
}
