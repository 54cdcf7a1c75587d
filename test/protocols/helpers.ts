/**
 * Test peers for transport tests: a TCP line responder on loopback and small utilities.
 * @module
 */
import net from 'node:net';
import { readdirSync, readlinkSync } from 'node:fs';

/** A loopback TCP server that answers lines. */
export interface LineServer {
  port: number;
  address: string;
  /** Lines received, in order. */
  received: string[];
  /** Open client sockets. */
  sockets: Set<net.Socket>;
  /** Connections accepted so far. */
  accepted: number;
  close(): Promise<void>;
}

/** Answer each CR/LF-terminated line with `reply(line)` (verbatim; undefined: no answer). */
export async function lineServer(reply: (line: string, socket: net.Socket) => string | undefined, terminator = '\r'): Promise<LineServer> {
  const sockets = new Set<net.Socket>();
  const received: string[] = [];
  const state = { accepted: 0 };
  const server = net.createServer({ noDelay: true }, (s) => {
    state.accepted++;
    sockets.add(s);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf(terminator)) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + terminator.length);
        received.push(line);
        const r = reply(line, s);
        if (r !== undefined && !s.destroyed) s.write(Buffer.from(r, 'latin1'));
      }
    });
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `tcp://127.0.0.1:${port}`,
    received,
    sockets,
    get accepted() {
      return state.accepted;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wait until `cond()` holds, polling; rejects after `timeoutMs` (a hang guard). */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** This process's open descriptors whose /proc link names `target` (Linux), e.g. a pty's slave path. */
export function fdsPointingAt(target: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`) === target) out.push(Number(name));
    } catch {
      // closed between listing and reading
    }
  }
  return out;
}

/** Count this process's open file descriptors (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Settle a promise into `{ ok, value | error }` without throwing. */
export async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

/**
 * A loopback listening socket that never accepts (made with libc through koffi), with its one
 * backlog slot already taken, so further connects hang: for connect-timeout tests.
 */
export async function blackhole(): Promise<{ port: number; close(): void }> {
  const { createRequire } = await import('node:module');
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  const socket = c.func('int socket(int, int, int)');
  const bind = c.func('int bind(int, void *, uint32)');
  const listen = c.func('int listen(int, int)');
  const getsockname = c.func('int getsockname(int, _Inout_ void *, _Inout_ uint32 *)');
  const closeFd = c.func('int close(int)');
  const fd = socket(2, 1, 0) as number;
  const sa = Buffer.alloc(16);
  sa.writeUInt16LE(2, 0);
  sa.set([127, 0, 0, 1], 4);
  if (bind(fd, sa, 16) !== 0 || listen(fd, 0) !== 0) {
    closeFd(fd);
    throw new Error('blackhole: bind/listen failed');
  }
  getsockname(fd, sa, [16]);
  const port = sa.readUInt16BE(2);
  const filler = net.createConnection({ host: '127.0.0.1', port });
  filler.on('error', () => {});
  await new Promise<void>((resolve) => filler.once('connect', () => resolve()));
  return {
    port,
    close() {
      filler.destroy();
      closeFd(fd);
    },
  };
}

/** Return a loopback port that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** An in-memory ByteStream: `device(bytes)` sees each write; `inject(bytes)` delivers to the reader. */
export class MemoryStream {
  readonly address = 'memory://device';
  isOpen = false;
  private readonly data = new Set<(chunk: Uint8Array) => void>();
  private readonly closes = new Set<(reason: Error | undefined) => void>();
  device: (bytes: Uint8Array, stream: MemoryStream) => void = () => {};

  async open(): Promise<void> {
    this.isOpen = true;
  }
  write(bytes: Uint8Array): void {
    if (!this.isOpen) throw new Error('memory stream closed');
    this.device(bytes, this);
  }
  inject(bytes: Uint8Array | string): void {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    for (const l of this.data) l(b);
  }
  /** Simulate a lost link. */
  drop(reason: Error): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    for (const l of [...this.closes]) l(reason);
  }
  onData(l: (chunk: Uint8Array) => void): () => void {
    this.data.add(l);
    return () => this.data.delete(l);
  }
  onClose(l: (reason: Error | undefined) => void): () => void {
    this.closes.add(l);
    return () => this.closes.delete(l);
  }
  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    for (const l of [...this.closes]) l(undefined);
  }
}
