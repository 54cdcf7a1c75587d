/**
 * Plans: complete experiments as synchronous generator functions (bluesky.plans in camelCase).
 * Each validates its arguments when called — before anything is yielded — stages its devices,
 * runs inside one run with bluesky's standard start metadata, and cleans up on error.
 *
 * ```ts
 * import { count, scan, gridScan } from 'labrig/plans';
 * await re.run(scan([det], motor, -1, 1, 11));
 * ```
 * @module
 */
export { count } from './count.js';
export type { CountOptions, PerShot } from './count.js';
export { scan, relScan, relativeScan, listScan, relListScan, scanNd, relativeToStart } from './scan.js';
export type { ScanOptions, PerStep } from './scan.js';
export { gridScan, relGridScan, listGridScan, relListGridScan } from './grid.js';
export type { GridOptions } from './grid.js';
export { adaptiveScan, relAdaptiveScan } from './adaptive.js';
export {
  logScan, spiral, spiralFermat, spiralSquare, spiralPoints, spiralFermatPoints, spiralSquarePoints, x2xScan, rampPlan, tuneCentroid, repeater,
} from './more.js';
export type { SpiralOptions, RampOptions } from './more.js';
export type { AdaptiveScanArgs } from './adaptive.js';
export { linspace, innerProduct, outerProduct } from './patterns.js';
export type { Axis, Step, Trajectory } from './patterns.js';
export { inRun, staged, stagedRun, exitOf } from './wrap.js';
export type { RunPlan } from './wrap.js';
export {
  PlanSimulator, walkPlan, walkPlanAsync, listMessages, summaryLines, summarizePlan, summarizePlanAsync, printSummaryWrapper, checkLimits,
} from './dry-run.js';
export type { DryRunOptions, WalkResult, CheckLimitsResult } from './dry-run.js';
