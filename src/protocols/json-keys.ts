/**
 * Duplicate keys in JSON text. `JSON.parse` keeps the last of two equal keys without a word; a rig
 * file with `stage` twice would silently open one device and drop the other's settings. YAML
 * refuses duplicate keys already; {@link findDuplicateKey} lets JSON rigs do the same.
 * @module
 */

/** Where a key repeats: its path in the document, and the line/column (1-based) of both occurrences. */
export interface DuplicateKey {
  /** The repeated key. */
  readonly key: string;
  /** Path of the object holding it: `devices.stage` ('' for the top level). */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly firstLine: number;
  readonly firstColumn: number;
}

/**
 * Return the first key that appears twice in one object of `text`, or undefined. `text` must be
 * valid JSON (parse it first); the scan only tracks strings, objects and arrays.
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  interface Frame {
    kind: 'object' | 'array';
    keys: Map<string, number>;
    path: string;
    /** The next string in this object is a key. */
    expectKey: boolean;
    lastKey: string | undefined;
    index: number;
  }
  const stack: Frame[] = [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const where = (offset: number): [number, number] => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return [lo + 1, offset - lineStarts[lo]! + 1];
  };
  const childPath = (): string => {
    const top = stack.at(-1);
    if (!top) return '';
    const part = top.kind === 'object' ? (top.lastKey ?? '') : `[${top.index}]`;
    return top.path === '' ? part : top.kind === 'array' ? `${top.path}${part}` : `${top.path}.${part}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push({ kind: c === '{' ? 'object' : 'array', keys: new Map(), path: stack.length === 0 ? '' : childPath(), expectKey: c === '{', lastKey: undefined, index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.kind === 'object') top.expectKey = true;
      else if (top) top.index++;
    } else if (c === '"') {
      const start = i;
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(text.slice(start, j + 1)) as string;
        const first = top.keys.get(key);
        if (first !== undefined) {
          const [line, column] = where(start);
          const [firstLine, firstColumn] = where(first);
          return { key, path: top.path, line, column, firstLine, firstColumn };
        }
        top.keys.set(key, start);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}
