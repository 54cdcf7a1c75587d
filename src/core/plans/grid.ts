/**
 * Grid scans (outer products): gridScan over evenly spaced axes, listGridScan over position
 * lists, and their relative forms. The first axis is the slowest; any other axis may snake.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { isMovable } from '../protocols.js';
import type { Movable, Readable } from '../protocols.js';
import { axisFields, checkCount, checkDetectors, checkFinite, checkMotor } from './stubs/devices.js';
import { linspace, outerProduct, type Axis } from './patterns.js';
import { listArgs, relativeToStart, scanNd, splitOptions, type ScanOptions } from './scan.js';
import { defaultHint, mergeMd, names, type RunPlan } from './wrap.js';

/** Options of grid scans. */
export interface GridOptions extends ScanOptions {
  /** Snake every axis but the first (true), or the listed motors; per-axis booleans also work. */
  snakeAxes?: boolean | readonly Movable[];
}

function applySnake(axes: Axis[], perAxis: boolean, snakeAxes: GridOptions['snakeAxes'], what: string): void {
  if (snakeAxes === undefined) return;
  // bluesky refuses the mix whatever the values (even snakeAxes false with per-axis booleans).
  if (perAxis) throw new InvalidInputError({ what: `${what} snakeAxes`, value: snakeAxes === true || snakeAxes === false ? snakeAxes : names(snakeAxes), reason: 'give snaking either per axis or with snakeAxes, not both' });
  if (snakeAxes === false) return;
  if (Array.isArray(snakeAxes) && new Set(snakeAxes).size !== snakeAxes.length) throw new InvalidInputError({ what: `${what} snakeAxes`, value: names(snakeAxes as readonly Movable[]), reason: 'lists a motor more than once' });
  if (snakeAxes === true) {
    axes.forEach((a, i) => (a.snake = i > 0));
    return;
  }
  for (const m of snakeAxes) {
    const i = axes.findIndex((a) => a.motor === m);
    if (i < 0) throw new InvalidInputError({ what: `${what} snakeAxes`, value: (m as { name?: unknown }).name, reason: 'names a motor that is not scanned' });
    if (i === 0) throw new InvalidInputError({ what: `${what} snakeAxes`, value: (m as { name?: unknown }).name, reason: 'the first (slowest) axis cannot snake' });
    (axes[i] as Axis).snake = true;
  }
}

function gridMd(
  planName: string, pattern: string, detectors: readonly Readable[], axes: readonly Axis[], mdArgs: unknown[],
  extents: Array<[number, number]>, options: GridOptions,
): Record<string, unknown> {
  const md: Record<string, unknown> = {
    shape: axes.map((a) => a.positions.length),
    extents,
    snaking: axes.map((a) => Boolean(a.snake)),
    plan_args: { detectors: names(detectors), args: mdArgs, per_step: options.perStep?.name || null },
    plan_name: planName,
    plan_pattern: pattern,
    plan_pattern_args: { args: mdArgs },
    motors: axes.map((a) => a.motor.name),
    hints: {},
  };
  const full = mergeMd(md, options.md);
  defaultHint(full, 'gridding', 'rectilinear');
  defaultHint(full, 'dimensions', axes.map((a) => [axisFields(a.motor), 'primary']));
  return full;
}

/**
 * Scan a grid, first axis slowest: `gridScan(dets, m1, s1, e1, n1, m2, s2, e2, n2, [snake2], ...)`.
 * Snake an axis with a boolean after its num (not the first axis) or with the `snakeAxes`
 * option. Start metadata has `shape`, `extents`, `snaking`, hints.gridding and one
 * hints.dimensions entry per motor. Returns the run uid.
 */
export function gridScan(detectors: readonly Readable[], ...args: Array<Movable | number | boolean | GridOptions>): RunPlan {
  checkDetectors(detectors);
  const [list, options] = splitOptions<GridOptions>(args);
  const axes: Axis[] = [];
  const mdArgs: unknown[] = [];
  let perAxis = false;
  let i = 0;
  while (i < list.length) {
    const k = axes.length;
    if (i + 4 > list.length) throw new InvalidInputError({ what: 'gridScan arguments', value: list.length, reason: 'expects motor, start, stop, num for each axis (then an optional snake boolean)' });
    const motor = checkMotor(list[i], `gridScan motor ${k}`);
    const start = checkFinite(list[i + 1], `gridScan start of ${motor.name}`);
    const stop = checkFinite(list[i + 2], `gridScan stop of ${motor.name}`);
    const num = checkCount(list[i + 3], `gridScan num of ${motor.name}`);
    i += 4;
    let snake = false;
    if (typeof list[i] === 'boolean') {
      snake = list[i] as boolean;
      if (k === 0 && snake) throw new InvalidInputError({ what: 'gridScan snake', value: motor.name, reason: 'the first (slowest) axis cannot snake' });
      perAxis = true;
      i += 1;
    }
    axes.push({ motor, positions: linspace(start, stop, num), snake });
    mdArgs.push(motor.name, start, stop, num);
    if (k > 0) mdArgs.push(snake);
  }
  if (axes.length === 0) throw new InvalidInputError({ what: 'gridScan arguments', value: 0, reason: 'needs at least one axis' });
  if (new Set(axes.map((a) => a.motor)).size !== axes.length) throw new InvalidInputError({ what: 'gridScan motors', value: names(axes.map((a) => a.motor)), reason: 'each motor may appear only once' });
  applySnake(axes, perAxis, options.snakeAxes, 'gridScan');
  const extents = axes.map((a) => [a.positions[0], a.positions[a.positions.length - 1]] as [number, number]);
  const md = gridMd('grid_scan', 'outer_product', detectors, axes, mdArgs, extents, options);
  return scanNd(detectors, outerProduct(axes), { ...(options.perStep ? { perStep: options.perStep } : {}), md });
}

/** Like gridScan, with starts and stops relative to each motor's position; motors return afterwards. */
export function relGridScan(detectors: readonly Readable[], ...args: Array<Movable | number | boolean | GridOptions>): RunPlan {
  const [rest, options] = splitOptions<GridOptions>(args);
  const md = mergeMd({ plan_name: 'rel_grid_scan' }, options.md);
  const plan = gridScan(detectors, ...(rest as Array<Movable | number | boolean>), { ...options, md });
  return relativeToStart(plan, rest.filter((a): a is Movable => isMovable(a)));
}

/** Scan the grid of every combination of position lists: `listGridScan(dets, m1, [..], m2, [..])`. */
export function listGridScan(detectors: readonly Readable[], ...args: Array<Movable | readonly number[] | GridOptions>): RunPlan {
  checkDetectors(detectors);
  const [list, options] = splitOptions<GridOptions>(args);
  const { axes, mdArgs, rest } = listArgs(list, 'listGridScan', false);
  if (rest.length > 0) throw new InvalidInputError({ what: 'listGridScan arguments', value: rest.length, reason: 'expects only motor, [positions] pairs' });
  applySnake(axes, false, options.snakeAxes, 'listGridScan');
  const extents = axes.map((a) => [Math.min(...a.positions), Math.max(...a.positions)] as [number, number]);
  const md = gridMd('list_grid_scan', 'outer_list_product', detectors, axes, mdArgs, extents, options);
  return scanNd(detectors, outerProduct(axes), { ...(options.perStep ? { perStep: options.perStep } : {}), md });
}

/** Like listGridScan, with positions relative to each motor's position; motors return afterwards. */
export function relListGridScan(detectors: readonly Readable[], ...args: Array<Movable | readonly number[] | GridOptions>): RunPlan {
  const [rest, options] = splitOptions<GridOptions>(args);
  const md = mergeMd({ plan_name: 'rel_list_grid_scan' }, options.md);
  const plan = listGridScan(detectors, ...(rest as Array<Movable | number[]>), { ...options, md });
  return relativeToStart(plan, rest.filter((a): a is Movable => isMovable(a)));
}
