/**
 * Every public export carries a doc comment: each symbol exported from a package.json `exports`
 * subpath (what TypeDoc's reference documents, `npm run docs`) is checked with the TypeScript
 * compiler, without running TypeDoc. A missing comment fails with the name, subpath and place.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { exportsOf, publicEntries, publicExports } from '../helpers/public-api.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
t.setTimeout(180_000);

t.test('the checker tells documented exports from undocumented ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-doc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'inner.ts'), '/** Documented where declared. */\nexport const viaReexport = 1;\nexport const bare = 2;\n');
  writeFileSync(join(dir, 'ns.ts'), '/**\n * A namespace module.\n * @module\n */\nexport const x = 1;\n');
  writeFileSync(
    join(dir, 'entry.ts'),
    [
      '/** Add one. */',
      'export function documented(x: number): number { return x + 1; }',
      'export function undocumented(): void {}',
      '/** */',
      'export const emptyComment = 1;',
      '/** A shape. */',
      'export interface Shape { a: number }',
      'export type Bare = string;',
      "export { viaReexport, bare } from './inner.js';",
      "export * as ns from './ns.js';",
    ].join('\n'),
  );
  const program = ts.createProgram({ rootNames: [join(dir, 'entry.ts')], options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true } });
  const got = Object.fromEntries(exportsOf(program, join(dir, 'entry.ts'), 'fixture', dir).map((e) => [e.name, e.documented]));
  t.same(got, { documented: true, undocumented: false, emptyComment: false, Shape: true, Bare: false, viaReexport: true, bare: false, ns: true });
});

t.test('every export of every public subpath has a doc comment', async (t) => {
  const entries = publicEntries(root);
  t.ok(entries.has('labrig') && entries.has('labrig/rig') && entries.has('labrig/drivers/galil'), 'the entries include the root, labrig/rig and each driver family');
  const all = publicExports(root);
  t.ok(all.length > 500, `the public API has many exports (${all.length})`);
  const missing = all.filter((e) => !e.documented).map((e) => `${e.name} (${e.subpath}, ${e.where})`);
  t.same([...new Set(missing)], [], 'exports without a doc comment');
});
