/**
 * Address the parts of a device tree by path, for the command line and tools.
 *
 * A path is the chain of attribute names from the device, joined by dots: `A` (a Galil axis),
 * `A.velocity`, `io.outputs.1`, `flags.hold`, `infuseRate`. The device's data-key names work
 * too, with or without the device prefix (`stage-A-velocity`, `A-velocity`), and `.` (or the
 * device's own name) is the device itself.
 * @module
 */
import type { Device } from '../core/device/device.js';
import { InvalidInputError } from '../core/errors.js';
import { SignalR } from '../core/signal/signal.js';

/** One node of a device tree with its path. */
export interface TreeNode {
  /** Dotted attribute path from the root ('' for the root). */
  readonly path: string;
  readonly node: Device;
}

/** List every node under `root` (root first, then depth-first in attribute order). */
export function walk(root: Device): TreeNode[] {
  const out: TreeNode[] = [];
  const visit = (d: Device, path: string): void => {
    out.push({ path, node: d });
    for (const [attr, child] of d.children()) visit(child, path ? `${path}.${attr}` : attr);
  };
  visit(root, '');
  return out;
}

/** List every readable signal under `root` with its path. */
export function readableSignals(root: Device): Array<{ path: string; signal: SignalR<unknown> }> {
  return walk(root).flatMap((n) => (n.node instanceof SignalR ? [{ path: n.path, signal: n.node as SignalR<unknown> }] : []));
}

/** Return the node at `path` (see the module notes), or throw InvalidInputError listing some valid paths. */
export function resolvePath(root: Device, path: string): TreeNode {
  const p = path.trim();
  if (p === '' || p === '.' || p === root.name) return { path: '', node: root };
  const nodes = walk(root);
  const byPath = nodes.find((n) => n.path === p);
  if (byPath) return byPath;
  const dashed = p.replace(/\./g, '-');
  const candidates = root.name ? [p, dashed, `${root.name}-${p}`, `${root.name}-${dashed}`] : [p, dashed];
  const byName = nodes.filter((n) => n.path !== '' && candidates.includes(n.node.name));
  // A device and its readback may share a name (an axis and its position): prefer the device.
  const pick = byName.find((n) => !(n.node instanceof SignalR)) ?? byName[0];
  if (pick) return pick;
  const known = nodes.filter((n) => n.path !== '').map((n) => n.path);
  const shown = known.length > 16 ? `${known.slice(0, 16).join(', ')}, ... (${known.length} in all)` : known.join(', ');
  throw new InvalidInputError({ what: `${root.name || 'device'} signal`, value: path, reason: `no such signal or part (have ${shown || 'none'})` });
}

/**
 * Map each data-key name under `root` to the shortest path that reads it, for printing readings
 * by path: the first node of that name below the root (an axis `A` before its `A.readback`).
 */
export function pathsByName(root: Device): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of walk(root)) if (n.path !== '' && n.node.name && !m.has(n.node.name)) m.set(n.node.name, n.path);
  return m;
}
