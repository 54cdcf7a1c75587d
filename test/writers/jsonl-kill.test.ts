/**
 * A run killed with SIGKILL keeps its data: a child process writes a run through the RunEngine
 * into a JsonlWriter, the test kills it, then the file must be valid JSON lines (readJsonl's rule
 * for a torn last line) holding the events the flush interval promises. Every wait is on the
 * file's content or the child's output, bounded generously, so a loaded machine only makes it slower.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSONL_FLUSH_DOCUMENTS, JSONL_FLUSH_INTERVAL_MS, readJsonl } from '../../src/writers/jsonl.js';

// Child processes load tsx: on a loaded machine that alone takes many seconds.
t.setTimeout(180_000);

const CHILD = fileURLToPath(new URL('./fixtures/jsonl-run.ts', import.meta.url));
/** Extra allowance on top of the flush interval for a child whose event loop a loaded machine delays. */
const LOAD_SLACK_MS = 1500;

interface Child {
  proc: ChildProcess;
  /** Events the child reported emitting: seq_num → Date.now() when the writer had it. */
  emitted: Map<number, number>;
  lines: string[];
  exited: Promise<void>;
}

function startChild(t: Test, dir: string, mode: 'stream' | 'idle', n: number): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, mode, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const emitted = new Map<number, number>();
  const lines: string[] = [];
  let rest = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      const m = /^event (\d+) (\d+)$/.exec(l);
      if (m) emitted.set(Number(m[1]), Number(m[2]));
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => proc.on('close', () => resolve()));
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
    if (stderr.trim()) t.comment(`child stderr: ${stderr.trim()}`);
  });
  return { proc, emitted, lines, exited };
}

async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Events in the file now (tolerating a torn last line, as readJsonl does). */
function eventsIn(path: string): number {
  return existsSync(path) ? readJsonl(path).filter(([n]) => n === 'event').length : 0;
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-jsonl-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('SIGKILL during a streaming run leaves valid JSONL with every event older than the flush interval', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'run.jsonl');
  const child = startChild(t, dir, 'stream', 0);
  const N = 30;
  await waitFor(`${N} events in ${path}`, () => eventsIn(path) >= N);
  child.proc.kill('SIGKILL');
  await child.exited;
  t.equal(child.proc.signalCode, 'SIGKILL', 'the child died by SIGKILL');

  const docs = readJsonl(path);
  t.same(docs.slice(0, 2).map(([n]) => n), ['start', 'descriptor'], 'start and descriptor first');
  t.notOk(docs.some(([n]) => n === 'stop'), 'no stop document: the run was killed');
  const seqs = docs.filter(([n]) => n === 'event').map(([, d]) => (d as { seq_num: number }).seq_num);
  t.same(seqs, seqs.map((_, i) => i + 1), 'events are whole and in order, 1..n');
  t.ok(seqs.length >= N, `at least the ${N} events seen before the kill (${seqs.length})`);

  const last = Math.max(...child.emitted.values());
  const older = [...child.emitted].filter(([, at]) => at < last - JSONL_FLUSH_INTERVAL_MS - LOAD_SLACK_MS).map(([s]) => s);
  const missing = older.filter((s) => s > seqs.length);
  t.same(missing, [], `every event emitted more than ${JSONL_FLUSH_INTERVAL_MS} ms (+${LOAD_SLACK_MS} ms load allowance) before the last is in the file`);
  t.ok(child.emitted.size - seqs.length < JSONL_FLUSH_DOCUMENTS, `fewer than ${JSONL_FLUSH_DOCUMENTS} events lost (${child.emitted.size - seqs.length})`);
  const lastWritten = child.emitted.get(seqs.length);
  if (lastWritten !== undefined) t.comment(`emitted ${child.emitted.size}, on disk ${seqs.length}; newest event on disk was ${last - lastWritten} ms older than the newest emitted`);
});

t.test('events held by an idle run reach the file by the timer alone; a SIGKILL then loses none', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'run.jsonl');
  const n = 12;
  const child = startChild(t, dir, 'idle', n);
  await waitFor('the child to report idle', () => child.lines.includes('idle'));
  // No document follows: only the flush timer can write these events (neither the count bound nor the size bound is reached).
  await waitFor(`${n} events in the file`, () => eventsIn(path) === n, 30_000);
  t.ok(n < JSONL_FLUSH_DOCUMENTS, 'below the count bound');
  t.ok(readFileSync(path, 'utf8').length < 65536, 'below the size bound');
  child.proc.kill('SIGKILL');
  await child.exited;
  t.equal(child.proc.signalCode, 'SIGKILL');
  const docs = readJsonl(path, { strict: true });
  t.same(docs.map(([name]) => name), ['start', 'descriptor', ...Array<string>(n).fill('event')], 'all of it, whole lines');
});
