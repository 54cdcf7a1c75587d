/**
 * The native Tango backend: `native/tango/tango_addon.cc`, an N-API addon over cppTango built by
 * `npm run build:native` where libtango-dev is installed, wrapped as a {@link TangoBackend}.
 * One native `Device` per connection owns one `Tango::DeviceProxy` and one worker thread that makes
 * the blocking CORBA calls in order, off Node's main thread; replies and change events come back
 * through one thread-safe function, so events of an attribute keep the server's order.
 *
 * Reads skip the worker while it is idle: `readNow` makes the read on the JS thread itself, with
 * the proxy's limit set to `syncReadMs` (default 20 ms), the most one read can block the event
 * loop. Handing a read to the worker and its answer back costs two thread wake-ups, which on a
 * small machine took as long as the read itself (83 vs 44 µs per read, PyTango 44 µs); on the JS
 * thread a read costs what PyTango's does. A read that hits the budget is made again through the
 * worker with the rest of the caller's time, and reads then stay on the worker for a while
 * (`syncBackoffMs`, default 1 s, doubling up to 5 min while it goes on). Reads slower than `syncSlowMs` (median of 8;
 * default 1 ms: a slow or distant device) send reads to the worker for 2 s, so such devices
 * neither block the loop for their round trips nor serialise reads of several devices made in
 * parallel. Writes, commands and subscriptions always go through the worker.
 *
 * Every call has a timeout: a timer here (→ `TimeoutError`, a late reply is dropped) and the
 * proxy's own, set per call 500 ms longer so that the timer is the one that fires. The addon
 * keeps the event loop alive only while a call is pending or a subscription is live, so a script
 * that forgets `close()` still exits; `close()` deletes the proxy while the process is alive, and a device
 * never closed is left to the OS (no cppTango destructor runs during process exit, where Debian's
 * cppTango 9.3 can hang).
 *
 * Change events run in a supervised child process, the **event host** (`addon-event-host.ts`),
 * because Debian's cppTango 9.3 (no database) crashes a process whose event consumer lost its
 * channel to a server that stopped and came back (SIGSEGV through a freed admin device proxy: on
 * the next unsubscribe/subscribe through that server, or in cppTango's keep-alive thread ~10 s
 * later; no in-process workaround). This process never makes a cppTango event consumer: reads,
 * writes, commands and state stay here, and the host (forked on the first subscribe, loading the
 * same addon, its own proxy to the device) subscribes and sends replies and events over IPC in
 * the order the addon delivered them. One host per backend, shared by its subscriptions; kept
 * `eventHostIdleMs` (1 s) after the last one leaves, then killed; it holds the event loop only
 * while it starts, has calls in flight or subscriptions, and kills itself (SIGKILL: no cppTango
 * exit handler) when this process goes away. Supervision: a host that dies gives every live
 * subscription one `{ error }` event (DisconnectedError naming the exit) and fails calls in
 * flight; an event error of a lost channel ({@link CHANNEL_LOSS_REASONS}: `API_EventTimeout`
 * ...) retires the host — dropped as current and killed before the subscriber hears of it — so
 * the subscriber's unsubscribe is a no-op and its next subscribe starts a fresh host with a fresh
 * cppTango, never going through the poisoned event consumer; the other subscriptions on it get a
 * DisconnectedError. Costs: a host start (0.15 s compiled, ~0.5 s under tsx, idle machine) on
 * the first subscribe, one Node process per subscribed device, one IPC hop per event.
 * `events: 'inprocess'` subscribes through this process's own proxy as before (for measurements).
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DisconnectedError, InvalidInputError, TimeoutError, UnsupportedError } from '../../core/errors.js';
import type { HostMessage, HostRequest } from './addon-event-host.js';
import type { TangoAddress, TangoBackend, TangoCallOptions, TangoCommandValue, TangoDeviceInfo, TangoEvent, TangoReading, TangoValue } from './backend.js';
import { TangoError } from './errors.js';
import { devFailedError, type AttributeListener, type PendingCall } from './protocol.js';

/** Where `npm run build:native` puts the addon (overridden by env `LABRIG_TANGO_ADDON`). */
export const TANGO_ADDON_PATH = fileURLToPath(new URL('../../../native/tango/build/labrig_tango.node', import.meta.url));

/**
 * Raised when the native addon is not built or cannot be loaded (`backend=addon` unsupported
 * here); `path` is where it was looked for.
 */
export class TangoAddonUnavailableError extends UnsupportedError {
  /** The `.node` file looked for. */
  readonly path: string;
  /** `path` names the file; `detail` says why it cannot be used. */
  constructor(options: { path: string; detail: string }) {
    super({
      device: 'tango',
      verb: `backend=addon (${options.detail}: ${options.path}; build it with \`npm run build:native\` where libtango-dev is installed, or use backend=sidecar)`,
    });
    this.path = options.path;
  }
}

/** The function the native device calls: `kind` 0 = reply to request `id`, 1 = event of subscription `id`. */
export type Dispatch = (kind: number, id: number, ok: boolean, value: unknown) => void;

/** The native `Device` as the addon exports it (see tango_addon.cc for each call; replies come to the dispatcher). */
export interface NativeDevice {
  connect(id: number, tangoName: string, timeoutMs: number): void;
  read(id: number, names: string[], timeoutMs: number): void;
  /**
   * Read on the calling (JS) thread with the proxy's limit set to `budgetMs`: `[ok, value]`, or
   * undefined when the worker is busy or has calls queued (then use `read`).
   */
  readNow(names: readonly string[], budgetMs: number): [boolean, unknown] | undefined;
  write(id: number, name: string, value: unknown, timeoutMs: number): void;
  command(id: number, name: string, hasArg: boolean, arg: unknown, timeoutMs: number): void;
  subscribe(id: number, attr: string, sub: number, timeoutMs: number): void;
  unsubscribe(id: number, sub: number): void;
  state(id: number, timeoutMs: number): void;
  status(id: number, timeoutMs: number): void;
  close(id: number): void;
  /** Reply to `id` from the worker without any Tango call (the round-trip floor, for the bench). */
  echo(id: number): void;
  /** Where reads' time went, ns summed over `calls` (worker path) and `syncCalls` (readNow); `reset` zeroes it after. */
  timing(reset?: boolean): AddonTiming;
  ref(): void;
  unref(): void;
}

/**
 * The addon's own clock of reads (steady clock, ns, summed). Worker path: `queued` (JS thread
 * queues the job → worker starts it), `call` (the cppTango call alone), `copy` (copying the answer
 * out of cppTango), `deliver` (worker posts → JS thread runs it), `build` (JS values), `dispatch`
 * (the dispatcher, settling the promise). Synchronous path (`readNow`): `syncCall`, `syncBuild`.
 */
export interface AddonTiming {
  calls: number;
  queued: number;
  call: number;
  copy: number;
  deliver: number;
  build: number;
  dispatch: number;
  syncCalls: number;
  syncCall: number;
  syncBuild: number;
}

/** What the `.node` module exports. */
export interface TangoAddonModule {
  /** The native device class. */
  Device: new (dispatch: Dispatch) => NativeDevice;
  /** cppTango version the addon was built against, e.g. `9.3.4`. */
  tangoVersion: string;
}

let cached: { path: string; mod?: TangoAddonModule; error?: TangoAddonUnavailableError } | undefined;

function resolvedAddonPath(): string {
  return process.env['LABRIG_TANGO_ADDON'] || TANGO_ADDON_PATH;
}

/** Load the built addon (once); throws {@link TangoAddonUnavailableError} when absent or unloadable. */
export function loadTangoAddon(): TangoAddonModule {
  const path = resolvedAddonPath();
  if (cached?.path !== path) {
    cached = { path };
    if (!existsSync(path)) cached.error = new TangoAddonUnavailableError({ path, detail: 'the native addon is not built' });
    else {
      try {
        cached.mod = createRequire(import.meta.url)(path) as TangoAddonModule;
      } catch (e) {
        cached.error = new TangoAddonUnavailableError({ path, detail: `cannot load it: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
  }
  if (cached.error) throw cached.error;
  return cached.mod!;
}

/** Tell whether the native addon is built and loads here (what `?backend=auto` asks). */
export function tangoAddonAvailable(): boolean {
  try {
    loadTangoAddon();
    return true;
  } catch {
    return false;
  }
}

/** Options of the addon backend. */
export interface AddonOptions {
  /** Default limit of each call, ms (default 3000). */
  timeoutMs?: number;
  /**
   * Reads are made on the JS thread itself, with the proxy's limit set to this many ms, when the
   * device's worker is idle (default 20; 0 = always through the worker). This is the longest the
   * event loop is blocked by one read; a read that hits it is made again through the worker with
   * the rest of the caller's time (reads only: Tango reads are meant to be free of side effects),
   * and the device then reads through the worker for `syncBackoffMs`.
   */
  syncReadMs?: number;
  /**
   * How long reads go through the worker after one hit `syncReadMs`, ms (default 1000; doubling,
   * up to 5 min, while the next synchronous attempts hit it too; back to this after one that
   * does not). Short by default: on a loaded machine a healthy server can miss the budget once
   * in a few thousand reads; a hung one then costs the event loop one budget per period.
   */
  syncBackoffMs?: number;
  /**
   * When synchronous reads take longer than this many ms (default 1; the median of each 8, so that
   * a loaded machine preempting a read now and then does not count), the device's reads go
   * through the worker for the next 2 s: a slow or distant device would otherwise block the event
   * loop for its whole round trip and serialise reads that the worker threads of several devices
   * make in parallel.
   */
  syncSlowMs?: number;
  /**
   * Where change-event subscriptions live: `host` (default) in a supervised child process (the
   * event host, see the module notes), so that cppTango 9.3's crash after a lost event channel
   * ends that process, not this one; `inprocess` through this process's own proxy (no IPC hop,
   * but a subscribed server that restarts can crash this process; for measurements).
   */
  events?: 'host' | 'inprocess';
  /** Limit of starting the event host (fork, load the addon, open its proxy), ms (default 20000). */
  eventHostStartMs?: number;
  /**
   * How long an event host with no subscription left is kept for the next subscribe, ms (default
   * 1000; 0: stopped with its last subscription). Starting one costs 0.15–0.5 s, and the bridge
   * probes each attribute with a subscribe and an unsubscribe; an idle host never keeps the
   * process alive.
   */
  eventHostIdleMs?: number;
}

/**
 * Reasons of an event error meaning the event channel itself is lost (the server stopped or
 * restarted): after one, the event host that delivered it is retired (killed) before anything
 * else goes through its event consumer.
 */
export const CHANNEL_LOSS_REASONS: readonly string[] = [
  'API_EventTimeout',
  'API_CantConnectToDevice',
  'API_CommunicationFailed',
  'API_DeviceNotExported',
  'API_CorbaException',
  'API_ZmqFailed',
];

/** Wait before making again a call cppTango refused as a delayed reconnection, ms (its throttle is 1 s). */
const RECONNECT_RETRY_MS = 1050;

/** A call cppTango refused without sending it: a reconnection within 1 s of a failed one. */
function isDelayedReconnect(e: unknown): boolean {
  return e instanceof TangoError && e.reason === 'API_CantConnectToDevice' && e.levels.some((l) => /connection request was delayed/i.test(l.desc));
}

/** The event host's entry file, next to this module and with its extension (`.ts` under tsx, `.js` in dist). */
const HOST_FILE = fileURLToPath(new URL(`./addon-event-host${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/** How long a killed event host is waited for, ms. */
const HOST_EXIT_WAIT_MS = 5000;

/**
 * Node options of the event host: none for the compiled file; for the `.ts` source, the tsx
 * loader this process runs with (`--import tsx`, as tests do), or tsx resolved from here.
 */
function hostExecArgv(): string[] {
  if (!HOST_FILE.endsWith('.ts')) return [];
  const a = process.execArgv;
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (/^(--import|--loader|--experimental-loader|--require|-r)$/.test(x) && /tsx/.test(a[i + 1] ?? '')) out.push(x, a[++i]!);
    else if (/^--(import|loader|experimental-loader|require)=.*tsx/.test(x)) out.push(x);
  }
  return out.length > 0 ? out : ['--import', import.meta.resolve('tsx')];
}

/** One event host process (one "generation"): its subscriptions and calls in flight. */
interface EventHost {
  readonly child: ChildProcess;
  /** Settles once the host listens and its proxy is open (bounded by `eventHostStartMs`). */
  ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  readonly subs: Set<number>;
  readonly pending: Map<number, PendingCall>;
  starting: boolean;
  /** Stops the host once it has been idle (no subscription) for `eventHostIdleMs`. */
  idleTimer?: NodeJS.Timeout;
  /** Retired, stopped or dead: nothing more is sent to it or taken from it. */
  gone: boolean;
  onReady?: () => void;
}

/** How long reads go through the worker after a synchronous read timed out, at most. */
const SYNC_BACKOFF_MAX_MS = 300_000;
/** How long reads go through the worker once synchronous reads were slower than `syncSlowMs`. */
const SYNC_SLOW_OFF_MS = 2_000;
/** How many synchronous reads the slow-device rule takes the median of. */
const SYNC_WINDOW = 8;

type Pending = PendingCall;
/** A subscription: in-process ones have no `host`; `live` once its subscribe resolved. */
type Sub = AttributeListener & { host?: EventHost; live?: boolean };

type NativeError =
  | { kind: 'DevFailed'; levels: Array<{ reason: string; desc: string; origin: string; severity: string }> }
  | { kind: 'InvalidInput' | 'Native'; message: string };

/**
 * A DevFailed that is cppTango's own call limit running out: API_DeviceTimedOut, or omniORB's
 * TRANSIENT_CallTimedout (cppTango 9.3 reports a limit hit while it (re)connects that way).
 */
function isTimeout(e: NativeError): boolean {
  return e.kind === 'DevFailed' && e.levels.some((l) => l.reason === 'API_DeviceTimedOut' || l.desc.includes('TRANSIENT_CallTimedout'));
}

/** The native cppTango backend (see the module notes). */
export class TangoAddonBackend implements TangoBackend {
  readonly kind = 'addon';
  readonly #timeoutMs: number;
  readonly #syncReadMs: number;
  readonly #syncSlowMs: number;
  #syncOffUntil = 0;
  readonly #syncTimes = new Float64Array(SYNC_WINDOW);
  #syncN = 0;
  #syncTimeouts = 0;
  #syncSlowOffs = 0;
  readonly #syncBackoffFirstMs: number;
  #syncBackoffMs: number;
  #dev: NativeDevice | undefined;
  #nextId = 1;
  #nextSub = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #subs = new Map<number, Sub>();
  #refs = 0;
  #closed = false;
  #device = 'tango addon';
  readonly #events: 'host' | 'inprocess';
  readonly #hostStartMs: number;
  readonly #hostIdleMs: number;
  #tangoName: string | undefined;
  /** The event host new subscriptions go to (undefined: none yet, or the last one was retired). */
  #host: EventHost | undefined;
  /** Every event host not yet exited (the current one and those being killed). */
  readonly #hosts = new Set<EventHost>();

  /** A backend; throws {@link TangoAddonUnavailableError} at once when the addon is not built. */
  constructor(options: AddonOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 3000;
    if (!(timeoutMs > 0)) throw new InvalidInputError({ what: 'tango addon timeoutMs', value: timeoutMs, reason: 'must be > 0' });
    this.#timeoutMs = timeoutMs;
    const syncReadMs = options.syncReadMs ?? 20;
    if (!(syncReadMs >= 0) || !Number.isFinite(syncReadMs)) throw new InvalidInputError({ what: 'tango addon syncReadMs', value: syncReadMs, reason: 'must be a number of ms ≥ 0' });
    this.#syncReadMs = Math.ceil(syncReadMs);
    const syncSlowMs = options.syncSlowMs ?? 1;
    if (!(syncSlowMs >= 0) || !Number.isFinite(syncSlowMs)) throw new InvalidInputError({ what: 'tango addon syncSlowMs', value: syncSlowMs, reason: 'must be a number of ms ≥ 0' });
    this.#syncSlowMs = syncSlowMs;
    const syncBackoffMs = options.syncBackoffMs ?? 1000;
    if (!(syncBackoffMs >= 0) || !Number.isFinite(syncBackoffMs)) throw new InvalidInputError({ what: 'tango addon syncBackoffMs', value: syncBackoffMs, reason: 'must be a number of ms ≥ 0' });
    this.#syncBackoffFirstMs = this.#syncBackoffMs = syncBackoffMs;
    const events = options.events ?? 'host';
    if (events !== 'host' && events !== 'inprocess') throw new InvalidInputError({ what: 'tango addon events', value: events, reason: "must be 'host' or 'inprocess'" });
    this.#events = events;
    const hostStartMs = options.eventHostStartMs ?? 20000;
    if (!(hostStartMs > 0) || !Number.isFinite(hostStartMs)) throw new InvalidInputError({ what: 'tango addon eventHostStartMs', value: hostStartMs, reason: 'must be a number of ms > 0' });
    this.#hostStartMs = hostStartMs;
    const hostIdleMs = options.eventHostIdleMs ?? 1000;
    if (!(hostIdleMs >= 0) || !Number.isFinite(hostIdleMs)) throw new InvalidInputError({ what: 'tango addon eventHostIdleMs', value: hostIdleMs, reason: 'must be a number of ms ≥ 0' });
    this.#hostIdleMs = hostIdleMs;
    const mod = loadTangoAddon();
    this.#dev = new mod.Device((kind, id, ok, value) => this.#dispatch(kind, id, ok, value));
  }

  // The event loop stays alive while a call is pending or a subscription is live.
  #hold(): void {
    if (this.#refs++ === 0) this.#dev?.ref();
  }

  #release(): void {
    if (--this.#refs === 0) this.#dev?.unref();
  }

  #dispatch(kind: number, id: number, ok: boolean, value: unknown): void {
    if (kind === 1) {
      const sub = this.#subs.get(id);
      if (!sub) return;
      if (ok) sub.cb({ reading: value as TangoReading });
      else sub.cb({ error: this.#error(`change event of ${sub.attr}`, value as NativeError) });
      return;
    }
    const p = this.#pending.get(id);
    if (!p) return; // timed out earlier
    this.#pending.delete(id);
    clearTimeout(p.timer);
    this.#release();
    if (ok) p.resolve(value);
    else p.reject(this.#error(p.what, value as NativeError, p.input));
  }

  #error(what: string, e: NativeError, input?: unknown): Error {
    if (e.kind === 'DevFailed') return devFailedError(this.#device, what, e);
    if (e.kind === 'InvalidInput') return new InvalidInputError({ what: `${this.#device}: ${what}`, value: input, reason: e.message });
    return new TangoError({ device: this.#device, operation: what, levels: [{ reason: 'LABRIG_AddonError', desc: e.message, origin: 'labrig tango addon', severity: 'ERR' }] });
  }

  #call<T>(what: string, options: TangoCallOptions | undefined, send: (dev: NativeDevice, id: number, timeoutMs: number) => void, input?: unknown): Promise<T> {
    if (this.#closed || !this.#dev) return Promise.reject(new DisconnectedError({ device: this.#device, detail: 'backend closed' }));
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    if (!(timeoutMs > 0)) return Promise.reject(new InvalidInputError({ what: `${what} timeoutMs`, value: timeoutMs, reason: 'must be > 0' }));
    const deadline = performance.now() + timeoutMs;
    // cppTango refuses a reconnection within 1 s of a failed one ("The connection request was
    // delayed"), sending nothing: right after a server came back, the call is made once more
    // after that second, if its time allows (a server still down then fails as usual).
    return this.#callOnce<T>(what, timeoutMs, timeoutMs, send, input).catch((e: unknown) => {
      if (!isDelayedReconnect(e) || this.#closed || deadline - performance.now() < RECONNECT_RETRY_MS + 100) throw e;
      return new Promise<T>((resolve, reject) => {
        setTimeout(() => this.#callOnce<T>(what, deadline - performance.now(), timeoutMs, send, input).then(resolve, reject), RECONNECT_RETRY_MS);
      });
    });
  }

  #callOnce<T>(what: string, timeoutMs: number, callerMs: number, send: (dev: NativeDevice, id: number, timeoutMs: number) => void, input?: unknown): Promise<T> {
    const dev = this.#dev;
    if (this.#closed || !dev) return Promise.reject(new DisconnectedError({ device: this.#device, detail: 'backend closed' }));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.#pending.delete(id)) return;
        this.#release();
        reject(new TimeoutError({ operation: `${this.#device}: ${what}`, afterMs: callerMs }));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, what, timer, input });
      this.#hold();
      try {
        // The caller's timer is the one that fires (TimeoutError); the proxy waits a little longer,
        // so a late reply is dropped here instead of racing the timer (as the sidecar does).
        send(dev, id, Math.ceil(timeoutMs) + 500);
      } catch (e) {
        this.#pending.delete(id);
        clearTimeout(timer);
        this.#release();
        reject(e instanceof Error ? new InvalidInputError({ what: `${this.#device}: ${what}`, value: input, reason: e.message }) : e);
      }
    });
  }

  async connect(address: TangoAddress, options: TangoCallOptions = {}): Promise<TangoDeviceInfo> {
    this.#device = address.device;
    this.#tangoName = address.tangoName;
    const timeoutMs = options.timeoutMs ?? Math.max(this.#timeoutMs, 10000);
    return this.#call<TangoDeviceInfo>(`connect ${address.tangoName}`, { timeoutMs }, (d, id) =>
      // The proxy's per-call limit stays the backend default; `timeoutMs` bounds the whole connect.
      d.connect(id, address.tangoName, this.#timeoutMs + 500),
    );
  }

  async readAttributes(names: readonly string[], options?: TangoCallOptions): Promise<TangoReading[]> {
    if (names.length === 0) return [];
    let timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    const dev = this.#dev;
    // The synchronous path: the worker is idle (nothing of ours pending), reads are not backed off.
    if (dev && !this.#closed && this.#syncReadMs > 0 && this.#pending.size === 0 && timeoutMs > 0 && (this.#syncOffUntil === 0 || performance.now() >= this.#syncOffUntil)) {
      const budget = Math.min(this.#syncReadMs, Math.ceil(timeoutMs));
      const t0 = performance.now();
      let r: [boolean, unknown] | undefined;
      try {
        r = dev.readNow(names, budget);
      } catch (e) {
        throw e instanceof Error ? new InvalidInputError({ what: `${this.#device}: ${readWhat(names)}`, value: undefined, reason: e.message }) : e;
      }
      if (r) {
        const [ok, value] = r;
        if (ok) {
          this.#syncBackoffMs = this.#syncBackoffFirstMs;
          this.#syncOffUntil = 0;
          // The median of every SYNC_WINDOW reads (a busy machine preempts a read now and then for
          // milliseconds; a slow device is slow every time): above syncSlowMs, the worker's turn.
          const w = this.#syncTimes;
          w[this.#syncN++] = performance.now() - t0;
          if (this.#syncN === SYNC_WINDOW) {
            this.#syncN = 0;
            if (w.slice().sort(byNumber)[SYNC_WINDOW >> 1]! > this.#syncSlowMs) {
              this.#syncOffUntil = performance.now() + SYNC_SLOW_OFF_MS;
              this.#syncSlowOffs++;
            }
          }
          return value as TangoReading[];
        }
        const err = value as NativeError;
        if (!isTimeout(err)) {
          const error = this.#error(readWhat(names), err);
          // Refused as a delayed reconnection (nothing sent): made again through #call's retries.
          if (!isDelayedReconnect(error)) throw error;
        } else {
          // Hit the budget: read through the worker for a while, and make this read again there.
          this.#syncOffUntil = performance.now() + this.#syncBackoffMs;
          this.#syncTimeouts++;
          this.#syncBackoffMs = Math.min(this.#syncBackoffMs * 2, SYNC_BACKOFF_MAX_MS);
        }
        timeoutMs -= performance.now() - t0;
        if (timeoutMs <= 0) throw new TimeoutError({ operation: `${this.#device}: ${readWhat(names)}`, afterMs: options?.timeoutMs ?? this.#timeoutMs });
      }
    }
    return this.#call<TangoReading[]>(readWhat(names), { timeoutMs }, (d, id, ms) => d.read(id, [...names], ms));
  }

  async writeAttribute(name: string, value: TangoValue | number[] | string[] | boolean[], options?: TangoCallOptions): Promise<void> {
    await this.#call<void>(`write ${name}`, options, (d, id, ms) => d.write(id, name, value, ms), value);
  }

  async command(name: string, arg?: TangoCommandValue, options?: TangoCallOptions): Promise<TangoCommandValue> {
    return this.#call<TangoCommandValue>(`command ${name}`, options, (d, id, ms) => d.command(id, name, arg !== undefined, arg, ms), arg);
  }

  async subscribe(attribute: string, cb: (event: TangoEvent) => void, options?: TangoCallOptions): Promise<() => Promise<void>> {
    if (this.#events === 'inprocess') return this.#subscribeInProcess(attribute, cb, options);
    if (this.#closed || !this.#dev) throw new DisconnectedError({ device: this.#device, detail: 'backend closed' });
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    if (!(timeoutMs > 0)) throw new InvalidInputError({ what: `subscribe ${attribute} timeoutMs`, value: timeoutMs, reason: 'must be > 0' });
    const tangoName = this.#tangoName;
    if (tangoName === undefined) throw new DisconnectedError({ device: this.#device, detail: 'not connected (connect() first)' });
    const host = this.#host ?? (this.#host = this.#startHost(tangoName));
    clearTimeout(host.idleTimer);
    const sub = this.#nextSub++;
    // Registered before the call: cppTango delivers the first event (current value) inside it.
    const entry: Sub = { attr: attribute, cb, host };
    this.#subs.set(sub, entry);
    host.subs.add(sub);
    this.#hostRef(host);
    try {
      await host.ready;
      await this.#hostCall(host, `subscribe ${attribute}`, timeoutMs, (id) => ({ op: 'subscribe', id, attr: attribute, sub, ms: Math.ceil(timeoutMs) + 500 }));
    } catch (e) {
      if (this.#subs.get(sub) === entry) {
        this.#subs.delete(sub);
        host.subs.delete(sub);
        // A subscribe that timed out may still be made later: undo it (the host's calls run in order).
        if (e instanceof TimeoutError && !host.gone) this.#hostSend(host, { op: 'unsubscribe', id: 0, sub });
        // The server unreachable (stopped, restarting): the next subscribe gets a fresh cppTango.
        if (e instanceof TangoError && CHANNEL_LOSS_REASONS.some((r) => e.hasReason(r))) this.#retire(host, `the event host was retired after subscribe ${attribute} failed (${e.reason})`);
        // The host answered (e.g. the attribute pushes no events): it stays for the next one.
        if (host.subs.size === 0) {
          if (e instanceof TangoError || e instanceof InvalidInputError) this.#hostIdle(host);
          else void this.#stopHost(host);
        }
        this.#hostRef(host);
      }
      throw e;
    }
    entry.live = true;
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      // Gone with its host (retired after a lost channel, died) or closed: nothing to undo.
      if (this.#subs.get(sub) !== entry) return;
      this.#subs.delete(sub);
      host.subs.delete(sub);
      this.#hostRef(host);
      // The last one leaving with no idle time stops the host: its end is every unsubscription at once.
      if (host.subs.size === 0 && this.#hostIdleMs === 0) return this.#stopHost(host);
      await this.#hostCall(host, `unsubscribe ${attribute}`, this.#timeoutMs, (id) => ({ op: 'unsubscribe', id, sub })).catch(() => undefined);
      if (host.subs.size === 0) this.#hostIdle(host);
    };
  }

  /** `host` has no subscription left: stop it after `eventHostIdleMs` unless one comes (at once if 0 or not current). */
  #hostIdle(host: EventHost): void {
    if (host.gone || host.subs.size > 0) return;
    clearTimeout(host.idleTimer);
    if (this.#hostIdleMs === 0 || this.#host !== host) {
      void this.#stopHost(host);
      return;
    }
    host.idleTimer = setTimeout(() => {
      if (host.subs.size === 0) void this.#stopHost(host);
    }, this.#hostIdleMs);
    host.idleTimer.unref();
  }

  /** The pid of the current event host process (undefined when none runs). */
  get eventHostPid(): number | undefined {
    const h = this.#host;
    return h && !h.gone ? h.child.pid : undefined;
  }

  /** Fork an event host for `tangoName`; `ready` settles once its proxy is open (or it failed). */
  #startHost(tangoName: string): EventHost {
    let markExited!: () => void;
    const exited = new Promise<void>((r) => (markExited = r));
    const child = fork(HOST_FILE, [resolvedAddonPath()], {
      execArgv: hostExecArgv(),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const host: EventHost = { child, ready: Promise.resolve(), exited, subs: new Set(), pending: new Map(), starting: true, gone: false };
    this.#hosts.add(host);
    let exitText = '';
    const onExit = (why: string): void => {
      exitText ||= why;
      this.#hosts.delete(host);
      markExited();
      this.#retire(host, `the event host process ${exitText}`);
    };
    child.on('exit', (code, signal) => onExit(signal ? `was killed (${signal})` : `exited (code ${code})`));
    child.on('error', (e) => {
      // Spawning failed (no 'exit' then) or a send failed (the exit follows).
      if (child.pid === undefined) onExit(`could not start: ${e.message}`);
    });
    child.on('message', (m: HostMessage) => this.#hostMessage(host, m));
    const limit = this.#hostStartMs;
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError({ operation: `${this.#device}: start the event host`, afterMs: limit })), limit);
      host.onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      void exited.then(() => {
        clearTimeout(timer);
        reject(new DisconnectedError({ device: this.#device, detail: `the event host process ${exitText} while starting` }));
      });
    }).then(() => this.#hostCall(host, `connect the event host to ${tangoName}`, limit, (id) => ({ op: 'connect', id, name: tangoName, ms: this.#timeoutMs + 500 })));
    host.ready = started.then(
      () => {
        host.starting = false;
        this.#hostRef(host);
      },
      (e: unknown) => {
        host.starting = false;
        this.#stopHost(host);
        throw e;
      },
    );
    host.ready.catch(() => undefined); // awaited by each subscribe; not unhandled when none waits
    this.#hostRef(host);
    return host;
  }

  /** Keep the event loop alive through the host while it starts, has calls in flight or subscriptions. */
  #hostRef(host: EventHost): void {
    const busy = !host.gone && (host.starting || host.subs.size > 0 || host.pending.size > 0);
    if (busy) {
      host.child.ref();
      host.child.channel?.ref();
    } else {
      host.child.unref();
      host.child.channel?.unref();
    }
  }

  #hostSend(host: EventHost, req: HostRequest, onError?: (e: Error) => void): void {
    try {
      host.child.send(req, (e) => {
        if (e) onError?.(e);
      });
    } catch (e) {
      onError?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #hostCall(host: EventHost, what: string, timeoutMs: number, req: (id: number) => HostRequest): Promise<void> {
    if (host.gone) return Promise.reject(new DisconnectedError({ device: this.#device, detail: `${what}: the event host was retired` }));
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!host.pending.delete(id)) return;
        this.#hostRef(host);
        reject(new TimeoutError({ operation: `${this.#device}: ${what}`, afterMs: timeoutMs }));
      }, timeoutMs);
      host.pending.set(id, { resolve: () => resolve(), reject, what, timer });
      this.#hostRef(host);
      this.#hostSend(host, req(id), (e) => {
        if (!host.pending.delete(id)) return;
        clearTimeout(timer);
        this.#hostRef(host);
        reject(new DisconnectedError({ device: this.#device, detail: `${what}: cannot reach the event host (${e.message})` }));
      });
    });
  }

  #hostMessage(host: EventHost, m: HostMessage): void {
    if (host.gone) return; // a retired generation: its late replies and events are dropped
    if (m.k === 2) return host.onReady?.();
    if (m.k === 0) {
      const p = host.pending.get(m.id);
      if (!p) return; // timed out earlier
      host.pending.delete(m.id);
      clearTimeout(p.timer);
      this.#hostRef(host);
      if (m.ok) p.resolve(undefined);
      else p.reject(this.#error(p.what, m.v as NativeError));
      return;
    }
    const sub = this.#subs.get(m.id);
    if (!sub || sub.host !== host) return;
    if (m.ok) return sub.cb({ reading: m.v as TangoReading });
    const err = m.v as NativeError;
    const error = this.#error(`change event of ${sub.attr}`, err);
    if (err.kind === 'DevFailed' && err.levels.some((l) => CHANNEL_LOSS_REASONS.includes(l.reason))) {
      // Retired before the caller hears of it: its unsubscribe is then a no-op and its next
      // subscribe starts a fresh host, so neither runs through the poisoned event consumer.
      this.#retire(host, `the event host was retired after ${sub.attr}'s event channel was lost (${err.levels[0]?.reason ?? 'error'})`, m.id, error);
    } else sub.cb({ error });
  }

  /**
   * End `host`'s generation: calls in flight reject, every subscription on it gets one error event
   * (`first` its own error, the others a DisconnectedError saying `why`) and is dropped, and the
   * process is killed. No-op when already gone.
   */
  #retire(host: EventHost, why: string, first?: number, firstError?: Error): void {
    if (host.gone) return;
    host.gone = true;
    clearTimeout(host.idleTimer);
    if (this.#host === host) this.#host = undefined;
    for (const [id, p] of host.pending) {
      clearTimeout(p.timer);
      host.pending.delete(id);
      p.reject(new DisconnectedError({ device: this.#device, detail: `${p.what}: ${why}` }));
    }
    // Subscriptions still being made hear of it as their subscribe's rejection instead.
    const victims: Array<[number, Sub]> = [];
    for (const id of host.subs) {
      const s = this.#subs.get(id);
      if (s && s.host === host && s.live) {
        this.#subs.delete(id);
        victims.push([id, s]);
      }
    }
    host.subs.clear();
    this.#hostRef(host);
    this.#kill(host);
    victims.sort(([a], [b]) => (a === first ? -1 : b === first ? 1 : 0));
    for (const [id, s] of victims) {
      try {
        s.cb({ error: id === first && firstError ? firstError : new DisconnectedError({ device: this.#device, detail: `change events of ${s.attr}: ${why}; subscribe again` }) });
      } catch {
        // a subscriber's exception must not stop the others hearing of it
      }
    }
  }

  /** Stop `host` quietly (no subscription left on it, a failed start, close). */
  #stopHost(host: EventHost): Promise<void> {
    clearTimeout(host.idleTimer);
    if (!host.gone) {
      host.gone = true;
      if (this.#host === host) this.#host = undefined;
      for (const [id, p] of host.pending) {
        clearTimeout(p.timer);
        host.pending.delete(id);
        p.reject(new DisconnectedError({ device: this.#device, detail: `${p.what}: the event host was stopped` }));
      }
      this.#hostRef(host);
      this.#kill(host);
    }
    return this.#waitExit(host);
  }

  #kill(host: EventHost): void {
    const c = host.child;
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  /**
   * Resolves once `host` exited, or after HOST_EXIT_WAIT_MS (an unkillable process is not waited
   * for). The wait holds the event loop (the exit is what it waits for).
   */
  #waitExit(host: EventHost): Promise<void> {
    if (!this.#hosts.has(host)) return Promise.resolve();
    host.child.ref();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        host.child.unref();
        resolve();
      }, HOST_EXIT_WAIT_MS);
      void host.exited.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async #subscribeInProcess(attribute: string, cb: (event: TangoEvent) => void, options?: TangoCallOptions): Promise<() => Promise<void>> {
    const sub = this.#nextSub++;
    // Registered before the call: cppTango delivers the first event (current value) inside it.
    this.#subs.set(sub, { attr: attribute, cb });
    this.#hold();
    try {
      await this.#call<void>(`subscribe ${attribute}`, options, (d, id, ms) => d.subscribe(id, attribute, sub, ms));
    } catch (e) {
      if (this.#subs.delete(sub)) this.#release();
      throw e;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      if (!this.#subs.delete(sub)) return; // closed meanwhile
      this.#release();
      if (!this.#closed) await this.#call<void>(`unsubscribe ${attribute}`, undefined, (d, id) => d.unsubscribe(id, sub)).catch(() => undefined);
    };
  }

  async state(options?: TangoCallOptions): Promise<string> {
    return this.#call<string>('state', options, (d, id, ms) => d.state(id, ms));
  }

  async status(options?: TangoCallOptions): Promise<string> {
    return this.#call<string>('status', options, (d, id, ms) => d.status(id, ms));
  }

  /**
   * Where this device's reads spent their time so far (the addon's own clock, see
   * {@link AddonTiming}), and how often reads left the JS thread: `syncTimeouts` (a read hit
   * `syncReadMs`), `syncSlowOffs` (the median read was over `syncSlowMs`); `reset` zeroes them
   * after reading. Undefined once closed.
   */
  timing(reset = false): (AddonTiming & { syncTimeouts: number; syncSlowOffs: number }) | undefined {
    const native = this.#closed ? undefined : this.#dev?.timing(reset);
    if (!native) return undefined;
    const out = { ...native, syncTimeouts: this.#syncTimeouts, syncSlowOffs: this.#syncSlowOffs };
    if (reset) this.#syncTimeouts = this.#syncSlowOffs = 0;
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const dev = this.#dev;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new DisconnectedError({ device: this.#device, detail: 'backend closed' }));
    }
    this.#subs.clear();
    const hosts = [...this.#hosts].map((h) => this.#stopHost(h));
    if (!dev) {
      await Promise.all(hosts);
      return;
    }
    // The native close unsubscribes and deletes the proxy on the worker, after any call still
    // running there; its reply is the last message. Bounded: a worker stuck in a call the server
    // never answers is left behind (its proxy with it) rather than waited for.
    const id = this.#nextId++;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve();
      }, Math.max(this.#timeoutMs, 3000) + 2000);
      this.#pending.set(id, { resolve: () => resolve(), reject: () => resolve(), what: 'close', timer });
      dev.ref();
      dev.close(id);
    });
    this.#refs = 0;
    this.#dev = undefined;
    await Promise.all(hosts);
  }
}

/** Where the built addon is looked for (env `LABRIG_TANGO_ADDON`, else {@link TANGO_ADDON_PATH}). */
export function addonPath(): string {
  return resolvedAddonPath();
}

/** Tell whether the native addon is built and loads (the family's `?backend=auto` test). */
export function addonAvailable(): boolean {
  return tangoAddonAvailable();
}

/** Make an addon backend; throws {@link TangoAddonUnavailableError} when the addon is not built. */
export function loadAddonBackend(options: AddonOptions = {}): TangoBackend {
  return new TangoAddonBackend(options);
}

/** How a read is named in errors (built only when one is raised or a call is queued). */
function readWhat(names: readonly string[]): string {
  return `read ${names.join(', ')}`;
}

/** Ascending numeric order for `sort` (its default compares as strings: 10 before 9). */
function byNumber(a: number, b: number): number {
  return a - b;
}
