/** Small helpers shared by the benchmarks: timing loops and printing. */

/** Run `fn` repeatedly for about `ms` milliseconds (after a warm-up) and return operations per second. */
export async function opsPerSecond(fn: (n: number) => unknown | Promise<unknown>, options: { ms?: number; batch?: number } = {}): Promise<number> {
  const ms = options.ms ?? 500;
  const batch = options.batch ?? 1000;
  // Warm-up: let the JIT settle.
  for (let i = 0; i < 3; i++) await fn(batch);
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn(batch);
    ops += batch;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

/** Format a rate with SI suffix. */
export function fmtRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}

/** Print one result row: name, rate, and the ratio to a baseline measured in the same run. */
export function row(name: string, rate: number, baselineName?: string, baseline?: number): string {
  const ratio = baseline ? `  ratio ${(rate / baseline).toFixed(3)} vs ${baselineName}` : '';
  const line = `  ${name.padEnd(44)} ${fmtRate(rate).padStart(12)}${ratio}`;
  console.log(line);
  return line;
}

/** Print a section header. */
export function header(title: string): void {
  console.log(`\n${title}`);
}


/** Interleaving of {@link interleavedRates}: warm-up iterations, iterations per slice, duration (ms). */
export interface SliceOptions {
  warmup?: number;
  slice?: number;
  ms?: number;
}

/**
 * Run each loop `warmup` times, then in interleaved slices of `slice` iterations for about `ms`
 * milliseconds, so every loop sees the same machine load; return each loop's iterations per second.
 */
export async function interleavedRates(loops: Array<(n: number) => Promise<void>>, options: SliceOptions = {}): Promise<number[]> {
  const slice = options.slice ?? 50;
  for (const loop of loops) await loop(options.warmup ?? 200);
  const spent = loops.map(() => 0);
  let slices = 0;
  const end = performance.now() + (options.ms ?? 3000);
  while (performance.now() < end) {
    for (let k = 0; k < loops.length; k++) {
      const t0 = performance.now();
      await loops[k]!(slice);
      spent[k]! += performance.now() - t0;
    }
    slices++;
  }
  return spent.map((ms) => (slices * slice * 1000) / ms);
}

/** Print a row per rate, the first being the baseline the others are compared with; return the rates by key. */
export function baselineRows(names: string[], keys: string[], rates: number[], baselineName: string): Record<string, number> {
  const out: Record<string, number> = {};
  const base = rates[0]!;
  names.forEach((name, k) => {
    row(name, rates[k]!, k === 0 ? undefined : baselineName, k === 0 ? undefined : base);
    out[keys[k]!] = rates[k]!;
  });
  return out;
}

/** Run `fn` with a `defer` that registers cleanups; they run last-registered first, failures ignored. */
export async function withCleanup<T>(fn: (defer: (close: () => Promise<void>) => void) => Promise<T>): Promise<T> {
  const closers: Array<() => Promise<void>> = [];
  try {
    return await fn((close) => void closers.unshift(close));
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}
