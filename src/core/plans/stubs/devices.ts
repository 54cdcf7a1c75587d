/**
 * Small device helpers shared by plan stubs, plans and preprocessors.
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../../errors.js';
import { deviceName, hasHints, hasParent, isMovable, isReadable } from '../../protocols.js';
import type { Movable, Readable, HasName } from '../../protocols.js';

/** A named Movable: what scans move (its name goes into metadata). */
export type Motor = Movable & HasName;

/** Return the top of a device's parent chain (the device itself when it has no parent). */
export function rootAncestor<T>(device: T): T {
  let d: unknown = device;
  const seen = new Set<unknown>();
  while (hasParent(d) && !seen.has(d)) {
    seen.add(d);
    d = d.parent;
  }
  return d as T;
}

/**
 * Drop duplicates and devices whose ancestor is also listed, keeping first-seen order
 * (bluesky's separate_devices).
 */
export function separateDevices<T>(devices: Iterable<T>): T[] {
  const list = [...new Set(devices)];
  const listed = new Set<unknown>(list);
  return list.filter((d) => {
    let p: unknown = d;
    const seen = new Set<unknown>();
    while (hasParent(p) && !seen.has(p)) {
      seen.add(p);
      p = p.parent;
      if (listed.has(p)) return false;
    }
    return true;
  });
}

/** Return a device's hinted fields, or undefined when it gives no `hints.fields`. */
export function hintedFields(device: unknown): string[] | undefined {
  if (!hasHints(device)) return undefined;
  const f = device.hints.fields;
  return Array.isArray(f) ? [...f] : undefined;
}

/** Return the fields that label a motor's axis: its hinted fields, else its name. */
export function axisFields(motor: unknown): string[] {
  return hintedFields(motor) ?? [deviceName(motor)];
}

/** Check that `x` is a list of Readable devices; name the bad entry otherwise. */
export function checkDetectors(detectors: unknown, what = 'detectors'): Readable[] {
  if (!Array.isArray(detectors)) throw new InvalidInputError({ what, value: detectors, reason: 'must be an array of Readable devices' });
  detectors.forEach((d, i) => {
    if (!isReadable(d)) throw new UnsupportedError({ device: deviceNameOr(d, `${what}[${i}]`), verb: 'read' });
  });
  return detectors as Readable[];
}

/** Check that `x` is a named Movable; name the argument otherwise. */
export function checkMotor(x: unknown, what: string): Motor {
  if (!isMovable(x)) throw new UnsupportedError({ device: deviceNameOr(x, what), verb: 'set' });
  const name = (x as { name?: unknown }).name;
  if (typeof name !== 'string' || name === '') throw new InvalidInputError({ what, value: deviceName(x), reason: 'a motor must have a non-empty name' });
  return x as Motor;
}

/** Check that `x` is a finite number. */
export function checkFinite(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidInputError({ what, value: x, reason: 'must be a finite number' });
  return x;
}

/** Check that `x` is a whole number of at least `min`. */
export function checkCount(x: unknown, what: string, min = 1): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
    throw new InvalidInputError({ what, value: x, reason: `must be a whole number >= ${min} (a number of points, not a step size)` });
  }
  return x;
}

/** Name a device for messages, falling back to a description of where it came from. */
export function deviceNameOr(x: unknown, fallback: string): string {
  const n = (typeof x === 'object' || typeof x === 'function') && x !== null ? (x as { name?: unknown }).name : undefined;
  return typeof n === 'string' && n !== '' ? n : fallback;
}
