/**
 * TCP byte stream (node:net): connect timeout, keep-alive, no Nagle delay, and a peer's
 * half-close treated as a lost link (a request/response device that sent FIN will not answer).
 * @module
 */
import net from 'node:net';
import { CanceledError, DisconnectedError, InvalidInputError, TimeoutError } from '../../core/errors.js';
import type { ByteStream, WaitOptions } from '../contracts.js';
import { StreamListeners, withDeadline } from './base.js';

/** Settings of a TCP stream. */
export interface TcpStreamOptions {
  /** Host name or IP address. */
  host: string;
  /** Port, 1..65535. */
  port: number;
  /** Default connect timeout, in milliseconds. Default 3000. */
  connectTimeoutMs?: number;
  /** Idle time before keep-alive probes, in milliseconds; 0 turns keep-alive off. Default 10000. */
  keepAliveMs?: number;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection broken (EPIPE)',
};

/** Format host and port as a `tcp://` address (IPv6 in brackets). */
export function tcpAddress(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Carry bytes over one TCP connection; re-openable. */
export class TcpStream extends StreamListeners implements ByteStream {
  readonly address: string;
  private readonly options: Required<TcpStreamOptions>;
  private socket: net.Socket | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: TcpStreamOptions) {
    super();
    const { host, port } = options;
    if (typeof host !== 'string' || host.length === 0) throw new InvalidInputError({ what: 'tcp host', value: host, reason: 'must be a non-empty string' });
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidInputError({ what: 'tcp port', value: port, reason: 'must be an integer in 1..65535' });
    const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    if (!(connectTimeoutMs > 0)) throw new InvalidInputError({ what: 'connectTimeoutMs', value: connectTimeoutMs, reason: 'must be > 0' });
    const keepAliveMs = options.keepAliveMs ?? 10000;
    if (!(keepAliveMs >= 0)) throw new InvalidInputError({ what: 'keepAliveMs', value: keepAliveMs, reason: 'must be >= 0' });
    this.options = { host, port, connectTimeoutMs, keepAliveMs };
    this.address = tcpAddress(host, port);
  }

  /** Connect; rejects with TimeoutError, DisconnectedError (refused, unreachable) or CanceledError. */
  open(options: WaitOptions = {}): Promise<void> {
    if (this.live) return Promise.resolve();
    if (this.opening) return this.opening;
    let sock: net.Socket | undefined;
    this.opening = withDeadline<void>(
      `connect ${this.address}`,
      options,
      this.options.connectTimeoutMs,
      (settle) => {
        const { host, port, keepAliveMs } = this.options;
        const s = net.createConnection({ host, port, allowHalfOpen: true, noDelay: true });
        sock = s;
        this.socket = s;
        s.once('connect', () => {
          s.removeAllListeners('error');
          if (keepAliveMs > 0) s.setKeepAlive(true, keepAliveMs);
          this.attach(s);
          settle(undefined);
        });
        s.once('error', (err) => settle(this.mapError(err)));
        s.once('close', () => settle(new CanceledError(`connect ${this.address}: closed while connecting`)));
      },
      (ms) => new TimeoutError({ operation: `connect ${this.address}`, afterMs: ms }),
      () => {
        sock?.destroy();
        if (this.socket === sock) this.socket = undefined;
      },
    ).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private attach(s: net.Socket): void {
    s.removeAllListeners('close');
    s.on('data', this.emitData);
    s.on('end', () => this.lost(s, new DisconnectedError({ device: this.address, detail: 'peer closed the connection' })));
    s.on('error', (err) => this.lost(s, this.mapError(err)));
    s.on('close', () => this.lost(s, new DisconnectedError({ device: this.address, detail: 'connection closed' })));
    this.markOpen();
  }

  private lost(s: net.Socket, err: Error): void {
    if (this.socket !== s) return;
    this.socket = undefined;
    s.destroy();
    this.emitClose(err);
  }

  private mapError(err: Error & { code?: string }): DisconnectedError {
    const why = (err.code && REASONS[err.code]) ?? err.message;
    return new DisconnectedError({ device: this.address, detail: err.code ? `${why} (${err.code})` : why, cause: err });
  }

  /** Queue bytes; throws DisconnectedError when not connected. */
  write(bytes: Uint8Array): void {
    const s = this.socket;
    if (!this.live || s === undefined) throw new DisconnectedError({ device: this.address, detail: 'not connected' });
    s.write(bytes);
  }

  /** Flush pending writes, close the connection and report `onClose(undefined)`. */
  close(): Promise<void> {
    const s = this.socket;
    if (s === undefined) return this.closing ?? Promise.resolve();
    this.socket = undefined;
    if (!this.live) {
      s.destroy(); // still connecting: open() rejects with CanceledError
      return Promise.resolve();
    }
    this.emitClose(undefined);
    this.closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => s.destroy(), 1000);
      s.once('close', () => {
        clearTimeout(timer);
        this.closing = undefined;
        resolve();
      });
      s.end(() => s.destroy());
    });
    return this.closing;
  }
}
