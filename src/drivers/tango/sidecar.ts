/**
 * The sidecar backend: a `/usr/bin/python3` process running `sidecar.py` (PyTango) and speaking
 * JSON lines over stdio, one process per device connection. Every request carries an id and has a
 * timeout (the process's PyTango proxy gets the same timeout); a process that dies rejects every
 * pending call with a `DisconnectedError` and tells every subscriber; the next call (or
 * {@link TangoSidecarBackend.restart}) starts a new process, reconnects to the same device and
 * re-subscribes every live subscription under its old id.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DisconnectedError, InvalidInputError, InvalidStateError, TimeoutError } from '../../core/errors.js';
import type {
  TangoAddress,
  TangoBackend,
  TangoCallOptions,
  TangoCommandInfo,
  TangoCommandValue,
  TangoDeviceInfo,
  TangoEvent,
  TangoReading,
  TangoValue,
} from './backend.js';
import { decodeCommandResult, decodeError, decodeReading, encodeValue, type AttributeListener, type PendingCall, type WireError, type WireReading } from './protocol.js';

/** The sidecar script, next to this module. */
export const SIDECAR_PY = fileURLToPath(new URL('./sidecar.py', import.meta.url));

/** Options of the sidecar backend. */
export interface SidecarOptions {
  /** Python with PyTango (default `/usr/bin/python3`, or env `LABRIG_TANGO_PYTHON`). */
  python?: string;
  /** Default limit of each call, ms (default 3000). */
  timeoutMs?: number;
  /** Limit of the process start (until PyTango is imported), ms (default 30000). */
  startTimeoutMs?: number;
  /** Start a new process on the next call after one died (default true). */
  autoRestart?: boolean;
}

type Pending = PendingCall;
type Sub = AttributeListener;

/** Measured start of one sidecar process (for the benchmark and the README). */
export interface SidecarStartup {
  /** From spawn to the ready line (PyTango imported), ms. */
  spawnMs: number;
}

/** The PyTango sidecar backend (see the module notes). */
export class TangoSidecarBackend implements TangoBackend {
  readonly kind = 'sidecar';
  readonly #o: Required<SidecarOptions>;
  #child: ChildProcess | undefined;
  #starting: Promise<void> | undefined;
  #buf = '';
  #nextId = 1;
  #nextSub = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #subs = new Map<number, Sub>();
  #address: TangoAddress | undefined;
  #commands = new Map<string, TangoCommandInfo>();
  #closed = false;
  #stderr = '';
  #device = 'tango sidecar';
  /** Startup figures of the last process start. */
  lastStartup: SidecarStartup | undefined;
  /** How many processes this backend has started. */
  starts = 0;

  /** A backend; nothing starts until `connect`. */
  constructor(options: SidecarOptions = {}) {
    this.#o = {
      python: options.python ?? process.env['LABRIG_TANGO_PYTHON'] ?? '/usr/bin/python3',
      timeoutMs: options.timeoutMs ?? 3000,
      startTimeoutMs: options.startTimeoutMs ?? 30000,
      autoRestart: options.autoRestart ?? true,
    };
  }

  /** Process id of the running sidecar (undefined when none runs). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async #spawn(): Promise<void> {
    if (this.#closed) throw new InvalidStateError(`${this.#device}: closed`);
    const t0 = performance.now();
    const c = spawn(this.#o.python, [SIDECAR_PY], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = c;
    this.#buf = '';
    this.#stderr = '';
    this.starts++;
    c.stdin!.on('error', () => undefined);
    c.stderr!.on('data', (b: Buffer) => {
      this.#stderr = (this.#stderr + b.toString()).slice(-2000);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        done(new TimeoutError({ operation: `start ${this.#o.python} ${SIDECAR_PY}`, afterMs: this.#o.startTimeoutMs }));
        c.kill('SIGKILL');
      }, this.#o.startTimeoutMs);
      const onExit = (code: number | null, sig: string | null): void =>
        done(new DisconnectedError({ device: this.#device, detail: `sidecar exited (${code ?? sig}) at start: ${this.#stderr.trim().slice(-600) || 'no output'}` }));
      const onError = (e: Error): void => done(new DisconnectedError({ device: this.#device, detail: `cannot start ${this.#o.python}: ${e.message}`, cause: e }));
      const onData = (b: Buffer): void => {
        this.#buf += b.toString();
        const nl = this.#buf.indexOf('\n');
        if (nl < 0) return;
        const first = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        if (first.includes('"ready"')) done();
        else done(new DisconnectedError({ device: this.#device, detail: `sidecar said ${first.slice(0, 200)} instead of ready` }));
      };
      const done = (err?: Error): void => {
        clearTimeout(timer);
        c.off('exit', onExit);
        c.off('error', onError);
        c.stdout!.off('data', onData);
        if (err) {
          if (this.#child === c) this.#child = undefined;
          reject(err);
          return;
        }
        this.lastStartup = { spawnMs: performance.now() - t0 };
        c.stdout!.on('data', (d: Buffer) => this.#onData(d));
        c.once('exit', (code, sig) => this.#onExit(c, code, sig));
        resolve();
      };
      c.once('exit', onExit);
      c.once('error', onError);
      c.stdout!.on('data', onData);
    });
  }

  #onData(b: Buffer): void {
    this.#buf += b.toString();
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      if (line.length > 0) this.#onLine(line);
    }
  }

  #onLine(line: string): void {
    let msg: { id?: number; ok?: boolean; result?: unknown; error?: WireError; ev?: number; r?: WireReading };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return; // not ours (a library printing to stdout); ignored
    }
    if (typeof msg.ev === 'number') {
      const sub = this.#subs.get(msg.ev);
      if (!sub) return;
      if (msg.error) sub.cb({ error: decodeError(this.#device, `change event of ${sub.attr}`, msg.error) });
      else if (msg.r) sub.cb({ reading: decodeReading(msg.r) });
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = this.#pending.get(msg.id);
    if (!p) return; // timed out earlier
    this.#pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(decodeError(this.#device, p.what, msg.error ?? { kind: 'Protocol', message: 'reply without result or error' }));
  }

  #onExit(c: ChildProcess, code: number | null, sig: string | null): void {
    if (this.#child !== c) return;
    this.#child = undefined;
    const why = `sidecar process exited (${code ?? sig})${this.#stderr.trim() ? `: ${this.#stderr.trim().slice(-400)}` : ''}`;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new DisconnectedError({ device: this.#device, detail: why }));
    }
    if (!this.#closed) for (const s of this.#subs.values()) s.cb({ error: new DisconnectedError({ device: this.#device, detail: why }) });
  }

  /** Send one request; resolves with the raw result. */
  async #request(op: string, fields: Record<string, unknown>, what: string, options: TangoCallOptions = {}): Promise<unknown> {
    if (this.#closed) throw new DisconnectedError({ device: this.#device, detail: 'backend closed' });
    if (!this.#child) {
      if (op !== 'connect') {
        if (!this.#address) throw new InvalidStateError(`${this.#device}: not connected`);
        if (!this.#o.autoRestart) throw new DisconnectedError({ device: this.#device, detail: 'sidecar process is not running' });
        await this.restart();
      } else await this.#ensureStarted();
    }
    const child = this.#child;
    if (!child) throw new DisconnectedError({ device: this.#device, detail: 'sidecar process is not running' });
    const timeoutMs = options.timeoutMs ?? this.#o.timeoutMs;
    if (!(timeoutMs > 0)) throw new InvalidInputError({ what: `${what} timeoutMs`, value: timeoutMs, reason: 'must be > 0' });
    const id = this.#nextId++;
    const line = JSON.stringify({ id, op, timeoutMs, ...fields }) + '\n';
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new TimeoutError({ operation: `${this.#device}: ${what}`, afterMs: timeoutMs }));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, what, timer });
      child.stdin!.write(line);
    });
  }

  async #ensureStarted(): Promise<void> {
    if (this.#child) return;
    this.#starting ??= this.#spawn().finally(() => {
      this.#starting = undefined;
    });
    await this.#starting;
  }

  async connect(address: TangoAddress, options: TangoCallOptions = {}): Promise<TangoDeviceInfo> {
    this.#device = address.device;
    const connectMs = options.timeoutMs ?? Math.max(this.#o.timeoutMs, 10000);
    const info = (await this.#request('connect', { address: address.tangoName }, `connect ${address.tangoName}`, { timeoutMs: connectMs })) as TangoDeviceInfo;
    this.#address = address;
    this.#commands = new Map(info.commands.map((c) => [c.name.toLowerCase(), c]));
    return info;
  }

  /** Kill the process (if any) and start a new one connected to the same device, re-subscribing every live subscription. */
  async restart(options: TangoCallOptions = {}): Promise<void> {
    const address = this.#address;
    if (!address) throw new InvalidStateError(`${this.#device}: restart before connect`);
    const c = this.#child;
    if (c) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
    await this.#ensureStarted();
    await this.#request('connect', { address: address.tangoName }, `reconnect ${address.tangoName}`, { timeoutMs: options.timeoutMs ?? Math.max(this.#o.timeoutMs, 10000) });
    for (const [sub, s] of this.#subs) {
      try {
        await this.#request('subscribe', { attr: s.attr, sub }, `subscribe ${s.attr}`, options);
      } catch (e) {
        s.cb({ error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
  }

  async readAttributes(names: readonly string[], options?: TangoCallOptions): Promise<TangoReading[]> {
    const raw = (await this.#request('read', { names }, `read ${names.join(', ')}`, options)) as WireReading[];
    return raw.map(decodeReading);
  }

  async writeAttribute(name: string, value: TangoValue | number[] | string[] | boolean[], options?: TangoCallOptions): Promise<void> {
    await this.#request('write', { name, value: encodeValue(value) }, `write ${name}`, options);
  }

  async command(name: string, arg?: TangoCommandValue, options?: TangoCallOptions): Promise<TangoCommandValue> {
    const info = this.#commands.get(name.toLowerCase());
    const fields = arg === undefined ? { name, hasArg: false } : { name, hasArg: true, arg: encodeValue(arg) };
    const out = await this.#request('command', fields, `command ${name}`, options);
    return decodeCommandResult(info?.outType ?? 'DevVoid', out);
  }

  async subscribe(attribute: string, cb: (event: TangoEvent) => void, options?: TangoCallOptions): Promise<() => Promise<void>> {
    const sub = this.#nextSub++;
    this.#subs.set(sub, { attr: attribute, cb });
    try {
      await this.#request('subscribe', { attr: attribute, sub }, `subscribe ${attribute}`, options);
    } catch (e) {
      this.#subs.delete(sub);
      throw e;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      this.#subs.delete(sub);
      if (this.#child && !this.#closed) await this.#request('unsubscribe', { sub }, `unsubscribe ${attribute}`).catch(() => undefined);
    };
  }

  async state(options?: TangoCallOptions): Promise<string> {
    return (await this.#request('state', {}, 'state', options)) as string;
  }

  async status(options?: TangoCallOptions): Promise<string> {
    return (await this.#request('status', {}, 'status', options)) as string;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subs.clear();
    const c = this.#child;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new DisconnectedError({ device: this.#device, detail: 'backend closed' }));
    }
    if (!c) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.stdin!.end();
    const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
    this.#child = undefined;
  }
}
