/**
 * `labrig serve`: a rig's devices, HELAO-style actions and live documents over HTTP and
 * websockets (fastify), for orchestrators on other machines.
 *
 * Routes (JSON; errors are `{ error: { type, message } }` with a 4xx, see `./errors.ts`):
 * - `GET /api/devices`, `GET /api/devices/:name` (describe), `GET /api/devices/:name/read?path=`,
 *   `POST /api/devices/:name/set` `{ path?, value, timeoutMs? }` → 202 `{ id }`,
 *   `GET /api/sets/:id`, `POST /api/devices/:name/stop`, `POST /api/estop?switch=true|false`;
 * - `GET /api/actions`, `POST /api/actions/:name` `{ params, asRun?, md? }` → the record,
 *   `GET /api/actions/:id`, `POST /api/actions/:id/stop`, `POST /api/actions/stop?match=NAME`;
 * - websockets `/ws/status`, `/ws/data`, `/ws/live?signals=dev:path,...`, `/ws/documents`;
 * - with `scriptsDir`: OET-style procedures under `/api/v1.0/procedures` and the SSE stream
 *   `/api/v1.0/stream`; with `zmq`: documents on 0MQ; `GET /` the operator page.
 *
 * ```ts
 * const rig = await loadRig('rig.yaml');
 * const server = await createServer({ rig });   // 127.0.0.1, a free port
 * console.log(server.url);
 * await server.close(); await rig.close();
 * ```
 * @module
 */
export { createServer, DEFAULT_BODY_LIMIT, type ServerOptions, type LabrigServer } from './app.js';
export { DocumentBus, type BusSubscriber, type DocumentBusOptions } from './bus.js';
export { NotFoundError, UnauthorizedError, ForbiddenError, errorReply, ERROR_BODY_SCHEMA, type ErrorBody } from './errors.js';
export { checkBind, checkRequest, isLoopback, type RequestFacts } from './security.js';
export type { SetRecord, EStopResultJson } from './devices.js';
export type { DeviceInfo, PartInfo, NodeKind } from './device-ops.js';
export { registerProcedures, procedureErrorReply, PathEscapeError, type ProceduresOptions, type ProceduresService } from './procedures/index.js';
export { startZmqPublisher, encodeZmqDocument, type ZmqPublisher, type ZmqPublisherOptions } from './zmq.js';
export { operatorPageHtml, type OperatorPageOptions } from './page.js';
