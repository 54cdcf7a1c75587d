/**
 * Pseudo-terminal pairs through libc (koffi), so a simulator sits behind a real serial device
 * path with no socat at run time, and `serveOnPty` to put a responder behind such a path.
 *
 * The slave side is set raw (cfmakeraw: no echo, no CR/LF translation, 8 bits) before anyone
 * opens it, and this process keeps a slave descriptor open so the master never sees a hang-up
 * while clients come and go. The master is read through a `tty.ReadStream` (libuv, event-driven);
 * its writes are blocking writes into the kernel's pty buffer, which is fine for replies but means
 * a simulator must not push more than a few kilobytes at a client that never reads.
 * Linux only (glibc 2.34+ has openpty in libc; older ones in libutil).
 * @module
 */
import { createRequire } from 'node:module';
import { renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import tty from 'node:tty';
import { DisconnectedError, UnsupportedError } from '../core/errors.js';
import { FaultPipe, type FaultInjector } from './faults.js';
import { makeTempDir, removeTempDir } from './temp.js';

interface Libc {
  openpty(master: number[], slave: number[], name: Buffer, termp: null, winp: null): number;
  tcgetattr(fd: number, termios: Buffer): number;
  tcsetattr(fd: number, action: number, termios: Buffer): number;
  cfmakeraw(termios: Buffer): void;
  close(fd: number): number;
  fcntl(fd: number, cmd: number, ...rest: unknown[]): number;
}
let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  if (process.platform !== 'linux') throw new UnsupportedError({ device: `pty (${process.platform})`, verb: 'openpty' });
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  let util = c;
  try {
    util.func('int openpty(_Out_ int *amaster, _Out_ int *aslave, _Out_ char *name, void *termp, void *winp)');
  } catch {
    util = koffi.load('libutil.so.1');
  }
  libc = {
    openpty: util.func('int openpty(_Out_ int *amaster, _Out_ int *aslave, _Out_ char *name, void *termp, void *winp)'),
    tcgetattr: c.func('int tcgetattr(int fd, void *termios)'),
    tcsetattr: c.func('int tcsetattr(int fd, int action, void *termios)'),
    cfmakeraw: c.func('void cfmakeraw(void *termios)'),
    close: c.func('int close(int fd)'),
    fcntl: c.func('int fcntl(int fd, int cmd, ...)'),
  };
  return libc;
}

const F_SETFD = 2;
const FD_CLOEXEC = 1;
const TCSANOW = 0;

/** A pseudo-terminal pair: clients open `path`; the simulator reads and writes `master`. */
export interface PtyPair {
  /** Path clients open: the link if one was asked for, else the slave device (`/dev/pts/N`). */
  readonly path: string;
  /** The slave device path. */
  readonly devicePath: string;
  /** Master side: read what clients write, write what they should read. */
  readonly master: tty.ReadStream;
  /** Close both sides (clients see a hang-up) and remove the link. Idempotent. */
  close(): void;
}

/** Point `link` at `target` atomically (replacing an older link). */
function relink(target: string, link: string): void {
  const tmp = `${link}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}

/** Open a raw pty pair; with `link`, also make a symlink to the slave there. */
export function openPtyPair(options: { link?: string } = {}): PtyPair {
  const c = loadLibc();
  const m = [0];
  const s = [0];
  const name = Buffer.alloc(4096);
  if (c.openpty(m, s, name, null, null) !== 0) throw new DisconnectedError({ device: 'pty', detail: 'openpty failed (no free pseudo-terminals?)' });
  const masterFd = m[0]!;
  const slaveFd = s[0]!;
  const devicePath = name.toString('latin1', 0, name.indexOf(0));
  const termios = Buffer.alloc(256); // larger than struct termios on every Linux ABI
  const raw = c.tcgetattr(slaveFd, termios) === 0 && (c.cfmakeraw(termios), c.tcsetattr(slaveFd, TCSANOW, termios) === 0);
  c.fcntl(masterFd, F_SETFD, 'int', FD_CLOEXEC);
  c.fcntl(slaveFd, F_SETFD, 'int', FD_CLOEXEC);
  if (!raw) {
    c.close(masterFd);
    c.close(slaveFd);
    throw new DisconnectedError({ device: devicePath, detail: 'cannot set the pty to raw mode' });
  }
  const master = new tty.ReadStream(masterFd);
  master.on('error', () => {}); // EIO after close is expected; owners watch 'close'
  let closed = false;
  if (options.link) relink(devicePath, options.link);
  return {
    path: options.link ?? devicePath,
    devicePath,
    master,
    close() {
      if (closed) return;
      closed = true;
      master.destroy(); // closes the master fd
      c.close(slaveFd);
      if (options.link) rmSync(options.link, { force: true });
    },
  };
}

/** Answer the bytes a client sent (reply bytes, text as latin1, or nothing). */
export type Responder = (chunk: Uint8Array) => Uint8Array | string | undefined | void | Promise<Uint8Array | string | undefined | void>;

/** Answer one received line; the reply is written verbatim (include its terminator or prompt). */
export interface LineHandler {
  /** Line terminators of incoming commands. Default ['\r\n', '\r', '\n']. */
  terminators?: string[];
  /** Handle one line (without terminator). */
  onLine(line: string): string | undefined | void | Promise<string | undefined | void>;
  /** Longest line kept before it is discarded, in bytes. Default 4096. */
  maxLineBytes?: number;
}

/** Turn a line handler into a responder that buffers partial lines. */
export function lineResponder(handler: LineHandler): Responder {
  const terms = (handler.terminators ?? ['\r\n', '\r', '\n']).slice().sort((a, b) => b.length - a.length);
  const max = handler.maxLineBytes ?? 4096;
  let pending = '';
  return async (chunk) => {
    pending += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    let out = '';
    for (;;) {
      let at = -1;
      let tl = 0;
      for (const t of terms) {
        const i = pending.indexOf(t);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          tl = t.length;
        }
      }
      if (at < 0) break;
      const line = pending.slice(0, at);
      pending = pending.slice(at + tl);
      const r = await handler.onLine(line);
      if (typeof r === 'string') out += r;
    }
    if (pending.length > max) pending = '';
    return out || undefined;
  };
}

/** A responder behind a pty; `path` stays valid across `restart`/`hangUp`. */
export interface PtyServer {
  /** Stable path clients open (a symlink to the current slave device). */
  readonly path: string;
  /** The current slave device path. */
  readonly devicePath: string;
  /** Hang up (clients see a lost port) and come back at once on a new pty behind `path`. */
  hangUp(): void;
  /** Hang up, stay away for `downMs` milliseconds (path missing), then come back. */
  restart(downMs: number): Promise<void>;
  /** Stop serving, close the pty and remove the link and its folder. */
  close(): void;
}

/** Options of serveOnPty. */
export interface ServeOnPtyOptions {
  /** Path of the stable symlink. Default: a fresh temp folder's `tty`. */
  link?: string;
  /** Inject faults into the replies (drop, garble, delay, split, disconnect, restart, ...). */
  faults?: FaultInjector;
  /**
   * Called each time the pty comes up with a function that sends output nobody asked for (a
   * device's own prompts) through the faults; returns the function called when it goes down.
   */
  unasked?: (push: (data: string | Uint8Array) => void) => () => void;
  /** Also called when a `restart` fault hits (the pty itself restarts either way). */
  onRestartFault?: (downMs: number) => void;
}

/** Put a responder (or a line handler) behind a real serial device path. */
export function serveOnPty(responder: Responder | LineHandler, options: ServeOnPtyOptions = {}): PtyServer {
  const dir = options.link ? undefined : makeTempDir('pty-'); // under <tmpdir>/labrig-<pid>/, see ./temp.ts
  const link = options.link ?? join(dir!, 'tty');
  const isLine = typeof responder !== 'function';
  let pair: PtyPair | undefined;
  let pipe: FaultPipe | undefined;
  let closed = false;
  let downTimer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let detach: (() => void) | undefined;

  const start = (): void => {
    const p = openPtyPair({ link });
    pair = p;
    const respond = isLine ? lineResponder(responder) : responder;
    const write = (bytes: Uint8Array): void => {
      if (pair === p) p.master.write(bytes);
    };
    const restart = (ms: number): void => {
      options.onRestartFault?.(ms);
      void server.restart(ms);
    };
    pipe = options.faults ? new FaultPipe(options.faults, { deliver: write, disconnect: () => server.hangUp(), restart }) : undefined;
    const out = pipe;
    detach = options.unasked?.((data) => {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
      if (out) out.push(bytes);
      else write(bytes);
    });
    let chain: Promise<void> = Promise.resolve();
    p.master.on('data', (chunk: Buffer) => {
      chain = chain.then(async () => {
        if (pair !== p) return;
        const r = await respond(chunk);
        if (r === undefined || pair !== p) return;
        const bytes = typeof r === 'string' ? Buffer.from(r, 'latin1') : r;
        if (bytes.length === 0) return;
        if (out) out.push(bytes);
        else write(bytes);
      }).catch(() => {}); // a throwing responder answers nothing, like a confused device
    });
  };

  const stop = (): void => {
    detach?.();
    detach = undefined;
    pipe?.dispose();
    pipe = undefined;
    pair?.close();
    pair = undefined;
  };

  const server: PtyServer = {
    path: link,
    get devicePath() {
      return pair?.devicePath ?? '';
    },
    hangUp() {
      if (closed || !pair) return;
      stop();
      start();
    },
    restart(downMs) {
      if (closed || !pair) return Promise.resolve();
      stop();
      return new Promise<void>((resolve) => {
        wake = resolve;
        downTimer = setTimeout(() => {
          downTimer = undefined;
          wake = undefined;
          if (!closed) start();
          resolve();
        }, downMs);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      if (downTimer) clearTimeout(downTimer);
      downTimer = undefined;
      wake?.();
      stop();
      if (dir) removeTempDir(dir);
    },
  };
  start();
  return server;
}
