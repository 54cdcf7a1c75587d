/**
 * Legato driver benchmark on the wire simulator over TCP loopback: `status` round trips per second
 * through the bare request channel (same framer, reply not decoded), through the driver's command
 * layer (`LegatoIO.status`, decoded), through a status signal (`volume.getValue`) and through
 * an `ivolume` signal read. The loops run in interleaved slices so they see the same machine load;
 * ratios are against the bare channel (goal ≥ 0.9).
 * Run alone: `node --import tsx bench/drivers-legato.ts`.
 */
import { fileURLToPath } from 'node:url';
import { baselineRows, header, interleavedRates, withCleanup } from './util.js';

/** Measure the Legato driver against the bare channel; returns rates (round trips/s) and ratios by name. */
export async function benchLegato(options: { ms?: number } = {}): Promise<Record<string, number>> {
  const { startLegatoSim } = await import('../src/sim/legato/index.js');
  const { openLegato, legatoChannel, LegatoFramer } = await import('../src/drivers/legato/index.js');
  const { createStream } = await import('../src/protocols/uri.js');
  (await import('../src/rig/families.js')).registerBuiltinFamilies(); // family URIs are known once registered (decision 0010)
  header('drivers: Legato syringe pump (simulator over TCP loopback)');
  const sim = await startLegatoSim({ tcp: '127.0.0.1:0' });
  return withCleanup(async (defer) => {
    defer(() => sim.close());
    const pump = await openLegato(sim.uri, { diameterMm: 4.6066 });
    defer(() => pump.close());
    const bare = legatoChannel(createStream(sim.uri));
    defer(() => bare.close());
    await bare.open();
    await bare.request('poll on\r', { expect: new LegatoFramer({ mode: 'prompt' }) });
    const xon = new LegatoFramer({ mode: 'xon' });
    const loops: Array<[string, (n: number) => Promise<void>]> = [
      ['bare channel: status\\r round trip', async (n) => {
        for (let i = 0; i < n; i++) await bare.request('status\r', { expect: xon });
      }],
      ['driver: LegatoIO.status (decoded)', async (n) => {
        for (let i = 0; i < n; i++) await pump.commands.status();
      }],
      ['driver: volume.getValue() (status)', async (n) => {
        for (let i = 0; i < n; i++) await pump.volume.getValue();
      }],
      ['driver: infusedVolume.getValue() (ivolume)', async (n) => {
        for (let i = 0; i < n; i++) await pump.infusedVolume.getValue();
      }],
    ];
    const rates = await interleavedRates(loops.map(([, loop]) => loop), { ms: options.ms ?? 3000, warmup: 200, slice: 50 });
    const base = rates[0]!;
    const keys = ['legato.channel.rps', 'legato.io.status.rps', 'legato.signal.volume.rps', 'legato.signal.ivolume.rps'];
    const out = baselineRows(loops.map(([name]) => name), keys, rates, 'bare channel');
    out['legato.ratio.io.status'] = rates[1]! / base;
    out['legato.ratio.signal.volume'] = rates[2]! / base;
    console.log(`  ratio driver/channel (status): ${(rates[1]! / base).toFixed(3)} (goal ≥ 0.9)`);
    return out;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchLegato();
}
