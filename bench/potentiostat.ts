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
    let objRecords = 0;
    let objS = 0;
    let ffiRecords = 0;
    let ffiS = 0;
    let cRecords = 0;
    let cS = 0;
    let simRecords = 0;
    let simS = 0;
    for (let r = 0; r < rounds; r++) {
      simS += startAndWait();
      const out: PstatPoint[] = [];
      const t0 = performance.now();
      for (;;) {
        lib.lib.check(reader.read(lib, id[0], 0), 'BL_GetData');
        if (reader.rows === 0) break;
        decodeRecords(reader.block(), reader.words, reader.singles, out);
      }
      ffiS += (performance.now() - t0) / 1000;
      ffiRecords += out.length;
      simRecords += out.length;
      simS += startAndWait();
      const infos: Record<string, number> = {};
      const cv: Record<string, number> = {};
      const out2: PstatPoint[] = [];
      const t1 = performance.now();
      for (;;) {
        lib.lib.check(getDataObjects(id[0], 0, buf, infos, cv), 'BL_GetData');
        const rows = infos['NbRows']!;
        if (rows === 0) break;
        decodeRecords({ rows, cols: infos['NbCols']!, techniqueId: infos['TechniqueID']!, processIndex: infos['ProcessIndex']!, startTime: infos['StartTime']!, timeBase: cv['TimeBase']! }, buf, f32, out2);
      }
      objS += (performance.now() - t1) / 1000;
      objRecords += out2.length;
      simRecords += out2.length;
      simS += startAndWait();
      const s: [number] = [0];
      const c: [number] = [0];
      const n = benchC(id[0], 0, s, c);
      cRecords += n;
      cS += s[0];
      simRecords += n;
    }
    lib.Disconnect(id[0]);
    const ffiRate = ffiRecords / ffiS;
    const cRate = cRecords / cS;
    console.log(`  BL_GetData + decode via koffi: ${(ffiRate / 1e6).toFixed(2)} M records/s (${ffiRecords} records)`);
    console.log(`  BL_GetData + decode in C:      ${(cRate / 1e6).toFixed(2)} M records/s (${cRecords} records)`);
    console.log(`  ratio C / koffi: ${(cRate / ffiRate).toFixed(1)}x (koffi / C ${(ffiRate / cRate).toFixed(3)})`);
    console.log(`  for comparison, TDataInfos_t/TCurrentValues_t marshalled as objects per call: ${(objRecords / objS / 1e6).toFixed(2)} M records/s (caller-owned buffers ${((ffiRate / (objRecords / objS))).toFixed(2)}x that)`);
    console.log(`  eclib-sim sustained rate (CV records computed and released by its C thread): ${(simRecords / simS / 1e3).toFixed(0)} k records/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
