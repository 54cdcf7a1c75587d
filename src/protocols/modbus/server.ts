/**
 * A fast Modbus server for simulators and test benches: Modbus TCP on a socket and Modbus RTU over
 * any byte stream (a pty, a serial port). Every request is answered synchronously in the data
 * handler — no timer per request — and all answers to one chunk of input go out in one write, so a
 * pipelining client is limited by the socket, not by the server.
 *
 * Units: given one {@link RegisterStore}, the server answers every unit id. Given a map of unit id
 * → store, a TCP request for an unknown unit gets exception 0x0B (gateway target failed to
 * respond) and an RTU request for one gets silence, as on a real bus. On RTU, unit 0 is a
 * broadcast: writes reach every store and nothing is answered.
 * @module
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { InvalidInputError } from '../../core/errors.js';
import type { ByteStream } from '../contracts.js';
import { encodeException } from './codec.js';
import { ModbusException } from './errors.js';
import type { ModbusFrameError } from './errors.js';
import { MbapReader, RtuReader, encodeMbap, encodeRtu } from './framing.js';
import { handleRequest, isWriteRequest } from './handler.js';
import { RegisterStore } from './store.js';

/** The part of a ByteStream the RTU server needs (a pty end, a serial port, a TCP socket). */
export type ServerByteStream = Pick<ByteStream, 'onData' | 'write'>;

/** Options of a {@link ModbusServer}. */
export interface ModbusServerOptions {
  /** One store answering every unit, or a store per unit id. Default: an empty store. */
  store?: RegisterStore | ReadonlyMap<number, RegisterStore>;
  /** Called with each frame the server could not use (bad CRC, broken MBAP header). */
  onFrameError?: (err: ModbusFrameError) => void;
}

/** Options of {@link ModbusServer.listenTcp}. */
export interface ListenOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
}

/** Serve Modbus TCP and RTU requests from register stores. */
export class ModbusServer {
  /** The store answering every unit, or undefined when there is one store per unit. */
  readonly store: RegisterStore | undefined;
  private readonly units: ReadonlyMap<number, RegisterStore> | undefined;
  private readonly onFrameError: ((err: ModbusFrameError) => void) | undefined;
  private readonly servers = new Set<Server>();
  private readonly sockets = new Set<Socket>();
  private readonly detachers = new Set<() => void>();
  private served = 0;

  constructor(options: ModbusServerOptions = {}) {
    const s = options.store ?? new RegisterStore();
    if (s instanceof RegisterStore) this.store = s;
    else {
      for (const u of s.keys()) if (!Number.isInteger(u) || u < 1 || u > 247) throw new InvalidInputError({ what: 'modbus unit id', value: u, reason: 'must be 1..247' });
      this.units = s;
    }
    this.onFrameError = options.onFrameError;
  }

  /** Number of requests answered (or executed, for broadcasts) so far. */
  get requests(): number {
    return this.served;
  }

  /** Return the store of `unit`, or undefined if the server has none for it. */
  storeFor(unit: number): RegisterStore | undefined {
    return this.store ?? this.units?.get(unit);
  }

  /** Listen for Modbus TCP clients; resolves with the bound address once listening. */
  listenTcp(options: ListenOptions = {}): Promise<{ host: string; port: number }> {
    const server = createServer({ noDelay: true }, (sock) => this.attachTcp(sock));
    this.servers.add(server);
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        this.servers.delete(server);
        reject(err);
      });
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        const a = server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /**
   * Make a stateful RTU responder: give it each chunk read from the line, write back what it
   * returns (undefined: nothing to send). Used by {@link serveRtu} and by pty simulators.
   */
  rtuResponder(options: { staleMs?: number } = {}): (chunk: Uint8Array) => Buffer | undefined {
    const reader = new RtuReader({ kind: 'request', ...(options.staleMs === undefined ? {} : { staleMs: options.staleMs }) });
    const onError = (err: ModbusFrameError): void => this.onFrameError?.(err);
    return (chunk) => {
      const out: Buffer[] = [];
      reader.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        (unit, pdu) => {
          if (unit === 0) {
            if (isWriteRequest(pdu)) {
              this.served++;
              for (const st of this.allStores()) handleRequest(st, 0, pdu);
            }
            return;
          }
          const st = this.storeFor(unit);
          if (!st) return;
          this.served++;
          out.push(encodeRtu(unit, handleRequest(st, unit, pdu)));
        },
        onError,
      );
      if (out.length === 0) return undefined;
      return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
    };
  }

  /** Serve Modbus RTU on a byte stream until the returned function (or close) detaches it. */
  serveRtu(stream: ServerByteStream, options: { staleMs?: number } = {}): () => void {
    const respond = this.rtuResponder(options);
    const unsubscribe = stream.onData((chunk) => {
      const out = respond(chunk);
      if (out) stream.write(out);
    });
    const detach = (): void => {
      unsubscribe();
      this.detachers.delete(detach);
    };
    this.detachers.add(detach);
    return detach;
  }

  /** Stop listening, drop every client and detach every RTU stream. */
  async close(): Promise<void> {
    for (const d of [...this.detachers]) d();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const closing = [...this.servers].map((srv) => new Promise<void>((r) => srv.close(() => r())));
    this.servers.clear();
    await Promise.all(closing);
  }

  private allStores(): RegisterStore[] {
    return this.store ? [this.store] : [...(this.units?.values() ?? [])];
  }

  private attachTcp(sock: Socket): void {
    this.sockets.add(sock);
    const reader = new MbapReader();
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      const out: Buffer[] = [];
      try {
        reader.push(chunk, (tid, unit, pdu) => {
          this.served++;
          const st = this.storeFor(unit);
          const res = st ? handleRequest(st, unit, pdu) : encodeException(pdu[0] as number, ModbusException.GatewayTargetFailed);
          out.push(encodeMbap(tid, unit, res));
        });
      } catch (err) {
        // A broken MBAP header: framing is lost, answer what was complete and hang up.
        this.onFrameError?.(err as ModbusFrameError);
        sock.removeAllListeners('data');
        if (out.length) sock.write(Buffer.concat(out));
        sock.end(() => sock.destroy());
        return;
      }
      if (out.length) sock.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
    });
  }
}
