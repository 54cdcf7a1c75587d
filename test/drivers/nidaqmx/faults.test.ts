/**
 * NI-DAQmx faults against the simulator library: a reader that falls behind (-200279) ends the
 * run with `fail` and keeps every earlier event; a read that times out (-200284); invalid
 * channels, devices and ranges (NI's codes, with the library's extended text); a missing
 * library (NotFoundError saying how to point labrig at it); a task left running at close; tasks
 * cleared when the process exits; NI warnings reported, not thrown.
 */
import t from 'tap';
process.env['LABRIG_NIDAQMX_SIM'] = 'Dev1:ai=8,ao=2,ports=2,lines=8;Dev1/ai2=counter';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunEngine } from '../../../src/core/engine/run-engine.js';
import * as bps from '../../../src/core/plans/stubs/index.js';
import { DeviceError, InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { NotFoundError } from '../../../src/protocols/discovery/not-found.js';
import { openDaqmx, openNidaqmx, type NidaqmxDevice, type NidaqmxFamilyOptions } from '../../../src/drivers/nidaqmx/index.js';
import type { FfiWarning } from '../../../src/protocols/ffi/index.js';
import { nidaqmxSimOpenTasks } from '../../../src/sim/nidaqmx/library.js';
import { invalidDocuments } from '../../helpers/schemas.js';
import { nidaqmxSim } from '../../helpers/nidaqmx-sim.js';

const lib = nidaqmxSim().lib;
const here = dirname(fileURLToPath(import.meta.url));

async function open(t: { teardown(fn: () => unknown): void }, uri: string, options: NidaqmxFamilyOptions & { name?: string } = {}): Promise<NidaqmxDevice> {
  const d = await openNidaqmx(`${uri}${uri.includes('?') ? '&' : '?'}lib=${encodeURIComponent(lib)}`, options);
  t.teardown(() => d.close());
  return d;
}

async function rejection(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

t.test('a reader that falls behind: -200279 ends the run with fail, every earlier event kept', async (t) => {
  const ai = await open(t, 'nidaqmx://Dev1/ai2', { name: 'daq', rate: 10_000, chunk: 200 });
  const re = new RunEngine({ cleanupTimeoutMs: 2000, onError: () => {} });
  const docs: Array<[string, Record<string, unknown>]> = [];
  let rows = 0;
  let blocked = false;
  re.subscribe((name, doc) => {
    docs.push([name, doc as unknown as Record<string, unknown>]);
    if (name === 'event_page') rows += ((doc as unknown as { seq_num: number[] }).seq_num).length;
    if (rows >= 2000 && !blocked) {
      blocked = true;
      const end = Date.now() + 1600; // the JS thread stalls longer than the 10 kS buffer lasts at 10 kS/s
      while (Date.now() < end) { /* a consumer that falls behind */ }
    }
  });
  const result = await re.run(function* () {
    yield* bps.openRun();
    yield* bps.kickoff(ai, { wait: true });
    for (let i = 0; i < 400; i++) {
      yield* bps.sleep(0.02);
      yield* bps.collect(ai, { stream: true });
    }
    yield* bps.complete(ai, { wait: true });
    yield* bps.closeRun();
  }());
  t.equal(result.exitStatus, 'fail', `reason: ${result.reason}`);
  t.type(result.exception, DeviceError);
  t.equal((result.exception as DeviceError).vendorCode, -200279, "NI's buffer-overflow code");
  t.match((result.exception as DeviceError).vendorMessage, /overwritten/);
  const values = docs.filter(([n]) => n === 'event_page').flatMap(([, d]) => (d['data'] as Record<string, number[]>)['daq-ai2']!);
  t.ok(values.length >= 2000, `${values.length} samples kept`);
  t.same(values, values.map((_, i) => i), 'every sample before the fault kept, in order, none missing');
  const stops = docs.filter(([n]) => n === 'stop').map(([, d]) => d);
  t.equal(stops.length, 1);
  t.equal(stops[0]!['exit_status'], 'fail');
  t.same(invalidDocuments(docs as never), [], 'documents validate against the event-model schemas');
  await new Promise((r) => setImmediate(r));
  t.equal(ai.busy, false, 'the acquisition task was cleared');
  t.equal(nidaqmxSimOpenTasks(), 1, 'only the on-demand task remains');
});

t.test('a read that times out: -200284 (no start-trigger edge within timeoutMs)', async (t) => {
  const ai = await open(t, 'nidaqmx://Dev1/ai2', { name: 'late', rate: 1000, samples: 10, trigger: '/Dev1/PFI3', timeoutMs: 200 });
  const e = (await rejection(ai.trigger())) as DeviceError;
  t.type(e, DeviceError);
  t.equal(e.vendorCode, -200284);
  t.equal(e.kind, 'timeout');
  t.equal(ai.task?.running, false, 'the task was stopped after the failed read');
});

t.test('a finite fly scan whose trigger never comes: complete() fails with a TimeoutError, the task is cleared', async (t) => {
  const ai = await open(t, 'nidaqmx://Dev1/ai2', { name: 'never', rate: 1000, samples: 10, trigger: '/Dev1/PFI5', timeoutMs: 200 });
  const before = nidaqmxSimOpenTasks();
  await ai.kickoff();
  const e = await rejection(ai.complete());
  t.type(e, TimeoutError);
  t.match((e as Error).message, /never\.complete\(\): timed out after 210 ms/);
  await new Promise((r) => setImmediate(r));
  t.equal(ai.busy, false);
  t.equal(nidaqmxSimOpenTasks(), before, 'only the on-demand task remains');
});

t.test('invalid channel, device and range: NI codes and the extended text; nothing left open', async (t) => {
  const before = nidaqmxSimOpenTasks();
  const e1 = (await rejection(open(t, 'nidaqmx://Dev1/ai99'))) as DeviceError;
  t.equal(e1.vendorCode, -200170);
  t.match(e1.vendorMessage, /DAQmxCreateAIVoltageChan: .*Dev1\/ai99/);
  t.equal(e1.kind, 'invalid-channel');
  const e2 = (await rejection(open(t, 'nidaqmx://Dev9/ai0'))) as DeviceError;
  t.equal(e2.vendorCode, -200220);
  const e3 = (await rejection(open(t, 'nidaqmx://Dev1/ai0', { min: -20, max: 20 }))) as DeviceError;
  t.equal(e3.vendorCode, -200077);
  t.match(e3.vendorMessage, /-20\.\.20 V/);
  const e4 = (await rejection(open(t, 'nidaqmx://Dev1/ai0', { rate: 5e6, samples: 10 }))) as DeviceError;
  t.equal(e4.vendorCode, -200077, 'a rate beyond the device');
  t.equal(nidaqmxSimOpenTasks(), before, 'failed opens cleared their tasks');
  const e5 = await rejection(open(t, 'nidaqmx://Dev1/xyz0'));
  t.type(e5, InvalidInputError, 'bad channel syntax is refused before the library');
  const e6 = await rejection(open(t, 'nidaqmx://Dev1/ai0', { samples: 10 }));
  t.match(e6, { what: "parameter 'samples'" });
});

t.test('library missing: NotFoundError with the paths tried and how to point labrig at it', async (t) => {
  const e = (await rejection(openNidaqmx('nidaqmx://Dev1/ai0?lib=/nonexistent/libnidaqmx.so'))) as NotFoundError;
  t.type(e, NotFoundError);
  t.same(e.tried.map((p) => p.split(':')[0]), ['/nonexistent/libnidaqmx.so [paths]'], 'an explicit path is the only one tried');
  t.match(e.message, /LABRIG_NIDAQMX_LIB/);
  t.match(e.message, /\?lib=/);
  // No library anywhere: in a fresh process (this one has the simulator loaded, which answers to libnidaqmx.so).
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'missing-child.ts')], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LABRIG_NIDAQMX_LIB: '/nonexistent/dir' },
  });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { name: string; tried: string[]; message: string };
  t.equal(out.name, 'NotFoundError');
  t.match(out.tried[0], /^\/nonexistent\/dir\/libnidaqmx\.so \[env\]/, 'the environment variable first');
  t.ok(out.tried.some((p) => p.startsWith('libnidaqmx.so [system]')), "then NI's name on the loader's path");
  t.ok(out.tried.some((p) => p.startsWith('/usr/local/natinst/nidaqmx/lib64/libnidaqmx.so [searchPaths]')), "and NI's install folder");
});

t.test('a task left running at close is stopped and cleared', async (t) => {
  const before = nidaqmxSimOpenTasks();
  const ai = await openNidaqmx(`nidaqmx://Dev1/ai2?rate=1000&lib=${encodeURIComponent(lib)}`, { name: 'left' });
  await ai.kickoff();
  await new Promise((r) => setTimeout(r, 100));
  t.equal(nidaqmxSimOpenTasks(), before + 2, 'on-demand and acquisition tasks open');
  await ai.close();
  t.equal(nidaqmxSimOpenTasks(), before, 'both cleared');
  t.equal(ai.busy, false);
});

t.test('process exit clears every task (child process)', async (t) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'exit-child.ts'), lib], { encoding: 'utf8', timeout: 60_000, env: { ...process.env } });
  t.equal(r.status, 0, `child exit (stderr: ${r.stderr})`);
  t.match(r.stdout, /open before exit: 2\n/);
  t.match(r.stdout, /open at exit after labrig's handler: 0\n/);
});

t.test('NI warnings (positive status) are reported, not thrown', async (t) => {
  const warnings: FfiWarning[] = [];
  const d = openDaqmx({ lib, onWarning: (w) => warnings.push(w) });
  t.equal(d.check(0, 'StartTask'), 0);
  t.equal(d.check(200010, 'ReadAnalogF64', 'daq'), 200010, 'the status comes back, nothing thrown');
  t.equal(warnings.length, 1);
  t.match(warnings[0], { device: 'daq', fn: 'DAQmxReadAnalogF64', code: 200010, message: /200010/ });
});
