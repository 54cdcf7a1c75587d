/**
 * The public API as the TypeScript compiler sees it: the entry modules of package.json `exports`
 * and every symbol they export, with whether it carries a doc comment. Used by the doc-comment
 * test; shares the entry-point rule with typedoc.config.mjs (`./drivers/*` = each family folder).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One exported symbol of one public subpath. */
export interface PublicExport {
  /** The subpath it is imported from (`labrig/plans`). */
  readonly subpath: string;
  /** The exported name. */
  readonly name: string;
  /** Where it is declared, `src/...:line`. */
  readonly where: string;
  /** Whether its declaration has a doc comment. */
  readonly documented: boolean;
}

/** Return the source entry module of each public subpath (`labrig/rig` → `src/rig/index.ts`). */
export function publicEntries(root: string): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { default: string }> };
  const source = (built: string): string => join(root, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
  const entries = new Map<string, string>();
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    const name = `labrig${sub.slice(1)}`;
    if (!target.default.includes('*')) {
      entries.set(name, source(target.default));
      continue;
    }
    for (const d of readdirSync(join(root, 'src', 'drivers'), { withFileTypes: true })) {
      const file = source(target.default.replace('*', d.name));
      if (d.isDirectory() && existsSync(file)) entries.set(name.replace('*', d.name), file);
    }
  }
  return entries;
}

/** Whether a declaration carries a doc comment (a `/** ... *\/` block, with text or tags). */
function hasDoc(decl: ts.Declaration): boolean {
  // A namespace re-export (`export * as galil from ...`) is documented by its module's `@module` comment.
  if (ts.isSourceFile(decl)) {
    const first = decl.statements[0];
    return first !== undefined && ts.getJSDocTags(first).some((tag) => tag.tagName.text === 'module');
  }
  // A variable's comment sits on its statement; a declaration's own JSDoc otherwise.
  const node = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
  return ts.getJSDocCommentsAndTags(node).some((doc) => !ts.isJSDoc(doc) || (ts.getTextOfJSDocComment(doc.comment) ?? '').trim() !== '' || (doc.tags?.length ?? 0) > 0);
}

/** List the exports of the module `file` in `program` as seen from `subpath`. */
export function exportsOf(program: ts.Program, file: string, subpath: string, root: string): PublicExport[] {
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(file);
  const mod = sf && checker.getSymbolAtLocation(sf);
  if (!mod) throw new Error(`${file}: not a module`);
  return checker.getExportsOfModule(mod).map((sym) => {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const decls = target.declarations ?? [];
    const first = decls[0];
    const where = first ? `${relative(root, first.getSourceFile().fileName)}:${first.getSourceFile().getLineAndCharacterOfPosition(first.getStart()).line + 1}` : '?';
    return { subpath, name: sym.name, where, documented: decls.some(hasDoc) };
  });
}

/** List every export of every public subpath, with its declaration place and whether it is documented. */
export function publicExports(root: string): PublicExport[] {
  const entries = publicEntries(root);
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const program = ts.createProgram({ rootNames: [...entries.values()], options: { ...(config?.options ?? {}), noEmit: true } });
  return [...entries].flatMap(([subpath, file]) => exportsOf(program, file, subpath, root));
}
