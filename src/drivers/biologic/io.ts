/**
 * EClib through koffi: BioLogic's exact signatures (EClib64.dll; stdcall on 32-bit Windows, which
 * koffi's `__stdcall` handles) and the 4-byte-packed structures of BLStructs.h — `TEccParams_t`
 * (12 bytes, passed BY VALUE) and `TDataInfos_t` (40 bytes) are declared with `koffi.pack`, whose
 * layout equals pack(4) for these structures (every field is 4-byte aligned there).
 * @module
 */
import type Koffi from 'koffi';
import { loadKoffi, loadLibrary, type NativeLibrary } from '../../protocols/ffi/index.js';
import { ECLIB_ERRORS, type DataBlock, type InstrumentFamily } from './protocol.js';

let types: { koffi: typeof Koffi } | undefined;

/** Declare the EClib structures once per process (koffi types are global by name). */
function declareTypes(): typeof Koffi {
  if (types) return types.koffi;
  const koffi = loadKoffi('EClib');
  koffi.pack('TDeviceInfos_t', Object.fromEntries(['DeviceCode', 'RAMSize', 'CPU', 'NumberOfChannels', 'NumberOfSlots', 'FirmwareVersion', 'FirmwareDate_yyyy', 'FirmwareDate_mm', 'FirmwareDate_dd', 'HTdisplayOn', 'NbOfConnectedPC'].map((f) => [f, 'int32_t'])));
  koffi.pack('TChannelInfos_t', { v: koffi.array('int32_t', 21) });
  koffi.pack('TEccParam_t', { ParamStr: koffi.array('char', 64, 'String'), ParamType: 'int32_t', ParamVal: 'int32_t', ParamIndex: 'int32_t' });
  koffi.pack('TEccParams_t', { len: 'int32_t', pParams: 'TEccParam_t *' });
  // SysV x86-64: a packed 12-byte struct whose pointer straddles two eightbytes is MEMORY class (copied
  // onto the stack), but koffi classifies a 12-byte struct as two INTEGER eightbytes (registers).
  // Declaring a 24-byte stand-in makes koffi copy it onto the stack, where the callee reads its
  // first 12 bytes; the extra bytes lie beyond and are ignored (the caller pops the stack in SysV).
  koffi.pack('TEccParamsOnStack_t', { len: 'int32_t', pLo: 'uint32_t', pHi: 'uint32_t', pad: koffi.array('int32_t', 3) });
  koffi.pack('TCurrentValues_t', {
    State: 'int32_t', MemFilled: 'int32_t', TimeBase: 'float', Ewe: 'float', EweRangeMin: 'float', EweRangeMax: 'float', Ece: 'float', EceRangeMin: 'float', EceRangeMax: 'float',
    Eoverflow: 'int32_t', I: 'float', IRange: 'int32_t', Ioverflow: 'int32_t', ElapsedTime: 'float', Freq: 'float', Rcomp: 'float', Saturation: 'int32_t', OptErr: 'int32_t', OptPos: 'int32_t',
  });
  koffi.pack('TDataInfos_t', { IRQskipped: 'int32_t', NbRows: 'int32_t', NbCols: 'int32_t', TechniqueIndex: 'int32_t', TechniqueID: 'int32_t', ProcessIndex: 'int32_t', loop: 'int32_t', StartTime: 'double', MuxPad: 'int32_t' });
  if (koffi.sizeof('TDataInfos_t') !== 40) throw new Error(`TDataInfos_t is ${koffi.sizeof('TDataInfos_t')} bytes, not 40`);
  types = { koffi };
  return koffi;
}

/** The EClib functions labrig calls. */
export interface EClib {
  readonly lib: NativeLibrary;
  readonly koffi: typeof Koffi;
  GetErrorMsg(code: number, buf: Buffer, size: [number]): number;
  Connect(address: string, timeoutS: number, id: [number], infos: Record<string, number>): number;
  Disconnect(id: number): number;
  TestConnection(id: number): number;
  LoadFirmware(id: number, channels: Uint8Array, results: Int32Array, length: number, showGauge: boolean, force: boolean, bin: string | null, xlx: string | null): number;
  IsChannelPlugged(id: number, ch: number): boolean;
  GetChannelInfos(id: number, ch: number, infos: Record<string, unknown>): number;
  DefineBoolParameter(label: string, v: boolean, index: number, out: Record<string, unknown>): number;
  DefineSglParameter(label: string, v: number, index: number, out: Record<string, unknown>): number;
  DefineIntParameter(label: string, v: number, index: number, out: Record<string, unknown>): number;
  /** BL_LoadTechnique with the parameter array given as a koffi pointer (the 12-byte struct is built per ABI). */
  LoadTechnique(id: number, ch: number, file: string, params: { len: number; pParams: unknown }, first: boolean, last: boolean, display: boolean): number;
  StartChannel(id: number, ch: number): number;
  StopChannel(id: number, ch: number): number;
  GetCurrentValues(id: number, ch: number, v: Record<string, number>): number;
  /** BL_GetData into caller-owned memory: `infos` 40 bytes (TDataInfos_t), `v` 76 bytes (TCurrentValues_t); see {@link GetDataReader}. */
  GetData(id: number, ch: number, buf: Uint32Array, infos: Uint8Array, v: Uint8Array): number;
}

/** Whether TEccParams_t (by value) must go through the on-stack stand-in: SysV x86-64. */
export const SYSV_X64 = process.arch === 'x64' && process.platform !== 'win32';

function loadTechnique(koffi: typeof Koffi, b: <F>(sig: string) => F): EClib['LoadTechnique'] {
  if (!SYSV_X64) return b('int32_t BL_LoadTechnique(int32_t id, uint8_t ch, const char *file, TEccParams_t params, bool first, bool last, bool display)');
  const f = b<(id: number, ch: number, file: string, p: unknown, first: boolean, last: boolean, display: boolean) => number>(
    'int32_t BL_LoadTechnique(int32_t id, uint8_t ch, const char *file, TEccParamsOnStack_t params, bool first, bool last, bool display)',
  );
  return (id, ch, file, params, first, last, display) => {
    const addr = BigInt(koffi.address(params.pParams) as bigint | number);
    return f(id, ch, file, { len: params.len, pLo: Number(addr & 0xffffffffn), pHi: Number(addr >> 32n), pad: [0, 0, 0] }, first, last, display);
  };
}

/** Load EClib (or a library with its ABI, such as eclib-sim) from `path` or the usual names. */
export function loadEClib(path?: string): EClib {
  const koffi = declareTypes();
  const lib = loadLibrary({
    name: 'EClib',
    fileNames: { win32: [process.arch === 'ia32' ? 'EClib.dll' : 'EClib64.dll'], linux: ['libeclib-sim.so'], darwin: ['libeclib-sim.dylib'] },
    ...(path ? { paths: [path] } : {}),
    errors: ECLIB_ERRORS,
  });
  const cc = process.platform === 'win32' && process.arch === 'ia32' ? '__stdcall ' : '';
  const b = <F>(sig: string): F => lib.bind(sig.replace(/^(\S+) /, `$1 ${cc}`)) as unknown as F;
  const e: EClib = {
    lib,
    koffi,
    GetErrorMsg: b('int32_t BL_GetErrorMsg(int32_t code, _Out_ char *msg, _Inout_ uint32_t *size)'),
    Connect: b('int32_t BL_Connect(const char *address, uint8_t timeout, _Out_ int32_t *id, _Out_ TDeviceInfos_t *infos)'),
    Disconnect: b('int32_t BL_Disconnect(int32_t id)'),
    TestConnection: b('int32_t BL_TestConnection(int32_t id)'),
    LoadFirmware: b('int32_t BL_LoadFirmware(int32_t id, uint8_t *channels, int32_t *results, uint8_t length, bool showGauge, bool forceReload, const char *bin, const char *xlx)'),
    IsChannelPlugged: b('bool BL_IsChannelPlugged(int32_t id, uint8_t ch)'),
    GetChannelInfos: b('int32_t BL_GetChannelInfos(int32_t id, uint8_t ch, _Out_ TChannelInfos_t *infos)'),
    DefineBoolParameter: b('int32_t BL_DefineBoolParameter(const char *lbl, bool value, int32_t index, _Out_ TEccParam_t *p)'),
    DefineSglParameter: b('int32_t BL_DefineSglParameter(const char *lbl, float value, int32_t index, _Out_ TEccParam_t *p)'),
    DefineIntParameter: b('int32_t BL_DefineIntParameter(const char *lbl, int32_t value, int32_t index, _Out_ TEccParam_t *p)'),
    LoadTechnique: loadTechnique(koffi, b),
    StartChannel: b('int32_t BL_StartChannel(int32_t id, uint8_t ch)'),
    StopChannel: b('int32_t BL_StopChannel(int32_t id, uint8_t ch)'),
    GetCurrentValues: b('int32_t BL_GetCurrentValues(int32_t id, uint8_t ch, _Out_ TCurrentValues_t *v)'),
    // The structures as plain memory the caller owns (read by GetDataReader at BLStructs.h's packed
    // offsets): no object built and decoded by koffi at every poll.
    GetData: b('int32_t BL_GetData(int32_t id, uint8_t ch, uint32_t *buf, void *infos, void *v)'),
  };
  lib.useErrorText((code) => {
    const buf = Buffer.alloc(256);
    const size: [number] = [256];
    return e.GetErrorMsg(code, buf, size) === 0 ? buf.toString('latin1', 0, Math.max(0, size[0] - 1)).replace(/\0.*$/, '') : undefined;
  });
  return e;
}

/**
 * BL_GetData into buffers allocated once: the 1000-word data buffer (with a float view of the same
 * bytes), TDataInfos_t (40 bytes, pack 4: StartTime at offset 28) and TCurrentValues_t (76 bytes),
 * read with a DataView at the offsets of BLStructs.h. One reader per channel poller.
 */
export class GetDataReader {
  /** The data words (TDataBuffer_t). */
  readonly words = new Uint32Array(1000);
  /** The same bytes as IEEE singles. */
  readonly singles = new Float32Array(this.words.buffer);
  readonly #infos = new Uint8Array(40);
  readonly #values = new Uint8Array(76);
  readonly #i = new DataView(this.#infos.buffer);
  readonly #v = new DataView(this.#values.buffer);

  /** Call BL_GetData; returns its status code (the fields below then hold its answer). */
  read(lib: EClib, id: number, ch: number): number {
    return lib.GetData(id, ch, this.words, this.#infos, this.#values);
  }

  /** TDataInfos_t.NbRows. */
  get rows(): number {
    return this.#i.getInt32(4, true);
  }

  /** The block just read, for decodeRecords (with the family's layouts and the overflow state). */
  block(family: InstrumentFamily = 'vmp3'): DataBlock {
    const i = this.#i;
    const v = this.#v;
    return {
      rows: i.getInt32(4, true), cols: i.getInt32(8, true), techniqueId: i.getInt32(16, true), processIndex: i.getInt32(20, true),
      startTime: i.getFloat64(28, true), timeBase: v.getFloat32(8, true), family,
      eweRange: [v.getFloat32(16, true), v.getFloat32(20, true)], iOverflow: v.getInt32(48, true) !== 0,
    };
  }

  /** TCurrentValues_t.State (0 stop, 1 run, 2 pause). */
  get state(): number {
    return this.#v.getInt32(0, true);
  }

  /** TCurrentValues_t.ElapsedTime, s. */
  get elapsedS(): number {
    return this.#v.getFloat32(52, true);
  }
}
