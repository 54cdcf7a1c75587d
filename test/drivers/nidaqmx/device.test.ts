/**
 * NI-DAQmx devices: the same device tests on the mock tier and against labrig's simulator
 * library through FFI (the driver loads it exactly as it would load libnidaqmx.so), then what
 * only the library can show: AO→AI loop-back, finite acquisitions, continuous acquisition on
 * EveryNSamples callbacks, digital lines, the start trigger, and no task left behind.
 */
import t from 'tap';
process.env['LABRIG_NIDAQMX_SIM'] = 'Dev1:ai=8,ao=2,ports=2,lines=8;Dev1/ai2=counter;Dev1/ai3=constant:2.5;Dev1/ai4=constant:-4;Dev1/ai5=sine:1:5';
import { LimitsError } from '../../../src/core/errors.js';
import type { SignalRW } from '../../../src/core/signal/writable.js';
import { mockFamily } from '../../../src/drivers/family.js';
import { nidaqmxFamily, openNidaqmx, type NidaqmxDevice, type NidaqmxFamilyOptions } from '../../../src/drivers/nidaqmx/index.js';
import { nidaqmxSimOpenTasks } from '../../../src/sim/nidaqmx/library.js';
import { nidaqmxSim } from '../../helpers/nidaqmx-sim.js';

const lib = nidaqmxSim().lib;
type Tap = { teardown(fn: () => unknown): void };

/** Wait until `check` is true, polling every 10 ms, failing after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Opener = (t: Tap, uri: string, options?: NidaqmxFamilyOptions & { name?: string }) => Promise<NidaqmxDevice>;

const onSim: Opener = async (t, uri, options = {}) => {
  const d = await openNidaqmx(`${uri}${uri.includes('?') ? '&' : '?'}lib=${encodeURIComponent(lib)}`, options);
  t.teardown(() => d.close());
  return d;
};

const onMock: Opener = async (t, uri, options = {}) => {
  const { name, ...rest } = options;
  const path = uri.replace(/^nidaqmx:\/\//, '').split('?')[0]!;
  const d = await mockFamily(nidaqmxFamily, { ...rest, channels: path }, { name: name ?? 'nidaqmx' });
  t.teardown(() => d.close());
  return d;
};

for (const [tier, open] of [['mock', onMock], ['simulator library', onSim]] as const) {
  t.test(`device tests (${tier})`, async (t) => {
    t.test('analog inputs describe and read one number per channel, in volts', async (t) => {
      const ai = await open(t, 'nidaqmx://Dev1/ai3:4', { name: 'cell' });
      const keys = await ai.describe();
      t.same(Object.keys(keys), ['cell-ai3', 'cell-ai4']);
      t.match(keys['cell-ai3'], { dtype: 'number', shape: [], units: 'V' });
      const r = await ai.read();
      t.same(Object.keys(r), ['cell-ai3', 'cell-ai4']);
      t.type(r['cell-ai3']!.value, 'number');
      if (tier === 'simulator library') t.same([r['cell-ai3']!.value, r['cell-ai4']!.value], [2.5, -4], 'the configured constants');
    });

    t.test('analog output: set() writes every channel; a value outside the range is refused before the library', async (t) => {
      const ao = await open(t, 'nidaqmx://Dev1/ao1', { name: 'valve', min: -5, max: 5 });
      await ao.set(1.5);
      t.equal(await ao.signals['ao1']!.getValue(), 1.5);
      if (tier === 'simulator library') {
        await t.rejects(async () => { await ao.set(7); }, LimitsError);
        t.equal(await ao.signals['ao1']!.getValue(), 1.5, 'nothing written');
      }
      t.match(await ao.describe(), { 'valve-ao1': { dtype: 'number', units: 'V', limits: { control: { low: -5, high: 5 } } } });
    });

    t.test('staged (as a run stages its detectors): every read asks the task, none is served from a cache', async (t) => {
      const ai = await open(t, 'nidaqmx://Dev1/ai2:3', { name: 'cell' });
      t.same(ai.hints.fields, ['cell-ai2', 'cell-ai3'], 'the inputs are hinted (live table columns)');
      await ai.stage();
      try {
        const a = await ai.read();
        const b = await ai.read();
        t.type(a['cell-ai2']!.value, 'number');
        if (tier === 'simulator library') t.equal(b['cell-ai2']!.value, (a['cell-ai2']!.value as number) + 1, 'the counter input moved on: a fresh sample per read');
      } finally {
        await ai.unstage();
      }
    });

    t.test('digital output lines are boolean signals', async (t) => {
      const dout = await open(t, 'nidaqmx://Dev1/port0/line0:1', { name: 'ttl', direction: 'output' });
      t.same(Object.keys(dout.signals), ['port0_line0', 'port0_line1']);
      await dout.set(true);
      t.equal(await dout.signals['port0_line1']!.getValue(), true);
      t.match(await dout.describe(), { 'ttl-port0_line0': { dtype: 'boolean' } });
    });
  });
}

t.test('simulator library only', async (t) => {
  t.test('AO → AI loop-back (ai0 reads ao0)', async (t) => {
    const ao = await onSim(t, 'nidaqmx://Dev1/ao0', { name: 'ao' });
    const ai = await onSim(t, 'nidaqmx://Dev1/ai0', { name: 'ai' });
    for (const v of [3.25, -1.5, 0]) {
      await ao.set(v);
      t.equal((await ai.read())['ai-ai0']!.value, v, `${v} V looped back`);
    }
  });

  t.test('current input: ±20 mA range, the signal in amperes', async (t) => {
    const ai = await onSim(t, 'nidaqmx://Dev1/ai3', { name: 'i', measurement: 'current', terminal: 'diff' });
    t.match((await ai.describe())['i-ai3'], { units: 'A' });
    t.equal((await ai.read())['i-ai3']!.value, 0.005, '2.5 V on the simulated channel reads 5 mA');
  });

  t.test('finite acquisition: trigger() acquires `samples` per channel on the sample clock', async (t) => {
    const ai = await onSim(t, 'nidaqmx://Dev1/ai2:3', { name: 'fin', rate: 2000, samples: 200 });
    t.match((await ai.describe())['fin-ai2'], { dtype: 'array', shape: [200] });
    await ai.trigger();
    const r = await ai.read();
    t.same(r['fin-ai2']!.value, Array.from({ length: 200 }, (_, i) => i), 'numbered samples, none missing');
    t.ok((r['fin-ai3']!.value as number[]).every((v) => v === 2.5));
    await ai.trigger();
    t.same((await ai.read())['fin-ai2']!.value, Array.from({ length: 200 }, (_, i) => i), 'each trigger is a new acquisition');
  });

  t.test('continuous acquisition on EveryNSamples callbacks: the event loop stays free, no sample lost', async (t) => {
    const ai = await onSim(t, 'nidaqmx://Dev1/ai2,ai5', { name: 'fly', rate: 1000, chunk: 50 });
    await ai.kickoff();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    t.teardown(() => clearInterval(timer));
    await until(() => ai.getIndex() >= 400, 20_000, '400 samples');
    const first = ai.collect();
    await until(() => ai.getIndex() >= 600, 20_000, '600 samples');
    await ai.complete();
    clearInterval(timer);
    const rows = [...first, ...ai.collect()];
    t.ok(ticks > 10, `timers ran during the acquisition (${ticks})`);
    t.ok(rows.length >= 600, `${rows.length} rows`);
    t.same(rows.map((r) => r.data['fly-ai2']), rows.map((_, i) => i), 'the counter channel has no gap across collects');
    t.ok(rows.every((r) => Math.abs(r.data['fly-ai5'] as number) <= 1), 'the sine stays within its amplitude');
    const dt = rows[1]!.time - rows[0]!.time;
    t.ok(Math.abs(dt - 0.001) < 1e-6, 'rows are time-stamped on the sample clock');
    t.equal(ai.busy, false, 'stopped');
  });

  t.test('finite fly scan: the Done event delivers the last partial chunk and completes', async (t) => {
    const ai = await onSim(t, 'nidaqmx://Dev1/ai2', { name: 'ffly', rate: 1000, samples: 250, chunk: 100 });
    await ai.kickoff();
    await ai.complete();
    const rows = ai.collect();
    t.same(rows.map((r) => r.data['ffly-ai2']), Array.from({ length: 250 }, (_, i) => i), 'all 250 samples, the last 50 after the Done event');
    t.equal(ai.busy, false);
  });

  t.test('digital lines loop back: DI reads what DO wrote', async (t) => {
    const dout = await onSim(t, 'nidaqmx://Dev1/port0/line0:3', { name: 'do', direction: 'output' });
    const din = await onSim(t, 'nidaqmx://Dev1/port0/line0:3', { name: 'di' });
    await (dout.signals['port0_line2'] as SignalRW<unknown>).set(true);
    const r = await din.read();
    t.same(Object.values(r).map((x) => x.value), [false, false, true, false]);
    await dout.set(true);
    t.same(Object.values(await din.read()).map((x) => x.value), [true, true, true, true]);
  });

  t.test('start trigger on a digital edge: the finite acquisition waits for PFI0 (port1/line0)', async (t) => {
    const trig = await onSim(t, 'nidaqmx://Dev1/port1/line0', { name: 'pfi', direction: 'output' });
    await trig.set(false);
    const ai = await onSim(t, 'nidaqmx://Dev1/ai2', { name: 'trg', rate: 1000, samples: 20, trigger: '/Dev1/PFI0' });
    const st = ai.trigger();
    await new Promise((r) => setTimeout(r, 150));
    t.equal(st.done, false, 'nothing acquired before the edge');
    await trig.set(true);
    await st;
    t.same((await ai.read())['trg-ai2']!.value, Array.from({ length: 20 }, (_, i) => i));
  });

  t.test('analog output waveform on the sample clock, seen by AI loop-back afterwards', async (t) => {
    const ao = await onSim(t, 'nidaqmx://Dev1/ao0', { name: 'wave', rate: 1000 });
    const ai = await onSim(t, 'nidaqmx://Dev1/ai0', { name: 'back' });
    await ao.playWaveform([0, 1, 2, 3, 4.5]);
    t.equal((await ai.read())['back-ai0']!.value, 4.5, 'the last sample stays on the output');
    await t.rejects(async () => { await ao.playWaveform([0, 20]); }, LimitsError, 'samples outside the range are refused before the library');
  });

  t.test('no task left: every device cleared its tasks', async (t) => {
    t.equal(nidaqmxSimOpenTasks(), 0);
  });
});
