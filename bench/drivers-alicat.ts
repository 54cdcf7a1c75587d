/**
 * Alicat driver benchmark on the wire simulator over TCP loopback: poll round trips per second
 * through the bare request channel (`A\r`, reply not decoded), through the driver's command layer
 * (`AlicatIO.poll`, decoded frame), through a signal (`massFlow.getValue`) and through a full
 * device `read()` (one poll, every field and flag as readings). The loops run in interleaved
 * slices so they see the same machine load; ratios are against the bare channel (goal ≥ 0.9).
 * Run alone: `node --import tsx bench/drivers-alicat.ts`.
 */
import { baselineRows, header, interleavedRates, withCleanup } from './util.js';

/** Measure the Alicat driver against the bare channel; returns rates (round trips/s) and ratios by name. */
export async function benchAlicat(options: { ms?: number } = {}): Promise<Record<string, number>> {
  const { startAlicatSim } = await import('../src/sim/alicat/index.js');
  const { openAlicat, alicatChannel } = await import('../src/drivers/alicat/index.js');
  const { createStream } = await import('../src/protocols/uri.js');
  (await import('../src/rig/families.js')).registerBuiltinFamilies(); // family URIs are known once registered (decision 0010)
  header('drivers: Alicat (simulator over TCP loopback)');
  const sim = await startAlicatSim({ tcp: '127.0.0.1:0' });
  return withCleanup(async (defer) => {
    defer(() => sim.close());
    const mfc = await openAlicat(sim.uri, { kind: 'controller', fullScale: 100 });
    defer(() => mfc.close());
    const bareChannel = alicatChannel(createStream(sim.lineUri));
    defer(() => bareChannel.close());
    await bareChannel.open();
    const bare = bareChannel.forAddress('A');
    const loops: Array<[string, (n: number) => Promise<void>]> = [
      ['bare channel: A\\r round trip', async (n) => {
        for (let i = 0; i < n; i++) await bare.request('');
      }],
      ['driver: AlicatIO.poll (decoded frame)', async (n) => {
        for (let i = 0; i < n; i++) await mfc.commands.poll();
      }],
      ['driver: massFlow.getValue()', async (n) => {
        for (let i = 0; i < n; i++) await mfc.massFlow.getValue();
      }],
      ['driver: device read() (20 readings, 1 poll)', async (n) => {
        for (let i = 0; i < n; i++) await mfc.read();
      }],
    ];
    const rates = await interleavedRates(loops.map(([, loop]) => loop), { ms: options.ms ?? 3000, warmup: 200, slice: 50 });
    const base = rates[0]!;
    const keys = ['alicat.channel.rps', 'alicat.io.poll.rps', 'alicat.signal.get.rps', 'alicat.device.read.rps'];
    const out = baselineRows(loops.map(([name]) => name), keys, rates, 'bare channel');
    out['alicat.ratio.io.poll'] = rates[1]! / base;
    out['alicat.ratio.signal.get'] = rates[2]! / base;
    out['alicat.ratio.device.read'] = rates[3]! / base;
    return out;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchAlicat();
  console.log(`\nratio driver poll / bare channel: ${r['alicat.ratio.io.poll']!.toFixed(3)} (goal >= 0.9)`);
}
