/**
 * Enforce DESIGN.md's layering: imports only point downward; src/core imports no I/O library;
 * drivers never import simulators; simulators may import only a driver's pure protocol.ts.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

// Lower number = lower layer. A file may import from its own layer or a lower one.
const rank: Record<string, number> = {
  core: 0, protocols: 1, drivers: 2, sim: 2, writers: 2, rig: 3, testing: 3, server: 4, cli: 5, index: 6,
};

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Import specifiers of a file: static imports/exports and dynamic import() with a string literal. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

const layerOf = (file: string): string => {
  const rel = relative(src, file).split(sep);
  return rel.length === 1 ? 'index' : rel[0]!;
};

t.test('the import scanner finds static, re-export and dynamic imports', async (t) => {
  const text = "import a from 'x';\nimport type { B } from \"../y.js\";\nexport * from './z.js';\nimport 'side';\nconst m = await import('node:fs');";
  t.same(importsOf(text), ['x', '../y.js', './z.js', 'side', 'node:fs']);
});

const all = files(src);

t.test('src/core imports no I/O library and nothing outside src/core', async (t) => {
  const bad: string[] = [];
  for (const f of all.filter((f) => layerOf(f) === 'core')) {
    for (const spec of importsOf(readFileSync(f, 'utf8'))) {
      if (!spec.startsWith('.')) bad.push(`${relative(root, f)} imports package '${spec}'`);
      else if (layerOf(resolve(dirname(f), spec)) !== 'core') bad.push(`${relative(root, f)} imports '${spec}' outside src/core`);
    }
  }
  t.same(bad, [], 'core stays free of I/O and upper layers');
});

t.test('imports point downward; drivers never import simulators', async (t) => {
  const bad: string[] = [];
  for (const f of all) {
    const from = layerOf(f);
    for (const spec of importsOf(readFileSync(f, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(f), spec);
      if (!target.startsWith(src)) {
        bad.push(`${relative(root, f)} imports '${spec}' outside src`);
        continue;
      }
      const to = layerOf(target);
      const relTarget = relative(src, target).split(sep).join('/');
      if (from === 'drivers' && to === 'sim') bad.push(`${relative(root, f)}: a driver imports a simulator (${spec})`);
      else if (from === 'sim' && to === 'drivers' && !/^drivers\/[^/]+\/protocol\.(js|ts)$/.test(relTarget)) {
        bad.push(`${relative(root, f)}: a simulator may import only a driver's protocol.ts (${spec})`);
      } else if (from === 'drivers' && to === 'writers') bad.push(`${relative(root, f)}: a driver imports a writer (${spec})`);
      else if ((rank[to] ?? 99) > (rank[from] ?? 99)) bad.push(`${relative(root, f)} (${from}) imports upward into ${to} (${spec})`);
    }
  }
  t.same(bad, [], 'no upward or sideways import');
});

t.test('plans do not depend on the engine: src/core/plans imports only its message types and SRLatch from src/core/engine', async (t) => {
  const plans = join(src, 'core', 'plans');
  const engine = join(src, 'core', 'engine');
  const allowed = new Set(['messages.js', 'latch.js'].map((f) => join(engine, f)));
  const bad: string[] = [];
  for (const f of all.filter((f) => f.startsWith(plans + sep))) {
    for (const spec of importsOf(readFileSync(f, 'utf8'))) {
      const target = resolve(dirname(f), spec);
      if (target.startsWith(engine + sep) && !allowed.has(target)) bad.push(`${relative(root, f)} imports '${spec}'`);
    }
  }
  t.same(bad, [], 'plans, stubs, preprocessors and dry-run need no engine internals');
  t.ok(all.some((f) => f.startsWith(plans + sep)), 'src/core/plans exists');
});

t.test('the engine does not depend on plans', async (t) => {
  const plans = join(src, 'core', 'plans');
  const engine = join(src, 'core', 'engine');
  const bad: string[] = [];
  for (const f of all.filter((f) => f.startsWith(engine + sep))) {
    for (const spec of importsOf(readFileSync(f, 'utf8'))) {
      if (resolve(dirname(f), spec).startsWith(plans + sep)) bad.push(`${relative(root, f)} imports '${spec}'`);
    }
  }
  t.same(bad, [], 'src/core/engine imports nothing from src/core/plans');
});
