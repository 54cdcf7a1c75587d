import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../src/cli/demo.js';
import { main } from '../../src/cli/main.js';
import { readJsonl } from '../../src/writers/jsonl.js';
import { invalidDocuments } from '../helpers/schemas.js';
import type { Event, RunStop } from '../../src/core/documents/types.js';

t.test('the demo scans the simulated devices and writes a valid JSON-lines run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-demo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const result = await runDemo({ out: dir, points: 9, print: (l) => lines.push(l), timeScale: 50 });
  t.equal(result.exitStatus, 'success');
  t.equal(result.events, 9);
  t.equal(result.files.length, 1);
  const docs = readJsonl(result.files[0]!);
  t.same(invalidDocuments(docs), [], 'every document validates against the event-model schemas');
  t.same([docs[0]![0], docs[docs.length - 1]![0]], ['start', 'stop']);
  t.equal((docs[docs.length - 1]![1] as RunStop).exit_status, 'success');
  const events = docs.filter(([n]) => n === 'event').map(([, d]) => d as Event);
  t.equal(events.length, 9);
  const xs = events.map((e) => e.data['sample_x'] as number);
  t.same(xs.map((x) => Math.round(x * 1000) / 1000), [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2], 'motor visited each scan point');
  const peak = events.reduce((a, b) => ((b.data['det'] as number) > (a.data['det'] as number) ? b : a));
  t.ok(Math.abs((peak.data['sample_x'] as number) - 0.3) <= 0.5, 'the detector peaks near its centre (0.3 mm)');
  t.ok(lines.some((l) => l.includes('sample_x')), 'the live table shows the motor column');
  t.equal(lines.filter((l) => /^\|\s+\d+ \|/.test(l)).length, 9, 'one table row per event');
});

t.test('the command line answers help, version and unknown commands', async (t) => {
  const logged: string[] = [];
  const errors: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void logged.push(a.join(' '));
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  t.teardown(() => {
    console.log = log;
    console.error = error;
  });
  t.equal(await main(['help']), 0);
  t.match(logged.join('\n'), /labrig <command>/);
  t.equal(await main(['version']), 0);
  t.match(logged[logged.length - 1], /^\d+\.\d+\.\d+$/);
  t.equal(await main(['frobnicate']), 2);
  t.match(errors.join('\n'), /unknown command 'frobnicate'/);
  t.equal(await main(['sim', 'teapot']), 2);
  t.equal(await main(['demo', '--points', '0']), 2);
});
