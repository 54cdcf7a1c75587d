/**
 * The bath as a labrig plugin: `labrig --import ./plugin.js read|set|sim|run ...`, or listed in
 * `labrig.config.json` (`{ "import": ["./plugin.js"] }`). labrig calls `register` with its own
 * registration functions, so the family joins rigs and every command.
 */
import type { registerFamily } from 'labrig/drivers';
import type { registerSimulator } from 'labrig/sim';
import { bathFamily } from './driver/index.js';
import { bathSimulator } from './sim/family.js';

/** Register the bath family and its simulator with the running labrig. */
export function register(api: { registerFamily: typeof registerFamily; registerSimulator: typeof registerSimulator }): void {
  api.registerFamily(bathFamily);
  api.registerSimulator(bathSimulator);
}
