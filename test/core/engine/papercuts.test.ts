/**
 * Issue 8 papercuts on the engine side: Status is a full thenable, the subscriber is typed by
 * document name (the README quickstart compiles under strict tsc), and a soft detector can
 * follow an asynchronous position source.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { Status } from '../../../src/core/status.js';
import { SoftPointDetector } from '../../../src/sim/soft/detector.js';
import { count } from '../../../src/core/plans/index.js';
import { withEngine } from './engine-fixtures.js';

// Type-checking the quickstart loads the compiler and much of src: slow on a loaded machine.
t.setTimeout(300_000);

t.test('Status has catch and finally like a Promise', async (t) => {
  const failed = Status.failed<number>(new Error('nope'), 'x');
  t.equal(await failed.catch((e: unknown) => (e as Error).message), 'nope');
  let ran = 0;
  await Status.finished(3, 'ok').finally(() => ran++);
  await failed.finally(() => ran++).catch(() => undefined);
  t.equal(ran, 2);
  t.equal(await Status.finished(5, 'ok').catch(() => 0), 5);
});

t.test('a SoftPointDetector follows an asynchronous position source (a Locatable real device, or an async function)', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const device = { name: 'stage', locate: async () => ({ setpoint: 0.5, readback: 0.5 }) };
    const det = new SoftPointDetector('det', { position: device, center: 0.5, sigma: 0.3, amplitude: 100 });
    const det2 = new SoftPointDetector('det2', { position: async () => 10, center: 0.5, sigma: 0.3, amplitude: 100 });
    await Promise.all([det.connect(), det2.connect()]);
    const st = det.trigger();
    t.equal(st.done, false, 'the Status waits for the position');
    await st;
    const r = await re.run(count([det, det2], 2));
    t.equal(r.exitStatus, 'success', r.reason);
    const ev = rec.of('event')[0];
    t.ok(Math.abs(ev.data.det - 100) < 1e-6, `peak read at the async readback (${ev.data.det})`);
    t.ok(ev.data.det2 < 1e-6, 'far from the peak');
  });
});

t.test('the README quickstart type-checks under strict tsc (typed subscriber: doc.data after name === "event")', (t) => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Quickstart')))?.[1];
  t.ok(code, 'the README has a quickstart');
  const dir = mkdtempSync(join(tmpdir(), 'labrig-qs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'quickstart.mts');
  writeFileSync(file, `${code!}\nexport {};\n`);
  const map = (p: string): string[] => [join(root, p)];
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    baseUrl: root,
    paths: {
      labrig: map('src/index.ts'),
      'labrig/plans': map('src/core/plans/index.ts'),
      'labrig/sim': map('src/sim/index.ts'),
      'labrig/writers': map('src/writers/index.ts'),
    },
  };
  const program = ts.createProgram([file], options);
  const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
  t.same(diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [], 'no type error in the quickstart');
  t.end();
});
