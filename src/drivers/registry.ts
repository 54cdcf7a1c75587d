/**
 * The registry of driver families. `registerFamily(descriptor)` is the one way a family becomes
 * known to the URI factory (`createStream('galil+tcp://...')`), to rigs and to the `labrig`
 * command; labrig's own families use it too (the built-in list is `src/rig/families.ts`,
 * registered by `registerBuiltinFamilies()`). Nothing registers on import.
 * @module
 */
import { InvalidInputError } from '../core/errors.js';
import { registerScheme, transportScheme, unregisterScheme } from '../protocols/uri.js';
import { defineFamily, type AnyFamily, type FamilyDescriptor, type FamilyDevice } from './family.js';

const families = new Map<string, AnyFamily>();
const bySchemes = new Map<string, AnyFamily>();

/**
 * Register a family: its name, and each of its schemes with the URI factory. Registering the same
 * descriptor again does nothing; another descriptor under a registered name, or a scheme another
 * family owns, is an InvalidInputError (call {@link unregisterFamily} first to replace one).
 */
export function registerFamily<O extends object, D extends FamilyDevice>(descriptor: FamilyDescriptor<O, D>): void {
  const d = defineFamily(descriptor) as unknown as AnyFamily;
  const existing = families.get(d.name);
  if (existing === d) return;
  if (existing) throw new InvalidInputError({ what: 'family', value: d.name, reason: 'is already registered (unregisterFamily it first to replace it)' });
  for (const s of d.schemes) {
    const owner = bySchemes.get(s.scheme);
    if (owner) throw new InvalidInputError({ what: `family ${d.name} scheme`, value: s.scheme, reason: `is already the ${owner.name} family's` });
  }
  families.set(d.name, d);
  for (const s of d.schemes) {
    bySchemes.set(s.scheme, d);
    registerScheme(s.scheme, transportScheme(s.transport, d));
  }
}

/** Remove a family and its schemes (for tests and for replacing a family); unknown names are ignored. */
export function unregisterFamily(name: string): void {
  const d = families.get(name);
  if (!d) return;
  families.delete(name);
  for (const s of d.schemes) {
    bySchemes.delete(s.scheme);
    unregisterScheme(s.scheme);
  }
}

/** List the registered families in registration order. */
export function registeredFamilies(): AnyFamily[] {
  return [...families.values()];
}

/** Return the family called `name`, or throw an InvalidInputError (naming `what`) listing the registered ones. */
export function familyByName(name: string, what = 'family'): AnyFamily {
  const d = families.get(name.toLowerCase());
  if (!d) throw new InvalidInputError({ what, value: name, reason: `unknown instrument family (known: ${[...families.keys()].join(', ') || 'none registered'})` });
  return d;
}

/** Return the family owning a scheme (`galil+tcp`), or undefined. */
export function familyForScheme(scheme: string): AnyFamily | undefined {
  return bySchemes.get(scheme.toLowerCase());
}

/** List every registered family scheme as `scheme://`, in registration order. */
export function familySchemes(): string[] {
  return [...families.values()].flatMap((d) => d.schemes.map((s) => `${s.scheme}://`));
}

/**
 * Return the family whose scheme `uri` is written in, or throw an InvalidInputError (naming
 * `what`) listing the known schemes (and `extra`, e.g. the `sim:` names a rig accepts).
 */
export function familyForUri(uri: string, what = 'uri', extra = ''): AnyFamily {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri.trim());
  const d = m ? familyForScheme(m[1]!) : undefined;
  if (d) return d;
  const known = familySchemes();
  throw new InvalidInputError({ what, value: uri, reason: `unknown device scheme (known: ${known.join(', ') || 'none registered'}${extra ? `, ${extra}` : ''})` });
}
