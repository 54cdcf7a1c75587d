/**
 * `labrig demo --soft` under a signal (in-process: the signal is emitted on `process`, `exit`
 * replaced): the soft motor stops, the run ends with run_stop `abort` and the signal as reason,
 * the reason is printed, and the exit code is 128 + the signal.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../src/cli/demo.js';

t.test('SIGTERM mid-scan of the soft demo aborts the run and keeps its events', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-soft-sig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const printed: string[] = [];
  let exited: number | undefined;
  let sent = false;
  const result = await runDemo({
    out: dir,
    points: 50,
    timeScale: 5,
    handleSignals: { exit: (code) => void (exited = code), log: () => undefined, epipe: false },
    print: (l) => {
      printed.push(l);
      // The table prints a row per event: signal after a few rows.
      if (!sent && printed.length >= 8) {
        sent = true;
        process.emit('SIGTERM', 'SIGTERM');
      }
    },
  });
  t.ok(sent, 'the signal was sent mid-scan');
  t.equal(result.exitStatus, 'abort');
  t.ok(result.events > 0 && result.events < 50, `the scan was cut short (${result.events} events)`);
  t.ok(printed.some((l) => l === 'run abort: SIGTERM received'), 'why the run ended is printed');
  const until = Date.now() + 30_000; // the shutdown finishes on its own; bounded wait for it
  while (exited === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  t.equal(exited, 143, 'exit 143 after the shutdown');
  const file = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
  const docs = readFileSync(join(dir, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [string, Record<string, unknown>]);
  t.same([docs.at(-1)![0], docs.at(-1)![1]['exit_status'], docs.at(-1)![1]['reason']], ['stop', 'abort', 'SIGTERM received']);
  t.equal(docs.filter(([n]) => n === 'event').length, result.events, 'every event emitted is in the file');
});
