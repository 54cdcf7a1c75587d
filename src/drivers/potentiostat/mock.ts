/**
 * The default mock of a potentiostat channel (STYLE rule 9): a 1 kΩ resistor measured instantly
 * on a timer — every point of a technique is produced at once on the next tick, EIS gives 1 kΩ at
 * every frequency. Records every call in `calls`. No hardware, no physics (see `src/sim/electrochem`).
 * @module
 */
import type { PotentiostatBackend, PstatPoint, PstatReadings, TechniqueRun } from './backend.js';
import { frequencyList, sweepCorners, type CurrentRange, type Technique, type TechniqueKind } from './techniques.js';

/** The mock backend (see the module notes). */
export class MockPotentiostatBackend implements PotentiostatBackend {
  readonly techniques: readonly TechniqueKind[] = ['ocv', 'ca', 'cp', 'lsv', 'cv', 'peis'];
  /** Calls made, in order. */
  readonly calls: string[] = [];
  #cell = false;
  #e = 0;

  constructor(readonly model = 'mock potentiostat', readonly ohms = 1000) {}

  async connect(): Promise<void> {
    this.calls.push('connect');
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
  async setCell(on: boolean): Promise<void> {
    this.calls.push(`setCell ${on}`);
    this.#cell = on;
  }
  async setCurrentRange(r: CurrentRange): Promise<void> {
    this.calls.push(`setCurrentRange ${r}`);
  }
  async readNow(): Promise<PstatReadings> {
    return { ewe: this.#e, i: this.#cell ? this.#e / this.ohms : 0, state: 'idle', cellOn: this.#cell };
  }

  async start(t: Technique, onData: () => void): Promise<TechniqueRun> {
    this.calls.push(`start ${t.kind}`);
    const pts: PstatPoint[] = [];
    const R = this.ohms;
    if (t.kind === 'peis') {
      frequencyList(t.frequencies).forEach((f, k) => pts.push({ kind: 'eis', t: k, freq: f, zRe: R, zIm: 0, ewe: t.dcV, i: t.dcV / R, overload: 0 }));
    } else if (t.kind === 'lsv' || t.kind === 'cv') {
      const c = sweepCorners(t);
      const dt = t.recordEveryV / t.scanRateVPerS;
      for (let tt = dt, seg = 1; tt <= c.at(-1)!.t + 1e-12; tt += dt) {
        while (seg < c.length - 1 && tt > c[seg]!.t) seg++;
        const a = c[seg - 1]!;
        const b = c[seg]!;
        const e = a.e + ((b.e - a.e) * (tt - a.t)) / (b.t - a.t);
        pts.push({ kind: 'time', t: tt, ewe: e, i: e / R, cycle: t.kind === 'cv' ? Math.min(Math.floor((seg - 1) / 2), t.cycles - 1) : 0, overload: 0 });
      }
    } else {
      const n = Math.floor(t.durationS / t.recordEveryS + 1e-9);
      for (let k = 1; k <= n; k++) {
        const e = t.kind === 'ca' ? t.potentialV : t.kind === 'cp' ? t.currentA * R : this.#e;
        pts.push({ kind: 'time', t: k * t.recordEveryS, ewe: e, i: t.kind === 'ocv' ? 0 : e / R, cycle: 0, overload: 0 });
      }
    }
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    let left = pts.length;
    const timer = setTimeout(() => {
      left = 0;
      onData();
      finish();
    }, 0);
    return {
      done,
      take: () => (left === 0 ? pts.splice(0, pts.length) : []),
      progress: () => ({ points: pts.length - left, elapsedS: 0, cycle: 0 }),
      stop: async () => {
        clearTimeout(timer);
        finish();
      },
    };
  }
}
