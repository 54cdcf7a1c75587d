/**
 * A generic OPC UA device declared from a node map: one signal per node (SignalRW where the
 * server lets the session write, SignalR otherwise), all of them readables, on one client.
 * Without a map, the server's Objects folder is browsed for the variables of its own namespaces
 * (at most {@link BROWSE_LIMIT}; the standard namespace 0, e.g. `Server` diagnostics, skipped). Nodes the map does not name are reached by
 * NodeId with {@link OpcuaDevice.node} (`ns=1;s=Temperature`), which is what
 * `labrig read opc.tcp://... ns=1;s=Temperature` uses.
 * @module
 */
import type { Device } from '../../core/device/device.js';
import { StandardReadable } from '../../core/device/standard-readable.js';
import type { WaitOptions } from '../../protocols/contracts.js';
import type { OpcuaNodeSource } from '../../protocols/opcua/backend.js';
import { refusingTransport } from '../shared/refusing.js';
import { opcuaSignals, opcuaSignalsFromServer, type OpcuaNodeSpec, type OpcuaSignals } from '../../protocols/opcua/signals.js';

/** Most variables a browse turns into signals. */
export const BROWSE_LIMIT = 200;

/** A client that refuses every call: the transport of a device built for the mock tier. */
const NO_CLIENT = refusingTransport<OpcuaNodeSource>('client', 'mock', ['read', 'write', 'subscribe', 'browse'] satisfies Array<keyof OpcuaNodeSource>);

/** An identifier from a browse name (`Temperature`, `Set point` → `Set_point`), unique in `taken`. */
function attrName(browseName: string, taken: Set<string>): string {
  let n = browseName.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1') || 'node';
  if (['name', 'parent', 'signals'].includes(n)) n = `${n}_`;
  let out = n;
  for (let i = 2; taken.has(out); i++) out = `${n}_${i}`;
  taken.add(out);
  return out;
}

/** Tell whether a NodeId is in the standard namespace 0 (`i=2253`, `ns=0;i=85`), which holds the server's own standard nodes. */
function standard(nodeId: string): boolean {
  const m = /^ns=(\d+);/.exec(nodeId);
  return m === null || m[1] === '0';
}

/**
 * Browse the Objects folder (depth-first) for the variables of the server's own namespaces —
 * the standard namespace 0 (`Server` diagnostics and the like) is skipped; at most {@link BROWSE_LIMIT}.
 */
export async function browseVariables(client: OpcuaNodeSource, options: WaitOptions = {}, depth = 4): Promise<Record<string, OpcuaNodeSpec>> {
  const out: Record<string, OpcuaNodeSpec> = {};
  const taken = new Set<string>();
  const seen = new Set<string>();
  const visit = async (nodeId: string, level: number): Promise<void> => {
    if (level > depth || taken.size >= BROWSE_LIMIT || seen.has(nodeId)) return;
    seen.add(nodeId);
    for (const ref of await client.browse(nodeId, options)) {
      if (taken.size >= BROWSE_LIMIT) return;
      if (standard(ref.nodeId)) continue;
      if (ref.nodeClass === 'Variable') out[attrName(ref.browseName, taken)] = ref.nodeId;
      else if (ref.nodeClass === 'Object') await visit(ref.nodeId, level + 1);
    }
  };
  await visit('i=85', 1);
  return out;
}

/** An OPC UA device from a node map (see the module notes). */
export class OpcuaDevice extends StandardReadable {
  /** The map's signals by name. */
  readonly signals: Readonly<OpcuaSignals>;
  readonly #client: OpcuaNodeSource;
  readonly #release: (() => Promise<void>) | undefined;

  /** Build the device from signals on `client` (none: for `connect({ mock: true })`); `release` frees what its opener took (the client), run by `close()`. */
  constructor(name: string, client: OpcuaNodeSource | undefined, signals: OpcuaSignals, release?: () => Promise<void>) {
    super(name);
    this.#client = client ?? NO_CLIENT;
    this.#release = release;
    this.signals = signals;
    this.addReadables(Object.values(signals), 'read');
    this.setName(name);
  }

  /** Build a device for the mock tier from a node map (writability as the map says). */
  static mock(name: string, nodes: Record<string, OpcuaNodeSpec>): OpcuaDevice {
    return new OpcuaDevice(name, undefined, opcuaSignals(NO_CLIENT, nodes));
  }

  /** Build a device on a connected client: the map's nodes, or the server's variables when none is given. */
  static async fromServer(name: string, client: OpcuaNodeSource, nodes: Record<string, OpcuaNodeSpec> | undefined, options: WaitOptions = {}): Promise<OpcuaDevice> {
    const map = nodes ?? (await browseVariables(client, options));
    return new OpcuaDevice(name, client, await opcuaSignalsFromServer(client, map, {}, options), () => client.close());
  }

  protected override childEntries(): Iterable<[string, unknown]> {
    return [...Object.entries(this), ...Object.entries(this.signals)];
  }

  /** Return a connected signal for a node the map does not name, by NodeId (`ns=1;s=Temperature`). */
  async node(nodeId: string): Promise<Device> {
    const sig = Object.values(await opcuaSignalsFromServer(this.#client, { [`${this.name}-${nodeId.trim()}`]: nodeId.trim() }))[0]!;
    await sig.connect();
    return sig;
  }

  /** Stop every subscription, then release the client (closed when this device's opener opened it). */
  async close(): Promise<void> {
    for (const s of Object.values(this.signals)) s.backend.setCallback?.(undefined);
    await this.#release?.();
  }
}
