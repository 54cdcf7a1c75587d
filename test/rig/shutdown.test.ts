/**
 * installSignalHandlers in-process (signals emitted on `process`, `exit` replaced): the order of
 * the steps (abort, then e-stop, then writers, cleanup, rig close), the abort reason, the exit
 * code per signal, every step bounded, a second signal exits at once, and the disposer removes
 * the listeners. With a real RunEngine and JsonlWriter the file ends with run_stop `abort`.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunEngine } from '../../src/core/engine/index.js';
import { count } from '../../src/core/plans/index.js';
import { installSignalHandlers, exitCodeFor, type EStopReport } from '../../src/rig/index.js';
import { SoftPointDetector } from '../../src/sim/soft/index.js';
import { JsonlWriter } from '../../src/writers/jsonl.js';

const okReport: EStopReport = { elapsedMs: 1, ok: true, results: { dev: { device: 'dev', family: 'fake', ok: true, elapsedMs: 1, detail: 'stopped' } } };

t.test('exit codes are 128 + the signal number', async (t) => {
  t.equal(exitCodeFor('SIGINT'), 130);
  t.equal(exitCodeFor('SIGTERM'), 143);
  t.equal(exitCodeFor('SIGHUP'), 129);
  t.equal(exitCodeFor('EPIPE'), 141);
});

t.test('the first signal runs the steps in order and exits with its code', async (t) => {
  const steps: string[] = [];
  const lines: string[] = [];
  let exited: number | undefined;
  let abortReason: string | undefined;
  const before = process.listenerCount('SIGTERM');
  const dispose = installSignalHandlers({
    engine: { state: 'running', abort: async (reason) => void (abortReason = reason, steps.push('abort')) },
    rig: { eStop: async () => (steps.push('estop'), okReport), close: async () => void steps.push('rig close') },
    writers: [{ close: () => void steps.push('writer close') }, { flush: async () => void steps.push('writer flush') }],
    cleanup: [() => steps.push('cleanup')],
    onSignal: (s) => steps.push(`onSignal ${s}`),
    log: (l) => void lines.push(l),
    exit: (code) => void (exited = code),
  });
  t.teardown(dispose);
  t.equal(process.listenerCount('SIGTERM'), before + 1, 'a listener is installed');
  t.equal(dispose.shutdown, undefined, 'nothing runs before a signal');
  process.emit('SIGTERM', 'SIGTERM');
  t.equal(await dispose.shutdown, 143);
  t.equal(exited, 143);
  t.same(steps, ['onSignal SIGTERM', 'abort', 'estop', 'writer close', 'writer flush', 'cleanup', 'rig close']);
  t.equal(abortReason, 'SIGTERM received', 'the run is aborted with the signal as reason');
  t.match(lines.join('\n'), /e-stop: all 1 devices stopped/, 'the e-stop report is logged');
});

t.test('every step is bounded; a failing step does not stop the next', async (t) => {
  const steps: string[] = [];
  const lines: string[] = [];
  let exited: number | undefined;
  const dispose = installSignalHandlers({
    engine: { state: 'running', abort: () => new Promise(() => undefined) }, // never ends
    rig: { eStop: async () => { throw new Error('link down'); }, close: async () => void steps.push('rig close') },
    stop: async () => void steps.push('stop'),
    cleanup: [() => new Promise(() => undefined), () => steps.push('cleanup 2')],
    stepTimeoutMs: 200,
    abortGraceMs: 50,
    log: (l) => void lines.push(l),
    exit: (code) => void (exited = code),
  });
  t.teardown(dispose);
  process.emit('SIGINT', 'SIGINT');
  t.equal(await dispose.shutdown, 130);
  t.equal(exited, 130);
  t.same(steps, ['stop', 'cleanup 2', 'rig close'], 'the hung abort and cleanup and the failed e-stop did not hold up the rest');
  t.ok(lines.some((l) => /abort the run failed: TimeoutError: shutdown: abort the run: timed out after 200 ms/.test(l)), lines.join(' | '));
  t.ok(lines.some((l) => /e-stop failed: Error: link down/.test(l)));
  t.ok(lines.some((l) => /clean up failed: TimeoutError/.test(l)));
});

t.test('a second signal exits at once; the disposer removes the listeners', async (t) => {
  const exits: number[] = [];
  const lines: string[] = [];
  const before = process.listenerCount('SIGHUP');
  const dispose = installSignalHandlers({
    stop: () => new Promise((r) => setTimeout(r, 300)),
    log: (l) => void lines.push(l),
    exit: (code) => void exits.push(code),
  });
  process.emit('SIGHUP', 'SIGHUP');
  process.emit('SIGINT', 'SIGINT');
  t.same(exits, [130], 'the second signal exits at once with its own code');
  t.match(lines.join('\n'), /second SIGINT: exiting now/);
  dispose();
  t.equal(process.listenerCount('SIGHUP'), before + 1, 'while a shutdown runs the listeners stay');
  await dispose.shutdown;
  t.same(exits, [130, 129], 'the first shutdown still finishes (exit is replaced here)');

  const d2 = installSignalHandlers({ exit: () => undefined });
  t.equal(process.listenerCount('SIGHUP'), before + 2);
  d2();
  t.equal(process.listenerCount('SIGHUP'), before + 1, 'disposed before a signal: removed');
  dispose();
  t.equal(process.listenerCount('SIGHUP'), before, 'after the shutdown finished the disposer removes them');
});

t.test('with a RunEngine and a JsonlWriter the file ends with run_stop abort', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-shutdown-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const det = new SoftPointDetector('det', { position: { position: 0 }, center: 0, sigma: 1, amplitude: 10 });
  await det.connect();
  const re = new RunEngine();
  const writer = new JsonlWriter({ directory: dir });
  re.subscribe(writer.callback);
  let events = 0;
  let signalled = false;
  re.subscribe((name) => {
    if (name !== 'event') return;
    events++;
    if (events === 3 && !signalled) {
      signalled = true;
      process.emit('SIGINT', 'SIGINT');
    }
  });
  let exited: number | undefined;
  const dispose = installSignalHandlers({ engine: re, writers: [writer], exit: (c) => void (exited = c), log: () => undefined });
  t.teardown(dispose);
  const result = await re.run(count([det], 1000, 0.01));
  t.equal(await dispose.shutdown, 130);
  t.equal(exited, 130);
  t.equal(result.exitStatus, 'abort');
  t.equal(result.reason, 'SIGINT received');
  const file = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
  const docs = readFileSync(join(dir, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [string, Record<string, unknown>]);
  const last = docs.at(-1)!;
  t.same([last[0], last[1]['exit_status'], last[1]['reason']], ['stop', 'abort', 'SIGINT received']);
  t.ok(docs.filter(([n]) => n === 'event').length >= 3, 'the events before the signal are kept');
});
