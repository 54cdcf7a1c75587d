/**
 * Serial byte stream over the `serialport` package (loaded on first open, so TCP-only users do
 * not need its native binding). A missing device and a port locked by another process give
 * `DisconnectedError`s that say so.
 * @module
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { DisconnectedError, InvalidInputError, TimeoutError } from '../../core/errors.js';
import type { ByteStream, WaitOptions } from '../contracts.js';
import { StreamListeners, withDeadline } from './base.js';

/** Parity setting of a serial line. */
export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';

/** Settings of a serial stream. */
export interface SerialStreamOptions {
  /** Device path, e.g. `/dev/ttyUSB0` or `COM3`. */
  path: string;
  /** Line speed in bits per second. Default 9600. */
  baudRate?: number;
  /** Default 'none'. */
  parity?: Parity;
  /** Default 8. */
  dataBits?: 5 | 6 | 7 | 8;
  /** Default 1. */
  stopBits?: 1 | 1.5 | 2;
  /** Hardware (RTS/CTS) flow control. Default false. */
  rtscts?: boolean;
  /** Software (XON/XOFF) flow control, both directions. Default false. */
  xon?: boolean;
  /** Take an exclusive lock so no other process opens the port. Default true. */
  lock?: boolean;
  /** Default open timeout, in milliseconds. Default 3000. */
  openTimeoutMs?: number;
}

/** Parities the serial stream accepts. */
export const PARITIES: readonly Parity[] = ['none', 'even', 'odd', 'mark', 'space'];

/** Validate serial settings, filling defaults; throws InvalidInputError naming the bad field. */
export function checkSerialOptions(o: SerialStreamOptions): Required<SerialStreamOptions> {
  if (typeof o.path !== 'string' || o.path.length === 0) throw new InvalidInputError({ what: 'serial path', value: o.path, reason: 'must be a non-empty string' });
  const baudRate = o.baudRate ?? 9600;
  if (!Number.isInteger(baudRate) || baudRate < 1 || baudRate > 20_000_000) throw new InvalidInputError({ what: 'baudRate', value: baudRate, reason: 'must be a positive integer' });
  const parity = o.parity ?? 'none';
  if (!PARITIES.includes(parity)) throw new InvalidInputError({ what: 'parity', value: parity, reason: `must be one of ${PARITIES.join(', ')}` });
  const dataBits = o.dataBits ?? 8;
  if (![5, 6, 7, 8].includes(dataBits)) throw new InvalidInputError({ what: 'dataBits', value: dataBits, reason: 'must be 5, 6, 7 or 8' });
  const stopBits = o.stopBits ?? 1;
  if (![1, 1.5, 2].includes(stopBits)) throw new InvalidInputError({ what: 'stopBits', value: stopBits, reason: 'must be 1, 1.5 or 2' });
  const openTimeoutMs = o.openTimeoutMs ?? 3000;
  if (!(openTimeoutMs > 0)) throw new InvalidInputError({ what: 'openTimeoutMs', value: openTimeoutMs, reason: 'must be > 0' });
  return { path: o.path, baudRate, parity, dataBits, stopBits, rtscts: !!o.rtscts, xon: !!o.xon, lock: o.lock ?? true, openTimeoutMs };
}

interface Port {
  isOpen: boolean;
  open(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): void;
  write(data: Uint8Array): boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
}
type PortCtor = new (options: Record<string, unknown>) => Port;
let portClass: Promise<PortCtor> | undefined;

/** The parts of a unix binding port that `readUntilHangUp` needs. */
interface UnixBindingPort {
  fd: number | null;
  isOpen: boolean;
  poller?: { once(event: 'readable', cb: (err: Error | null) => void): unknown };
  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number; buffer: Buffer }>;
}
interface Binding {
  list(): Promise<unknown>;
  open(options: unknown): Promise<UnixBindingPort>;
}

const readAsync = promisify(fs.read);

/**
 * Replace a unix binding port's read so that a zero-byte read (end of file: a pty or USB adapter
 * that hung up) is reported as a disconnect. The binding's own read retries zero-byte reads
 * forever (serialport/bindings-cpp issue #162), which spins and never reports the loss.
 */
function readUntilHangUp(port: UnixBindingPort): void {
  const canceled = (): Error => Object.assign(new Error('Port is not open'), { canceled: true });
  port.read = async (buffer, offset, length) => {
    for (;;) {
      if (!port.isOpen || port.fd === null) throw canceled();
      try {
        const { bytesRead } = await readAsync(port.fd, buffer, offset, length, null);
        if (bytesRead === 0) throw Object.assign(new Error('the device hung up (end of file)'), { disconnect: true });
        return { bytesRead, buffer };
      } catch (err) {
        const e = err as Error & { code?: string; disconnect?: boolean };
        if (e.disconnect) throw e;
        if (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK' || e.code === 'EINTR') {
          if (!port.isOpen || !port.poller) throw canceled();
          await new Promise<void>((resolve, reject) => port.poller!.once('readable', (pe) => (pe ? reject(pe) : resolve())));
          continue;
        }
        if (['EBADF', 'ENXIO', 'EIO', 'ENODEV', 'UNKNOWN'].includes(e.code ?? '')) e.disconnect = true;
        throw e;
      }
    }
  };
}

async function loadSerialPort(address: string): Promise<PortCtor> {
  portClass ??= import('serialport').then((m) => {
    const base = (m.SerialPort as unknown as { binding: Binding }).binding;
    const binding: Binding = {
      list: () => base.list(),
      async open(options) {
        const port = await base.open(options);
        if (typeof port.fd === 'number' && port.poller) readUntilHangUp(port);
        return port;
      },
    };
    const Base = m.SerialPort as unknown as PortCtor;
    return class extends Base {
      constructor(options: Record<string, unknown>) {
        super({ ...options, binding });
      }
    } as PortCtor;
  });
  try {
    return await portClass;
  } catch (err) {
    portClass = undefined;
    throw new DisconnectedError({ device: address, detail: 'the serialport package could not be loaded', cause: err });
  }
}

/** Carry bytes over one serial port; re-openable. */
export class SerialStream extends StreamListeners implements ByteStream {
  readonly address: string;
  private readonly options: Required<SerialStreamOptions>;
  private port: Port | undefined;
  private opening: Promise<void> | undefined;
  private openAbort: AbortController | undefined;

  constructor(options: SerialStreamOptions) {
    super();
    this.options = checkSerialOptions(options);
    const p = this.options.path;
    this.address = `serial://${p.startsWith('/') ? '' : '/'}${p}`;
  }

  /** Open the port; rejects with DisconnectedError (missing, busy), TimeoutError or CanceledError. */
  open(options: WaitOptions = {}): Promise<void> {
    if (this.live) return Promise.resolve();
    if (this.opening) return this.opening;
    let port: Port | undefined;
    const abort = new AbortController();
    this.openAbort = abort;
    const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
    this.opening = loadSerialPort(this.address).then((Ctor) =>
      withDeadline<void>(
        `open ${this.address}`,
        { timeoutMs: options.timeoutMs, signal },
        this.options.openTimeoutMs,
        (settle) => {
          const o = this.options;
          const p = new Ctor({
            path: o.path, baudRate: o.baudRate, parity: o.parity, dataBits: o.dataBits, stopBits: o.stopBits,
            rtscts: o.rtscts, xon: o.xon, xoff: o.xon, lock: o.lock, autoOpen: false,
          });
          port = p;
          p.open((err) => {
            if (err) return settle(this.mapOpenError(err));
            if (port !== p) {
              p.close(); // timed out or canceled meanwhile
              return;
            }
            this.attach(p);
            settle(undefined);
          });
        },
        (ms) => new TimeoutError({ operation: `open ${this.address}`, afterMs: ms }),
        () => {
          const p = port;
          port = undefined;
          if (p?.isOpen) p.close();
        },
      ),
    ).finally(() => {
      this.opening = undefined;
      if (this.openAbort === abort) this.openAbort = undefined;
    });
    return this.opening;
  }

  private attach(p: Port): void {
    this.port = p;
    p.on('data', this.emitData as (...args: never[]) => void);
    p.on('close', ((err?: Error) => this.lost(p, err ?? new Error('port closed'))) as (...args: never[]) => void);
    p.on('error', ((err: Error) => this.lost(p, err)) as (...args: never[]) => void);
    this.markOpen();
  }

  private lost(p: Port, err: Error): void {
    if (this.port !== p) return;
    this.port = undefined;
    if (p.isOpen) p.close();
    this.emitClose(new DisconnectedError({ device: this.address, detail: `port lost: ${err.message}`, cause: err }));
  }

  private mapOpenError(err: Error): DisconnectedError {
    const m = err.message;
    if (/No such file|ENOENT/i.test(m)) return new DisconnectedError({ device: this.address, detail: `no such device ${this.options.path} (ENOENT): is it plugged in?`, cause: err });
    if (/lock|Resource temporarily unavailable|EBUSY/i.test(m)) return new DisconnectedError({ device: this.address, detail: `port ${this.options.path} is busy (locked by another process)`, cause: err });
    if (/Permission denied|EACCES/i.test(m)) return new DisconnectedError({ device: this.address, detail: `no permission to open ${this.options.path} (EACCES)`, cause: err });
    return new DisconnectedError({ device: this.address, detail: `cannot open: ${m}`, cause: err });
  }

  /** Queue bytes; throws DisconnectedError when not open. */
  write(bytes: Uint8Array): void {
    const p = this.port;
    if (!this.live || p === undefined) throw new DisconnectedError({ device: this.address, detail: 'not open' });
    p.write(bytes);
  }

  /** Close the port and report `onClose(undefined)`. */
  close(): Promise<void> {
    this.openAbort?.abort(new Error('closed while opening'));
    const p = this.port;
    if (p === undefined) return Promise.resolve();
    this.port = undefined;
    this.emitClose(undefined);
    return new Promise<void>((resolve) => {
      if (!p.isOpen) return resolve();
      p.close(() => resolve());
    });
  }
}
