/**
 * A loaded native library (implements the FfiLibrary contract): typed functions bound from C
 * prototypes or a declaration table, synchronous or on a worker thread, vendor status checks,
 * and JS callbacks the C side may call now or later, from any thread.
 *
 * Threads: koffi runs every registered callback on the JS thread. When C calls one from a thread
 * of its own, koffi queues the call to the JS event loop and that C thread waits until the JS
 * function returned, so (1) the JS thread must not block waiting for that C thread (e.g. a
 * synchronous join), and (2) the process must stay alive (something else keeps the event loop
 * running) while C may still call back.
 * @module
 */
import type * as Koffi from 'koffi';
import { InvalidInputError, InvalidStateError, toError } from '../../core/errors.js';
import type { FfiLibrary } from '../contracts.js';
import { checkStatus, statusText, type StatusPolicy } from './status.js';

type AnyFn = (...args: never[]) => unknown;

/** A JS function registered as a C callback; `pointer` goes to the C function. */
export interface RegisteredCallback {
  /** Value to pass where C expects the function pointer. */
  readonly pointer: unknown;
  /** True once `close()` ran. */
  readonly closed: boolean;
  /** Unregister; C must not call the pointer afterwards. Idempotent. */
  close(): void;
}

/** Options of {@link NativeLibrary.callback}. */
export interface CallbackOptions {
  /** Receive errors thrown by the JS function (default: `process.emitWarning`). */
  onError?: (error: Error) => void;
  /** What C gets back when the JS function threw (default: 0, null for pointers, nothing for void). */
  errorValue?: unknown;
}

const protoCache = new Map<string, Koffi.IKoffiCType>();

/** Describe a declaration failure in one line. */
function reason(err: unknown): string {
  return toError(err).message;
}

/** Guess what a callback returns to C when it failed: 0, null or nothing (from the prototype text). */
function defaultErrorValue(prototype: string): unknown {
  const head = prototype.slice(0, prototype.indexOf('(')).trim();
  if (head.includes('*')) return null;
  if (/^void\b/.test(head)) return undefined;
  return 0;
}

/** One loaded library (see the module notes). */
export class NativeLibrary implements FfiLibrary {
  private readonly callbacks = new Set<RegisteredCallback>();
  private unloaded = false;

  constructor(
    private readonly koffi: typeof Koffi,
    private readonly lib: Koffi.IKoffiLib,
    /** Path of the file that was loaded. */
    readonly path: string,
    private readonly policy: StatusPolicy,
  ) {}

  /** Library name used in messages. */
  get name(): string {
    return this.policy.device;
  }

  /** Bind a C function by prototype, e.g. `int32_t DAQmxStartTask(void *task)`. */
  bind<F extends AnyFn>(signature: string): F {
    return this.declare(signature) as unknown as F;
  }

  /**
   * Bind every function of a declaration table (JS name → C prototype) and return them as one
   * typed object. All failures are reported together in one InvalidInputError.
   */
  bindAll<T extends Record<string, AnyFn>>(table: { readonly [K in keyof T]: string }): T {
    const out: Record<string, unknown> = {};
    const failures: string[] = [];
    for (const [key, signature] of Object.entries(table) as Array<[string, string]>) {
      try {
        out[key] = this.declare(signature);
      } catch (err) {
        failures.push(`${key}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new InvalidInputError({ what: `${this.name}: declarations`, value: failures.length, reason: `could not bind:\n  ${failures.join('\n  ')}` });
    return out as T;
  }

  /** Bind a C function to run on a worker thread; the JS function returns a promise. */
  bindAsync<A extends unknown[], R>(signature: string): (...args: A) => Promise<R> {
    const fn = this.declare(signature);
    return (...args: A) =>
      new Promise<R>((resolve, reject) => {
        fn.async(...args, (err: unknown, result: R) => (err ? reject(toError(err)) : resolve(result)));
      });
  }

  /**
   * Bind a C function that returns a vendor status; the JS function checks it (throws DeviceError
   * for errors, reports warnings) and returns the status.
   */
  bindChecked<A extends unknown[]>(signature: string): (...args: A) => number {
    const fn = this.declare(signature);
    const name = fn.info.name;
    return (...args: A) => {
      const code = fn(...args) as number;
      this.check(code, name);
      return code;
    };
  }

  /** Throw the mapped DeviceError when `code` is an error; report warnings (see status.ts). */
  check(code: number, fn: string): void {
    checkStatus(this.policy, code, fn);
  }

  /** Look up the vendor's text of a status code. */
  describe(code: number): string {
    return statusText(this.policy, code).message;
  }

  /** Use the vendor's own text lookup for status codes (e.g. a bound DAQmxGetErrorString). */
  useErrorText(text: (code: number) => string | undefined): void {
    this.policy.text = text;
  }

  /**
   * Register a JS function as a C callback of type `prototype` (e.g.
   * `int32_t EveryNCallback(void *task, int32_t n, void *data)`); C may call it until `close()`,
   * from any thread (see the module notes). Errors thrown by `fn` go to `onError`.
   */
  callback(prototype: string, fn: (...args: never[]) => unknown, options: CallbackOptions = {}): RegisteredCallback {
    this.alive();
    const type = this.proto(prototype);
    const errorValue = 'errorValue' in options ? options.errorValue : defaultErrorValue(prototype);
    const onError = options.onError ?? ((e: Error) => process.emitWarning(e));
    const safe = (...args: never[]): unknown => {
      try {
        return fn(...args);
      } catch (err) {
        onError(toError(err));
        return errorValue;
      }
    };
    const pointer = this.koffi.register(safe, this.koffi.pointer(type));
    const callbacks = this.callbacks;
    const koffi = this.koffi;
    const handle: RegisteredCallback = {
      pointer,
      closed: false,
      close() {
        if (this.closed) return;
        (this as { closed: boolean }).closed = true;
        callbacks.delete(handle);
        koffi.unregister(pointer);
      },
    };
    this.callbacks.add(handle);
    return handle;
  }

  /** Unregister this library's callbacks and unload it; bound functions must not be called afterwards. */
  unload(): void {
    if (this.unloaded) return;
    for (const cb of [...this.callbacks]) cb.close();
    this.unloaded = true;
    this.lib.unload();
  }

  private alive(): void {
    if (this.unloaded) throw new InvalidStateError(`${this.name}: library unloaded (${this.path})`);
  }

  private declare(signature: string): Koffi.KoffiFunction {
    this.alive();
    if (typeof signature !== 'string' || !signature.includes('(')) {
      throw new InvalidInputError({ what: `${this.name}: C prototype`, value: signature, reason: 'must look like "int32_t name(int32_t a, double *out)"' });
    }
    try {
      return this.lib.func(signature);
    } catch (err) {
      throw new InvalidInputError({ what: `${this.name}: C prototype`, value: signature, reason: reason(err) });
    }
  }

  private proto(prototype: string): Koffi.IKoffiCType {
    const key = prototype.replace(/\s+/g, ' ').trim();
    const cached = protoCache.get(key);
    if (cached) return cached;
    try {
      const type = this.koffi.proto(prototype);
      protoCache.set(key, type);
      return type;
    } catch (err) {
      throw new InvalidInputError({ what: `${this.name}: callback prototype`, value: prototype, reason: `${reason(err)} (callback type names are global: one name, one signature)` });
    }
  }
}
