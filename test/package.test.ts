/** The package's public surface: every `exports` entry points at a module that exists and loads. */
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  type: string;
};

t.equal(pkg.type, 'module', 'ESM package');
t.ok(existsSync(join(root, pkg.bin['labrig']!)), 'bin entry exists');

const slowToLoad = new Set(['./protocols/opcua', './sim/opcua']);

for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target === 'string') continue;
  t.test(`export ${subpath}`, async (t) => {
    t.match(target.types, /\.d\.ts$/, 'has type declarations');
    // drivers/* covers the families (folders with an index.ts); src/drivers/shared is internal.
    const sources = target.default.includes('*')
      ? readdirSync(join(root, 'src', 'drivers'), { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(root, 'src', 'drivers', d.name, 'index.ts'))).map((d) => `./dist/drivers/${d.name}/index.js`)
      : [target.default];
    for (const built of sources) {
      const src = join(root, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
      t.ok(existsSync(src), `${built} is built from ${src.slice(root.length + 1)}`);
      if (slowToLoad.has(subpath)) continue;
      const mod = (await import(pathToFileURL(src).href)) as Record<string, unknown>;
      t.ok(Object.keys(mod).length > 0, `${subpath} exports something`);
    }
  });
}
