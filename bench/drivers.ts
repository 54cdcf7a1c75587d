/**
 * Driver benchmarks, one function per instrument family (add yours to `FAMILIES`). Each measures
 * the driver against a baseline taken in the same run on the same simulator.
 *
 * Galil: position reads through the driver's command layer (GalilIO.tellPosition) and through the
 * axis' readback signal vs bare `TPA` requests on a request channel (goal ratio ≥ 0.9), measured
 * in interleaved slices so all three see the same machine load; and the simulator's commands/s
 * with 4 concurrent clients. Run alone: `node --import tsx bench/drivers.ts`.
 */
import { baselineRows, header, interleavedRates, row, withCleanup } from './util.js';

/** One family's benchmark: returns rates by name. */
interface FamilyBench {
  name: string;
  run: () => Promise<Record<string, number>>;
}

async function benchGalil(): Promise<Record<string, number>> {
  const { startGalilSim } = await import('../src/sim/galil/index.js');
  const { openGalil, galilChannel } = await import('../src/drivers/galil/index.js');
  const { createStream } = await import('../src/protocols/uri.js');
  (await import('../src/rig/families.js')).registerBuiltinFamilies(); // family URIs are known once registered (decision 0010)
  header('drivers: Galil (simulator over TCP loopback)');
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: 4 });
  return withCleanup(async (defer) => {
    defer(() => sim.close());
    const g = await openGalil(sim.uri, { axes: { x: { axis: 'A', countsPerUnit: 1000 } } });
    defer(() => g.close());
    const x = g.axis('x');
    const bare = galilChannel(createStream(sim.uri));
    defer(() => bare.close());
    await bare.open();
    const bareLoop = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await bare.request('TPA\r');
    };
    const driverLoop = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await g.commands.tellPosition('A');
    };
    const signalLoop = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await x.readback.getValue();
    };
    // Interleave short slices of the loops so all see the same machine load.
    const [bareRate, driverRate, signalRate] = (await interleavedRates([bareLoop, driverLoop, signalLoop], { warmup: 300, slice: 100, ms: 3000 })) as [number, number, number];
    baselineRows(
      ['baseline: request channel TPA round trips', 'driver: GalilIO.tellPosition (TPA)', 'driver: axis.readback.getValue() (TPA)'],
      ['galilChannelTp', 'galilDriverTp', 'galilSignalTp'],
      [bareRate, driverRate, signalRate],
      'channel',
    );

    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = galilChannel(createStream(sim.uri));
        defer(() => c.close());
        await c.open();
        return c;
      }),
    );
    const commands = ['TPA\r', 'MG _BGA\r', 'SCA\r', 'MG @AN[1]\r'];
    const before = sim.model.commands;
    const t0 = performance.now();
    const until = t0 + 1000;
    await Promise.all(
      clients.map(async (c, k) => {
        for (let i = 0; performance.now() < until; i++) await c.request(commands[(i + k) % commands.length]!);
      }),
    );
    const simRate = ((sim.model.commands - before) * 1000) / (performance.now() - t0);
    row('simulator: commands/s with 4 clients', simRate);
    return {
      galilChannelTp: bareRate, galilDriverTp: driverRate, galilSignalTp: signalRate,
      galilRatio: driverRate / bareRate, galilSignalRatio: signalRate / bareRate, galilSim4Clients: simRate,
    };
  });
}

/** The families measured, in order. */
const FAMILIES: FamilyBench[] = [{ name: 'galil', run: benchGalil }];

/** Run every driver family's benchmark; returns all rates, keys prefixed by family. */
export async function benchDrivers(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of FAMILIES) Object.assign(out, await f.run());
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchDrivers();
  console.log(`\nGalil driver/channel ratio: ${r['galilRatio']?.toFixed(3)} (goal >= 0.9); signal read/channel: ${r['galilSignalRatio']?.toFixed(3)}`);
}
