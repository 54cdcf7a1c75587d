/**
 * Open one checked rig entry: start its simulator first for a `sim:` URI, then connect the real
 * driver to the simulator's loopback or pty address (or straight to the driver URI).
 * @module
 */
import { toError } from '../core/errors.js';
import type { RigEntry } from './spec.js';
import { checkEntry } from './spec.js';
import type { RigDevice, StartedSim } from './types.js';

/** A device of a rig, open. */
export interface RigMember {
  /** Rig name. */
  readonly name: string;
  /** Family name (`galil`, `alicat`, `legato`). */
  readonly family: string;
  /** The URI the driver connected to (for a `sim:` entry, the simulator's loopback or pty URI). */
  readonly uri: string;
  /** The checked entry it came from. */
  readonly entry: RigEntry;
  readonly device: RigDevice;
  /** The in-process simulator of a `sim:` entry. */
  readonly sim: StartedSim | undefined;
  /** Close the driver, then the simulator. Idempotent. */
  close(): Promise<void>;
  /** Close the driver only. Idempotent. */
  closeDevice(): Promise<void>;
}

/** Open `entry` (see the module notes); on failure nothing is left running. */
export async function openEntry(entry: RigEntry): Promise<RigMember> {
  let sim: StartedSim | undefined;
  try {
    if (entry.sim) sim = await entry.adapter.startSim(entry.sim, entry.options);
    const uri = sim ? sim.uri : entry.uri;
    const opened = await entry.adapter.open(uri, entry.name, entry.options);
    let deviceClosing: Promise<void> | undefined;
    let closing: Promise<void> | undefined;
    const closeDevice = (): Promise<void> => (deviceClosing ??= opened.close());
    return {
      name: entry.name,
      family: entry.adapter.family,
      uri,
      entry,
      device: opened.device,
      sim,
      closeDevice,
      close: () =>
        (closing ??= (async () => {
          let first: unknown;
          await closeDevice().catch((e: unknown) => (first = e));
          await sim?.close().catch((e: unknown) => (first ??= e));
          if (first !== undefined) throw toError(first);
        })()),
    };
  } catch (e) {
    await sim?.close().catch(() => undefined);
    throw e;
  }
}

/** Check and open one device given by URI (a driver URI or `sim:<family>`), named `name`. */
export function openDevice(uri: string, options: Record<string, unknown> = {}, name?: string): Promise<RigMember> {
  const entry = checkEntry(name ?? defaultName(uri), { ...options, uri }, 'device');
  return openEntry(entry);
}

/** A device name from a URI's family: `galil`, `alicat`, `legato` (the part before `+` or after `sim:`). */
function defaultName(uri: string): string {
  const m = /^sim:(?:\/\/)?([A-Za-z][A-Za-z0-9_]*)/i.exec(uri) ?? /^([A-Za-z][A-Za-z0-9_]*)\+/.exec(uri);
  return m?.[1]?.toLowerCase() ?? 'device';
}
