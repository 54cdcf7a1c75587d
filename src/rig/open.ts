/**
 * Open one checked rig entry: start its simulator first for a `sim:` URI, then connect the real
 * driver to the simulator's loopback or pty address (or straight to the driver URI), through the
 * family's descriptor.
 * @module
 */
import { InvalidInputError, toError } from '../core/errors.js';
import { resolveTarget } from '../drivers/family.js';
import type { StartedSim } from '../sim/family.js';
import { registerBuiltinFamilies } from './families.js';
import type { RigEntry } from './spec.js';
import { checkEntry } from './spec.js';
import type { RigDevice } from './types.js';

/** A device of a rig, open. */
export interface RigMember {
  /** Rig name. */
  readonly name: string;
  /** Family name (`galil`, `alicat`, `legato`, ...). */
  readonly family: string;
  /** The URI the driver connected to (for a `sim:` entry, the simulator's loopback or pty URI). */
  readonly uri: string;
  /** The checked entry it came from (with the family's descriptor). */
  readonly entry: RigEntry;
  readonly device: RigDevice;
  /** The in-process simulator of a `sim:` entry. */
  readonly sim: StartedSim | undefined;
  /** Close the driver, then the simulator. Idempotent. */
  close(): Promise<void>;
  /** Close the driver only. Idempotent. */
  closeDevice(): Promise<void>;
}

/** How {@link openEntry} opens a device. */
export interface OpenEntryOptions {
  /** Change nothing on the device while connecting (no servo enable, no settings applied): for `labrig read`. */
  readOnly?: boolean;
}

/** Open `entry` (see the module notes); on failure nothing is left running. */
export async function openEntry(entry: RigEntry, options: OpenEntryOptions = {}): Promise<RigMember> {
  let sim: StartedSim | undefined;
  try {
    let target = entry.target;
    let deviceOptions = entry.options;
    if (entry.simulator && entry.sim) {
      sim = await entry.simulator.start(entry.sim, entry.options);
      const r = resolveTarget(entry.family, sim.uri, { ...sim.deviceOptions, ...entry.options });
      target = r.target;
      deviceOptions = r.options as Record<string, unknown>;
    }
    if (!target) throw new InvalidInputError({ what: `device '${entry.name}' uri`, value: entry.uri, reason: 'is neither a driver URI nor a simulator' });
    const device = await entry.family.open(target, deviceOptions, { name: entry.name, ...(options.readOnly ? { readOnly: true } : {}) });
    let deviceClosing: Promise<void> | undefined;
    let closing: Promise<void> | undefined;
    const closeDevice = (): Promise<void> => (deviceClosing ??= device.close());
    const started = sim;
    return {
      name: entry.name,
      family: entry.family.name,
      uri: target.uri,
      entry,
      device,
      sim: started,
      closeDevice,
      close: () =>
        (closing ??= (async () => {
          let first: unknown;
          await closeDevice().catch((e: unknown) => (first = e));
          await started?.close().catch((e: unknown) => (first ??= e));
          if (first !== undefined) throw toError(first);
        })()),
    };
  } catch (e) {
    await sim?.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Check and open one device given by URI (a driver URI or `sim:<family>`), named `name` (default:
 * the family's name). Errors in the URI or options read exactly as the family's `openX(uri)`'s.
 */
export function openDevice(uri: string, options: Record<string, unknown> = {}, name?: string, open: OpenEntryOptions = {}): Promise<RigMember> {
  registerBuiltinFamilies();
  const entry = checkEntry(name ?? defaultName(uri), { ...options, uri }, '');
  return openEntry(entry, open);
}

/** A device name from a URI's family: `galil`, `alicat`, `legato` (the part before `+` or after `sim:`). */
function defaultName(uri: string): string {
  const m = /^sim:(?:\/\/)?([A-Za-z][A-Za-z0-9_]*)/i.exec(uri) ?? /^([A-Za-z][A-Za-z0-9_]*)[+.:]/.exec(uri);
  return m?.[1]?.toLowerCase() ?? 'device';
}
