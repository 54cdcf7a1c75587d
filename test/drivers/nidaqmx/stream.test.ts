/**
 * High-rate fly scans go to a `.npy` file referenced by stream_resource / stream_datum documents
 * (decision 0012): checked through a run on the simulator library, then opened with numpy alone
 * (Debian's /usr/bin/python3 with python3-numpy, else a python3 on PATH with numpy).
 */
import t from 'tap';
process.env['LABRIG_NIDAQMX_SIM'] = 'Dev1:ai=8,ao=2,ports=2,lines=8;Dev1/ai2=counter;Dev1/ai3=constant:1.25';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { npyHeader, NpyAppender, openNidaqmx } from '../../../src/drivers/nidaqmx/index.js';
import { invalidDocuments } from '../../helpers/schemas.js';
import { nidaqmxSim } from '../../helpers/nidaqmx-sim.js';

const lib = nidaqmxSim().lib;
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0);

t.test('the .npy header: numpy format 1.0, 128 bytes, the shape written in', async (t) => {
  const h = npyHeader(12, 3);
  t.equal(h.length, 128);
  t.equal(h.toString('latin1', 0, 6), '\x93NUMPY');
  t.equal(h.readUInt16LE(8), 118);
  t.match(h.toString('latin1', 10), /^\{'descr': '<f8', 'fortran_order': False, 'shape': \(12, 3\), \} +\n$/);
  t.throws(() => new NpyAppender('/nonexistent/x.npy', 0), InvalidInputError);
});

t.test('a fly scan at 4 × 50 kS/s: stream_resource, contiguous stream_datum, a file numpy opens', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-daq-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ai = await openNidaqmx(`nidaqmx://Dev1/ai2:5?lib=${encodeURIComponent(lib)}`, { name: 'daq', rate: 50_000, directory: dir });
  t.teardown(() => ai.close());
  t.match(ai.describeCollect(), { daq: { dtype: 'array', shape: [4], external: 'STREAM:' } });
  const re = new RunEngine({ cleanupTimeoutMs: 2000 });
  const docs: Array<[string, Record<string, unknown>]> = [];
  re.subscribe((name, doc) => docs.push([name, doc as unknown as Record<string, unknown>]));
  const result = await re.run(function* () {
    yield* bps.openRun();
    yield* bps.kickoff(ai, { wait: true });
    for (let i = 0; i < 3; i++) {
      yield* bps.sleep(0.2);
      yield* bps.collect(ai);
    }
    yield* bps.complete(ai, { wait: true });
    yield* bps.collect(ai);
    yield* bps.closeRun();
  }());
  t.equal(result.exitStatus, 'success', result.reason);
  t.same(invalidDocuments(docs as never), [], 'documents validate against the event-model schemas');
  const resources = docs.filter(([n]) => n === 'stream_resource').map(([, d]) => d);
  const datums = docs.filter(([n]) => n === 'stream_datum').map(([, d]) => d as { indices: { start: number; stop: number }; stream_resource: string });
  t.equal(resources.length, 1);
  t.equal(resources[0]!['mimetype'], 'application/x-npy');
  t.ok(datums.length >= 2, `${datums.length} stream_datum documents`);
  t.ok(datums.every((d) => d.stream_resource === resources[0]!['uid']));
  t.same(datums.map((d) => d.indices.start), [0, ...datums.slice(0, -1).map((d) => d.indices.stop)], 'contiguous rows');
  const rows = datums.at(-1)!.indices.stop;
  t.equal(rows, ai.getIndex(), 'every acquired row referenced');
  t.ok(rows >= 20_000, `${rows} rows`);
  const path = fileURLToPath(resources[0]!['uri'] as string);
  const bytes = readFileSync(path);
  t.equal(bytes.length, 128 + rows * 4 * 8, 'header + rows × 4 channels × 8 bytes');
  const col0 = new Float64Array(bytes.buffer.slice(bytes.byteOffset + 128, bytes.byteOffset + bytes.length)).filter((_, i) => i % 4 === 0);
  t.ok(col0.every((v, i) => v === i), 'the counter channel has no gap in the file');
  if (!python) {
    t.comment('numpy check skipped: no python3 with numpy here (Debian: apt-get install python3-numpy)');
    return;
  }
  const py = spawnSync(python, ['-c', [
    'import sys, numpy as np',
    'a = np.load(sys.argv[1])',
    'n = int(sys.argv[2])',
    'assert a.dtype == np.float64 and a.shape == (n, 4), (a.dtype, a.shape)',
    'assert (a[:, 0] == np.arange(n)).all(), "counter column"',
    'assert (a[:, 1] == 1.25).all(), "constant column"',
    'print("ok", a.shape)',
  ].join('\n'), path, String(rows)], { encoding: 'utf8', timeout: 60_000 });
  t.equal(py.status, 0, `${python}: ${py.stderr}`);
  t.match(py.stdout, `ok (${rows}, 4)`);
});

t.test('above 10 kS/s without a directory: refused with a typed error naming the fix', async (t) => {
  const ai = await openNidaqmx(`nidaqmx://Dev1/ai2:5?lib=${encodeURIComponent(lib)}`, { name: 'fast', rate: 50_000 });
  t.teardown(() => ai.close());
  await t.rejects(async () => { await ai.kickoff(); }, { name: 'InvalidInputError', message: /directory/ });
  t.equal(ai.busy, false);
});
