/**
 * The sidecar backend: a `/usr/bin/python3` process running `sidecar.py` (PyTango) and speaking
 * JSON lines, one process per device connection. Every request carries an id and has a timeout
 * (the process's PyTango proxy gets the same timeout); a process that dies rejects every pending
 * call with a `DisconnectedError` and tells every subscriber; the next call (or
 * {@link TangoSidecarBackend.restart}) starts a new process, reconnects to the same device and
 * re-subscribes every live subscription under its old id.
 *
 * Hot path (sequential reads): a one-attribute read goes as the compact line `r ID TIMEOUT NAME`
 * (everything else as JSON); one timer per backend sweeps every call's deadline instead of a
 * timer per call; the lines travel over two named pipes (`transport: 'fifo'`, the default on
 * Linux) rather than the unix socketpair Node gives a child's stdio, which costs more per round
 * trip; stdin stays open as the process's lifeline. Figures: docs/STATUS.md (Tango), `npm run
 * bench -- tango`.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsc, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DisconnectedError, InvalidInputError, InvalidStateError, TimeoutError } from '../../core/errors.js';
import type { TangoAddress, TangoBackend, TangoCallOptions, TangoCommandInfo, TangoCommandValue, TangoDeviceInfo, TangoEvent, TangoReading, TangoValue } from './backend.js';
import { decodeCommandResult, decodeError, decodeReading, encodeValue, type AttributeListener, type WireError, type WireReading } from './protocol.js';

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
  /**
   * How requests and replies travel: `fifo` (two named pipes in a private temp dir, removed once
   * both ends are open; default where named pipes exist, i.e. not on Windows) or `stdio`.
   */
  transport?: 'fifo' | 'stdio';
}

/** A call in flight until its reply or its deadline (the backend's one sweep timer). */
interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  what: string;
  /** performance.now() after which the call fails with a TimeoutError. */
  deadline: number;
  timeoutMs: number;
  /** Turns the raw result into what the call resolves with (readings for a read). */
  decode: ((raw: unknown) => unknown) | undefined;
}

type Sub = AttributeListener;
type Reply = { id?: number | null; ok?: boolean; result?: unknown; error?: WireError; ev?: number; r?: WireReading };

/** A name the compact read line can carry (no whitespace, no newline). */
const COMPACT_NAME = /^[^\s]+$/;

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
  /** Where request lines go (the child's stdin or the request FIFO); set while a child is ready. */
  #out: NodeJS.WritableStream | undefined;
  /** The FIFO streams of the running child (fifo transport). */
  #fifos: Socket[] = [];
  #starting: Promise<void> | undefined;
  #restarting: Promise<void> | undefined;
  #buf = '';
  #nextId = 1;
  #nextSub = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #subs = new Map<number, Sub>();
  #sweep: NodeJS.Timeout | undefined;
  #sweepAt = Infinity;
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
    const transport = options.transport ?? (process.platform === 'win32' ? 'stdio' : 'fifo');
    if (transport !== 'fifo' && transport !== 'stdio') throw new InvalidInputError({ what: 'sidecar transport', value: transport, reason: "must be 'fifo' or 'stdio'" });
    this.#o = {
      python: options.python ?? process.env['LABRIG_TANGO_PYTHON'] ?? '/usr/bin/python3',
      timeoutMs: options.timeoutMs ?? 3000,
      startTimeoutMs: options.startTimeoutMs ?? 30000,
      autoRestart: options.autoRestart ?? true,
      transport,
    };
  }

  /** Process id of the running sidecar (undefined when none runs). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The transport requests and replies use (see {@link SidecarOptions.transport}). */
  get transport(): 'fifo' | 'stdio' {
    return this.#o.transport;
  }

  async #spawn(): Promise<void> {
    if (this.#closed) throw new InvalidStateError(`${this.#device}: closed`);
    const t0 = performance.now();
    const dir = this.#o.transport === 'fifo' ? mkdtempSync(join(tmpdir(), 'labrig-tango-')) : undefined;
    try {
      await this.#startChild(t0, dir);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }

  #startChild(t0: number, dir: string | undefined): Promise<void> {
    const c = spawn(this.#o.python, dir ? [SIDECAR_PY, '--fifo', dir] : [SIDECAR_PY], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = c;
    this.#buf = '';
    this.#stderr = '';
    this.starts++;
    c.stdin!.on('error', () => undefined);
    c.stdout!.setEncoding('utf8');
    c.stderr!.on('data', (b: Buffer) => {
      this.#stderr = (this.#stderr + b.toString()).slice(-2000);
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        done(new TimeoutError({ operation: `start ${this.#o.python} ${SIDECAR_PY}`, afterMs: this.#o.startTimeoutMs }));
      }, this.#o.startTimeoutMs);
      const onExit = (code: number | null, sig: string | null): void =>
        done(new DisconnectedError({ device: this.#device, detail: `sidecar exited (${code ?? sig}) at start: ${this.#stderr.trim().slice(-600) || 'no output'}` }));
      const onError = (e: Error): void => done(new DisconnectedError({ device: this.#device, detail: `cannot start ${this.#o.python}: ${e.message}`, cause: e }));
      const onData = (text: string): void => {
        this.#buf += text;
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
        if (!err) {
          try {
            this.#attach(c, dir);
          } catch (e) {
            err = new DisconnectedError({ device: this.#device, detail: `cannot open the sidecar's FIFOs in ${dir}: ${(e as Error).message}`, cause: e });
          }
        }
        if (err) {
          if (this.#child === c) this.#child = undefined;
          c.kill('SIGKILL');
          reject(err);
          return;
        }
        this.lastStartup = { spawnMs: performance.now() - t0 };
        resolve();
      };
      c.once('exit', onExit);
      c.once('error', onError);
      c.stdout!.on('data', onData);
    });
  }

  /** The child said ready: wire its reply stream (stdout or the reply FIFO) and its request stream. */
  #attach(c: ChildProcess, dir: string | undefined): void {
    if (dir) {
      const fds: number[] = [];
      try {
        // Read-write opens never wait for the other side; the process made both FIFOs before ready.
        for (const name of ['req', 'rep']) fds.push(openSync(join(dir, name), fsc.O_RDWR | fsc.O_NONBLOCK));
      } catch (e) {
        for (const fd of fds) closeSync(fd);
        throw e;
      }
      const req = new Socket({ fd: fds[0]!, readable: false, writable: true });
      const rep = new Socket({ fd: fds[1]!, readable: true, writable: false });
      for (const s of [req, rep]) s.on('error', () => undefined);
      this.#fifos = [req, rep];
      this.#buf = '';
      rep.setEncoding('utf8');
      rep.on('data', (d: string) => this.#onData(d));
      c.stdout!.resume(); // a library printing to stdout must not fill the pipe
      this.#out = req;
    } else {
      c.stdout!.on('data', (d: string) => this.#onData(d));
      this.#out = c.stdin!;
    }
    c.once('exit', (code, sig) => this.#onExit(c, code, sig));
    if (this.#buf) this.#onData('');
  }

  #onData(text: string): void {
    const s = this.#buf.length > 0 ? this.#buf + text : text;
    let start = 0;
    let nl = s.indexOf('\n');
    while (nl >= 0) {
      if (nl > start) this.#onLine(s.slice(start, nl));
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    this.#buf = start < s.length ? s.slice(start) : '';
  }

  #onLine(line: string): void {
    let msg: Reply | null;
    try {
      msg = JSON.parse(line) as Reply | null;
    } catch {
      return; // not ours (a library printing to stdout); ignored
    }
    if (msg === null || typeof msg !== 'object') return;
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
    if (msg.ok) {
      if (p.decode === undefined) p.resolve(msg.result);
      else {
        try {
          p.resolve(p.decode(msg.result));
        } catch (e) {
          p.reject(decodeError(this.#device, p.what, { kind: 'Protocol', message: `undecodable reply: ${(e as Error).message}` }));
        }
      }
    } else p.reject(decodeError(this.#device, p.what, msg.error ?? { kind: 'Protocol', message: 'reply without result or error' }));
  }

  /** Make sure the sweep timer fires by `deadline` (one timer for every call in flight). */
  #arm(deadline: number): void {
    if (deadline >= this.#sweepAt) return;
    if (this.#sweep) clearTimeout(this.#sweep);
    this.#sweepAt = deadline;
    this.#sweep = setTimeout(() => this.#onSweep(), Math.min(2 ** 31 - 1, Math.max(1, Math.ceil(deadline - performance.now()))));
  }

  /** Fail every call past its deadline with a TimeoutError (a late reply is then dropped); re-arm for the rest. */
  #onSweep(): void {
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [id, p] of this.#pending) {
      if (p.deadline <= now) {
        this.#pending.delete(id);
        p.reject(new TimeoutError({ operation: `${this.#device}: ${p.what}`, afterMs: p.timeoutMs }));
      } else if (p.deadline < next) next = p.deadline;
    }
    if (next < Infinity) this.#arm(next);
  }

  #stopSweep(): void {
    if (this.#sweep) clearTimeout(this.#sweep);
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
  }

  /** Reject every call in flight with `err`. */
  #failPending(err: () => Error): void {
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.reject(err());
    }
    this.#stopSweep();
  }

  #onExit(c: ChildProcess, code: number | null, sig: string | null): void {
    if (this.#child !== c) return;
    this.#child = undefined;
    this.#out = undefined;
    for (const s of this.#fifos) s.destroy();
    this.#fifos = [];
    const why = `sidecar process exited (${code ?? sig})${this.#stderr.trim() ? `: ${this.#stderr.trim().slice(-400)}` : ''}`;
    this.#failPending(() => new DisconnectedError({ device: this.#device, detail: why }));
    if (!this.#closed) for (const s of this.#subs.values()) s.cb({ error: new DisconnectedError({ device: this.#device, detail: why }) });
  }

  /**
   * Send one request; resolves with the raw result, or with `decode(result)` when given (a reply
   * it cannot decode is a TangoError). `compactRead` (an attribute name) sends the compact read
   * line instead of JSON. Never throws: every failure is a rejection.
   */
  #request(op: string, fields: Record<string, unknown>, what: string, options: TangoCallOptions = {}, compactRead?: string, decode?: (raw: unknown) => unknown): Promise<unknown> {
    if (this.#closed) return Promise.reject(new DisconnectedError({ device: this.#device, detail: 'backend closed' }));
    const out = this.#out;
    if (!out) return this.#startThenRequest(op, fields, what, options, compactRead, decode);
    const timeoutMs = options.timeoutMs ?? this.#o.timeoutMs;
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      return Promise.reject(new InvalidInputError({ what: `${what} timeoutMs`, value: timeoutMs, reason: 'must be a finite number > 0' }));
    }
    const id = this.#nextId++;
    const line = compactRead !== undefined ? `r ${id} ${timeoutMs} ${compactRead}\n` : JSON.stringify({ id, op, timeoutMs, ...fields }) + '\n';
    return new Promise<unknown>((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      this.#pending.set(id, { resolve, reject, what, deadline, timeoutMs, decode });
      this.#arm(deadline);
      out.write(line);
    });
  }

  /** No process is running: start one (a connect) or restart and reconnect (any other call), then send. */
  async #startThenRequest(op: string, fields: Record<string, unknown>, what: string, options: TangoCallOptions, compactRead?: string, decode?: (raw: unknown) => unknown): Promise<unknown> {
    if (op !== 'connect') {
      if (!this.#address) throw new InvalidStateError(`${this.#device}: not connected`);
      if (!this.#o.autoRestart) throw new DisconnectedError({ device: this.#device, detail: 'sidecar process is not running' });
      // Calls that find the process gone at the same time share one restart.
      await (this.#restarting ??= this.restart().finally(() => {
        this.#restarting = undefined;
      }));
    } else await this.#ensureStarted();
    if (!this.#out) throw new DisconnectedError({ device: this.#device, detail: 'sidecar process is not running' });
    return this.#request(op, fields, what, options, compactRead, decode);
  }

  async #ensureStarted(): Promise<void> {
    if (this.#out) return;
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

  readAttributes(names: readonly string[], options?: TangoCallOptions): Promise<TangoReading[]> {
    const compact = names.length === 1 && COMPACT_NAME.test(names[0]!) ? names[0] : undefined;
    return this.#request('read', { names }, `read ${names.join(', ')}`, options, compact, decodeReadings) as Promise<TangoReading[]>;
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
    this.#failPending(() => new DisconnectedError({ device: this.#device, detail: 'backend closed' }));
    if (!c) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.stdin!.end();
    const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
    this.#child = undefined;
    this.#out = undefined;
    for (const s of this.#fifos) s.destroy();
    this.#fifos = [];
  }
}

function decodeReadings(raw: unknown): TangoReading[] {
  return (raw as WireReading[]).map(decodeReading);
}
