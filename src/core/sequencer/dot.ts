/**
 * Draw a node tree as a Graphviz DOT digraph, as ESO's `seqtool draw` does: every container
 * (sequence, parallel, loop, template) is a cluster with its own start and end nodes.
 * @module
 */
import type { SeqNode } from './nodes.js';

const q = (s: string): string => `"${s.replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n')}"`;

/** The DOT text of `root`, titled `name`. */
export function toDot(root: SeqNode, name = root.id): string {
  const lines: string[] = [`digraph ${q(name)} {`, '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=10];'];
  const edge = (a: string, b: string, label?: string): void => void lines.push(`  ${q(a)} -> ${q(b)}${label ? ` [label=${q(label)}]` : ''};`);
  const flags = (n: SeqNode): string => [n.options.skip ? 'skip' : '', n.options.pauseBefore ? 'pause' : '', n.options.onError && n.options.onError !== 'abort' ? (typeof n.options.onError === 'object' ? `retry ${n.options.onError.retry}` : n.options.onError) : ''].filter(Boolean).join(', ');

  const draw = (n: SeqNode): { entry: string; exit: string } => {
    const f = flags(n);
    if (n.kind === 'action' || n.kind === 'plan' || n.kind === 'executor') {
      const what = n.kind === 'executor' ? `action ${n.action}` : n.kind === 'plan' ? 'plan' : 'function';
      lines.push(`  ${q(n.id)} [shape=box, style=rounded, label=${q(`${n.id}\n${what}${f ? `\n[${f}]` : ''}`)}];`);
      return { entry: n.id, exit: n.id };
    }
    const start = `${n.id}:start`;
    const end = `${n.id}:end`;
    const title = n.kind === 'template' ? `${n.id} (template ${n.template})` : `${n.id} (${n.kind})`;
    lines.push(`  subgraph ${q(`cluster_${n.id}`)} {`, `  label=${q(f ? `${title} [${f}]` : title)};`);
    lines.push(`  ${q(start)} [shape=circle, label="start", width=0.3];`, `  ${q(end)} [shape=doublecircle, label="end", width=0.3];`);
    if (n.kind === 'sequence' || n.kind === 'template') {
      let prev = start;
      for (const c of n.kind === 'template' ? [n.child] : n.children) {
        const d = draw(c);
        edge(prev, d.entry);
        prev = d.exit;
      }
      edge(prev, end);
    } else if (n.kind === 'parallel') {
      if (!n.children.length) edge(start, end);
      for (const c of n.children) {
        const d = draw(c);
        edge(start, d.entry);
        edge(d.exit, end);
      }
    } else {
      const cond = `${n.id}:condition`;
      lines.push(`  ${q(cond)} [shape=diamond, label="condition"];`);
      edge(start, cond);
      let prev = cond;
      let first = true;
      for (const c of n.body.children) {
        const d = draw(c);
        edge(prev, d.entry, first ? 'true' : undefined);
        first = false;
        prev = d.exit;
      }
      edge(prev, cond, first ? 'true' : 'next');
      edge(cond, end, 'false');
    }
    lines.push('  }');
    return { entry: start, exit: end };
  };
  draw(root);
  lines.push('}');
  return lines.join('\n') + '\n';
}
