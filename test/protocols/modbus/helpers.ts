/**
 * Test helpers for the Modbus tests: an in-memory ByteStream pair and a runner for Debian's
 * pymodbus (python3-pymodbus, importable only by /usr/bin/python3).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { DisconnectedError } from '../../../src/core/errors.js';
import type { ByteStream, Unsubscribe } from '../../../src/protocols/contracts.js';

/** Python that can import pymodbus (Debian's package). */
export const PYTHON = '/usr/bin/python3';

/** Return pymodbus's version, or undefined when it cannot be imported. */
export function pymodbusVersion(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import pymodbus; print(pymodbus.__version__)'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** One end of an in-memory duplex: what one end writes, the other receives on a later turn. */
export class MemoryStream implements ByteStream {
  readonly address: string;
  peer: MemoryStream | undefined;
  private open_ = false;
  private readonly data = new Set<(c: Uint8Array) => void>();
  private readonly closes = new Set<(r: Error | undefined) => void>();
  /** Every chunk written, for assertions. */
  readonly written: Uint8Array[] = [];
  /** Set to drop everything written (a silent device). */
  mute = false;

  constructor(address: string) {
    this.address = address;
  }

  get isOpen(): boolean {
    return this.open_;
  }

  open(): Promise<void> {
    this.open_ = true;
    return Promise.resolve();
  }

  write(bytes: Uint8Array): void {
    if (!this.open_) throw new DisconnectedError({ device: this.address, detail: 'not open' });
    this.written.push(Uint8Array.from(bytes));
    if (this.mute) return;
    const copy = Buffer.from(bytes);
    setImmediate(() => this.peer?.deliver(copy));
  }

  /** Hand bytes to this end's listeners (as if they came from the wire). */
  deliver(chunk: Uint8Array): void {
    for (const l of this.data) l(chunk);
  }

  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    this.data.add(listener);
    return () => this.data.delete(listener);
  }

  onClose(listener: (reason: Error | undefined) => void): Unsubscribe {
    this.closes.add(listener);
    return () => this.closes.delete(listener);
  }

  /** Simulate a lost link. */
  drop(): void {
    if (!this.open_) return;
    this.open_ = false;
    for (const l of [...this.closes]) l(new DisconnectedError({ device: this.address, detail: 'link lost' }));
  }

  close(): Promise<void> {
    if (this.open_) {
      this.open_ = false;
      for (const l of [...this.closes]) l(undefined);
    }
    return Promise.resolve();
  }
}

/** Make two connected in-memory ends, both open. */
export function memoryPair(): [MemoryStream, MemoryStream] {
  const a = new MemoryStream('mem://a');
  const b = new MemoryStream('mem://b');
  a.peer = b;
  b.peer = a;
  void a.open();
  void b.open();
  return [a, b];
}

/** Run a Python script to completion and parse its last stdout line as JSON. */
export function runPythonJson(script: string, args: string[], timeoutMs: number, children: Set<ChildProcess>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`python exited ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`python printed no JSON: ${out.slice(-500)} ${err.slice(-2000)}`));
      }
    });
  });
}

/** Start a long-running Python script; resolve with its first stdout line and the process. */
export function startPython(script: string, args: string[], timeoutMs: number, children: Set<ChildProcess>): Promise<{ line: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python did not start within ${timeoutMs} ms: ${err.slice(-2000)}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ line: out.slice(0, nl).trim(), child });
      }
    });
    child.on('close', (code) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`python exited ${code} before printing: ${err.slice(-2000)}`));
    });
  });
}

/** Kill every child still running and wait for them to exit. */
export async function killAll(children: Set<ChildProcess>): Promise<void> {
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('close', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
}

/** A ByteStream over the master side of a pty pair (for a client whose peer opened the slave). */
export function ptyMasterStream(master: import('node:tty').ReadStream, address: string): ByteStream {
  let open = true;
  const closes = new Set<(r: Error | undefined) => void>();
  return {
    address,
    get isOpen() {
      return open;
    },
    open: () => Promise.resolve(),
    write: (bytes) => {
      master.write(bytes);
    },
    onData: (listener) => {
      master.on('data', listener);
      return () => master.off('data', listener);
    },
    onClose: (listener) => {
      closes.add(listener);
      return () => closes.delete(listener);
    },
    close: () => {
      if (open) {
        open = false;
        for (const l of [...closes]) l(undefined);
      }
      return Promise.resolve();
    },
  };
}
