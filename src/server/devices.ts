/**
 * Device routes of `labrig serve`: list, describe, read, set (202 with an id; progress and the
 * outcome on `/ws/status` and at `GET /api/sets/:id`), stop one device (with its confirmation),
 * and the rig-wide e-stop (`POST /api/estop?switch=true|false`), which also e-stops the executor.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { InvalidStateError, toError } from '../core/errors.js';
import type { Executor } from '../core/executor/index.js';
import { composeRun } from '../core/documents/index.js';
import type { AnyDocument } from '../core/documents/types.js';
import type { Device } from '../core/device/device.js';
import type { DataKeys, Readings } from '../core/protocols.js';
import type { Status } from '../core/status.js';
import type { DocumentBus } from './bus.js';
import { eStopMembers, type EStopReport, type EStopResult, type Rig } from '../rig/index.js';
import { describeMember, memberOf, NodeCache, readNode, ReadCoalescer, startSet } from './device-ops.js';
import { ERROR_BODY_SCHEMA, NotFoundError } from './errors.js';
import type { Channel } from './hub.js';

/** State of a set started over HTTP. */
export interface SetRecord {
  id: string;
  device: string;
  path: string;
  value: unknown;
  state: 'running' | 'finished' | 'failed';
  /** uid of the run that records the set (start, the readback as one event, stop). */
  runUid?: string;
  /** ms since the epoch. */
  startedAt: number;
  endedAt?: number;
  /** Last progress of a move: position, target, fraction 0..1. */
  progress?: { current: number; initial: number; target: number; fraction: number; units?: string };
  error?: { type: string; message: string };
}

/** An e-stop result as JSON (the error reduced to its text). */
export interface EStopResultJson {
  device: string;
  family: string;
  ok: boolean;
  elapsedMs: number;
  detail: string;
}

/** Reduce an e-stop report to JSON. */
export function eStopJson(report: EStopReport): { elapsedMs: number; ok: boolean; results: Record<string, EStopResultJson> } {
  const one = (r: EStopResult): EStopResultJson => ({ device: r.device, family: r.family, ok: r.ok, elapsedMs: r.elapsedMs, detail: r.detail });
  return { elapsedMs: report.elapsedMs, ok: report.ok, results: Object.fromEntries(Object.entries(report.results).map(([k, r]) => [k, one(r)])) };
}

/** What the device routes need. */
export interface DeviceRoutesOptions {
  rig: Rig;
  executor: Executor;
  status: Channel;
  reads: ReadCoalescer;
  /** Where the documents of each set's run go. */
  bus: DocumentBus;
  /** Finished set records kept for `GET /api/sets/:id`. Default 200. */
  setHistory?: number;
}

const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
const errors = { '4xx': ERROR_BODY_SCHEMA, '5xx': ERROR_BODY_SCHEMA } as const;
const eStopResultSchema = {
  type: 'object', required: ['device', 'family', 'ok', 'elapsedMs', 'detail'],
  properties: { device: { type: 'string' }, family: { type: 'string' }, ok: { type: 'boolean' }, elapsedMs: { type: 'number' }, detail: { type: 'string' } },
} as const;

/** Register the device and e-stop routes on `app`. */
export function registerDeviceRoutes(app: FastifyInstance, options: DeviceRoutesOptions): { sets: Map<string, SetRecord>; running: Map<Status<unknown>, Device> } {
  const { rig, executor, status, reads, bus } = options;
  const keep = options.setHistory ?? 200;
  const sets = new Map<string, SetRecord>();
  const running = new Map<Status<unknown>, Device>();
  let counter = 0;
  const nodes = new NodeCache();

  app.get('/api/devices', {
    schema: {
      response: {
        200: { type: 'object', required: ['devices'], properties: { name: { type: 'string' }, devices: { type: 'array', items: { type: 'object', required: ['name', 'family', 'uri'], properties: { name: { type: 'string' }, family: { type: 'string' }, uri: { type: 'string' }, simulated: { type: 'boolean' } } } } } },
        ...errors,
      },
    },
  }, async () => ({
    ...(rig.name ? { name: rig.name } : {}),
    devices: rig.names.map((n) => {
      const m = rig.member(n);
      return { name: n, family: m.family, uri: m.uri, simulated: m.sim !== undefined };
    }),
  }));

  app.get<{ Params: { name: string } }>('/api/devices/:name', {
    schema: {
      params: nameParams,
      response: {
        200: {
          type: 'object', required: ['name', 'family', 'uri', 'simulated', 'movable', 'moveAliases', 'dataKeys', 'parts'],
          properties: {
            name: { type: 'string' }, family: { type: 'string' }, uri: { type: 'string' }, simulated: { type: 'boolean' }, movable: { type: 'boolean' },
            moveAliases: { type: 'array', items: { type: 'string' } },
            dataKeys: { type: 'object', additionalProperties: { type: 'object', required: ['source', 'dtype', 'shape'], additionalProperties: true } },
            parts: {
              type: 'array',
              items: { type: 'object', required: ['path', 'key', 'kind', 'movable'], properties: { path: { type: 'string' }, key: { type: 'string' }, kind: { enum: ['r', 'rw', 'w', 'x', 'device'] }, movable: { type: 'boolean' } } },
            },
          },
        },
        ...errors,
      },
    },
  }, async (req) => describeMember(memberOf(rig, req.params.name)));

  app.get<{ Params: { name: string }; Querystring: { path?: string } }>('/api/devices/:name/read', {
    schema: {
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { path: { type: 'string', maxLength: 256 } } },
      response: {
        200: {
          type: 'object', required: ['device', 'readings'],
          properties: {
            device: { type: 'string' }, path: { type: 'string' },
            readings: { type: 'object', additionalProperties: { type: 'object', required: ['value', 'timestamp'], properties: { value: {}, timestamp: { type: 'number' }, alarm_severity: { type: 'number' }, message: { type: 'string' } } } },
          },
        },
        ...errors,
      },
    },
  }, async (req) => {
    const m = memberOf(rig, req.params.name);
    const path = req.query.path ?? '';
    const node = await nodes.get(m, path);
    const readings = await reads.read(`${m.name}\0${path}`, () => readNode(node));
    return { device: m.name, ...(path ? { path } : {}), readings };
  });

  const publish = (rec: SetRecord): void => status.broadcast({ type: 'set', ...rec });
  const remember = (rec: SetRecord): void => {
    sets.set(rec.id, rec);
    if (sets.size > keep) {
      for (const [id, r] of sets) {
        if (sets.size <= keep) break;
        if (r.state !== 'running') sets.delete(id);
      }
    }
  };

  app.post<{ Params: { name: string }; Body: { path?: string; value?: unknown; timeoutMs?: number } }>('/api/devices/:name/set', {
    schema: {
      params: nameParams,
      body: {
        type: 'object', additionalProperties: false,
        properties: { path: { type: 'string', maxLength: 256 }, value: { type: ['number', 'string', 'boolean', 'null'] }, timeoutMs: { type: 'integer', minimum: 1, maximum: 86_400_000 } },
      },
      response: { 202: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, device: { type: 'string' }, path: { type: 'string' } } }, ...errors },
    },
  }, async (req, reply) => {
    const m = memberOf(rig, req.params.name);
    if (executor.eStopped) throw new InvalidStateError('the rig is e-stopped: clear it with POST /api/estop?switch=false first');
    const body = req.body ?? {};
    const path = body.path ?? '';
    const started = await startSet(m, path, body.value ?? undefined, body.timeoutMs);
    const rec: SetRecord = { id: `set-${++counter}`, device: m.name, path, value: body.value ?? null, state: 'running', startedAt: Date.now() };
    const run = composeRun({ plan_name: 'set', device: m.name, path, value: rec.value, set_id: rec.id });
    rec.runUid = run.start.uid;
    bus.publish('start', run.start as AnyDocument);
    remember(rec);
    running.set(started.status, started.node);
    const unwatch = started.status.watch((p) => {
      rec.progress = { current: p.current, initial: p.initial, target: p.target, fraction: p.fraction, ...(p.units ? { units: p.units } : {}) };
      publish(rec);
    });
    started.status.then(
      () => {
        rec.state = 'finished';
      },
      (e: unknown) => {
        const err = toError(e);
        rec.state = 'failed';
        rec.error = { type: (err as { code?: string }).code ?? err.name, message: err.message };
      },
    ).then(() => recordReadback(run, started.node, rec.state === 'finished')).finally(() => {
      unwatch();
      running.delete(started.status);
      rec.endedAt = Date.now();
      try {
        bus.publish('stop', run.composeStop(rec.state === 'finished' ? { exitStatus: 'success' } : { exitStatus: 'fail', reason: rec.error?.message ?? 'failed' }) as AnyDocument);
      } finally {
        publish(rec);
      }
    });
    publish(rec);
    return reply.code(202).send({ id: rec.id, device: m.name, path });
  });

  app.get<{ Params: { id: string } }>('/api/sets/:id', {
    schema: {
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      response: {
        200: {
          type: 'object', required: ['id', 'device', 'path', 'state', 'startedAt'],
          properties: {
            id: { type: 'string' }, device: { type: 'string' }, path: { type: 'string' }, value: {}, state: { enum: ['running', 'finished', 'failed'] },
            runUid: { type: 'string' }, startedAt: { type: 'number' }, endedAt: { type: 'number' },
            progress: { type: 'object', additionalProperties: true },
            error: { type: 'object', properties: { type: { type: 'string' }, message: { type: 'string' } } },
          },
        },
        ...errors,
      },
    },
  }, async (req) => {
    const rec = sets.get(req.params.id);
    if (!rec) throw new NotFoundError({ what: 'set', value: req.params.id });
    return rec;
  });

  app.post<{ Params: { name: string } }>('/api/devices/:name/stop', { schema: { params: nameParams, response: { 200: eStopResultSchema, ...errors } } }, async (req) => {
    const m = memberOf(rig, req.params.name);
    const report = await eStopMembers([m]);
    return eStopJson(report).results[m.name]!;
  });

  app.post<{ Querystring: { switch?: boolean } }>('/api/estop', {
    schema: {
      querystring: { type: 'object', additionalProperties: false, properties: { switch: { type: 'boolean', default: true } } },
      response: {
        200: {
          type: 'object', required: ['estop'],
          properties: {
            estop: { type: 'boolean' }, elapsedMs: { type: 'number' }, ok: { type: 'boolean' },
            results: { type: 'object', additionalProperties: eStopResultSchema }, actions: { type: 'array', items: { type: 'string' } }, error: { type: 'string' },
          },
        },
        ...errors,
      },
    },
  }, async (req) => {
    if (req.query.switch === false) {
      executor.clearEStop();
      status.broadcast({ type: 'estop', estop: false });
      return { estop: false };
    }
    const t0 = performance.now();
    // The executor's e-stop tells running actions to stop and calls the rig's e-stop (see createServer).
    const r = await executor.eStop();
    const report = r.result as EStopReport | undefined;
    const out = {
      estop: true,
      elapsedMs: report?.elapsedMs ?? performance.now() - t0,
      ok: report?.ok ?? false,
      results: report ? eStopJson(report).results : {},
      actions: r.actions,
      ...(r.error ? { error: r.error.message } : {}),
    };
    status.broadcast({ type: 'estop', ...out });
    return out;
  });

  /** After a set, read the node back into the run as one `primary` event (when it is readable). */
  async function recordReadback(run: ReturnType<typeof composeRun>, node: Device, ok: boolean): Promise<void> {
    const r = node as unknown as { read?: () => Promise<Readings>; describe?: () => Promise<DataKeys> };
    if (!ok || typeof r.read !== 'function' || typeof r.describe !== 'function') return;
    try {
      const [keys, readings] = await Promise.all([r.describe(), readNode(node)]);
      const desc = run.composeDescriptor({ name: 'primary', dataKeys: keys });
      bus.publish('descriptor', desc.descriptor as AnyDocument);
      bus.publish('event', desc.composeEvent({
        data: Object.fromEntries(Object.entries(readings).map(([k, v]) => [k, v.value])),
        timestamps: Object.fromEntries(Object.entries(readings).map(([k, v]) => [k, v.timestamp])),
      }) as AnyDocument);
    } catch (e) {
      console.error(`labrig serve: reading back after ${run.start['set_id'] as string}: ${toError(e).message}`);
    }
  }

  return { sets, running };
}
