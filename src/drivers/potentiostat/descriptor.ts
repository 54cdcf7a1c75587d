/**
 * The family descriptor shape every potentiostat family (gamry, biologic) shares: the channel is
 * connected (and closed again if that fails) after the family builds it, the mock tier is a
 * channel on the mock potentiostat backend, and "stopped" means no technique is running.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { Transport } from '../../protocols/address.js';
import type { AddressBase } from '../../protocols/uri.js';
import { connectOrClose, defineFamily, pollUntil, type FamilyDescriptor, type OpenContext } from '../family.js';
import type { PotentiostatChannel } from './channel.js';

/**
 * What a potentiostat family says about itself; the rest of its descriptor is common. A
 * potentiostat family has one scheme, named like the family (`gamry://`, `biologic://`), made by
 * {@link instrumentScheme}; its simulator is the one of the same name.
 */
export interface PotentiostatFamilySpec<O extends object, A extends AddressBase> extends Pick<FamilyDescriptor<O, PotentiostatChannel>, 'title' | 'params'> {
  /** The family's one scheme: its name is the family's name. */
  scheme: InstrumentScheme<A>;
  /** Build the (unconnected) channel of an address the family's transport checked. */
  build(address: A, options: O, context: OpenContext): Promise<PotentiostatChannel>;
}

/** Define a potentiostat family from its own parts (see the module notes). */
export function potentiostatFamily<O extends object, A extends AddressBase>(spec: PotentiostatFamilySpec<O, A>): FamilyDescriptor<O, PotentiostatChannel> {
  const { build, scheme, ...own } = spec;
  const name = scheme.scheme;
  const mockInstrument = `${name} (mock)`;
  return defineFamily<O, PotentiostatChannel>({
    ...own,
    name,
    schemes: [scheme],
    async open(target, options, context) {
      // The address came from this family's one transport (`scheme.transport.address`).
      return connectOrClose(await build(target.address as A, options, context));
    },
    async createMock(_options, { name }) {
      const [{ PotentiostatChannel }, { MockPotentiostatBackend }] = await Promise.all([import('./channel.js'), import('./mock.js')]);
      return new PotentiostatChannel(name, new MockPotentiostatBackend(mockInstrument));
    },
    confirmStopped: (d, signal) => pollUntil(async () => (d.state === 'idle' ? 'no technique running' : undefined), signal),
  });
}

/**
 * A potentiostat's address: the instrument's name is the URI's authority (`gamry://IFC1010-12345`,
 * `biologic://USB0`) under the family's field name, with at most one optional string parameter
 * (the library path, the in-process binding's id).
 */
export type InstrumentAddress<F extends string, P extends string> = AddressBase & { readonly [K in F]: string } & { readonly [K in P]?: string };

/** How a family names and checks the instrument in its addresses (see {@link instrumentScheme}). */
export interface InstrumentAddressSpec<F extends string, P extends string> {
  /** Transport kind, for messages and docs (`ffi`, `com`). */
  readonly kind: string;
  /** Address field that holds the authority, and what a bad one is called in errors. */
  readonly field: F;
  readonly what: string;
  /** The pattern a valid name matches, and the reason given when it does not. */
  readonly pattern: RegExp;
  readonly expected: string;
  /** The optional string parameter and its documentation. */
  readonly param: P;
  readonly paramDoc: string;
  /** The scheme (also the family's name) and an example address for help text and errors. */
  readonly scheme: string;
  readonly example: string;
}

/** A family's one scheme: its name, an example address and its transport. */
export interface InstrumentScheme<A extends AddressBase> {
  readonly scheme: string;
  readonly example: string;
  readonly transport: Transport<A, never>;
}

/** The scheme of a potentiostat family; its transport checks the instrument name and refuses a path. */
export function instrumentScheme<F extends string, P extends string>(spec: InstrumentAddressSpec<F, P>): InstrumentScheme<InstrumentAddress<F, P>> {
  const transport: Transport<InstrumentAddress<F, P>, never> = {
    kind: spec.kind,
    params: { [spec.param]: { type: 'string', doc: spec.paramDoc } },
    address(uri, params) {
      const name = uri.authority;
      if (!spec.pattern.test(name)) throw new InvalidInputError({ what: spec.what, value: name, reason: spec.expected });
      if (uri.path && uri.path !== '/') throw new InvalidInputError({ what: `${uri.scheme} address path`, value: uri.path, reason: 'must be empty' });
      const extra = params[spec.param];
      return { scheme: uri.scheme, uri: uri.uri, params: {}, [spec.field]: name, ...(typeof extra === 'string' ? { [spec.param]: extra } : {}) } as InstrumentAddress<F, P>;
    },
  };
  return { scheme: spec.scheme, example: spec.example, transport };
}
