/**
 * The family descriptor shape every potentiostat family (gamry, biologic) shares: the channel is
 * connected (and closed again if that fails) after the family builds it, the mock tier is a
 * channel on the mock potentiostat backend, and "stopped" means no technique is running.
 * @module
 */
import { connectOrClose, defineFamily, pollUntil, type FamilyDescriptor, type FamilyTarget, type OpenContext } from '../family.js';
import type { PotentiostatChannel } from './channel.js';

/** What a potentiostat family says about itself; the rest of its descriptor is common. */
export interface PotentiostatFamilySpec<O extends object> extends Pick<FamilyDescriptor<O, PotentiostatChannel>, 'name' | 'title' | 'schemes' | 'params' | 'simulator'> {
  /** Build the (unconnected) channel of a checked target. */
  build(target: FamilyTarget, options: O, context: OpenContext): Promise<PotentiostatChannel>;
  /** Instrument name of the mock tier's backend, e.g. `Gamry (mock)`. */
  mockInstrument: string;
}

/** Define a potentiostat family from its own parts (see the module notes). */
export function potentiostatFamily<O extends object>(spec: PotentiostatFamilySpec<O>): FamilyDescriptor<O, PotentiostatChannel> {
  const { build, mockInstrument, ...own } = spec;
  return defineFamily<O, PotentiostatChannel>({
    ...own,
    async open(target, options, context) {
      return connectOrClose(await build(target, options, context));
    },
    async createMock(_options, { name }) {
      const [{ PotentiostatChannel }, { MockPotentiostatBackend }] = await Promise.all([import('./channel.js'), import('./mock.js')]);
      return new PotentiostatChannel(name, new MockPotentiostatBackend(mockInstrument));
    },
    confirmStopped: (d, signal) => pollUntil(async () => (d.state === 'idle' ? 'no technique running' : undefined), signal),
  });
}
