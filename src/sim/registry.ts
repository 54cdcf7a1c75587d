/**
 * The registry of simulators: `registerSimulator(descriptor)` makes `sim:<name>` usable in rigs and
 * `labrig sim <name>` on the command line. labrig's own simulators use it too (the built-in list
 * is `src/rig/families.ts`). Nothing registers on import.
 * @module
 */
import { InvalidInputError } from '../core/errors.js';
import { defineSimulator, type AnySimulator, type SimulatorDescriptor } from './family.js';

const simulators = new Map<string, AnySimulator>();

/**
 * Register a simulator under its name. The same descriptor again does nothing; another one under a
 * registered name is an InvalidInputError (call {@link unregisterSimulator} first to replace it).
 */
export function registerSimulator<P extends object>(descriptor: SimulatorDescriptor<P>): void {
  const d = defineSimulator(descriptor) as unknown as AnySimulator;
  const existing = simulators.get(d.name);
  if (existing === d) return;
  if (existing) throw new InvalidInputError({ what: 'simulator', value: d.name, reason: 'is already registered (unregisterSimulator it first to replace it)' });
  simulators.set(d.name, d);
}

/** Remove a simulator (for tests and for replacing one); unknown names are ignored. */
export function unregisterSimulator(name: string): void {
  simulators.delete(name);
}

/** List the registered simulators in registration order. */
export function registeredSimulators(): AnySimulator[] {
  return [...simulators.values()];
}

/** Return the simulator called `name`, or throw an InvalidInputError (naming `what`) listing the registered ones. */
export function simulatorByName(name: string, what = 'simulator'): AnySimulator {
  const d = simulators.get(name.toLowerCase());
  if (!d) throw new InvalidInputError({ what, value: name, reason: `unknown simulator (known: ${[...simulators.keys()].join(', ') || 'none registered'})` });
  return d;
}
