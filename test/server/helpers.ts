/**
 * Helpers of the server tests: a rig of simulators served on loopback, JSON requests over real
 * sockets, and websocket clients whose messages can be awaited (every wait bounded).
 */
import type { Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { loadRig, type Rig } from '../../src/rig/index.js';
import { createServer, type LabrigServer, type ServerOptions } from '../../src/server/index.js';
import { connectWs, type WsClient } from '../../src/server/ws.js';

/** The example rig: a Galil stage (A, B, limits ±50 mm, 20 mm/s), an Alicat MFC, a Legato pump. */
export const RIG_FILE = fileURLToPath(new URL('../../examples/rig-sim.yaml', import.meta.url));

/** Load the example rig and serve it on 127.0.0.1; both are closed at the end of `t`. */
export async function served(t: Test, options: Omit<ServerOptions, 'rig'> = {}, rigSource: string | Record<string, unknown> = RIG_FILE): Promise<{ rig: Rig; server: LabrigServer }> {
  const rig = await loadRig(rigSource);
  let server: LabrigServer;
  try {
    server = await createServer({ rig, ...options });
  } catch (e) {
    await rig.close();
    throw e;
  }
  t.teardown(async () => {
    await server.close();
    await rig.close();
  });
  return { rig, server };
}

/** One JSON request; resolves with the status and the parsed body (or the text). */
export async function api(server: { url: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
  const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(20_000) };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

/** A websocket client that records every JSON message. */
export interface Listener {
  readonly ws: WsClient;
  readonly messages: any[];
  /** Resolve with the first message (from the start) matching `pred`; reject after `timeoutMs`. */
  waitFor(pred: (m: any) => boolean, timeoutMs?: number, what?: string): Promise<any>;
  close(): void;
}

/** Connect to `path` of `server` (closed at the end of `t`). */
export async function listen(t: Test, server: { url: string }, path: string, headers: Record<string, string> = {}): Promise<Listener> {
  const messages: any[] = [];
  const waiters = new Set<() => void>();
  const ws = await connectWs(`${server.url.replace(/^http/, 'ws')}${path}`, headers, 10_000, (d) => {
    messages.push(JSON.parse(String(d)));
    for (const w of [...waiters]) w();
  });
  const close = (): void => {
    if (ws.readyState <= 1) ws.close();
  };
  t.teardown(close);
  return {
    ws,
    messages,
    close,
    waitFor(pred, timeoutMs = 15_000, what = 'message') {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = messages.find(pred);
          if (m === undefined) return false;
          clearTimeout(timer);
          waiters.delete(tick);
          resolve(m);
          return true;
        };
        const tick = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(tick);
          reject(new Error(`no ${what} on ${path} within ${timeoutMs} ms (got ${messages.length}: ${JSON.stringify(messages.slice(-3))})`));
        }, timeoutMs);
        if (!check()) waiters.add(tick);
      });
    },
  };
}

/** Poll `fn` until it returns a truthy value, at most `timeoutMs`. */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
