/**
 * Rig: the devices of one setup, opened together from a rig file or object, e-stopped together
 * and closed together (drivers first, then the simulators of `sim:` entries).
 * @module
 */
import { InvalidInputError, NotConnectedError, toError } from '../core/errors.js';
import { eStopMembers, ESTOP_TIMEOUT_MS } from './estop.js';
import { registerBuiltinFamilies } from './families.js';
import { openEntry, type RigMember } from './open.js';
import { loadRigSpec, parseRig, type RigSpec } from './spec.js';
import type { EStopReport, RigDevice } from './types.js';

/** Options of {@link loadRig}. */
export interface LoadRigOptions {
  /** Open only these devices (names must exist in the rig). Default: all. */
  only?: readonly string[];
  /** Limit of each device's e-stop (stop + confirmation), ms. Default 2000. */
  eStopTimeoutMs?: number;
  /** Change nothing on the devices while connecting (no servo enable, no settings applied): for `labrig read`. */
  readOnly?: boolean;
}

/** An open rig (see the module notes). */
export class Rig {
  /** Rig name from the file, if any. */
  readonly name: string | undefined;
  /** Devices by rig name. */
  readonly devices: Readonly<Record<string, RigDevice>>;
  readonly #members: ReadonlyMap<string, RigMember>;
  readonly #eStopTimeoutMs: number;
  #closing: Promise<void> | undefined;

  /** Wrap open members (use {@link loadRig}). */
  constructor(name: string | undefined, members: readonly RigMember[], eStopTimeoutMs = ESTOP_TIMEOUT_MS) {
    this.name = name;
    this.#members = new Map(members.map((m) => [m.name, m]));
    this.devices = Object.freeze(Object.fromEntries(members.map((m) => [m.name, m.device])));
    this.#eStopTimeoutMs = eStopTimeoutMs;
  }

  /** Names of the devices, in rig order. */
  get names(): string[] {
    return [...this.#members.keys()];
  }

  /** Return the device called `name`, or throw InvalidInputError listing the rig's devices. */
  get(name: string): RigDevice {
    return this.member(name).device;
  }

  /** Return the open member called `name` (family, URI, simulator), or throw InvalidInputError. */
  member(name: string): RigMember {
    const m = this.#members.get(name);
    if (!m) throw new InvalidInputError({ what: `rig${this.name ? ` ${this.name}` : ''} device`, value: name, reason: `not in the rig (have ${this.names.join(', ')})` });
    return m;
  }

  /** Emergency-stop every device in parallel and report per device and the time to all stopped. */
  eStop(options: { timeoutMs?: number } = {}): Promise<EStopReport> {
    return eStopMembers([...this.#members.values()], options.timeoutMs ?? this.#eStopTimeoutMs);
  }

  /** Close every driver, then every simulator. Idempotent; rejects with the first failure after trying all. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      const members = [...this.#members.values()];
      const errors: unknown[] = [];
      for (const r of await Promise.allSettled(members.map((m) => m.closeDevice()))) if (r.status === 'rejected') errors.push(r.reason);
      for (const r of await Promise.allSettled(members.map((m) => m.close()))) if (r.status === 'rejected') errors.push(r.reason);
      if (errors.length > 0) throw toError(errors[0]);
    })());
  }
}

/**
 * Load a rig from a file path (JSON or YAML), a rig object, or a checked spec; every entry is
 * checked before anything is opened, then the devices open in parallel (simulators of `sim:`
 * entries first). If any fails, everything opened is closed again and a NotConnectedError maps
 * each failed device to its error.
 */
export async function loadRig(source: string | RigSpec | Record<string, unknown>, options: LoadRigOptions = {}): Promise<Rig> {
  registerBuiltinFamilies();
  const spec = typeof source === 'string' ? loadRigSpec(source) : isSpec(source) ? source : parseRig(source);
  let entries = spec.entries;
  if (options.only) {
    for (const n of options.only) {
      if (!entries.some((e) => e.name === n)) throw new InvalidInputError({ what: 'rig device', value: n, reason: `not in the rig (have ${entries.map((e) => e.name).join(', ')})` });
    }
    entries = entries.filter((e) => options.only!.includes(e.name));
  }
  const settled = await Promise.allSettled(entries.map((e) => openEntry(e, options.readOnly ? { readOnly: true } : {})));
  const opened = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = new Map<string, Error>();
  settled.forEach((r, i) => {
    if (r.status === 'rejected') failed.set(entries[i]!.name, toError(r.reason));
  });
  if (failed.size > 0) {
    await new Rig(spec.name, opened).close().catch(() => undefined);
    throw new NotConnectedError({ device: spec.name ?? 'rig', errors: failed });
  }
  return new Rig(spec.name, opened, options.eStopTimeoutMs);
}

function isSpec(x: unknown): x is RigSpec {
  if (typeof x !== 'object' || x === null || !Array.isArray((x as RigSpec).entries)) return false;
  return (x as RigSpec).entries.every((e) => typeof e === 'object' && e !== null && 'family' in e && typeof e.family === 'object');
}
