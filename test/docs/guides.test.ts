/**
 * The guides cannot rot: every code block tagged `ts check` in docs/guides/*.md is extracted and
 * type-checked (strict) against labrig's public paths, mapped to the sources the package is built
 * from. Untagged blocks (shell, YAML, fragments) are not checked.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { publicEntries } from '../helpers/public-api.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const guides = join(root, 'docs', 'guides');
// Type-checking the sources and running five programs takes more than tap's default minute on a loaded machine.
t.setTimeout(480_000);

/** The `ts check` blocks of a markdown text, with the line each starts on. */
export function checkedBlocks(markdown: string): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = [];
  const re = /^```ts check[^\n]*\n([\s\S]*?)^```/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) out.push({ line: markdown.slice(0, m.index).split('\n').length + 1, code: m[1]! });
  return out;
}

t.test('the guides have checked blocks', async (t) => {
  t.same(checkedBlocks('text\n```ts check\nconst a = 1;\n```\n```ts\nnot checked\n```\n'), [{ line: 3, code: 'const a = 1;\n' }]);
  const files = readdirSync(guides).filter((f) => f.endsWith('.md'));
  for (const f of ['running-a-plan.md', 'rig-files.md', 'testing-with-simulators.md', 'embedding.md']) {
    t.ok(files.includes(f), `docs/guides/${f} exists`);
    t.ok(checkedBlocks(readFileSync(join(guides, f), 'utf8')).length > 0, `${f} has a checked block`);
  }
});

t.test('every checked block of every guide type-checks against the public API', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-guides-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const where = new Map<string, string>();
  for (const f of readdirSync(guides).filter((f) => f.endsWith('.md'))) {
    checkedBlocks(readFileSync(join(guides, f), 'utf8')).forEach((b, i) => {
      const file = join(dir, `${f.replace(/\.md$/, '')}-${i + 1}.mts`);
      writeFileSync(file, `${b.code}\nexport {};\n`);
      where.set(file, `docs/guides/${f}:${b.line}`);
    });
  }
  const paths = Object.fromEntries([...publicEntries(root)].map(([spec, file]) => [spec, [relative(root, file)]]));
  const program = ts.createProgram({
    rootNames: [...where.keys()],
    options: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
      baseUrl: root,
      paths,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    },
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file && where.has(d.file.fileName));
  const text = diagnostics.map((d) => {
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${where.get(d.file!.fileName)} (+${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  t.ok(where.size >= 4, `${where.size} blocks checked`);
  t.same(text, [], 'no type errors in the guides');
});

t.test('every checked block runs to its end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-guides-run-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // tsx resolves the public paths through this tsconfig's paths, to the sources.
  const paths = Object.fromEntries([...publicEntries(root)].map(([spec, file]) => [spec, [file]]));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', paths } }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
  for (const f of readdirSync(guides).filter((f) => f.endsWith('.md'))) {
    for (const [i, b] of checkedBlocks(readFileSync(join(guides, f), 'utf8')).entries()) {
      const file = join(dir, `${f.replace(/\.md$/, '')}-${i + 1}.mts`);
      writeFileSync(file, `${b.code}\nexport {};\n`);
      const r = await new Promise<{ code: number | null; stderr: string }>((res) => {
        execFile(process.execPath, ['--import', tsx, file], { cwd: dir, timeout: 60_000 }, (err, _stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
      });
      t.equal(r.code, 0, `docs/guides/${f}:${b.line} runs and exits 0 (${r.stderr.slice(0, 500)})`);
    }
  }
});
