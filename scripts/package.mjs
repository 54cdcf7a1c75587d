#!/usr/bin/env node
// Build the npm package of labrig in a folder of its own and pack it:
//   node scripts/package.mjs [OUT_DIR]     (default build/; `npm run package`)
// OUT_DIR/package/ gets the compiled library (dist/, declarations, no source maps: src/ is not
// shipped), bin/, the package README (docs/package/README.md, written for npm users; the
// repository's README.md stays the repository's), the guides, the driver READMEs and the
// decision records; its package.json is the repository's without scripts and devDependencies.
// `npm pack` of that folder writes OUT_DIR/labrig-VERSION.tgz; the last line printed is its path.
// Publish with `npm publish OUT_DIR/package`.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'build'));
const pkgDir = join(out, 'package');
rmSync(pkgDir, { recursive: true, force: true });
mkdirSync(pkgDir, { recursive: true });

// 1. Compile: declarations, no source maps (they would point at the unshipped src/).
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkgDir, 'dist'), '--sourceMap', 'false', '--declarationMap', 'false'], { stdio: 'inherit' });

// 1b. Python the compiled library runs: the Tango sidecar and the Tango event server.
for (const f of ['drivers/tango/sidecar.py', 'sim/tango/event_server.py']) cpSync(join(root, 'src', f), join(pkgDir, 'dist', f));

// 2. Documentation: the npm README, guides, driver READMEs, decision records.
const copy = (from, to) => {
  if (existsSync(join(root, from))) cpSync(join(root, from), join(pkgDir, to), { recursive: true });
};
copy('docs/package/README.md', 'README.md');
copy('docs/guides', 'docs/guides');
copy('docs/decisions', 'docs/decisions');
copy('src/drivers/README.md', 'docs/drivers/README.md');
copy('src/rig/README.md', 'docs/rig.md');
for (const d of readdirSync(join(root, 'src', 'drivers'), { withFileTypes: true })) {
  if (d.isDirectory()) copy(`src/drivers/${d.name}/README.md`, `docs/drivers/${d.name}.md`);
}
copy('bin', 'bin');
copy('LICENSE', 'LICENSE');

// 3. package.json without what only the repository uses.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
delete pkg.scripts;
delete pkg.devDependencies;
pkg.files = ['dist', 'bin', 'docs'];
writeFileSync(join(pkgDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

// 4. Pack.
const packed = JSON.parse(execFileSync('npm', ['pack', pkgDir, '--json', '--pack-destination', out], { encoding: 'utf8', cwd: out }));
console.log(join(out, packed[0].filename));
