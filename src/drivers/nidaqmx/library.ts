/**
 * The NI-DAQmx library through koffi: found as `nicaiu.dll` (Windows) or `libnidaqmx.so`
 * (Linux), or at an explicit path (`?lib=`, option `lib`, or `LABRIG_NIDAQMX_LIB`); every status
 * checked (negative → DeviceError with NI's code and the text of DAQmxGetExtendedErrorInfo /
 * DAQmxGetErrorString; positive → a warning handed to `onWarning`, not thrown); every task the
 * process creates tracked, so none outlives the process (cleared on `exit`).
 * @module
 */
import { DeviceError, InvalidInputError } from '../../core/errors.js';
import { NotFoundError } from '../../protocols/discovery/not-found.js';
import { loadLibrary, type FfiWarning, type NativeLibrary, type RegisteredCallback } from '../../protocols/ffi/index.js';
import { DAQMX_CALLBACKS, DAQMX_FUNCTIONS, NIDAQMX_ERRORS } from './protocol.js';

/** Environment variable with the library's path (a file, or directories to search). */
export const NIDAQMX_LIB_ENV = 'LABRIG_NIDAQMX_LIB';

/** Library names per platform, tried after explicit paths and the environment. */
export const NIDAQMX_FILE_NAMES = { win32: ['nicaiu.dll'], linux: ['libnidaqmx.so', 'libnidaqmx.so.1'] } as const;

/** Where NI installs the library on Linux. */
const SEARCH_PATHS = ['/usr/lib/x86_64-linux-gnu', '/usr/local/natinst/nidaqmx/lib64', '/usr/local/natinst/nidaqmx/lib'];

/** An opaque TaskHandle as koffi returns it. */
export type TaskHandle = unknown;

type Fn = (...args: never[]) => number;
type AsyncFn = Fn & { async: (...args: unknown[]) => void };
type Api = { [K in keyof typeof DAQMX_FUNCTIONS]: (...args: unknown[]) => number };

/** Options of {@link openDaqmx}. */
export interface DaqmxLibraryOptions {
  /** Explicit library path (URI `?lib=`, option `lib`). */
  lib?: string;
  /** Receive NI warnings (positive status). Default: `process.emitWarning`. */
  onWarning?: (warning: FfiWarning) => void;
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The loaded NI-DAQmx library with checked calls (see the module notes). */
export class DaqmxLibrary {
  /** The path that was loaded. */
  readonly path: string;
  /** Raw bound functions (status not checked). */
  readonly raw: Api;
  readonly #lib: NativeLibrary;
  readonly #tasks = new Set<TaskHandle>();
  /** Receives NI warnings (positive status); default `process.emitWarning`. */
  onWarning: (w: FfiWarning) => void;
  #exitHook: (() => void) | undefined;

  constructor(lib: NativeLibrary, onWarning?: (w: FfiWarning) => void) {
    this.#lib = lib;
    this.path = lib.path;
    this.onWarning = onWarning ?? ((w) => process.emitWarning(`NI-DAQmx: ${w.fn}: warning ${w.code}: ${w.message}`, { code: 'LABRIG_NIDAQMX_WARNING' }));
    // Callback types first: the functions taking them refer to them by name.
    for (const proto of Object.values(DAQMX_CALLBACKS)) lib.callback(proto, () => 0).close();
    this.raw = lib.bindAll<Api>(DAQMX_FUNCTIONS);
  }

  /** Tasks created by this library and not cleared yet. */
  get openTasks(): number {
    return this.#tasks.size;
  }

  /** NI's text for `code`: the extended info when it is about this code, else DAQmxGetErrorString. */
  errorText(code: number): string {
    const ext = Buffer.alloc(2048);
    if (this.raw.GetExtendedErrorInfo(ext, ext.length) === 0) {
      const text = ext.toString('utf8', 0, Math.max(0, ext.indexOf(0))).trim();
      if (text && text.includes(String(code))) return text.replace(/\s*\n\s*/g, '; ');
    }
    const buf = Buffer.alloc(2048);
    if (this.raw.GetErrorString(code, buf, buf.length) === 0) {
      const text = buf.toString('utf8', 0, Math.max(0, buf.indexOf(0))).trim();
      if (text) return text;
    }
    const entry = NIDAQMX_ERRORS[code];
    return typeof entry === 'object' ? entry.text : entry ?? `NI-DAQmx status ${code}`;
  }

  /** Check a status returned by `fn` (see the module notes); returns it. */
  check(code: number, fn: string, device = 'NI-DAQmx'): number {
    if (code < 0) {
      const entry = NIDAQMX_ERRORS[code];
      throw new DeviceError({ device, vendorMessage: `DAQmx${fn}: ${this.errorText(code)}`, vendorCode: code, ...(typeof entry === 'object' && entry.kind ? { kind: entry.kind } : {}) });
    }
    if (code > 0) this.onWarning({ device, fn: `DAQmx${fn}`, code, message: this.errorText(code) });
    return code;
  }

  /** Call `fn` with `args` and check its status. */
  call(fn: keyof typeof DAQMX_FUNCTIONS, device: string, ...args: unknown[]): number {
    return this.check(this.raw[fn](...args), fn, device);
  }

  /** Call `fn` on a worker thread (the event loop stays free) and check its status. */
  callAsync(fn: keyof typeof DAQMX_FUNCTIONS, device: string, ...args: unknown[]): Promise<number> {
    return new Promise((resolve, reject) => {
      (this.raw[fn] as unknown as AsyncFn).async(...args, (err: unknown, code: number) => {
        if (err) return reject(err);
        try {
          resolve(this.check(code, fn, device));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** Create a task (tracked until {@link clearTask}). */
  createTask(name: string, device: string): TaskHandle {
    const out: unknown[] = [null];
    this.call('CreateTask', device, name, out);
    this.#tasks.add(out[0]);
    this.#hookExit();
    return out[0];
  }

  /** Stop and clear a task; never throws for a task already gone. */
  clearTask(task: TaskHandle): void {
    if (!this.#tasks.delete(task)) return;
    this.raw.StopTask(task);
    this.raw.ClearTask(task);
    if (this.#tasks.size === 0) this.#unhookExit();
  }

  /** Register a JS function as a C callback of one of NI's callback types. */
  callback(kind: keyof typeof DAQMX_CALLBACKS, fn: (...args: never[]) => number, onError: (e: Error) => void): RegisteredCallback {
    return this.#lib.callback(DAQMX_CALLBACKS[kind], fn, { onError, errorValue: 0 });
  }

  /** Clear every task this library created (process exit, rig close). */
  clearAll(): void {
    for (const t of [...this.#tasks]) this.clearTask(t);
  }

  #hookExit(): void {
    if (this.#exitHook) return;
    this.#exitHook = () => this.clearAll();
    process.on('exit', this.#exitHook);
  }

  #unhookExit(): void {
    if (this.#exitHook) process.off('exit', this.#exitHook);
    this.#exitHook = undefined;
  }
}

const loaded = new Map<string, DaqmxLibrary>();

/**
 * Load (once per path) the NI-DAQmx library: `lib` if given, else `LABRIG_NIDAQMX_LIB`, else
 * NI's file names on the loader's path and NI's install folders. A missing library is a
 * NotFoundError listing every path tried and how to point labrig at the library.
 */
export function openDaqmx(options: DaqmxLibraryOptions = {}): DaqmxLibrary {
  if (options.lib !== undefined && (typeof options.lib !== 'string' || options.lib === '')) throw new InvalidInputError({ what: "parameter 'lib'", value: options.lib, reason: 'must be a path to the NI-DAQmx library' });
  const key = options.lib ?? `env:${(options.env ?? process.env)[NIDAQMX_LIB_ENV] ?? ''}`;
  const cached = loaded.get(key);
  if (cached) {
    if (options.onWarning) cached.onWarning = options.onWarning;
    return cached;
  }
  let lib: NativeLibrary;
  try {
    lib = loadLibrary({
      name: 'NI-DAQmx',
      // An explicit path is the only one tried (NI's names could match a library already loaded under that SONAME).
      ...(options.lib ? { fileNames: {}, paths: [options.lib], envVar: false as const } : { fileNames: NIDAQMX_FILE_NAMES, envVar: NIDAQMX_LIB_ENV, searchPaths: SEARCH_PATHS }),
      ...(options.env ? { env: options.env } : {}),
      errors: NIDAQMX_ERRORS,
    });
  } catch (e) {
    if (e instanceof NotFoundError) {
      throw new NotFoundError({
        what: 'NI-DAQmx library',
        tried: e.tried,
        detail: `install NI-DAQmx, or point labrig at the library: nidaqmx://Dev1/ai0?lib=/path/to/libnidaqmx.so, the option lib, or ${NIDAQMX_LIB_ENV}=/path/to/libnidaqmx.so (labrig's simulator: sim:nidaqmx, or \`labrig sim nidaqmx\` prints its path)`,
      });
    }
    throw e;
  }
  const d = new DaqmxLibrary(lib, options.onWarning);
  loaded.set(key, d);
  return d;
}
