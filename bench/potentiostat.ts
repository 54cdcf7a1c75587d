/**
 * Potentiostat benchmarks: BL_GetData records drained and decoded per second through koffi (the
 * BioLogic driver's path: BL_GetData into caller-owned buffers + decodeRecords) vs the same loop in C
 * inside eclib-sim (ratio), the same through koffi's struct marshalling (an object built per call:
 * the path the driver no longer takes, for comparison), and eclib-sim's sustained record rate (records released per wall second by its C
 * thread at a speed where the clock, not the simulator, would limit a real instrument).
 * Needs a C compiler (builds native/eclib-sim into a temporary directory).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetDataReader, loadEClib } from '../src/drivers/biologic/io.js';
import { decodeRecords, eccOf } from '../src/drivers/biologic/protocol.js';
import type { PstatPoint } from '../src/drivers/potentiostat/backend.js';
import { checkTechnique } from '../src/drivers/potentiostat/techniques.js';

/** Run the potentiostat suite. */
export async function benchPotentiostat(): Promise<void> {
  console.log('\npotentiostat');
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!cc) {
    console.log('  skipped: no C compiler');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'labrig-bench-eclib-'));
  try {
    const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'eclib-sim', 'eclib_sim.c');
    const so = join(dir, 'libeclib-sim.so');
    const b = spawnSync(cc, ['-O2', '-shared', '-fPIC', '-o', so, src, '-lpthread', '-lm'], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(b.stderr);
    const lib = loadEClib(so);
    const configure = lib.lib.bind<(...a: number[]) => void>('void SIM_Configure(double speed, double rs, double rct, double cdl, double e0, int32_t n)');
    const benchC = lib.lib.bind<(id: number, ch: number, s: [number], c: [number]) => number>('int32_t SIM_BenchGetData(int32_t id, uint8_t ch, _Out_ double *seconds, _Out_ double *checksum)');
    configure(1e7, 50, 500, 20e-6, 0.2, 1);
    const id: [number] = [-1];
    lib.lib.check(lib.Connect('bench', 5, id, {}), 'BL_Connect');
    const mask = new Uint8Array(16).fill(1);
    lib.lib.check(lib.LoadFirmware(id[0], mask, new Int32Array(16), 16, false, false, null, null), 'BL_LoadFirmware');
    const t = checkTechnique({ kind: 'cv', startV: 0, vertex1V: 0.6, vertex2V: -0.2, endV: 0, scanRateVPerS: 1, cycles: 1, recordEveryV: 0.0002 });
    const load = (): void => {
      const ecc = eccOf(t)![0]!;
      const arr = lib.koffi.alloc('TEccParam_t', ecc.params.length);
      ecc.params.forEach((p, i) => {
        const out: Record<string, unknown> = {};
        if (p.type === 'single') lib.DefineSglParameter(p.label, p.value as number, p.index, out);
        else if (p.type === 'int') lib.DefineIntParameter(p.label, p.value as number, p.index, out);
        else lib.DefineBoolParameter(p.label, p.value as boolean, p.index, out);
        lib.koffi.encode(arr, i * 76, 'TEccParam_t', out);
      });
      lib.lib.check(lib.LoadTechnique(id[0], 0, 'cv.ecc', { len: ecc.params.length, pParams: arr }, true, true, false), 'BL_LoadTechnique');
      lib.koffi.free(arr);
    };
    const startAndWait = (): number => {
      load();
      const t0 = performance.now();
      lib.lib.check(lib.StartChannel(id[0], 0), 'BL_StartChannel');
      const v: Record<string, number> = {};
      for (;;) {
        lib.GetCurrentValues(id[0], 0, v);
        if (v['State'] === 0) break;
      }
      return (performance.now() - t0) / 1000;
    };
    const getDataObjects = lib.lib.bind<(id: number, ch: number, buf: Uint32Array, i: Record<string, number>, v: Record<string, number>) => number>(
      'int32_t BL_GetData(int32_t id, uint8_t ch, uint32_t *buf, _Out_ TDataInfos_t *infos, _Out_ TCurrentValues_t *v)',
    );
    const buf = new Uint32Array(1000);
    const f32 = new Float32Array(buf.buffer);
    const reader = new GetDataReader();
    const rounds = 5;
    const acc = { ffi: { n: 0, call: 0, decode: 0 }, obj: { n: 0, call: 0, decode: 0 }, c: { n: 0, s: 0 }, sim: { n: 0, s: 0 } };
    // Drain the channel through one BL_GetData form; time the calls and the decoding apart.
    const drain = (form: 'ffi' | 'obj'): void => {
      const out: PstatPoint[] = [];
      const infos: Record<string, number> = {};
      const cv: Record<string, number> = {};
      const a = acc[form];
      for (;;) {
        const t0 = performance.now();
        if (form === 'ffi') lib.lib.check(reader.read(lib, id[0], 0), 'BL_GetData');
        else lib.lib.check(getDataObjects(id[0], 0, buf, infos, cv), 'BL_GetData');
        const t1 = performance.now();
        a.call += t1 - t0;
        if (form === 'ffi') {
          if (reader.rows === 0) break;
          decodeRecords(reader.block(), reader.words, reader.singles, out);
        } else {
          const rows = infos['NbRows']!;
          if (rows === 0) break;
          decodeRecords({ rows, cols: infos['NbCols']!, techniqueId: infos['TechniqueID']!, processIndex: infos['ProcessIndex']!, startTime: infos['StartTime']!, timeBase: cv['TimeBase']! }, buf, f32, out);
        }
        a.decode += performance.now() - t1;
      }
      a.n += out.length;
      acc.sim.n += out.length;
    };
    for (let r = -1; r < rounds; r++) {
      // Round −1 warms the JIT up (decodeRecords, the koffi calls) and is not counted; the two
      // koffi forms alternate which goes first.
      if (r === 0) {
        for (const k of ['ffi', 'obj'] as const) Object.assign(acc[k], { n: 0, call: 0, decode: 0 });
        Object.assign(acc.c, { n: 0, s: 0 });
        Object.assign(acc.sim, { n: 0, s: 0 });
      }
      for (const form of (r % 2 === 0 ? ['ffi', 'obj'] : ['obj', 'ffi']) as Array<'ffi' | 'obj'>) {
        acc.sim.s += startAndWait();
        drain(form);
      }
      acc.sim.s += startAndWait();
      const s: [number] = [0];
      const c: [number] = [0];
      const n = benchC(id[0], 0, s, c);
      acc.c.n += n;
      acc.c.s += s[0];
      acc.sim.n += n;
    }
    // The bare call on an empty channel (no record): what each form costs per poll.
    const calls = 20000;
    const per = (f: () => void): number => {
      const t0 = performance.now();
      for (let k = 0; k < calls; k++) f();
      return ((performance.now() - t0) * 1000) / calls;
    };
    const infos: Record<string, number> = {};
    const cv: Record<string, number> = {};
    per(() => reader.read(lib, id[0], 1));
    const usReader = per(() => reader.read(lib, id[0], 1));
    per(() => getDataObjects(id[0], 1, buf, infos, cv));
    const usObjects = per(() => getDataObjects(id[0], 1, buf, infos, cv));
    lib.Disconnect(id[0]);
    const ffiRate = acc.ffi.n / ((acc.ffi.call + acc.ffi.decode) / 1000);
    const objRate = acc.obj.n / ((acc.obj.call + acc.obj.decode) / 1000);
    const cRate = acc.c.n / acc.c.s;
    console.log(`  BL_GetData + decode via koffi (the driver's path, caller-owned buffers): ${(ffiRate / 1e6).toFixed(2)} M records/s (${acc.ffi.n} records; calls ${acc.ffi.call.toFixed(1)} ms, decoding into points ${acc.ffi.decode.toFixed(1)} ms)`);
    console.log(`  BL_GetData + decode in C (no objects built):                          ${(cRate / 1e6).toFixed(2)} M records/s (${acc.c.n} records)`);
    console.log(`  ratio koffi / C: ${(ffiRate / cRate).toFixed(4)} (C ${(cRate / ffiRate).toFixed(0)}x faster)`);
    console.log(`  TDataInfos_t/TCurrentValues_t marshalled as objects per call instead: ${(objRate / 1e6).toFixed(2)} M records/s (calls ${acc.obj.call.toFixed(1)} ms, decoding ${acc.obj.decode.toFixed(1)} ms)`);
    console.log(`  one BL_GetData poll of an empty channel: caller-owned buffers ${usReader.toFixed(2)} us, objects ${usObjects.toFixed(2)} us (ratio ${(usObjects / usReader).toFixed(1)}x)`);
    console.log(`  eclib-sim sustained rate (CV records computed and released by its C thread, drained): ${(acc.sim.n / acc.sim.s / 1e3).toFixed(0)} k records/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
