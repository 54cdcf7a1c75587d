/**
 * The Windows COM binding of GamryCOM: the optional `winax` package, loaded only on win32, adapted
 * to the {@link GamryCom} interface. What the adapter converts (per winax's documentation): COM
 * methods are called as methods; out-parameters are passed as by-reference Variants
 * (`Cook(count, data)` fills both) and read back with `valueOf()`; a 2-D SAFEARRAY arrives as an
 * array of arrays whose first index is the column (converted to `[count, columns]`); connection-
 * point events are attached with `winax.getConnectionPoints(obj)[0].advise(sink)` and dispatched
 * on Node's event loop. NOT tested against real hardware or real winax here (no Windows): the
 * adapter is tested against a stand-in that behaves as above (test/drivers/gamry/transcript-com.test.ts).
 * @module
 */
import { UnsupportedError } from '../../core/errors.js';
import type { GamryCom, GamryConstants, IGamryDtaq } from './protocol.js';

/** The part of winax the adapter uses. */
export interface WinaxLike {
  Object: new (progId: string, options?: { activate?: boolean }) => Record<string, unknown>;
  Variant: new (value: unknown, type: 'byref') => { valueOf(): unknown };
  getConnectionPoints(obj: unknown): Array<{ advise(sink: object): number; unadvise(cookie: number): void }>;
  release?(...objs: unknown[]): void;
}

/** GamryCOM's enumeration values (type library GamryCOM 1.0; values of the toolkit's gamrycom.h, not verified on hardware). */
export const GAMRYCOM_CONSTANTS: GamryConstants = {
  CellOff: 0, CellOn: 1, PstatMode: 1, GstatMode: 2, ChronoAmp: 0, ChronoPot: 1, ReadZSpeedNorm: 1, ReadZStatusOk: 0, ReadZStatusRetry: 1,
};

/** Adapt a dtaq's raw COM object: Cook with by-reference out-parameters. */
function adaptDtaq(w: WinaxLike, raw: Record<string, unknown>): IGamryDtaq & { __raw: unknown } {
  const call = (m: string, ...a: unknown[]): unknown => (raw[m] as (...x: unknown[]) => unknown).apply(raw, a);
  return {
    __raw: raw,
    Init: (p, ...a) => void call('Init', (p as unknown as { __raw?: unknown }).__raw ?? p, ...a),
    Run: (go) => void call('Run', go),
    Cook: (max) => {
      const count = new w.Variant(max, 'byref');
      const data = new w.Variant(null, 'byref');
      call('Cook', count, data);
      const n = Number(count.valueOf());
      const cols = (data.valueOf() ?? []) as unknown[][];
      return [n, cols.map((c) => Array.from(c as ArrayLike<number>, Number).slice(0, n))];
    },
  };
}

/** Wrap any other raw object: methods pass through, objects passed as arguments are unwrapped. */
function adapt<T>(raw: Record<string, unknown>): T {
  return new Proxy({ __raw: raw }, {
    get(target, prop) {
      if (prop === '__raw') return raw;
      return (...a: unknown[]) => (raw[prop as string] as (...x: unknown[]) => unknown).apply(raw, a.map((x) => (x as { __raw?: unknown })?.__raw ?? x));
    },
  }) as unknown as T;
}

/** Build the {@link GamryCom} over a winax-like module (the real one on Windows, a stand-in in tests). */
export function comOverWinax(w: WinaxLike): GamryCom {
  const created: unknown[] = [];
  const com = {
    constants: GAMRYCOM_CONSTANTS,
    create(progId: string) {
      const raw = new w.Object(progId, { activate: true });
      created.push(raw);
      return /GamryDtaq/.test(progId) ? adaptDtaq(w, raw) : adapt(raw);
    },
    advise(obj: unknown, sink: object) {
      const raw = (obj as { __raw?: unknown }).__raw ?? obj;
      const cp = w.getConnectionPoints(raw)[0];
      if (!cp) throw new UnsupportedError({ device: 'GamryCOM object', verb: 'connection points' });
      const cookie = cp.advise(sink);
      return () => cp.unadvise(cookie);
    },
    release() {
      w.release?.(...created);
      created.length = 0;
    },
  };
  return com as unknown as GamryCom;
}

/** Load winax (Windows only) and build the COM binding; UnsupportedError elsewhere or when winax is missing. */
export async function openComBinding(): Promise<GamryCom> {
  if (process.platform !== 'win32') throw new UnsupportedError({ device: `gamry (platform ${process.platform})`, verb: 'COM (GamryCOM needs Windows; use sim:gamry)' });
  let mod: unknown;
  try {
    mod = await import('winax' as string);
  } catch (e) {
    throw new UnsupportedError({ device: 'gamry (winax not installed: npm install winax)', verb: 'COM' });
  }
  return comOverWinax(((mod as { default?: unknown }).default ?? mod) as WinaxLike);
}
