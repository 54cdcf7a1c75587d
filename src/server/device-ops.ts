/**
 * What the device routes do to a rig's devices, without HTTP: describe a device's tree, read a
 * device or one of its signals (concurrent reads of the same thing share one device read), check
 * and start a set. Every check happens before anything is written to the device.
 * @module
 */
import type { Device } from '../core/device/device.js';
import { InvalidInputError } from '../core/errors.js';
import { isCheckable, isMovable, type DataKey, type Readings } from '../core/protocols.js';
import { SignalR } from '../core/signal/signal.js';
import { SignalRW, SignalW, SignalX } from '../core/signal/writable.js';
import type { Status } from '../core/status.js';
import { resolvePath, walk, type Rig, type RigMember } from '../rig/index.js';
import { NotFoundError } from './errors.js';

/** The rig member called `name`, or NotFoundError listing the rig's devices. */
export function memberOf(rig: Rig, name: string): RigMember {
  if (!rig.names.includes(name)) throw new NotFoundError({ what: 'device', value: name, known: rig.names });
  return rig.member(name);
}

/** Kind of a node of a device tree: a readable, read-write, write-only or command signal, or a device. */
export type NodeKind = 'r' | 'rw' | 'w' | 'x' | 'device';

function kindOf(node: Device): NodeKind {
  if (node instanceof SignalX) return 'x';
  if (node instanceof SignalRW) return 'rw';
  if (node instanceof SignalW) return 'w';
  if (node instanceof SignalR) return 'r';
  return 'device';
}

/** One part of a device tree as `GET /api/devices/:name` lists it. */
export interface PartInfo {
  /** Dotted path in the tree (`A`, `A.velocity`, `setpoint`). */
  path: string;
  /** Data-key name (`stage-A-velocity`). */
  key: string;
  kind: NodeKind;
  /** True for parts that `set` moves (axes, the device itself when movable). */
  movable: boolean;
}

/** What `GET /api/devices/:name` answers. */
export interface DeviceInfo {
  name: string;
  family: string;
  uri: string;
  /** True when the rig started a simulator for it. */
  simulated: boolean;
  movable: boolean;
  /** Paths `set` accepts as "move the device" (`setpoint`, `dispense`). */
  moveAliases: string[];
  /** Data keys of the device's `read()`. */
  dataKeys: Record<string, DataKey>;
  parts: PartInfo[];
}

/** Describe a rig member's tree (see {@link DeviceInfo}). */
export async function describeMember(m: RigMember): Promise<DeviceInfo> {
  const dev = m.device as Device & { describe?: () => Promise<Record<string, DataKey>> | Record<string, DataKey> };
  const dataKeys = typeof dev.describe === 'function' ? await dev.describe() : {};
  const parts = walk(m.device).filter((n) => n.path !== '').map((n) => ({ path: n.path, key: n.node.name, kind: kindOf(n.node), movable: !(n.node instanceof SignalW) && !(n.node instanceof SignalR) && isMovable(n.node) }));
  return {
    name: m.name, family: m.family, uri: m.uri, simulated: m.sim !== undefined, movable: isMovable(m.device),
    moveAliases: [...(m.entry.family.moveAliases ?? [])], dataKeys, parts,
  };
}

/** Resolve `path` in the member's tree (or the family's address paths); InvalidInputError when unknown. */
export async function nodeOf(m: RigMember, path: string | undefined): Promise<Device> {
  if (path === undefined || path === '' || path === '.') return m.device;
  if ((m.entry.family.moveAliases ?? []).includes(path)) return m.device;
  try {
    return resolvePath(m.device, path).node;
  } catch (e) {
    const byAddress = await m.entry.family.resolvePath?.(m.device, path);
    if (byAddress) return byAddress;
    throw e;
  }
}

/**
 * Remember resolved paths (a rig's trees do not change while it is open), so a read does not walk
 * the tree each time; at most `capacity` entries (a family's address paths are unbounded), the
 * oldest dropped first. Failures are not remembered.
 */
export class NodeCache {
  readonly #nodes = new Map<string, Device>();
  readonly #capacity: number;

  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  /** The node at `path` of member `m` (see {@link nodeOf}). */
  async get(m: RigMember, path: string | undefined): Promise<Device> {
    const key = `${m.name}\0${path ?? ''}`;
    const hit = this.#nodes.get(key);
    if (hit) return hit;
    const node = await nodeOf(m, path);
    if (this.#nodes.size >= this.#capacity) this.#nodes.delete(this.#nodes.keys().next().value!);
    this.#nodes.set(key, node);
    return node;
  }

  /** Number of paths remembered. */
  get size(): number {
    return this.#nodes.size;
  }
}

/** Read `node`: a signal from the device (not a cache), or a device's `read()`. */
export async function readNode(node: Device): Promise<Readings> {
  if (node instanceof SignalR) return node.read(false);
  const r = node as unknown as { read?: () => Promise<Readings> | Readings };
  if (typeof r.read !== 'function') throw new InvalidInputError({ what: `${node.name} read`, value: node.name, reason: 'is not readable' });
  return r.read();
}

/**
 * Share one device read among concurrent requests for the same thing: while a read of `key` is in
 * flight, later requests for `key` get its result instead of starting another.
 */
export class ReadCoalescer {
  readonly #inFlight = new Map<string, Promise<Readings>>();
  /** Reads that reached a device. */
  deviceReads = 0;
  /** Read requests served. */
  requests = 0;

  /** Read `key` with `read`, or join the read of `key` already in flight. */
  read(key: string, read: () => Promise<Readings>): Promise<Readings> {
    this.requests++;
    const running = this.#inFlight.get(key);
    if (running) return running;
    this.deviceReads++;
    const p = Promise.resolve().then(read).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, p);
    return p;
  }
}

/** A readable signal under `node` to stream live: the node itself, or the device's readback. */
export function liveSignalOf(node: Device): SignalR<unknown> {
  if (node instanceof SignalR) return node as SignalR<unknown>;
  for (const [, child] of node.children()) {
    if (child instanceof SignalR && child.name === node.name) return child as SignalR<unknown>;
  }
  throw new InvalidInputError({ what: `${node.name} live value`, value: node.name, reason: 'is neither a readable signal nor a device with a readback' });
}

function checkType(value: unknown, key: Pick<DataKey, 'dtype'> & { choices?: string[] }, what: string): void {
  const fail = (reason: string): never => {
    throw new InvalidInputError({ what, value, reason });
  };
  switch (key.dtype) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('expected a finite number');
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail('expected a whole number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('expected true or false');
      return;
    case 'string':
      if (typeof value !== 'string') fail('expected a string');
      if (key.choices && key.choices.length > 0 && !key.choices.includes(value as string)) fail(`expected one of ${key.choices.join(', ')}`);
      return;
    default:
      if (value === undefined) fail('needs a value');
  }
}

/** A set that passed its checks and started. */
export interface StartedSet {
  status: Status<unknown>;
  /** The node written or moved. */
  node: Device;
}

/**
 * Check `value` for `path` of member `m` and start the write or move. Throws before anything is
 * written: InvalidInputError (unknown path, read-only part, wrong type), LimitsError (out of
 * range, via the device's `checkValue`).
 */
export async function startSet(m: RigMember, path: string | undefined, value: unknown, timeoutMs: number | undefined): Promise<StartedSet> {
  const node = await nodeOf(m, path);
  const label = path ? `${m.name} ${path}` : m.name;
  const opts = timeoutMs === undefined ? {} : { timeoutMs };
  if (node instanceof SignalX) {
    if (value !== undefined && value !== null) throw new InvalidInputError({ what: label, value, reason: 'is a command and takes no value' });
    return { status: node.trigger(opts) as Status<unknown>, node };
  }
  if (value === undefined) throw new InvalidInputError({ what: label, value, reason: 'needs a value' });
  if (node instanceof SignalRW || node instanceof SignalW) {
    const key = await (node as SignalW<unknown>).backend.getDatakey(node.source);
    checkType(value, key, label);
    return { status: (node as SignalW<unknown>).set(value, opts) as Status<unknown>, node };
  }
  if (node instanceof SignalR) throw new InvalidInputError({ what: label, value: path, reason: 'is read-only' });
  if (!isMovable(node)) throw new InvalidInputError({ what: label, value: path, reason: 'is neither a writable signal nor movable' });
  checkType(value, { dtype: 'number' }, label);
  if (isCheckable(node)) await node.checkValue(value);
  return { status: node.set(value, opts) as Status<unknown>, node };
}
