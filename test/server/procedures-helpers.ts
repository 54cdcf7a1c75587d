/**
 * Helpers of the procedure tests: a fastify app on loopback with the procedure routes, an SSE
 * reader of `/api/v1.0/stream`, and JSON requests. Everything started is stopped in teardown.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { Test } from 'tap';
import type { AnyDocument, DocumentName } from '../../src/core/documents/types.js';
import { registerProcedures, type ProceduresOptions, type ProceduresService } from '../../src/server/procedures/index.js';

export const SCRIPTS = fileURLToPath(new URL('../fixtures/procedures/scripts/', import.meta.url));
export const RIG = fileURLToPath(new URL('../fixtures/procedures/rig/mfc.yaml', import.meta.url));

/** One SSE message as received. */
export interface Received {
  id: number;
  topic: string;
  data: Record<string, unknown>;
}

/** A running server: its base URL, documents it published, and an SSE reader. */
export interface Harness {
  base: string;
  service: ProceduresService;
  docs: Array<[DocumentName, AnyDocument]>;
  events: Received[];
  call(method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: any }>;
  waitEvent(pred: (e: Received) => boolean, what: string, timeoutMs?: number): Promise<Received>;
}

/** Start fastify with the procedure routes on 127.0.0.1 and connect one SSE reader. */
export async function startHarness(t: Test, options: Partial<ProceduresOptions> = {}): Promise<Harness> {
  const app = Fastify();
  const docs: Array<[DocumentName, AnyDocument]> = [];
  const service = registerProcedures(app, { scriptsDir: SCRIPTS, bus: { publish: (n, d) => void docs.push([n, d]) }, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const addr = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${addr.port}`;

  const events: Received[] = [];
  const waiters = new Set<() => void>();
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(`${base}/api/v1.0/stream`, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data:(.*)$/m.exec(block)?.[1];
          const id = /^id:(\d+)$/m.exec(block)?.[1];
          if (data === undefined) continue;
          const obj = JSON.parse(data) as Record<string, unknown>;
          events.push({ id: Number(id), topic: String(obj['topic']), data: obj });
          for (const w of waiters) w();
        }
      });
      resolve();
    });
    req.on('error', reject);
    req.end();
    t.teardown(() => req.destroy());
  });

  const call = async (method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      ...(body !== undefined || raw !== undefined ? { headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  const waitEvent = (pred: (e: Received) => boolean, what: string, timeoutMs = 45_000): Promise<Received> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = events.find(pred);
        if (hit) {
          clearTimeout(timer);
          waiters.delete(onEvent);
          resolve(hit);
        }
        return Boolean(hit);
      };
      const onEvent = (): void => void check();
      const timer = setTimeout(() => {
        waiters.delete(onEvent);
        reject(new Error(`no ${what} within ${timeoutMs} ms; topics so far: ${events.map((e) => `${e.topic}${e.data['new_state'] ? `(${String(e.data['new_state'])})` : ''}`).join(', ')}`));
      }, timeoutMs);
      waiters.add(onEvent);
      check();
    });

  return { base, service, docs, events, call, waitEvent };
}

/** The state of a lifecycle event about procedure `id` (statechange new_state, or the summary's). */
export const isState = (id: number, state: string) => (e: Received): boolean =>
  e.topic === 'procedure.lifecycle.statechange' && e.data['procedure_id'] === id && e.data['new_state'] === state;

/** Whether `e` ends procedure `id` (COMPLETE, FAILED or STOPPED). */
export const isFinal = (id: number) => (e: Received): boolean =>
  e.topic === 'procedure.lifecycle.statechange' && e.data['procedure_id'] === id && ['COMPLETE', 'FAILED', 'STOPPED'].includes(String(e.data['new_state']));

/**
 * Create a procedure from `uri` (with `init` arguments) and wait until it is READY (limit
 * 120 s); any other end state throws with the procedure's record. Resolves to its id.
 */
export async function readyProcedure(h: Harness, uri: string, init?: unknown): Promise<number> {
  const r = await h.call('POST', '/api/v1.0/procedures', { script_uri: uri, ...(init ? { script_args: { init } } : {}) });
  if (r.status !== 201) throw new Error(`create ${uri}: ${r.status} ${JSON.stringify(r.body)}`);
  const id = r.body.procedure.id as number;
  const e = await h.waitEvent((x) => isState(id, 'READY')(x) || isFinal(id)(x), `${uri} ready`, 120_000);
  if (e.data['new_state'] !== 'READY') throw new Error(`${uri} ${String(e.data['new_state'])}: ${JSON.stringify((await h.call('GET', `/api/v1.0/procedures/${id}`)).body)}`);
  return id;
}
