// TypeDoc configuration: `npm run docs` writes the API reference to docs/api/ (not committed).
// The entry points are the package's public subpaths, read from package.json `exports`, so the
// reference documents exactly what a user can import; `./drivers/*` expands to each family folder.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** Map a built path (`./dist/x/index.js`) to its source (`src/x/index.ts`). */
const source = (built) => built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');

const entryPoints = [];
for (const target of Object.values(pkg.exports)) {
  if (typeof target === 'string') continue;
  if (target.default.includes('*')) {
    for (const d of readdirSync('src/drivers', { withFileTypes: true })) {
      const file = source(target.default.replace('*', d.name));
      if (d.isDirectory() && existsSync(file)) entryPoints.push(file);
    }
  } else entryPoints.push(source(target.default));
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints,
  out: 'docs/api',
  tsconfig: 'tsconfig.build.json',
  name: 'labrig',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  validation: { notExported: false, invalidLink: true, notDocumented: false },
  // The guides become pages of the reference, next to the API.
  projectDocuments: ['docs/guides/*.md'],
};
