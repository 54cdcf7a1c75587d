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

