/**
 * Motion profiles of the Galil simulator, computed analytically from time: point-to-point
 * trapezoids (separate acceleration and deceleration), jog speed changes, decelerating stops,
 * and interception by limit switches. Units: counts, seconds.
 * @module
 */

/** Constant acceleration `a` for `dt` seconds (Infinity: forever) from (`x0`, `v0`). */
export interface Segment {
  dt: number;
  x0: number;
  v0: number;
  a: number;
}

/** Where a list of segments ends: position, velocity and total duration (s, maybe Infinity). */
export interface SegmentsEnd {
  x: number;
  v: number;
  duration: number;
}

class Builder {
  readonly segments: Segment[] = [];
  constructor(public x: number, public v: number) {}
  push(a: number, dt: number): this {
    if (!(dt > 0)) return this;
    this.segments.push({ dt, x0: this.x, v0: this.v, a });
    if (Number.isFinite(dt)) {
      this.x += this.v * dt + 0.5 * a * dt * dt;
      this.v += a * dt;
    }
    return this;
  }
}

/** Plan a move from rest at `x0` to rest at `target` with speed ≤ `vmax`, acceleration `acc`, deceleration `dec`. */
export function pointToPoint(x0: number, target: number, vmax: number, acc: number, dec: number): Segment[] {
  const d = Math.abs(target - x0);
  if (d === 0) return [];
  if (!(vmax > 0)) return [{ dt: Infinity, x0, v0: 0, a: 0 }]; // SP 0: the profiler never gets anywhere
  const s = Math.sign(target - x0);
  const b = new Builder(x0, 0);
  const peak = Math.sqrt((2 * d * acc * dec) / (acc + dec));
  if (peak > vmax) {
    const cruise = d - (vmax * vmax) / (2 * acc) - (vmax * vmax) / (2 * dec);
    b.push(s * acc, vmax / acc).push(0, cruise / vmax).push(-s * dec, vmax / dec);
  } else {
    b.push(s * acc, peak / acc).push(-s * dec, peak / dec);
  }
  return b.segments;
}

/** Plan a jog: change velocity from `v0` to `vt` (decelerating through zero if the sign changes), then cruise forever (or stop if `vt` is 0). */
export function changeVelocity(x0: number, v0: number, vt: number, acc: number, dec: number): Segment[] {
  const b = new Builder(x0, v0);
  if (v0 !== 0 && (vt === 0 || Math.sign(vt) !== Math.sign(v0))) {
    b.push(-Math.sign(v0) * dec, Math.abs(v0) / dec);
    b.v = 0;
  }
  const u = Math.abs(b.v);
  if (vt !== 0) {
    if (Math.abs(vt) > u) b.push(Math.sign(vt) * acc, (Math.abs(vt) - u) / acc);
    else b.push(-Math.sign(vt) * dec, (u - Math.abs(vt)) / dec);
    b.v = vt;
    b.push(0, Infinity);
  }
  return b.segments;
}

/** Plan a decelerating stop from (`x0`, `v0`). */
export function stopFrom(x0: number, v0: number, dec: number): Segment[] {
  return v0 === 0 ? [] : [{ dt: Math.abs(v0) / dec, x0, v0, a: -Math.sign(v0) * dec }];
}

/** Position and velocity of a segment `tau` seconds into it. */
function at(g: Segment, tau: number): { x: number; v: number } {
  return { x: g.x0 + g.v0 * tau + 0.5 * g.a * tau * tau, v: g.v0 + g.a * tau };
}

/** Where the segments end (for infinite segments: `duration` Infinity). */
export function endOf(segments: readonly Segment[], x0: number): SegmentsEnd {
  let duration = 0;
  let x = x0;
  let v = 0;
  for (const g of segments) {
    if (!Number.isFinite(g.dt)) return { x: NaN, v: g.v0, duration: Infinity };
    ({ x, v } = at(g, g.dt));
    duration += g.dt;
  }
  return { x, v, duration };
}

/** Position and velocity `t` seconds after the start; past the end: the end at rest. */
export function sample(segments: readonly Segment[], x0: number, t: number): { x: number; v: number } {
  let t0 = 0;
  for (const g of segments) {
    if (t < t0 + g.dt) return at(g, Math.max(0, t - t0));
    t0 += g.dt;
  }
  const last = segments[segments.length - 1];
  return last ? { x: at(last, last.dt).x, v: 0 } : { x: x0, v: 0 };
}

/** Earliest time in [0, dt] at which segment `g` reaches `level` while moving in direction `dir`. */
function crossing(g: Segment, level: number, dir: 1 | -1): number | undefined {
  const c = g.x0 - level;
  const roots: number[] = [];
  if (g.a === 0) {
    if (g.v0 !== 0) roots.push(-c / g.v0);
  } else {
    const disc = g.v0 * g.v0 - 2 * g.a * c;
    if (disc < 0) return undefined;
    const r = Math.sqrt(disc);
    roots.push((-g.v0 - r) / g.a, (-g.v0 + r) / g.a);
  }
  let best: number | undefined;
  for (const tau of roots) {
    if (tau < 0 || tau > g.dt) continue;
    const v = g.v0 + g.a * tau;
    if (Math.sign(v) !== dir && !(v === 0 && Math.sign(g.a) === dir)) continue;
    if (best === undefined || tau < best) best = tau;
  }
  return best;
}

/**
 * Cut a profile where it first runs into a limit switch (forward at `fwd` moving up, reverse at
 * `rev` moving down) and append a stop at `limitDec` from there. `hit` says which switch.
 */
export function clipAtLimits(segments: readonly Segment[], fwd: number | undefined, rev: number | undefined, limitDec: number): { segments: Segment[]; hit?: 'fwd' | 'rev' } {
  const out: Segment[] = [];
  for (const g of segments) {
    let cut: { tau: number; hit: 'fwd' | 'rev' } | undefined;
    if (fwd !== undefined && g.x0 < fwd) {
      const tau = crossing(g, fwd, 1);
      if (tau !== undefined) cut = { tau, hit: 'fwd' };
    }
    if (rev !== undefined && g.x0 > rev) {
      const tau = crossing(g, rev, -1);
      if (tau !== undefined && (cut === undefined || tau < cut.tau)) cut = { tau, hit: 'rev' };
    }
    if (!cut) {
      out.push(g);
      continue;
    }
    if (cut.tau > 0) out.push({ ...g, dt: cut.tau });
    const here = at(g, cut.tau);
    out.push(...stopFrom(here.x, here.v, limitDec));
    return { segments: out, hit: cut.hit };
  }
  return { segments: out };
}
