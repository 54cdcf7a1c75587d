/**
 * A generic OPC UA simulator on node-opcua's OPCUAServer: the nodes of a node list under an
 * object `Sim` (ns=1;s=Sim) in the Objects folder, values that change by themselves, writable
 * setpoints (range-checked by the server), a `Reset` method and a `Wait(durationMs)` method that
 * answers late, like a slow instrument command. Security None, anonymous
 * sessions, no discovery registration; the PKI (certificates) lives in a temporary folder that
 * `close()` removes.
 * @module
 */
import { rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  DataType, MessageSecurityMode, makeEUInformation, OPCUACertificateManager, OPCUAServer, RegisterServerMethod,
  SecurityPolicy, StatusCodes, Variant, VariantArrayType,
  type Namespace, type UAObject, type UAVariable,
} from 'node-opcua';
import { InvalidInputError, LabrigError } from '../../core/errors.js';
import { makeTempDir, removeTempDir } from '../temp.js';
import { ensureOpcuaLogsRouted } from '../../protocols/opcua/logging.js';
import { DEFAULT_SIM_NODES, parseSimNodes, type ResolvedSimNode, type SimNodeSpec, type SimScalar } from './nodes.js';
import { nextValue } from './simulate.js';

/** Options of {@link startOpcuaSim}. */
export interface OpcuaSimOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Node list (checked like a `--nodes` file). Default {@link DEFAULT_SIM_NODES}. */
  nodes?: readonly SimNodeSpec[];
  /** Period of the simulation steps, in ms. Default 100. */
  updateMs?: number;
  /**
   * PKI folder to use (and keep): lets several simulators in one test share one certificate,
   * which is slow to create. Default: a temporary folder removed by `close()`.
   */
  pkiDir?: string;
}

/** A running simulator. */
export interface OpcuaSim {
  /** Endpoint to give a client, e.g. `opc.tcp://127.0.0.1:48123`. */
  readonly endpoint: string;
  /** The port it listens on. */
  readonly port: number;
  /** The nodes it serves, defaults filled in. */
  readonly nodes: readonly ResolvedSimNode[];
  /** Return a node's current value. */
  get(nodeId: string): SimScalar | SimScalar[] | undefined;
  /** Change a node's value as the instrument would (monitored items see it); checked against its type. */
  set(nodeId: string, value: SimScalar | SimScalar[]): void;
  /** Count open sessions, their subscriptions and monitored items (what clients asked for). */
  stats(): OpcuaSimStats;
  /** Stop serving, close every session and remove a temporary PKI folder. Idempotent. */
  close(): Promise<void>;
}

/** What clients currently hold on a simulator. */
export interface OpcuaSimStats {
  sessions: number;
  subscriptions: number;
  monitoredItems: number;
}

/** Find a free TCP port on `host` (bind port 0, read it, release it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, () => resolve());
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const TYPED: Partial<Record<SimNodeSpec['dataType'], { from(values: number[]): ArrayLike<number> }>> = {
  SByte: Int8Array, Byte: Uint8Array, Int16: Int16Array, UInt16: Uint16Array, Int32: Int32Array, UInt32: Uint32Array,
  Float: Float32Array, Double: Float64Array,
};

function variantOf(node: ResolvedSimNode, value: SimScalar | SimScalar[]): Variant {
  const dataType = DataType[node.dataType as keyof typeof DataType] as DataType;
  if (Array.isArray(value)) {
    // node-opcua wants typed arrays for numeric arrays (a plain array is coerced item by item).
    const typed = TYPED[node.dataType];
    return new Variant({ dataType, arrayType: VariantArrayType.Array, value: typed ? typed.from(value as number[]) : [...value] });
  }
  return new Variant({ dataType, value });
}

function plain(v: unknown): SimScalar | SimScalar[] {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return [...(v as SimScalar[])];
  return v as SimScalar;
}

function euInformation(units: string): ReturnType<typeof makeEUInformation> {
  const eu = makeEUInformation('', units, units);
  // unitId -1: no UNECE code is claimed for a free-form unit text.
  eu.unitId = -1;
  return eu;
}

function addNode(ns: Namespace, parent: UAObject, node: ResolvedSimNode): UAVariable {
  const isArray = Array.isArray(node.value);
  const access = node.writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead';
  const base = {
    componentOf: parent,
    browseName: node.browseName,
    nodeId: node.nodeId,
    dataType: node.dataType,
    valueRank: isArray ? 1 : -1,
    ...(isArray ? { arrayDimensions: [(node.value as SimScalar[]).length] } : {}),
    accessLevel: access,
    userAccessLevel: access,
    minimumSamplingInterval: 0,
    ...(node.description ? { description: node.description } : {}),
    value: variantOf(node, node.value),
  };
  if (node.range) {
    const range = { low: node.range[0], high: node.range[1] };
    return ns.addAnalogDataItem({
      ...base,
      engineeringUnitsRange: range,
      // InstrumentRange makes node-opcua refuse writes outside it with BadOutOfRange.
      instrumentRange: range,
      ...(node.units !== undefined ? { engineeringUnits: euInformation(node.units) } : {}),
    }) as unknown as UAVariable;
  }
  const v = ns.addVariable(base);
  if (node.units !== undefined) {
    ns.addVariable({
      propertyOf: v,
      browseName: { name: 'EngineeringUnits', namespaceIndex: 0 },
      typeDefinition: 'PropertyType',
      dataType: 'EUInformation',
      accessLevel: 'CurrentRead',
      minimumSamplingInterval: 0,
      value: new Variant({ dataType: DataType.ExtensionObject, value: euInformation(node.units) }),
    });
  }
  return v;
}

/**
 * Start a simulator. Resolves once it accepts connections; rejects with InvalidInputError for a
 * bad node list or option, or with the server's error (e.g. port in use) after cleaning up.
 */
export async function startOpcuaSim(options: OpcuaSimOptions = {}): Promise<OpcuaSim> {
  ensureOpcuaLogsRouted();
  const nodes = parseSimNodes(options.nodes ?? DEFAULT_SIM_NODES);
  const host = options.host ?? '127.0.0.1';
  const updateMs = options.updateMs ?? 100;
  if (!Number.isFinite(updateMs) || updateMs < 10) throw new InvalidInputError({ what: 'updateMs', value: updateMs, reason: 'expected at least 10 ms' });
  const requested = options.port ?? 0;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) throw new InvalidInputError({ what: 'port', value: requested, reason: 'expected 0..65535' });
  const port = requested === 0 ? await freePort(host) : requested;
  const ownsPki = options.pkiDir === undefined;
  const pki = options.pkiDir ?? makeTempDir('opcua-sim-') /* under <tmpdir>/labrig-<pid>/, see ../temp.ts */;
  const certManager = (name: string): OPCUACertificateManager =>
    new OPCUACertificateManager({ rootFolder: join(pki, name), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  const server = new OPCUAServer({
    port,
    host,
    hostname: host,
    registerServerMethod: RegisterServerMethod.HIDDEN,
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
    serverCertificateManager: certManager('server'),
    userCertificateManager: certManager('user'),
    serverInfo: { applicationUri: 'urn:labrig:sim:opcua', productUri: 'urn:labrig:sim:opcua', applicationName: { text: 'labrig OPC UA simulator', locale: 'en' } },
    buildInfo: { productName: 'labrig OPC UA simulator', manufacturerName: 'labrig' },
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  const cleanup = async (): Promise<void> => {
    if (timer) clearInterval(timer);
    timer = undefined;
    for (const w of waits) clearTimeout(w);
    waits.clear();
    await server.shutdown(0).catch(() => undefined);
    if (ownsPki) {
      await rm(pki, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 }).catch(() => undefined);
      removeTempDir(pki);
    }
  };
  const variables = new Map<string, { node: ResolvedSimNode; variable: UAVariable }>();
  const waits = new Set<ReturnType<typeof setTimeout>>();
  try {
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new LabrigError({ code: 'SIM', message: 'OPC UA simulator: the server has no address space' });
    const ns = addressSpace.getOwnNamespace();
    const sim = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Sim', nodeId: 's=Sim' });
    for (const node of nodes) variables.set(node.nodeId, { node, variable: addNode(ns, sim, node) });
    addResetMethod(ns, sim, variables);
    addWaitMethod(ns, sim, waits);
    await server.start();
  } catch (err) {
    await cleanup();
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'EADDRINUSE' || /EADDRINUSE/.test(String(e?.message))) throw new InvalidInputError({ what: 'port', value: port, reason: `is already in use on ${host}` });
    throw err;
  }
  const started = performance.now();
  let last = started;
  const current = (id: string): SimScalar | SimScalar[] | undefined => {
    const entry = variables.get(id);
    return entry ? plain(entry.variable.readValue().value.value) : undefined;
  };
  timer = setInterval(() => {
    const now = performance.now();
    const t = (now - started) / 1000;
    const dt = (now - last) / 1000;
    last = now;
    for (const { node, variable } of variables.values()) {
      const before = current(node.nodeId)!;
      const next = nextValue(node, t, dt, node.value, before, current);
      if (next !== undefined && JSON.stringify(next) !== JSON.stringify(before)) variable.setValueFromSource(variantOf(node, next));
    }
  }, updateMs);
  let closing: Promise<void> | undefined;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return {
    endpoint: `opc.tcp://${bracketed}:${port}`,
    port,
    nodes,
    get: current,
    set(nodeId, value) {
      const entry = variables.get(nodeId);
      if (!entry) throw new InvalidInputError({ what: 'OPC UA simulator node', value: nodeId, reason: 'no such node' });
      const [checked] = parseSimNodes([{ ...entry.node, value, simulate: undefined, follows: undefined }]);
      entry.variable.setValueFromSource(variantOf(entry.node, checked!.value));
    },
    stats() {
      const out: OpcuaSimStats = { sessions: 0, subscriptions: 0, monitoredItems: 0 };
      for (const session of server.engine.getSessions()) {
        out.sessions++;
        for (const sub of session.publishEngine.subscriptions) {
          out.subscriptions++;
          out.monitoredItems += sub.monitoredItemCount;
        }
      }
      return out;
    },
    close() {
      closing ??= cleanup();
      return closing;
    },
  };
}

function addResetMethod(ns: Namespace, parent: UAObject, variables: Map<string, { node: ResolvedSimNode; variable: UAVariable }>): void {
  const method = ns.addMethod(parent, {
    browseName: 'Reset',
    nodeId: 's=Sim.Reset',
    description: 'Put simulated values (and setpoints, if asked) back to their initial values',
    inputArguments: [{ name: 'includeSetpoints', dataType: DataType.Boolean, valueRank: -1, description: { text: 'also reset writable nodes' } }],
    outputArguments: [{ name: 'count', dataType: DataType.UInt32, valueRank: -1, description: { text: 'number of nodes reset' } }],
  });
  // node-opcua tells a promise-returning method from a callback one by its declared parameter count.
  method.bindMethod(async (inputs: Variant[], _context: unknown) => {
    const includeSetpoints = inputs[0]?.value === true;
    let count = 0;
    for (const { node, variable } of variables.values()) {
      if (!includeSetpoints && node.writable) continue;
      variable.setValueFromSource(variantOf(node, node.value));
      count++;
    }
    return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.UInt32, value: count }] };
  });
}

const MAX_WAIT_MS = 600_000;

function addWaitMethod(ns: Namespace, parent: UAObject, waits: Set<ReturnType<typeof setTimeout>>): void {
  const method = ns.addMethod(parent, {
    browseName: 'Wait',
    nodeId: 's=Sim.Wait',
    description: 'Answer after the given time, like a slow instrument command',
    inputArguments: [{ name: 'durationMs', dataType: DataType.UInt32, valueRank: -1, description: { text: `delay in ms (at most ${MAX_WAIT_MS})` } }],
    outputArguments: [],
  });
  method.bindMethod(async (inputs: Variant[], _context: unknown) => {
    const ms = Number(inputs[0]?.value ?? 0);
    if (ms > MAX_WAIT_MS) return { statusCode: StatusCodes.BadOutOfRange };
    await new Promise<void>((resolve) => {
      const w = setTimeout(() => {
        waits.delete(w);
        resolve();
      }, ms);
      waits.add(w);
    });
    return { statusCode: StatusCodes.Good, outputArguments: [] };
  });
}
