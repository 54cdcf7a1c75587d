/**
 * OET-style procedures over HTTP (`registerProcedures`): the REST resources of SKA's Observation
 * Execution Tool under `/api/v1.0/procedures` and its server-sent-events stream
 * `/api/v1.0/stream`, running labrig scripts, built-in plans and Observation Blocks from an
 * allow-listed folder, each in its own child process.
 *
 * | method | path | what |
 * |---|---|---|
 * | GET  | /api/v1.0/procedures      | list the kept procedures (newest ten) |
 * | GET  | /api/v1.0/procedures/:id  | describe one: arguments, state history, stack trace if FAILED |
 * | POST | /api/v1.0/procedures      | create: `{ script_uri: 'file://x.ts' \| 'plan://count', script_args: { init: { args, kwargs } } }` → 201 |
 * | PUT  | /api/v1.0/procedures/:id  | start: `{ state: 'RUNNING', script_args: { run: {...} } }`; stop: `{ state: 'STOPPED', abort? }` |
 * | GET  | /api/v1.0/stream          | SSE: `data:{"topic": ..., ...}` / `id:N` per event; `Last-Event-ID` replays kept events |
 *
 * Errors are JSON `{ error: { type, message } }` as everywhere in `labrig serve`: 400 bad input
 * (`INVALID_INPUT`, `VALIDATION`, `MALFORMED_JSON`), 403 a path out of the folder (`FORBIDDEN`),
 * 404 unknown procedure (`NOT_FOUND`), 409 wrong state (`INVALID_STATE`: not READY, or another
 * procedure executing), 413 too large (`BODY_TOO_LARGE`).
 * @module
 */
import { Ajv } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError, InvalidStateError, LabrigError } from '../../core/errors.js';
import { EventStream, sseMessage } from './events.js';
import { ProcedureManager, ProcedureNotFoundError, functionArgs, type DocumentSink } from './manager.js';
import { PathEscapeError } from './paths.js';

export { EventStream, sseMessage, type StreamEvent } from './events.js';
export { ProcedureManager, ProcedureNotFoundError, functionArgs, type DocumentSink, type ProcedureManagerOptions } from './manager.js';
export { PathEscapeError, resolveScript, SCRIPT_EXTENSIONS, OB_EXTENSIONS } from './paths.js';
export type { ScriptContext, ScriptModule } from './script-api.js';
export type { ProcedureState, ProcedureSummary, FunctionArgs, ScriptKind } from './types.js';

/** Options of {@link registerProcedures}. */
export interface ProceduresOptions {
  /** The allow-listed folder procedures load from. */
  scriptsDir: string;
  /** The server's document bus: documents of procedures' runs are published on it. */
  bus?: DocumentSink;
  /** The server's open rig: e-stopped when a stop request asks for `abort`. */
  rig?: { eStop(): Promise<unknown> };
  /** Rig file each procedure's process opens for its script. */
  rigFile?: string;
  /** The event stream to publish on (default: a new one, returned). */
  events?: EventStream;
  /** Procedures kept; default 10. */
  keep?: number;
  /** Limit from create to READY, ms; default 60 000. */
  loadTimeoutMs?: number;
  /** Time a stopped procedure gets before its process is killed, ms; default 5000. */
  stopTimeoutMs?: number;
  /** Largest request body, bytes; default 64 KiB. */
  bodyLimit?: number;
  /** SSE keep-alive comment interval, ms; default 15 000. */
  heartbeatMs?: number;
}

/** What {@link registerProcedures} returns: the service and its event stream (for other routes to publish on). */
export interface ProceduresService {
  readonly manager: ProcedureManager;
  readonly events: EventStream;
}

const ARGS_SCHEMA = {
  type: 'object',
  properties: { args: { type: 'array' }, kwargs: { type: 'object' } },
  additionalProperties: false,
} as const;
const ID_PARAMS = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const PROC = { type: 'object', additionalProperties: true } as const;

/** Fastify's own client errors, with the types `labrig serve` uses for them. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; type: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, type: 'MALFORMED_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, type: 'MALFORMED_JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, type: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, type: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_VALIDATION: { status: 400, type: 'VALIDATION' },
};

/** Status and `{ error: { type, message } }` body of an error thrown in a procedure route. */
export function procedureErrorReply(err: unknown): { status: number; body: { error: { type: string; message: string } } } {
  const body = (type: string, message: string) => ({ error: { type, message } });
  if (err instanceof ProcedureNotFoundError) return { status: 404, body: body('NOT_FOUND', err.message) };
  if (err instanceof PathEscapeError) return { status: 403, body: body('FORBIDDEN', err.message) };
  if (err instanceof InvalidInputError) return { status: 400, body: body(err.code, err.message) };
  if (err instanceof InvalidStateError) return { status: 409, body: body(err.code, err.message) };
  const f = err as Partial<FastifyError>;
  if (f.validation) return { status: 400, body: body('VALIDATION', String(f.message)) };
  const known = f.code ? FASTIFY_CODES[f.code] : undefined;
  if (known) return { status: known.status, body: body(known.type, String(f.message)) };
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) return { status: f.statusCode, body: body(f.code ?? 'BAD_REQUEST', String(f.message)) };
  if (err instanceof LabrigError) return { status: 500, body: body(err.code, err.message) };
  return { status: 500, body: body('INTERNAL', err instanceof Error ? err.message : String(err)) };
}

/**
 * Register the procedure routes and the event stream on `app` (in their own encapsulated
 * context, with their own error handler). Closing `app` ends open streams and stops every
 * procedure process.
 */
export function registerProcedures(app: FastifyInstance, options: ProceduresOptions): ProceduresService {
  const events = options.events ?? new EventStream();
  const manager = new ProcedureManager({
    scriptsDir: options.scriptsDir, events,
    ...(options.bus ? { bus: options.bus } : {}), ...(options.rig ? { rig: options.rig } : {}), ...(options.rigFile ? { rigFile: options.rigFile } : {}),
    ...(options.keep ? { keep: options.keep } : {}), ...(options.loadTimeoutMs ? { loadTimeoutMs: options.loadTimeoutMs } : {}),
    ...(options.stopTimeoutMs ? { stopTimeoutMs: options.stopTimeoutMs } : {}),
  });
  const streams = new Set<FastifyReply>();
  let nextRequest = 1;
  const request = (topic: string, fields: Record<string, unknown>): number => {
    const request_id = nextRequest++;
    events.publish(topic, { msg_src: 'api', request_id, ...fields });
    return request_id;
  };
  const bodyLimit = options.bodyLimit ?? 64 * 1024;

  // Bodies are validated strictly (no coercion, no silent removal of unknown keys: fastify's
  // defaults would turn `"args": "x"` into `["x"]`); URL parts are coerced (`/procedures/3`).
  const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  const coercing = new Ajv({ coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });

  void app.register(async (api) => {
    api.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
    api.setErrorHandler((err: FastifyError, _req, reply) => {
      const { status, body } = procedureErrorReply(err);
      if (status === 500) console.error('labrig serve: procedure route failed:', err);
      void reply.code(status).send(body);
    });

    api.get('/api/v1.0/procedures', async () => {
      const request_id = request('request.procedure.list', { pids: null });
      const procedures = manager.list();
      events.publish('procedure.pool.list', { msg_src: 'ProcedureManager', request_id, result: procedures });
      return { procedures };
    });

    api.get<{ Params: { id: number } }>('/api/v1.0/procedures/:id', { schema: { params: ID_PARAMS } }, async (req) => ({ procedure: manager.get(req.params.id) }));

    api.post<{ Body: { script_uri?: string; script?: { script_uri?: string }; script_args?: { init?: unknown } } }>('/api/v1.0/procedures', {
      bodyLimit,
      schema: {
        body: {
          type: 'object',
          properties: {
            script_uri: { type: 'string', maxLength: 1024 },
            script: { type: 'object', properties: { script_type: { type: 'string' }, script_uri: { type: 'string', maxLength: 1024 } }, required: ['script_uri'] },
            script_args: { type: 'object', properties: { init: ARGS_SCHEMA, run: ARGS_SCHEMA }, additionalProperties: false },
          },
          additionalProperties: false,
        },
        response: { 201: { type: 'object', properties: { procedure: PROC } } },
      },
    }, async (req, reply) => {
      const uri = req.body.script_uri ?? req.body.script?.script_uri;
      if (uri === undefined) throw new InvalidInputError({ what: 'request body', value: req.body, reason: 'needs script_uri (file://NAME or plan://NAME)' });
      const init = functionArgs(req.body.script_args?.init, 'script_args.init');
      const request_id = request('request.procedure.create', { cmd: { script_uri: uri, init_args: init } });
      const procedure = manager.create(uri, init, request_id);
      return reply.code(201).send({ procedure });
    });

    api.put<{ Params: { id: number }; Body: { state: 'RUNNING' | 'STOPPED'; abort?: boolean; script_args?: { run?: unknown } } }>('/api/v1.0/procedures/:id', {
      bodyLimit,
      schema: {
        params: ID_PARAMS,
        body: {
          type: 'object',
          properties: {
            state: { enum: ['RUNNING', 'STOPPED'] },
            abort: { type: 'boolean' },
            script_args: { type: 'object', properties: { init: ARGS_SCHEMA, run: ARGS_SCHEMA }, additionalProperties: false },
          },
          required: ['state'],
          additionalProperties: false,
        },
      },
    }, async (req) => {
      const id = req.params.id;
      if (req.body.state === 'RUNNING') {
        const run = functionArgs(req.body.script_args?.run, 'script_args.run');
        manager.get(id);
        const request_id = request('request.procedure.start', { cmd: { process_uid: id, fn_name: 'main', run_args: run } });
        return { procedure: manager.start(id, run, request_id) };
      }
      manager.get(id);
      const request_id = request('request.procedure.stop', { cmd: { process_uid: id, run_abort: Boolean(req.body.abort) } });
      return manager.stop(id, Boolean(req.body.abort), request_id);
    });

    api.get('/api/v1.0/stream', (req: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      raw.write(':labrig event stream\n\n');
      const last = Number(req.headers['last-event-id']);
      if (Number.isInteger(last) && last >= 0) for (const e of events.since(last)) raw.write(sseMessage(e));
      const unsub = events.subscribe((e) => void raw.write(sseMessage(e)));
      const beat = setInterval(() => raw.write(':\n\n'), options.heartbeatMs ?? 15_000);
      streams.add(reply);
      const end = (): void => {
        clearInterval(beat);
        unsub();
        streams.delete(reply);
      };
      req.raw.on('close', end);
      raw.on('close', end);
    });
  });

  app.addHook('preClose', async () => {
    for (const r of streams) r.raw.end();
    streams.clear();
  });
  app.addHook('onClose', async () => {
    await manager.close();
  });
  return { manager, events };
}
