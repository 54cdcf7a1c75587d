/**
 * StandardReadable: a Device that derives read/describe/configuration/hints/stage from a
 * declared list of signals and child devices.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import {
  hasHints, isConfigurable, isStageable, type Configurable, type DataKeys, type HasHints, type Hints, type Readable,
  type Readings, type Stageable,
} from '../protocols.js';
import { Status } from '../status.js';
import { SignalR } from '../signal/signal.js';
import { Device } from './device.js';

/**
 * How a declared item takes part in a StandardReadable:
 * - `read`: a signal in `read()`/`describe()`, from the cache while staged;
 * - `hinted`: as `read`, and its name is in `hints.fields`;
 * - `uncached`: a signal in `read()` that always asks the backend (never staged);
 * - `hinted-uncached`: as `uncached`, and hinted;
 * - `config`: a signal in `readConfiguration()`/`describeConfiguration()`;
 * - `child`: a readable device whose read, describe, configuration, hints and stage are merged.
 */
export type ReadableFormat = 'read' | 'hinted' | 'uncached' | 'hinted-uncached' | 'config' | 'child';

interface Entry {
  obj: Readable;
  format: ReadableFormat;
}

const READ: ReadonlySet<ReadableFormat> = new Set(['read', 'hinted', 'uncached', 'hinted-uncached', 'child']);
const HINTED: ReadonlySet<ReadableFormat> = new Set(['hinted', 'hinted-uncached']);
const UNCACHED: ReadonlySet<ReadableFormat> = new Set(['uncached', 'hinted-uncached']);

/**
 * Derive the Readable, Configurable, Stageable and HasHints verbs from declared items:
 * `this.addReadables([this.readback], 'hinted')`, `this.addReadables([this.velocity], 'config')`.
 * Keys are the signals' names, so they follow the device tree (`motor1-velocity`).
 */
export class StandardReadable extends Device implements Readable, Configurable, Stageable, HasHints {
  #entries: Entry[] = [];

  /**
   * Declare items and how they are read. The format defaults to `read` for signals and `child` for
   * other readables. Signal formats need SignalR items (InvalidInputError otherwise); an item
   * declared again takes the new format.
   */
  addReadables(items: Readable[], format?: ReadableFormat): void {
    for (const obj of items) {
      const f = format ?? (obj instanceof SignalR ? 'read' : 'child');
      if (f !== 'child' && !(obj instanceof SignalR)) {
        throw new InvalidInputError({ what: `${this.name || 'device'}.addReadables`, value: String(obj), reason: `format '${f}' needs a readable signal` });
      }
      this.#entries = this.#entries.filter((e) => e.obj !== obj);
      this.#entries.push({ obj, format: f });
    }
  }

  /** Read every `read`/`hinted`/`uncached` signal and `child` device, merged into one record. */
  async read(): Promise<Readings> {
    const parts = await Promise.all(
      this.#pick(READ).map((e) =>
        e.obj instanceof SignalR ? e.obj.read(UNCACHED.has(e.format) ? false : undefined) : e.obj.read(),
      ),
    );
    return Object.assign({}, ...parts) as Readings;
  }

  /** Describe what `read()` returns. */
  async describe(): Promise<DataKeys> {
    const parts = await Promise.all(this.#pick(READ).map((e) => e.obj.describe()));
    return Object.assign({}, ...parts) as DataKeys;
  }

  /** Read the `config` signals and the configuration of `child` devices. */
  async readConfiguration(): Promise<Readings> {
    const parts = await Promise.all(
      this.#entries.map((e) => {
        if (e.format === 'config') return e.obj.read();
        if (e.format === 'child' && isConfigurable(e.obj)) return e.obj.readConfiguration();
        return {};
      }),
    );
    return Object.assign({}, ...parts) as Readings;
  }

  /** Describe what `readConfiguration()` returns. */
  async describeConfiguration(): Promise<DataKeys> {
    const parts = await Promise.all(
      this.#entries.map((e) => {
        if (e.format === 'config') return e.obj.describe();
        if (e.format === 'child' && isConfigurable(e.obj)) return e.obj.describeConfiguration();
        return {};
      }),
    );
    return Object.assign({}, ...parts) as DataKeys;
  }

  /** Hints: the names of hinted signals plus the hinted fields of `child` devices. */
  get hints(): Hints {
    const fields: string[] = [];
    for (const e of this.#entries) {
      if (HINTED.has(e.format)) fields.push(e.obj.name);
      else if (e.format === 'child' && hasHints(e.obj)) fields.push(...(e.obj.hints.fields ?? []));
    }
    return { fields };
  }

  /** Start caching the cached read signals and stage stageable `child` devices. */
  stage(): Status<unknown> {
    return Status.wrap<unknown>(() => this.#stageAll('stage'), { name: `${this.name}.stage` });
  }

  /** Undo {@link StandardReadable.stage}. */
  unstage(): Status<unknown> {
    return Status.wrap<unknown>(() => this.#stageAll('unstage'), { name: `${this.name}.unstage` });
  }

  async #stageAll(verb: 'stage' | 'unstage'): Promise<void> {
    const targets = this.#entries.flatMap((e) => ((e.format === 'read' || e.format === 'hinted' || e.format === 'child') && isStageable(e.obj) ? [e.obj] : []));
    await Promise.all(targets.map((obj) => obj[verb]()));
  }

  #pick(formats: ReadonlySet<ReadableFormat>): Entry[] {
    return this.#entries.filter((e) => formats.has(e.format));
  }
}
