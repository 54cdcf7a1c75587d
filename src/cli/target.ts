/**
 * The device a `read`, `set` or `estop` command names, in two steps: {@link checkTarget} checks
 * everything that can be checked without touching a device (the URI and its parameters, the rig
 * file and the device names in it) and throws a UsageError (exit 2) on a mistake; only then does
 * {@link CheckedTarget.open} connect.
 * @module
 */
import { checkEntry, loadRig, loadRigSpec, openEntry, registerBuiltinFamilies, type Rig, type RigMember, type RigSpec } from '../rig/index.js';
import { toError } from '../core/errors.js';
import { oneLine, UsageError } from './usage.js';

/** A target that passed the checks. */
export interface CheckedTarget {
  /**
   * Open it: with `readOnly` nothing is changed on the device while connecting. With `partial`,
   * the devices that open are returned and the others listed in `failed` (for the e-stop, which
   * must stop what it can reach); without it any failure rejects and nothing stays open.
   */
  open(readOnly: boolean, partial?: boolean): Promise<{ rig: Rig | undefined; members: RigMember[]; failed: Map<string, Error>; close: () => Promise<void> }>;
}

const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** A device name from a URI's family: `galil`, `alicat`, `legato` (the part before `+`, or after `sim:`). */
function defaultName(uri: string): string {
  const m = /^sim:(?:\/\/)?([A-Za-z][A-Za-z0-9_]*)/i.exec(uri) ?? /^([A-Za-z][A-Za-z0-9_]*)[+.:]/.exec(uri);
  return m?.[1]?.toLowerCase() ?? 'device';
}

/**
 * Check `targets` (URIs, or with `rigFile` device names of the rig; none with `rigFile` means the
 * whole rig when `wholeRig`) and return how to open them; throw UsageError on a mistake.
 */
export function checkTarget(targets: readonly string[], rigFile: string | undefined, wholeRig = false): CheckedTarget {
  registerBuiltinFamilies();
  const names = targets.filter((t) => !URI_RE.test(t));
  const uris = targets.filter((t) => URI_RE.test(t));
  if (rigFile === undefined) {
    if (names.length > 0) throw new UsageError(`'${names[0]}' is not a URI (e.g. galil+tcp://127.0.0.1:23); give --rig FILE to use device names`);
    if (uris.length !== 1) throw new UsageError(uris.length === 0 ? 'name a device URI, or give --rig FILE' : 'name one device URI');
    const uri = uris[0]!;
    let entry;
    try {
      entry = checkEntry(defaultName(uri), { uri }, '');
    } catch (e) {
      throw new UsageError(oneLine(e));
    }
    return {
      async open(readOnly) {
        const member = await openEntry(entry, { readOnly });
        return { rig: undefined, members: [member], failed: new Map(), close: () => member.close() };
      },
    };
  }
  if (uris.length > 0) throw new UsageError(`with --rig, name devices of the rig, not URIs (got ${uris[0]})`);
  let spec: RigSpec;
  try {
    spec = loadRigSpec(rigFile);
  } catch (e) {
    throw new UsageError(`--rig ${rigFile}: ${oneLine(e)}`);
  }
  const have = spec.entries.map((e) => e.name);
  for (const n of names) if (!have.includes(n)) throw new UsageError(`--rig ${rigFile}: no device '${n}' in the rig (have ${have.join(', ')})`);
  if (names.length === 0 && !wholeRig) throw new UsageError(`name a device of the rig (have ${have.join(', ')})`);
  return {
    async open(readOnly, partial = false) {
      if (partial) {
        const entries = names.length > 0 ? spec.entries.filter((e) => names.includes(e.name)) : spec.entries;
        const settled = await Promise.allSettled(entries.map((e) => openEntry(e, { readOnly })));
        const members = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const failed = new Map<string, Error>();
        settled.forEach((r, i) => {
          if (r.status === 'rejected') failed.set(entries[i]!.name, toError(r.reason));
        });
        const close = async (): Promise<void> => {
          const closed = await Promise.allSettled(members.map((m) => m.close()));
          const bad = closed.find((c) => c.status === 'rejected');
          if (bad) throw toError((bad as PromiseRejectedResult).reason);
        };
        return { rig: undefined, members, failed, close };
      }
      const rig = await loadRig(spec, { readOnly, ...(names.length > 0 ? { only: names } : {}) });
      return { rig, members: rig.names.map((n) => rig.member(n)), failed: new Map(), close: () => rig.close() };
    },
  };
}
