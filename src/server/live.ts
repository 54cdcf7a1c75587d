/**
 * `/ws/live`: live values of the signals a client subscribes to. The client names them in the
 * URL (`/ws/live?signals=stage:A,mfc`) or sends `{"subscribe": ["stage:A"]}` /
 * `{"unsubscribe": [...]}`; `device` alone is the device's readback, `device:path` a part of its
 * tree (an axis streams its position). Each change arrives as
 * `{ type: 'live', signal, device, path, key, value, timestamp }`; a bad name gets
 * `{ type: 'error', error: { type, message } }` and the socket stays open. Clients of one signal
 * share the signal's single subscription to the device.
 * @module
 */
import type { WsSocket as WebSocket } from './ws.js';
import { InvalidInputError, toError } from '../core/errors.js';
import type { Rig } from '../rig/index.js';
import { liveSignalOf, memberOf, nodeOf } from './device-ops.js';
import { errorReply } from './errors.js';
import { safeStringify, sendTo } from './hub.js';

/** Most signals one client may subscribe to. */
export const MAX_LIVE_SIGNALS = 256;

/** Split `device:path` (or `device`). */
export function parseSignalName(text: string): { device: string; path: string } {
  const t = text.trim();
  if (t === '' || t.length > 300) throw new InvalidInputError({ what: 'live signal', value: text, reason: 'expected device or device:path' });
  const i = t.indexOf(':');
  return i < 0 ? { device: t, path: '' } : { device: t.slice(0, i), path: t.slice(i + 1) };
}

/** Serve one `/ws/live` client on `ws` until it closes. */
export function serveLive(ws: WebSocket, rig: Rig, initial: readonly string[]): void {
  const subs = new Map<string, () => void>();
  const sendError = (err: unknown): void => void sendTo(ws, safeStringify({ type: 'error', ...errorReply(err).body }));
  const subscribe = async (name: string): Promise<void> => {
    try {
      if (subs.has(name)) return;
      if (subs.size >= MAX_LIVE_SIGNALS) throw new InvalidInputError({ what: 'live signals', value: subs.size, reason: `at most ${MAX_LIVE_SIGNALS} per client` });
      const { device, path } = parseSignalName(name);
      const m = memberOf(rig, device);
      const signal = liveSignalOf(await nodeOf(m, path));
      if (subs.has(name) || ws.readyState !== 1) return;
      const off = signal.subscribe((readings) => {
        for (const [key, r] of Object.entries(readings)) {
          sendTo(ws, safeStringify({ type: 'live', signal: name, device, path, key, value: r.value, timestamp: r.timestamp }));
        }
      });
      subs.set(name, off);
    } catch (e) {
      sendError(e);
    }
  };
  const unsubscribe = (name: string): void => {
    subs.get(name)?.();
    subs.delete(name);
  };
  ws.on('message', (data) => {
    let msg: unknown;
    try {
      msg = JSON.parse(String(data));
    } catch (e) {
      return sendError(new InvalidInputError({ what: 'live message', value: String(data).slice(0, 80), reason: 'is not JSON', cause: e }));
    }
    const m = msg as { subscribe?: unknown; unsubscribe?: unknown };
    const list = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);
    const sub = list(m?.subscribe);
    const unsub = list(m?.unsubscribe);
    if (!sub && !unsub) return sendError(new InvalidInputError({ what: 'live message', value: msg, reason: 'expected {"subscribe": [names]} or {"unsubscribe": [names]}' }));
    for (const n of unsub ?? []) unsubscribe(n);
    for (const n of sub ?? []) void subscribe(n);
  });
  ws.once('close', () => {
    for (const off of subs.values()) {
      try {
        off();
      } catch (e) {
        console.error('labrig serve: live unsubscribe failed:', toError(e).message);
      }
    }
    subs.clear();
  });
  for (const n of initial) void subscribe(n);
}
