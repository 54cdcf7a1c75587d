/**
 * Rigs: the devices of a setup named by URI in a JSON or YAML file, opened together (with
 * in-process simulators for `sim:` URIs), e-stopped together and closed together.
 *
 * ```ts
 * import { loadRig } from 'labrig/rig';
 * const rig = await loadRig('rig.yaml');
 * const report = await rig.eStop();   // { elapsedMs, ok, results }
 * await rig.close();
 * ```
 * @module
 */
export { loadRig, Rig, type LoadRigOptions } from './rig.js';
export { parseRig, loadRigSpec, readRigFile, checkEntry, labelled, parseSimUri, type RigEntry, type RigSpec } from './spec.js';
export { openDevice, openEntry, type OpenEntryOptions, type RigMember } from './open.js';
export { BUILTIN_FAMILIES, registerBuiltinFamilies, type FamilyBundle } from './families.js';
export { eStopMembers, formatEStop, ESTOP_TIMEOUT_MS } from './estop.js';
export { installSignalHandlers, exitCodeFor, SHUTDOWN_SIGNALS, SHUTDOWN_STEP_TIMEOUT_MS, type SignalHandlerOptions, type SignalHandlers, type ShutdownCause, type ShutdownEngine, type ShutdownRig, type ShutdownWriter } from './shutdown.js';
export { walk, readableSignals, resolvePath, pathsByName, type TreeNode } from './paths.js';
export type { RigDevice, DeviceOptions, StartedSim, EStopReport, EStopResult } from './types.js';
