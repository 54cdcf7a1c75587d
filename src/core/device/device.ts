/**
 * Device: a node of a device tree. Children are the device's own enumerable properties that hold
 * other Devices (signals are Devices too); they get parent links and automatic names.
 *
 * Naming follows ophyd-async: a child's name is `${parent.name}-${attribute}` (a leading `_` of
 * the attribute is dropped), so the data key of `motor1.velocity` is `motor1-velocity`. An
 * unnamed parent gives unnamed children. A device may rename some of its children after
 * `super.setName` (a motor names its readback after itself, so its data key is `motor1`).
 *
 * Subclasses create their children in the constructor and end it with `this.setName(name)`.
 * Keep references to devices that are NOT children (e.g. the motor a detector looks at) in
 * `#private` fields, which are not enumerable; a device already owned by another parent is never
 * claimed.
 * @module
 */
import { NotConnectedError, toError } from '../errors.js';
import type { HasName, HasParent } from '../protocols.js';
import { DEFAULT_TIMEOUT_MS, withTimeout } from './timeout.js';

/** Options of {@link Device.connect}. */
export interface ConnectOptions {
  /** Replace every signal's backend by a MockSignalBackend (no hardware touched). Default false. */
  mock?: boolean;
  /** Limit in ms for each child's connect. Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Connect again even if an earlier connect in the same mode succeeded. Default false. */
  force?: boolean;
}

/** Base class of devices and signals: name, parent, children and parallel connect. */
export class Device implements HasName, HasParent {
  #name: string;
  #parent: Device | undefined;
  #connecting: { mock: boolean; promise: Promise<void> } | undefined;

  /** Create a device named `name`; subclasses call `this.setName(name)` again once their children exist. */
  constructor(name = '') {
    this.#name = name;
  }

  /** Name of the device; children are named `${parent}-${attribute}`. */
  get name(): string {
    return this.#name;
  }

  /** The device this one is a child of, if any. */
  get parent(): Device | undefined {
    return this.#parent;
  }

  /** Rename this device and, recursively, every child (`${name}-${attribute}`, or '' when `name` is ''). */
  setName(name: string): void {
    this.#name = name;
    for (const [attr, child] of this.children()) child.setName(childName(name, attr));
  }

  /** List the children as `[attribute, device]` pairs, adopting (parent link + name) new ones. */
  children(): Array<[string, Device]> {
    const out: Array<[string, Device]> = [];
    for (const [attr, value] of this.childEntries()) {
      if (!(value instanceof Device) || this.#isSelfOrAncestor(value)) continue;
      if (value.#parent === undefined) {
        value.#parent = this;
        value.setName(childName(this.#name, attr));
      }
      if (value.#parent === this) out.push([attr, value]);
    }
    return out;
  }

  /**
   * Connect every child in parallel, each bounded by `timeoutMs`; resolve when all connected or
   * reject with one NotConnectedError mapping each failed child's attribute to its error (a
   * sub-device's failure is itself a NotConnectedError, so the error is a tree). A second call in
   * the same mode returns the first connect's promise unless `force` is set; a failed connect may
   * be retried.
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    const mock = options.mock ?? false;
    const previous = this.#connecting;
    if (previous && previous.mock === mock && !options.force) return previous.promise;
    const promise = this.connectChildren({ ...options, mock });
    const entry = { mock, promise };
    this.#connecting = entry;
    promise.catch(() => {
      if (this.#connecting === entry) this.#connecting = undefined;
    });
    return promise;
  }

  /** Connect the children in parallel and gather their failures (override `connect` to add own work). */
  protected async connectChildren(options: ConnectOptions): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const kids = this.children();
    const results = await Promise.allSettled(
      kids.map(([attr, child]) => {
        let started: Promise<void>;
        try {
          started = child.connect({ ...options, timeoutMs });
        } catch (e) {
          started = Promise.reject(toError(e));
        }
        return withTimeout(started, timeoutMs, `${child.name || attr}.connect`);
      }),
    );
    const errors = new Map<string, Error>();
    results.forEach((r, i) => {
      if (r.status === 'rejected') errors.set(kids[i]![0], toError(r.reason));
    });
    if (errors.size > 0) throw new NotConnectedError({ device: this.#name, errors });
  }

  /** Candidate children as `[attribute, value]` pairs; defaults to the own enumerable properties. */
  protected childEntries(): Iterable<[string, unknown]> {
    return Object.entries(this);
  }

  /** Describe the device for logs. */
  toString(): string {
    return `${this.constructor.name}(${this.#name || '<unnamed>'})`;
  }

  #isSelfOrAncestor(d: Device): boolean {
    for (let p: Device | undefined = this; p; p = p.#parent) if (p === d) return true;
    return false;
  }
}

/** Hold numbered children of the same kind (axes, channels), named `${parent}-${attribute}-${key}`. */
export class DeviceVector<D extends Device> extends Device {
  #items: Map<number, D>;

  /** Create a vector from `{ key: device }` or `[key, device]` pairs; call setName (or adopt it) to name them. */
  constructor(items: Record<number, D> | Iterable<[number, D]>, name = '') {
    super(name);
    const pairs: Iterable<[number, D]> =
      Symbol.iterator in items ? (items as Iterable<[number, D]>) : Object.entries(items).map(([k, v]) => [Number(k), v as D]);
    this.#items = new Map(pairs);
    this.setName(name);
  }

  /** Return the device at `key`, or undefined. */
  get(key: number): D | undefined {
    return this.#items.get(key);
  }

  /** Number of devices held. */
  get size(): number {
    return this.#items.size;
  }

  /** Iterate `[key, device]` pairs in insertion order. */
  [Symbol.iterator](): IterableIterator<[number, D]> {
    return this.#items.entries();
  }

  protected override childEntries(): Iterable<[string, unknown]> {
    return [...this.#items].map(([k, d]) => [String(k), d] as [string, unknown]);
  }
}

function childName(parent: string, attr: string): string {
  if (!parent) return '';
  return `${parent}-${attr.replace(/^_+/, '')}`;
}
