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
 * trip; stdin stays open as the process's lifeline.
 *
 * Reads wait for their reply on the JS thread (`syncReadMs`, default 20 ms; FIFO transport on
 * Linux) when no other call is in flight: the request is written at once, then the reply FIFO
 * is read directly (libc read/poll through koffi) instead of going back to the event loop, which
 * saves the wake-up of a sleeping Node process and a turn of the loop per read. The wait either
 * spins (non-blocking reads for up to `syncSpinUs`, then poll(2)) or sleeps in poll(2) at once;
 * the backend times both on a few reads of every 256 and busy-waits only while that is 5 %
 * faster (it wins on an idle machine and loses when other processes keep the cores busy, and it
 * doubles Node's CPU per read). A read that busy-waits goes as `R ID TIMEOUT NAME`, and the
 * sidecar then busy-polls its request FIFO for 100 µs before sleeping, since the next request is
 * a few µs away in a read loop. Every byte read this way goes
 * through the same decoder and line parser as the stream's, so event lines and replies keep
 * their order; bytes can only be taken while JS runs, when the stream is not reading. A read that
 * hits the budget continues asynchronously (the stream reads its reply; the caller's timeout is
 * unchanged) and reads stay asynchronous for `syncBackoffMs`; reads slower than `syncSlowMs`
 * (median of 8, twice running) go asynchronous for 2 s, so a slow or distant device does not hold the event loop.
 * Figures: docs/STATUS.md (Tango), `npm run bench -- tango`.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsc, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
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
  /**
   * Reads wait for their reply on the JS thread, up to this many ms, when no other call is in
   * flight (default 20, the longest one read blocks the event loop; 0 = always asynchronous).
   * FIFO transport on Linux only (the reply FIFO is read through libc with koffi); a read that
   * hits it continues asynchronously with the rest of the caller's time, and reads then stay
   * asynchronous for `syncBackoffMs`. See the module notes.
   */
  syncReadMs?: number;
  /**
   * How long reads stay asynchronous after one hit `syncReadMs`, ms (default 1000, doubling up
   * to 5 min while the next synchronous attempts hit it too; back to this after one that does not).
   */
  syncBackoffMs?: number;
  /**
   * When synchronous reads take longer than this many ms (median of each 8, twice running;
   * default 1: a slow or distant device), reads are asynchronous for the next 2 s, so such a device neither holds
   * the event loop for its round trips nor serialises reads of several devices made in parallel.
   */
  syncSlowMs?: number;
  /**
   * How long a synchronous read may busy-wait, µs (default 2000): it reads the reply FIFO
   * without sleeping for up to this long, then sleeps in poll(2) for the rest of `syncReadMs`.
   * Busy-waiting saves the wake-up of a sleeping process (costly on small virtual machines) but
   * holds a core the sidecar and the server may need when other processes keep the machine busy;
   * so the backend measures both styles (busy-wait, or poll(2) at once) on a few reads of every
   * 256 and busy-waits only while that is at least 5 % faster. 0: never busy-wait.
   */
  syncSpinUs?: number;
}

/** libc's read and poll through koffi (the synchronous read path); null where unavailable. */
interface SyncIo {
  read(fd: number, buf: Buffer, count: number): number;
  poll(fds: Buffer, nfds: number, timeoutMs: number): number;
}
let syncIo: SyncIo | null | undefined;

function loadSyncIo(): SyncIo | null {
  if (syncIo !== undefined) return syncIo;
  syncIo = null;
  if (process.platform !== 'linux') return syncIo;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const c = koffi.load('libc.so.6');
    syncIo = {
      read: c.func('long read(int fd, void *buf, unsigned long count)') as SyncIo['read'],
      poll: c.func('int poll(void *fds, unsigned long nfds, int timeout)') as SyncIo['poll'],
    };
  } catch {
    // No koffi or no libc.so.6: reads stay asynchronous.
  }
  return syncIo;
}

/** poll(2)'s POLLIN. */
const POLLIN = 1;
/** How long reads stay asynchronous after a synchronous one hit its budget, at most. */
const SYNC_BACKOFF_MAX_MS = 300_000;
/** How long reads stay asynchronous once synchronous ones were slower than `syncSlowMs`. */
const SYNC_SLOW_OFF_MS = 2_000;
/** How many synchronous reads the slow-device rule takes the median of. */
const SYNC_WINDOW = 8;
/** Every this many synchronous reads, the wait styles are compared again... */
const STYLE_PERIOD = 256;
/** ...on this many reads of each, alternating, at the start of the period. */
const STYLE_SAMPLES = 16;
/** Busy-waiting is kept only while its median read time is below this fraction of poll(2)'s. */
const SPIN_GAIN = 0.95;

/** How often reads took the synchronous path (see {@link TangoSidecarBackend.syncStats}). */
export interface SidecarSyncStats {
  /** Reads whose reply came within `syncReadMs` on the JS thread. */
  syncReads: number;
  /** Reads that waited `syncReadMs` on the JS thread in vain and went on asynchronously. */
  syncMisses: number;
  /** Times reads were sent asynchronous for 2 s because synchronous ones were slower than `syncSlowMs`. */
  slowOffs: number;
  /** The wait style in use: busy-wait then poll(2) (`true`), or poll(2) at once. */
  spinning: boolean;
  /** How often the comparison of the two styles changed the style in use. */
  styleSwitches: number;
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
  /** The FIFO fds of the running child (request, reply); -1 without FIFOs. */
  #reqFd = -1;
  #repFd = -1;
  /** One decoder for every byte read from the reply stream, whichever path read it. */
  #dec = new StringDecoder('utf8');
  /** True while #onData runs (a listener calling a read from there goes asynchronous). */
  #inData = false;
  readonly #io: SyncIo | null;
  #syncBuf: Buffer | undefined;
  readonly #pollFd = Buffer.alloc(8);
  #syncOffUntil = 0;
  #syncBackoffMs: number;
  readonly #syncTimes = new Float64Array(SYNC_WINDOW);
  #syncN = 0;
  /** Slow windows in a row (see #waitNow). */
  #slowWindows = 0;
  readonly #syncStats: SidecarSyncStats = { syncReads: 0, syncMisses: 0, slowOffs: 0, spinning: true, styleSwitches: 0 };
  /** Position of the next synchronous read in the style period (see STYLE_PERIOD). */
  #styleN = 0;
  readonly #styleCur = new Float64Array(STYLE_SAMPLES);
  readonly #styleAlt = new Float64Array(STYLE_SAMPLES);
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
    const ms = (what: string, v: number | undefined, dflt: number): number => {
      const x = v ?? dflt;
      if (!(x >= 0) || !Number.isFinite(x)) throw new InvalidInputError({ what: `sidecar ${what}`, value: x, reason: 'must be a finite number ≥ 0' });
      return x;
    };
    this.#o = {
      python: options.python ?? process.env['LABRIG_TANGO_PYTHON'] ?? '/usr/bin/python3',
      timeoutMs: options.timeoutMs ?? 3000,
      startTimeoutMs: options.startTimeoutMs ?? 30000,
      autoRestart: options.autoRestart ?? true,
      transport,
      syncReadMs: ms('syncReadMs', options.syncReadMs, 20),
      syncBackoffMs: ms('syncBackoffMs', options.syncBackoffMs, 1000),
      syncSlowMs: ms('syncSlowMs', options.syncSlowMs, 1),
      syncSpinUs: ms('syncSpinUs', options.syncSpinUs, 2000),
    };
    this.#syncBackoffMs = this.#o.syncBackoffMs;
    this.#syncStats.spinning = this.#o.syncSpinUs > 0;
    this.#io = this.#o.syncReadMs > 0 && transport === 'fifo' ? loadSyncIo() : null;
  }

  /** The synchronous read budget in effect, ms (0: off, also where the path is unavailable: stdio transport, not Linux, no koffi). */
  get syncReadMs(): number {
    return this.#io === null ? 0 : this.#o.syncReadMs;
  }

  /** How often reads took the synchronous path so far; `reset` zeroes the counts after reading. */
  syncStats(reset = false): SidecarSyncStats {
    const out = { ...this.#syncStats };
    if (reset) this.#syncStats.syncReads = this.#syncStats.syncMisses = this.#syncStats.slowOffs = this.#syncStats.styleSwitches = 0;
    return out;
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
    this.#dec = new StringDecoder('utf8');
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
      [this.#reqFd, this.#repFd] = fds as [number, number];
      this.#buf = '';
      // Bytes, decoded here: the synchronous read path takes bytes from the same fd between
      // the stream's reads, and one decoder must see them all in the order they were read.
      rep.on('data', (d: Buffer) => this.#onData(this.#dec.write(d)));
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
    this.#buf = '';
    let start = 0;
    let nl = s.indexOf('\n');
    this.#inData = true;
    try {
      while (nl >= 0) {
        if (nl > start) this.#onLine(s.slice(start, nl));
        start = nl + 1;
        nl = s.indexOf('\n', start);
      }
    } finally {
      this.#inData = false;
      this.#buf = start < s.length ? s.slice(start) : '';
    }
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
    this.#dropFifos();
    const why = `sidecar process exited (${code ?? sig})${this.#stderr.trim() ? `: ${this.#stderr.trim().slice(-400)}` : ''}`;
    this.#failPending(() => new DisconnectedError({ device: this.#device, detail: why }));
    if (!this.#closed) for (const s of this.#subs.values()) s.cb({ error: new DisconnectedError({ device: this.#device, detail: why }) });
  }

  /**
   * Send one request; resolves with the raw result, or with `decode(result)` when given (a reply
   * it cannot decode is a TangoError). `compactRead` (an attribute name) sends the compact read
   * line instead of JSON. Never throws: every failure is a rejection.
   */
  #request(op: string, fields: Record<string, unknown>, what: string, options: TangoCallOptions = {}, compactRead?: string, decode?: (raw: unknown) => unknown, sync = false): Promise<unknown> {
    if (this.#closed) return Promise.reject(new DisconnectedError({ device: this.#device, detail: 'backend closed' }));
    const out = this.#out;
    if (!out) return this.#startThenRequest(op, fields, what, options, compactRead, decode, sync);
    const timeoutMs = options.timeoutMs ?? this.#o.timeoutMs;
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      return Promise.reject(new InvalidInputError({ what: `${what} timeoutMs`, value: timeoutMs, reason: 'must be a finite number > 0' }));
    }
    const id = this.#nextId++;
    const now = sync && this.#syncAllowed();
    // A read that will busy-wait goes as `R ...`: the sidecar then busy-polls for the next
    // request a little before sleeping (this caller is about to send it).
    const spin = now && this.#nextSpins();
    const line = compactRead !== undefined ? `${spin ? 'R' : 'r'} ${id} ${timeoutMs} ${compactRead}\n` : JSON.stringify({ id, op, timeoutMs, ...fields }) + '\n';
    const p = new Promise<unknown>((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      this.#pending.set(id, { resolve, reject, what, deadline, timeoutMs, decode });
      this.#arm(deadline);
      if (!now) out.write(line);
    });
    if (now && this.#writeNow(line, out)) this.#waitNow(id, Math.min(this.#o.syncReadMs, timeoutMs), spin);
    return p;
  }

  /**
   * Whether a read may wait for its reply on the JS thread: the path is on and available, no
   * other call is in flight, nothing is queued in the streams (so bytes read now are the next
   * ones, in order), the read is not made from inside the line parser (a listener), and reads
   * are not backed off.
   */
  #syncAllowed(): boolean {
    if (this.#io === null || this.#repFd < 0 || this.#pending.size > 0 || this.#inData) return false;
    if (this.#syncOffUntil !== 0 && performance.now() < this.#syncOffUntil) return false;
    const [req, rep] = this.#fifos;
    return req !== undefined && rep !== undefined && req.writableLength === 0 && rep.readableLength === 0;
  }

  /**
   * Write `line` to the request FIFO now; true when all of it went. A full pipe (EAGAIN) or a
   * partial write hands the rest to the stream (which keeps the order: nothing else is queued).
   */
  #writeNow(line: string, out: NodeJS.WritableStream): boolean {
    const bytes = Buffer.from(line);
    let n = 0;
    try {
      n = writeSync(this.#reqFd, bytes);
    } catch {
      n = 0;
    }
    if (n === bytes.length) return true;
    out.write(bytes.subarray(n));
    return false;
  }

  /** Whether the next synchronous read busy-waits (the style in use, or the other one on the comparison's turns; see #waitNow). */
  #nextSpins(): boolean {
    const k = this.#styleN;
    const spinning = this.#syncStats.spinning;
    return this.#o.syncSpinUs > 0 && k < 2 * STYLE_SAMPLES && (k & 1) === 0 ? !spinning : spinning;
  }

  /**
   * Wait up to `budgetMs` on the JS thread for the reply to call `id`: read the reply FIFO
   * without blocking for up to `syncSpinUs` (spinning style), then block in poll(2) for the rest;
   * the first reads of every STYLE_PERIOD alternate the two styles and busy-waiting is used for
   * the rest of the period only if its median was at least 5 % below poll(2)'s. Every byte read
   * goes through the same decoder and line parser as the stream's (event lines and other replies
   * are delivered in order). Nothing else runs meanwhile: no timer, no exit event, no stream read,
   * so the call can only settle through this parser (or a listener closing the backend). On a
   * miss the call stays pending: the stream reads the reply, the sweep keeps the caller's limit.
   */
  #waitNow(id: number, budgetMs: number, spin: boolean): void {
    const io = this.#io!;
    const fd = this.#repFd;
    const buf = (this.#syncBuf ??= Buffer.allocUnsafe(65536));
    const st = this.#syncStats;
    const k = this.#styleN;
    const compare = this.#o.syncSpinUs > 0 && k < 2 * STYLE_SAMPLES;
    const t0 = performance.now();
    const end = t0 + budgetMs;
    const spinEnd = spin ? t0 + this.#o.syncSpinUs / 1000 : t0;
    const pfd = this.#pollFd;
    pfd.writeInt32LE(fd, 0);
    pfd.writeInt16LE(POLLIN, 4);
    for (;;) {
      const n = io.read(fd, buf, buf.length);
      if (n > 0) {
        this.#onData(this.#dec.write(buf.subarray(0, n)));
        if (!this.#pending.has(id)) break;
        continue;
      }
      if (this.#repFd !== fd || !this.#pending.has(id)) return; // a listener closed the backend
      const now = performance.now();
      if (now >= end) {
        st.syncMisses++;
        this.#styleN = 0; // compare afresh
        this.#syncOffUntil = now + this.#syncBackoffMs;
        this.#syncBackoffMs = Math.min(this.#syncBackoffMs * 2, SYNC_BACKOFF_MAX_MS);
        return;
      }
      if (now >= spinEnd) {
        pfd.writeInt16LE(0, 6);
        io.poll(pfd, 1, Math.max(1, Math.ceil(end - now)));
      }
    }
    const dt = performance.now() - t0;
    st.syncReads++;
    this.#syncBackoffMs = this.#o.syncBackoffMs;
    this.#syncOffUntil = 0;
    if (compare) {
      ((k & 1) === 0 ? this.#styleAlt : this.#styleCur)[k >> 1] = dt;
      if (k === 2 * STYLE_SAMPLES - 1) {
        // Busy-waiting doubles Node's CPU per read: it has to be clearly faster to be kept.
        const [spinT, pollT] = st.spinning ? [this.#styleCur, this.#styleAlt] : [this.#styleAlt, this.#styleCur];
        const spinning = median(spinT) < SPIN_GAIN * median(pollT);
        if (spinning !== st.spinning) {
          st.spinning = spinning;
          st.styleSwitches++;
        }
      }
    }
    this.#styleN = (k + 1) % STYLE_PERIOD;
    // The median of every SYNC_WINDOW reads (a busy machine preempts one now and then; a slow
    // device is slow every time): above syncSlowMs in two windows running, reads go
    // asynchronous for a while (one slow window happens on an idle machine too: a hiccup of a
    // few ms made 4 of 8 reads slow, measured).
    const w = this.#syncTimes;
    w[this.#syncN++] = dt;
    if (this.#syncN === SYNC_WINDOW) {
      this.#syncN = 0;
      if (median(w) <= this.#o.syncSlowMs) this.#slowWindows = 0;
      else if (++this.#slowWindows >= 2) {
        this.#slowWindows = 0;
        this.#syncOffUntil = performance.now() + SYNC_SLOW_OFF_MS;
        st.slowOffs++;
      }
    }
  }

  /** No process is running: start one (a connect) or restart and reconnect (any other call), then send. */
  async #startThenRequest(op: string, fields: Record<string, unknown>, what: string, options: TangoCallOptions, compactRead?: string, decode?: (raw: unknown) => unknown, sync = false): Promise<unknown> {
    if (op !== 'connect') {
      if (!this.#address) throw new InvalidStateError(`${this.#device}: not connected`);
      if (!this.#o.autoRestart) throw new DisconnectedError({ device: this.#device, detail: 'sidecar process is not running' });
      // Calls that find the process gone at the same time share one restart.
      await (this.#restarting ??= this.restart().finally(() => {
        this.#restarting = undefined;
      }));
    } else await this.#ensureStarted();
    if (!this.#out) throw new DisconnectedError({ device: this.#device, detail: 'sidecar process is not running' });
    return this.#request(op, fields, what, options, compactRead, decode, sync);
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
    return this.#request('read', { names }, `read ${names.join(', ')}`, options, compact, decodeReadings, true) as Promise<TangoReading[]>;
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
    this.#dropFifos();
  }

  #dropFifos(): void {
    for (const s of this.#fifos) s.destroy();
    this.#fifos = [];
    this.#reqFd = this.#repFd = -1;
  }
}

/** Median of a window of times (upper one of an even count). */
function median(w: Float64Array): number {
  return w.slice().sort()[w.length >> 1]!;
}

function decodeReadings(raw: unknown): TangoReading[] {
  return (raw as WireReading[]).map(decodeReading);
}
