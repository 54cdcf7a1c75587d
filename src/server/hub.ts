/**
 * Websocket channels of `labrig serve`: each channel keeps its clients and sends every message to
 * all of them, serialised once. A client too slow to take its messages (more than `maxBufferedBytes`
 * waiting in its socket) is closed with code 1013 rather than silently skipped, so a client never
 * sees a stream with holes in it.
 * @module
 */
import type { WsSocket as WebSocket } from './ws.js';

/** Default bound on the bytes waiting in one client's socket before it is closed, 16 MiB. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Close code sent to a client that fell too far behind ("try again later"). */
export const CLOSE_TOO_SLOW = 1013;

/** One broadcast channel (`/ws/status`, `/ws/data`, `/ws/documents`). */
export class Channel {
  readonly name: string;
  readonly #clients = new Set<WebSocket>();
  readonly #maxBuffered: number;
  #sent = 0;

  constructor(name: string, maxBufferedBytes = MAX_BUFFERED_BYTES) {
    this.name = name;
    this.#maxBuffered = maxBufferedBytes;
  }

  /** Add a client until its socket closes. */
  add(ws: WebSocket): void {
    this.#clients.add(ws);
    ws.once('close', () => this.#clients.delete(ws));
    ws.on('error', () => this.#clients.delete(ws));
  }

  /** Number of connected clients. */
  get size(): number {
    return this.#clients.size;
  }

  /** Messages sent (one per client per message) since the channel was made. */
  get sent(): number {
    return this.#sent;
  }

  /** Send `message` (JSON-serialised once) to every client. */
  broadcast(message: unknown): void {
    if (this.#clients.size === 0) return;
    const text = safeStringify(message);
    for (const ws of this.#clients) sendTo(ws, text, this.#maxBuffered) ? this.#sent++ : this.#clients.delete(ws);
  }

  /** Close every client (server shutdown). */
  closeAll(code = 1001, reason = 'server closing'): void {
    for (const ws of this.#clients) ws.close(code, reason);
    this.#clients.clear();
  }
}

/** Send `text` to `ws` unless it is closed or too far behind (then close it); true when sent. */
export function sendTo(ws: WebSocket, text: string, maxBufferedBytes = MAX_BUFFERED_BYTES): boolean {
  if (ws.readyState !== 1) return false;
  if (ws.bufferedAmount > maxBufferedBytes) {
    ws.close(CLOSE_TOO_SLOW, 'client too slow: messages would be lost');
    return false;
  }
  ws.send(text);
  return true;
}

const plain = (_key: string, v: unknown): unknown => {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return { name: v.name, message: v.message, ...((v as { code?: unknown }).code !== undefined ? { code: (v as { code?: unknown }).code } : {}) };
  return v;
};

/**
 * Serialise `value` as JSON for the network: Errors become `{ name, message, code }`, bigints
 * strings, functions are left out; a value with cycles is sent with the repeated objects left
 * out. Never throws.
 */
export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, plain) ?? 'null';
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(value, (key, v: unknown) => {
      const out = plain(key, v);
      if (typeof out === 'object' && out !== null) {
        if (seen.has(out)) return undefined;
        seen.add(out);
      }
      return out;
    }) ?? 'null';
  }
}

/** Parse `safeStringify`'s output back: the JSON-safe copy of `value`. */
export function jsonSafe<T = unknown>(value: unknown): T {
  return JSON.parse(safeStringify(value)) as T;
}
