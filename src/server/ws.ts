/**
 * The websocket types `labrig serve` and its clients use, and a client constructor. The `ws`
 * library ships no TypeScript types; these interfaces name only what labrig calls. The client is
 * loaded from `ws` as installed for `@fastify/websocket` (which depends on it), so it is the same
 * library the server runs on.
 * @module
 */
import { createRequire } from 'node:module';

/** The server side of one websocket connection (a `ws` WebSocket). */
export interface WsSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued and not yet sent. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: (code: number, reason: unknown) => void): unknown;
  once(event: 'close', listener: (code: number, reason: unknown) => void): unknown;
}

/** A websocket client (a `ws` WebSocket as a client). */
export interface WsClient extends WsSocket {
  on(event: 'open', listener: () => void): unknown;
  on(event: 'message', listener: (data: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: (code: number, reason: unknown) => void): unknown;
  on(event: 'unexpected-response', listener: (req: unknown, res: { statusCode?: number }) => void): unknown;
  once(event: 'open', listener: () => void): unknown;
  once(event: 'close', listener: (code: number, reason: unknown) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  removeAllListeners(): unknown;
  terminate(): void;
}

type WsClientConstructor = new (url: string, options?: { headers?: Record<string, string>; handshakeTimeout?: number; perMessageDeflate?: boolean }) => WsClient;

let ctor: WsClientConstructor | undefined;

/** Open a websocket client to `url` (`ws://...`) with extra request headers. */
export function wsClient(url: string, headers: Record<string, string> = {}, handshakeTimeoutMs = 10_000): WsClient {
  if (!ctor) {
    const fromPlugin = createRequire(createRequire(import.meta.url).resolve('@fastify/websocket'));
    ctor = fromPlugin('ws') as WsClientConstructor;
  }
  return new ctor(url, { headers, handshakeTimeout: handshakeTimeoutMs, perMessageDeflate: false });
}

/**
 * Open `url` and resolve once connected; reject with the server's status (`401`, ...) or the
 * error, within `timeoutMs`. Pass `onMessage` to receive every message: one attached after the
 * promise resolved can miss those the server sent at once (they arrive with the handshake).
 */
export function connectWs(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000, onMessage?: (data: unknown) => void): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = wsClient(url, headers, timeoutMs);
    if (onMessage) ws.on('message', onMessage);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`websocket ${url}: no connection after ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      reject(Object.assign(new Error(`websocket ${url}: server answered ${res.statusCode ?? '?'}`), { statusCode: res.statusCode }));
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
