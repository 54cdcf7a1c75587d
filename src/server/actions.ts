/**
 * HELAO-style action routes on the executor: list the definitions, start one (the answer is the
 * action record, returned while the action runs), read a record, stop one, stop every action
 * matching a name and parameters. State changes go to `/ws/status`, data rows to `/ws/data`.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { isCheckable } from '../core/protocols.js';
import type { ActionRecord, Executor } from '../core/executor/index.js';
import type { Rig } from '../rig/index.js';
import { memberOf, nodeOf } from './device-ops.js';
import { ERROR_BODY_SCHEMA, NotFoundError } from './errors.js';
import { jsonSafe } from './hub.js';

/** What the action routes need. */
export interface ActionRoutesOptions {
  rig: Rig;
  executor: Executor;
}

const errors = { '4xx': ERROR_BODY_SCHEMA, '5xx': ERROR_BODY_SCHEMA } as const;

/** JSON schema of an action record as the routes answer it. */
export const ACTION_RECORD_SCHEMA = {
  type: 'object',
  required: ['id', 'name', 'params', 'group', 'concurrent', 'state', 'times', 'dataCount'],
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, params: { type: 'object', additionalProperties: true },
    group: { type: 'string' }, concurrent: { type: 'boolean' },
    state: { enum: ['queued', 'active', 'finished', 'errored', 'aborted', 'skipped', 'estopped'] },
    phase: { type: 'string' }, errorCode: { type: 'string' }, errorMessage: { type: 'string' }, errorPhase: { type: 'string' },
    times: { type: 'object', additionalProperties: { type: 'number' } }, result: {}, dataCount: { type: 'integer' }, runUid: { type: 'string' },
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 160 } } } as const;

/** A record as JSON (what exec returned reduced to JSON). */
export function recordJson(rec: Readonly<ActionRecord>): Record<string, unknown> {
  return jsonSafe<Record<string, unknown>>(rec);
}

/** Find a record among the executor's running and finished actions. */
export function findRecord(executor: Executor, id: string): Readonly<ActionRecord> | undefined {
  return executor.active.find((r) => r.id === id) ?? [...executor.history].reverse().find((r) => r.id === id);
}

/**
 * Check what can be checked before an action starts: a `device` parameter names a device of the
 * rig (404 otherwise); a target `position`/`setpoint` lies within the target's limits (422).
 */
async function precheck(rig: Rig, params: Record<string, unknown>): Promise<void> {
  const device = params['device'];
  if (typeof device !== 'string') return;
  const m = memberOf(rig, device);
  const target = params['position'] ?? params['setpoint'];
  if (typeof target !== 'number') return;
  const axis = params['axis'];
  const node = await nodeOf(m, typeof axis === 'string' && axis !== '' ? axis : undefined);
  if (isCheckable(node)) await node.checkValue(target);
}

/** Register the action routes on `app`. */
export function registerActionRoutes(app: FastifyInstance, options: ActionRoutesOptions): void {
  const { rig, executor } = options;

  app.get('/api/actions', {
    schema: {
      response: {
        200: {
          type: 'object', required: ['actions', 'active', 'estop'],
          properties: {
            actions: {
              type: 'array',
              items: {
                type: 'object', required: ['name', 'doc', 'params', 'concurrent', 'group'],
                properties: { name: { type: 'string' }, doc: { type: 'string' }, params: { type: 'object', additionalProperties: true }, concurrent: { type: 'boolean' }, group: { type: 'string' } },
              },
            },
            active: { type: 'array', items: ACTION_RECORD_SCHEMA },
            estop: { type: 'boolean' },
          },
        },
        ...errors,
      },
    },
  }, async () => ({
    actions: executor.actions.map((d) => ({ name: d.name, doc: d.doc ?? '', params: d.params, concurrent: d.concurrent !== false, group: d.group ?? d.name })),
    active: executor.active.map(recordJson),
    estop: executor.eStopped,
  }));

  app.post<{ Querystring: { match: string }; Body: { params?: Record<string, unknown> } | undefined }>('/api/actions/stop', {
    schema: {
      querystring: { type: 'object', required: ['match'], additionalProperties: false, properties: { match: { type: 'string', minLength: 1, maxLength: 128 } } },
      body: { type: ['object', 'null'], additionalProperties: false, properties: { params: { type: 'object' } } },
      response: { 200: { type: 'object', required: ['stopped'], properties: { stopped: { type: 'array', items: { type: 'string' } } } }, ...errors },
    },
  }, async (req) => {
    if (!executor.actions.some((d) => d.name === req.query.match)) throw new NotFoundError({ what: 'action', value: req.query.match, known: executor.actions.map((d) => d.name) });
    return { stopped: executor.stopMatching(req.query.match, req.body?.params ?? {}) };
  });

  app.post<{ Params: { name: string }; Body: { params?: Record<string, unknown>; asRun?: boolean; md?: Record<string, unknown> } | undefined }>('/api/actions/:name', {
    schema: {
      params: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 128 } } },
      body: {
        type: ['object', 'null'], additionalProperties: false,
        properties: { params: { type: 'object' }, asRun: { type: 'boolean' }, md: { type: 'object' } },
      },
      response: { 200: ACTION_RECORD_SCHEMA, ...errors },
    },
  }, async (req) => {
    const name = req.params.name;
    if (!executor.actions.some((d) => d.name === name)) throw new NotFoundError({ what: 'action', value: name, known: executor.actions.map((d) => d.name) });
    const params = req.body?.params ?? {};
    await precheck(rig, params);
    // Every action started over the network is recorded as a run unless asked otherwise.
    const h = executor.start(name, params, { asRun: req.body?.asRun ?? true, ...(req.body?.md ? { md: req.body.md } : {}) });
    return recordJson(h.record);
  });

  app.get<{ Params: { id: string } }>('/api/actions/:id', { schema: { params: idParams, response: { 200: ACTION_RECORD_SCHEMA, ...errors } } }, async (req) => {
    const rec = findRecord(executor, req.params.id);
    if (!rec) throw new NotFoundError({ what: 'action', value: req.params.id });
    return recordJson(rec);
  });

  app.post<{ Params: { id: string } }>('/api/actions/:id/stop', {
    schema: { params: idParams, response: { 200: { type: 'object', required: ['stopped', 'record'], properties: { stopped: { type: 'boolean' }, record: ACTION_RECORD_SCHEMA } }, ...errors } },
  }, async (req) => {
    const rec = findRecord(executor, req.params.id);
    if (!rec) throw new NotFoundError({ what: 'action', value: req.params.id });
    const stopped = executor.stop(rec.id);
    return { stopped, record: recordJson(rec) };
  });
}
