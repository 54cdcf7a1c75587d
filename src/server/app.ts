/**
 * `createServer`: a rig served over HTTP and websockets on fastify (see `src/server/index.ts` for
 * the routes). Binds to 127.0.0.1 by default; any other address needs a token. Every document
 * of every run started through the server goes through one {@link DocumentBus}.
 * @module
 */
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { RunEngine } from '../core/engine/index.js';
import { InvalidInputError } from '../core/errors.js';
import { Executor, builtinActions, builtinPlans, type ActionDefinition } from '../core/executor/index.js';
import type { DocumentName, AnyDocument } from '../core/documents/types.js';
import { isStoppable } from '../core/protocols.js';
import type { Rig } from '../rig/index.js';
import { registerActionRoutes, recordJson } from './actions.js';
import { DocumentBus } from './bus.js';
import { ReadCoalescer } from './device-ops.js';
import { registerDeviceRoutes } from './devices.js';
import { errorReply } from './errors.js';
import { Channel, safeStringify, sendTo } from './hub.js';
import { serveLive } from './live.js';
import { operatorPageHtml } from './page.js';
import { registerProcedures, type ProceduresService } from './procedures/index.js';
import { startZmqPublisher, type ZmqPublisher } from './zmq.js';
import { checkBind, checkRequest, isLoopback } from './security.js';

/** Default bound on request bodies, bytes. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The open rig to serve (the caller closes it after the server). */
  rig: Rig;
  /** Address to bind. Default 127.0.0.1; any non-loopback address needs `token`. */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** Token every request must carry (`Authorization: Bearer`, or `?token=` on a GET); at least 8 characters. */
  token?: string;
  /** Allow-listed folder of procedures: with it, the OET-style procedure routes and SSE stream are served. */
  scriptsDir?: string;
  /** Rig file each procedure's own process opens for its script (procedures do not share the served rig). */
  rigFile?: string;
  /**
   * Publish documents on 0MQ too (bluesky RemoteDispatcher framing). Binds 127.0.0.1 unless
   * `host` says otherwise: 0MQ has no token, so another address is the caller's explicit choice.
   */
  zmq?: { port: number; host?: string };
  /** Bound on request bodies, bytes. Default 64 KiB. */
  bodyLimit?: number;
  /** More actions besides the built-in ones. */
  actions?: readonly ActionDefinition<any>[];
  /** The document bus to publish on (default: a new one). */
  bus?: DocumentBus;
  /** Where warnings go (default: console.error). */
  warn?: (line: string) => void;
}

/** A running server. */
export interface LabrigServer {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The fastify instance (to register more routes before use, or inject requests in tests). */
  readonly app: FastifyInstance;
  /** Every document of every run started through the server. */
  readonly bus: DocumentBus;
  /** The executor the action routes run on. */
  readonly executor: Executor;
  /** The run engine `plan.run` uses. */
  readonly engine: RunEngine;
  /** The procedure service (with `scriptsDir`). */
  readonly procedures: ProceduresService | undefined;
  /** The 0MQ publisher (with `zmq`); its `port` is the bound port. */
  readonly zmq: ZmqPublisher | undefined;
  /** Counters of the read coalescing: requests served and reads that reached a device. */
  readonly stats: { readonly readRequests: number; readonly deviceReads: number };
  /** Stop running actions and sets (on the devices), close every socket and stop listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serve `options.rig` (see the module notes). Throws InvalidInputError before listening for a
 * non-loopback host without a token, or a bad token.
 */
export async function createServer(options: ServerOptions): Promise<LabrigServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token;
  const warning = checkBind(host, token);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidInputError({ what: 'port', value: port, reason: 'must be an integer in 0..65535' });
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1) throw new InvalidInputError({ what: 'bodyLimit', value: bodyLimit, reason: 'must be a positive integer (bytes)' });
  const { rig } = options;
  const bus = options.bus ?? new DocumentBus();
  const loopbackOnly = isLoopback(host);

  const engine = new RunEngine();
  const executor = new Executor({ resolve: (n) => rig.get(n), eStop: () => rig.eStop() });
  for (const a of builtinActions({ engine, plans: builtinPlans() })) executor.register(a);
  for (const a of options.actions ?? []) executor.register(a);

  const app = Fastify({
    bodyLimit,
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, allowUnionTypes: true } },
  });
  const channels = { status: new Channel('status'), data: new Channel('data'), documents: new Channel('documents') };
  const offs: Array<() => void> = [];
  offs.push(bus.subscribe((name, doc) => channels.documents.broadcast({ name, doc })));
  offs.push(executor.subscribe((name, doc) => bus.publish(name, doc as AnyDocument)));
  const engineToken = engine.subscribe((name: DocumentName, doc: AnyDocument) => bus.publish(name, doc));
  offs.push(() => void engine.unsubscribe(engineToken));
  offs.push(executor.onState((rec) => channels.status.broadcast({ type: 'action', record: recordJson(rec) })));
  offs.push(executor.onData((rec, data) => channels.data.broadcast({ type: 'data', action: rec.id, name: rec.name, data })));

  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = errorReply(err);
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { type: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
  // Registered before the checks: its onRequest hook marks upgrade requests, so that a refused
  // upgrade's socket is destroyed after the 401/403 answer instead of staying open.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.addHook('onRequest', async (req) => {
    checkRequest({ method: req.method, headers: req.headers, query: req.query }, { token, loopbackOnly });
    const q = req.query as Record<string, unknown> | undefined;
    if (q && typeof q === 'object' && 'token' in q) delete q['token'];
  });

  const reads = new ReadCoalescer();
  const { running, sets } = registerDeviceRoutes(app, { rig, executor, status: channels.status, reads, bus });
  registerActionRoutes(app, { rig, executor });
  // A new status client first gets the state as it stands, in the messages' usual shapes: the
  // e-stop if in force, then every queued or running action and every running set.
  app.get('/ws/status', { websocket: true }, (ws) => {
    channels.status.add(ws);
    if (executor.eStopped) sendTo(ws, safeStringify({ type: 'estop', estop: true }));
    for (const rec of executor.active) sendTo(ws, safeStringify({ type: 'action', record: recordJson(rec) }));
    for (const rec of sets.values()) if (rec.state === 'running') sendTo(ws, safeStringify({ type: 'set', ...rec }));
  });
  app.get('/ws/data', { websocket: true }, (ws) => channels.data.add(ws));
  app.get('/ws/documents', { websocket: true }, (ws) => channels.documents.add(ws));
  app.get<{ Querystring: { signals?: string } }>('/ws/live', { websocket: true }, (ws, req) => {
    const list = (req.query.signals ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    serveLive(ws, rig, list);
  });
  const procedures = options.scriptsDir === undefined ? undefined : registerProcedures(app, { scriptsDir: options.scriptsDir, bus, rig, bodyLimit, ...(options.rigFile === undefined ? {} : { rigFile: options.rigFile }) });
  const page = operatorPageHtml();
  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  let zmq: ZmqPublisher | undefined;

  try {
    if (options.zmq) zmq = await startZmqPublisher({ port: options.zmq.port, host: options.zmq.host ?? '127.0.0.1', bus });
    await app.listen({ host, port });
  } catch (e) {
    for (const off of offs) off();
    await zmq?.close().catch(() => undefined);
    await app.close().catch(() => undefined);
    throw e;
  }
  if (warning) (options.warn ?? ((l: string) => console.error(l)))(warning);
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= (async () => {
    for (const off of offs) off();
    // Stop the actions this server started and wait (bounded) for them to end; then the sockets.
    const active = executor.active.map((r) => r.id);
    for (const id of active) executor.stop(id);
    const until = Date.now() + 5000;
    while (executor.active.length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    if (executor.active.length > 0) console.error(`labrig serve: actions still running after 5000 ms on close: ${executor.active.map((r) => r.id).join(', ')}`);
    if (engine.state !== 'idle') await engine.abort('server closing').catch(() => undefined);
    // Sets still moving when the server closes are stopped on the device (bounded), not left going.
    await Promise.all([...running].map(async ([status, node]) => {
      if (isStoppable(node)) {
        await Promise.race([
          Promise.resolve().then(() => node.stop({ success: false })).catch(() => undefined),
          new Promise((r) => setTimeout(r, 2000).unref()),
        ]);
      }
      status.cancel('server closing');
    }));
    for (const c of Object.values(channels)) c.closeAll();
    await zmq?.close().catch((e: unknown) => console.error(`labrig serve: closing the 0MQ publisher: ${String(e)}`));
    await app.close();
  })());

  return {
    url: `http://${urlHost}:${boundPort}`,
    port: boundPort,
    host,
    app,
    bus,
    executor,
    engine,
    procedures,
    zmq,
    get stats() {
      return { readRequests: reads.requests, deviceReads: reads.deviceReads };
    },
    close,
  };
}
