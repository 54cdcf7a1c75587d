/**
 * The Windows COM seam without Windows: `comOverWinax` driven by a stand-in that behaves as
 * winax documents (methods called as methods; out-parameters as by-reference Variants filled by
 * the callee; a 2-D SAFEARRAY as an array of column arrays; connection points with
 * advise/unadvise), wrapping the simulated object model. The same OCV/CA run goes through it.
 */
import t from 'tap';
import { comOverWinax, type WinaxLike } from '../../../src/drivers/gamry/io.js';
import { GamryBackend } from '../../../src/drivers/gamry/backend.js';
import { PotentiostatChannel } from '../../../src/drivers/potentiostat/channel.js';
import { createGamrySim } from '../../../src/sim/gamry/objects.js';

/** A winax-like module over the simulated object model, recording what crosses the seam. */
function standIn() {
  const sim = createGamrySim({ speed: 100 });
  const seen: string[] = [];
  class Variant {
    value: unknown;
    constructor(v: unknown, readonly type: 'byref') {
      this.value = v;
    }
    valueOf(): unknown {
      return this.value;
    }
  }
  const w: WinaxLike & { advised: number } = {
    advised: 0,
    Object: class {
      constructor(progId: string) {
        const target = sim.create(progId as 'GamryCOM.GamryPstat') as unknown as Record<string, (...a: unknown[]) => unknown>;
        const raw: Record<string, unknown> = { __target: target };
        for (const m of Object.keys(target)) {
          if (typeof target[m] !== 'function') continue;
          raw[m] = (...args: unknown[]) => {
            if (m === 'Cook') {
              // COM: Cook([in, out] long *count, [out] VARIANT *data) — both by reference
              const [count, data] = args as [Variant, Variant];
              if (!(count instanceof Variant) || !(data instanceof Variant)) throw new Error('Cook needs by-reference Variants');
              const [n, cols] = target['Cook']!(Number(count.value)) as [number, number[][]];
              seen.push('Cook(byref)');
              count.value = n;
              data.value = cols.map((c) => Float64Array.from(c)); // SAFEARRAY → typed arrays per column
              return undefined;
            }
            const unwrapped = args.map((a) => ((a as { __target?: unknown })?.__target ?? a));
            return target[m]!(...unwrapped);
          };
        }
        return raw;
      }
    } as unknown as WinaxLike['Object'],
    Variant: Variant as unknown as WinaxLike['Variant'],
    getConnectionPoints(obj: unknown) {
      const target = (obj as { __target: object }).__target;
      return [{
        advise: (sink: object) => {
          w.advised++;
          seen.push('advise');
          const detach = sim.advise(target as never, sink as never);
          cookies.set(w.advised, detach);
          return w.advised;
        },
        unadvise: (cookie: number) => {
          seen.push('unadvise');
          cookies.get(cookie)?.();
        },
      }];
    },
    release: () => sim.release(),
  };
  const cookies = new Map<number, () => void>();
  return { w, sim, seen };
}

t.test('COM adapter: by-reference Cook, SAFEARRAY columns, connection points — a CA run through the seam', async (t) => {
  const { w, sim, seen } = standIn();
  const pstat = new PotentiostatChannel('pstat', new GamryBackend(comOverWinax(w), { pollMs: 20 }));
  await pstat.connect();
  t.teardown(() => pstat.close());
  await pstat.run({ kind: 'ca', potentialV: 0.5, durationS: 1, recordEveryS: 0.1 });
  const rows = pstat.collect();
  t.equal(rows.length, 10, 'every point crossed the seam');
  t.ok(rows.every((r, k) => Math.abs((r.data['pstat-t'] as number) - (k + 1) * 0.1) < 1e-9 && r.data['pstat-ewe'] === 0.5), 'columns T and Vf in order');
  t.ok(seen.includes('Cook(byref)'), 'Cook went through by-reference Variants');
  t.same(seen.filter((s) => s !== 'Cook(byref)'), ['advise', 'unadvise'], 'one connection point advised, then unadvised');
  t.ok(sim.calls.includes('SignalConst.Init(pstat, 0.5, 1, 0.1, 1)'), 'objects passed as arguments were unwrapped to the raw COM objects');
});

t.test('openComBinding refuses off Windows with a typed error', async (t) => {
  const { openComBinding } = await import('../../../src/drivers/gamry/io.js');
  if (process.platform === 'win32') {
    t.pass('on Windows this would load winax');
    return;
  }
  await t.rejects(openComBinding(), { name: 'UnsupportedError' });
});
