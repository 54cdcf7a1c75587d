/**
 * Scan trajectories: evenly spaced points, inner products (motors move together) and outer
 * products (a grid, slowest axis first, with optional snaking per axis). Points are produced
 * lazily, so a large grid costs no memory up front.
 * @module
 */
import type { Motor } from './stubs/devices.js';

/** One step of a scan: where each motor goes. */
export type Step = ReadonlyMap<Motor, number>;

/** Return `num` evenly spaced values from `start` to `stop`, both included (numpy's linspace). */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out = new Array<number>(num);
  for (let i = 0; i < num; i++) out[i] = i === num - 1 ? stop : start + i * step;
  return out;
}

/** One axis of a trajectory: a motor and the positions it visits. */
export interface Axis {
  motor: Motor;
  positions: readonly number[];
  /** Outer products only: sweep back and forth instead of returning to the start each line. */
  snake?: boolean;
}

/** A trajectory: its axes, its number of points and a lazy sequence of steps. */
export interface Trajectory {
  axes: readonly Axis[];
  numPoints: number;
  steps(): Iterable<Step>;
}

/** Move every motor together through its positions (all axes have the same length). */
export function innerProduct(axes: readonly Axis[]): Trajectory {
  const numPoints = axes[0]?.positions.length ?? 0;
  return {
    axes,
    numPoints,
    *steps() {
      for (let i = 0; i < numPoints; i++) {
        const step = new Map<Motor, number>();
        for (const a of axes) step.set(a.motor, a.positions[i] as number);
        yield step;
      }
    },
  };
}

/**
 * Visit every combination of positions, the first axis slowest. A snaking axis reverses its
 * direction on every sweep, so consecutive points never jump back across the grid.
 */
export function outerProduct(axes: readonly Axis[]): Trajectory {
  const sizes = axes.map((a) => a.positions.length);
  const numPoints = sizes.reduce((p, n) => p * n, 1);
  // block[i]: number of points in one sweep of axis i (with every faster axis inside it).
  const block = sizes.map((_, i) => sizes.slice(i + 1).reduce((p, n) => p * n, 1));
  return {
    axes,
    numPoints: axes.length === 0 ? 0 : numPoints,
    *steps() {
      if (axes.length === 0) return;
      for (let k = 0; k < numPoints; k++) {
        const step = new Map<Motor, number>();
        for (let i = 0; i < axes.length; i++) {
          const axis = axes[i] as Axis;
          const n = sizes[i] as number;
          const b = block[i] as number;
          let d = Math.floor(k / b) % n;
          // The sweep count of axis i is the flat index of all slower axes together.
          if (axis.snake && Math.floor(k / (b * n)) % 2 === 1) d = n - 1 - d;
          step.set(axis.motor, axis.positions[d] as number);
        }
        yield step;
      }
    },
  };
}
