/**
 * How simulated OPC UA nodes change with time: sine, ramp, noise, random walk, toggle, counter,
 * and first-order followers (a readback tracking its setpoint). Pure functions of the node,
 * the elapsed time and the current values; no I/O.
 * @module
 */
import { integerRange, type ResolvedSimNode, type SimScalar } from './nodes.js';

/** Read the current value of a node by NodeId. */
export type ValueLookup = (nodeId: string) => SimScalar | SimScalar[] | undefined;

function fit(node: ResolvedSimNode, v: number): number {
  let x = v;
  if (node.range) x = Math.min(node.range[1], Math.max(node.range[0], x));
  const ir = integerRange(node.dataType);
  if (ir) x = Math.min(ir[1], Math.max(ir[0], Math.round(x)));
  if (node.dataType === 'Float') x = Math.fround(x);
  return x;
}

function amplitudeOf(node: ResolvedSimNode, base: number): number {
  if (node.amplitude !== undefined) return node.amplitude;
  if (node.range) return (node.range[1] - node.range[0]) / 4;
  return Math.max(1, Math.abs(base) * 0.1);
}

/** A small uniform noise source; `random` defaults to Math.random (tests may pass their own). */
export type RandomSource = () => number;

/**
 * Compute the value of `node` at `t` seconds since the start, `dt` seconds after the previous
 * step. `initial` is the node's initial value (the centre of sine and noise); `current` is
 * its value now (what random walks and followers move from). Returns undefined when the node
 * does not change by itself.
 */
export function nextValue(
  node: ResolvedSimNode,
  t: number,
  dt: number,
  initial: SimScalar | SimScalar[],
  current: SimScalar | SimScalar[],
  lookup: ValueLookup,
  random: RandomSource = Math.random,
): SimScalar | SimScalar[] | undefined {
  const period = node.period ?? 10;
  if (node.follows !== undefined) {
    const target = lookup(node.follows);
    if (typeof target !== 'number' || typeof current !== 'number') return undefined;
    const tau = node.tau ?? 2;
    const next = target + (current - target) * Math.exp(-dt / tau);
    // Snap when closer than a part in a million of the span, so the value settles exactly.
    return fit(node, Math.abs(next - target) < 1e-6 * Math.max(1, Math.abs(target)) ? target : next);
  }
  switch (node.simulate) {
    case undefined:
      return undefined;
    case 'toggle':
      return Math.floor((2 * t) / period) % 2 === 1;
    case 'counter':
      return fit(node, (initial as number) + Math.floor(t / period));
    case 'ramp': {
      const [lo, hi] = node.range ?? [initial as number, (initial as number) + 10];
      return fit(node, lo + (hi - lo) * ((t / period) % 1));
    }
    case 'sine': {
      const wave = (base: number, phase: number): number => fit(node, base + amplitudeOf(node, base) * Math.sin(2 * Math.PI * (t / period + phase)));
      if (Array.isArray(initial)) return initial.map((b, i) => wave(b as number, i / initial.length));
      return wave(initial as number, 0);
    }
    case 'noise': {
      const jitter = (base: number): number => fit(node, base + amplitudeOf(node, base) * (2 * random() - 1));
      return Array.isArray(initial) ? initial.map((b) => jitter(b as number)) : jitter(initial as number);
    }
    case 'randomwalk': {
      const step = (x: number, base: number): number => fit(node, x + amplitudeOf(node, base) * 0.1 * (2 * random() - 1));
      if (Array.isArray(current)) return current.map((x, i) => step(x as number, (initial as SimScalar[])[i] as number));
      return step(current as number, initial as number);
    }
  }
}
