/**
 * The table of instrument families a rig knows: one adapter entry per family. A new family
 * plugs in by adding its adapter to {@link ADAPTERS}.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { FamilyAdapter } from '../types.js';
import { alicatAdapter } from './alicat.js';
import { galilAdapter } from './galil.js';
import { legatoAdapter } from './legato.js';

/** Every family adapter, in the order they are listed in messages. */
export const ADAPTERS: readonly FamilyAdapter[] = [galilAdapter, alicatAdapter, legatoAdapter];

/** Return the adapter of a family name (`galil`), or throw InvalidInputError naming `what`. */
export function adapterForFamily(family: string, what = 'family'): FamilyAdapter {
  const a = ADAPTERS.find((x) => x.family === family);
  if (!a) throw new InvalidInputError({ what, value: family, reason: `unknown instrument family (known: ${ADAPTERS.map((x) => x.family).join(', ')})` });
  return a;
}

/** Return the adapter whose scheme a driver URI uses, or throw InvalidInputError naming `what`. */
export function adapterForUri(uri: string, what = 'uri'): FamilyAdapter {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  const scheme = m?.[1]?.toLowerCase();
  const a = scheme === undefined ? undefined : ADAPTERS.find((x) => x.schemes.includes(scheme));
  if (!a) {
    const known = ADAPTERS.flatMap((x) => x.schemes.map((s) => `${s}://`)).join(', ');
    throw new InvalidInputError({ what, value: uri, reason: `unknown device scheme (known: ${known}, sim:<${ADAPTERS.map((x) => x.family).join('|')}>)` });
  }
  return a;
}

export { galilAdapter, alicatAdapter, legatoAdapter };
