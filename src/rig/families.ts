/**
 * labrig's built-in families: ONE line per family, pairing its driver descriptor with its
 * simulator descriptor. {@link registerBuiltinFamilies} registers them through the same public
 * calls a third-party family uses (`registerFamily`, `registerSimulator`); `loadRig`,
 * `openDevice` and the `labrig` command call it, library code that wants
 * `createStream('galil+tcp://...')` calls it too (decision 0010). Importing this module
 * registers nothing.
 * @module
 */
import type { AnyFamily } from '../drivers/family.js';
import { alicatFamily } from '../drivers/alicat/family.js';
import { biologicFamily } from '../drivers/biologic/family.js';
import { galilFamily } from '../drivers/galil/family.js';
import { gamryFamily } from '../drivers/gamry/family.js';
import { legatoFamily } from '../drivers/legato/family.js';
import { modbusFamily } from '../drivers/modbus/family.js';
import { nidaqmxFamily } from '../drivers/nidaqmx/family.js';
import { opcuaFamily } from '../drivers/opcua/family.js';
import { registerFamily } from '../drivers/registry.js';
import { tangoFamily } from '../drivers/tango/family.js';
import { alicatSimulator } from '../sim/alicat/family.js';
import { biologicSimulator } from '../sim/biologic/family.js';
import type { AnySimulator } from '../sim/family.js';
import { galilSimulator } from '../sim/galil/family.js';
import { gamrySimulator } from '../sim/gamry/family.js';
import { legatoSimulator } from '../sim/legato/family.js';
import { modbusSimulator } from '../sim/modbus/family.js';
import { nidaqmxSimulator } from '../sim/nidaqmx/family.js';
import { opcuaSimulator } from '../sim/opcua/family.js';
import { registerSimulator } from '../sim/registry.js';
import { tangoSimulator } from '../sim/tango/family.js';

/** A family as labrig ships it: the driver descriptor and, when it has one, its simulator's. */
export interface FamilyBundle {
  readonly family: AnyFamily;
  readonly simulator?: AnySimulator;
}

/** The built-in families, in the order help text lists them. */
export const BUILTIN_FAMILIES: readonly FamilyBundle[] = [
  { family: galilFamily, simulator: galilSimulator },
  { family: alicatFamily, simulator: alicatSimulator },
  { family: legatoFamily, simulator: legatoSimulator },
  { family: modbusFamily, simulator: modbusSimulator },
  { family: opcuaFamily, simulator: opcuaSimulator },
  { family: gamryFamily, simulator: gamrySimulator },
  { family: biologicFamily, simulator: biologicSimulator },
  { family: nidaqmxFamily, simulator: nidaqmxSimulator },
  { family: tangoFamily, simulator: tangoSimulator },
];

/** Register every built-in family and simulator (idempotent: registering the same descriptor again does nothing). */
export function registerBuiltinFamilies(): void {
  for (const b of BUILTIN_FAMILIES) {
    registerFamily(b.family);
    if (b.simulator) registerSimulator(b.simulator);
  }
}
