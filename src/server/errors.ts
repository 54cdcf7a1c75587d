/**
 * Error bodies of `labrig serve`: every failure is answered with `{ error: { type, message } }`
 * and a status code that says whose fault it was; never a 500 with a stack trace.
 *
 * | error                                   | status | type                  |
 * |-----------------------------------------|--------|-----------------------|
 * | {@link NotFoundError}                    | 404    | `NOT_FOUND`           |
 * | fastify schema validation               | 400    | `VALIDATION`          |
 * | malformed JSON / empty JSON body        | 400    | `MALFORMED_JSON`      |
 * | body over the limit                     | 413    | `BODY_TOO_LARGE`      |
 * | content type other than JSON            | 415    | `UNSUPPORTED_MEDIA_TYPE` |
 * | InvalidInputError                       | 400    | `INVALID_INPUT`       |
 * | LimitsError                             | 422    | `LIMITS`              |
 * | UnsupportedError                        | 400    | `UNSUPPORTED`         |
 * | InvalidStateError (e.g. e-stopped)      | 409    | `INVALID_STATE`       |
 * | {@link UnauthorizedError}                | 401    | `UNAUTHORIZED`        |
 * | {@link ForbiddenError}                   | 403    | `FORBIDDEN`           |
 * | TimeoutError                            | 504    | `TIMEOUT`, ...        |
 * | DeviceError, DisconnectedError, ...     | 502    | the error's code      |
 * | anything else                           | 500    | `INTERNAL` (message only) |
 * @module
 */
import { InvalidInputError, InvalidStateError, LabrigError, LimitsError, TimeoutError, UnsupportedError } from '../core/errors.js';

/** The body of every error answer. */
export interface ErrorBody {
  error: { type: string; message: string };
}

/** JSON schema of {@link ErrorBody}, for the routes' response schemas. */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'object', required: ['type', 'message'], properties: { type: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;

/** Raise when a request names a device, action or id the server does not have. */
export class NotFoundError extends LabrigError {
  /** What kind of thing was not found (`device`, `action`, ...). */
  readonly what: string;
  /** The name or id asked for. */
  readonly value: string;
  constructor(options: { what: string; value: string; known?: readonly string[] }) {
    const { what, value, known } = options;
    const list = known ? ` (have ${known.length > 0 ? known.slice(0, 20).join(', ') : 'none'}${known.length > 20 ? ', ...' : ''})` : '';
    super({ code: 'NOT_FOUND', message: `no ${what} ${JSON.stringify(value)}${list}` });
    this.what = what;
    this.value = value;
  }
}

/** Raise when a request lacks the server's token, or carries a wrong one. */
export class UnauthorizedError extends LabrigError {
  constructor(message = 'this server needs a token: send "Authorization: Bearer <token>"') {
    super({ code: 'UNAUTHORIZED', message });
  }
}

/** Raise when a request comes from another web origin or names a host the server does not serve. */
export class ForbiddenError extends LabrigError {
  constructor(message: string) {
    super({ code: 'FORBIDDEN', message });
  }
}

/** Fastify's own client-error codes, mapped to labrig's types. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; type: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, type: 'MALFORMED_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, type: 'MALFORMED_JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, type: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, type: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, type: 'INVALID_CONTENT_LENGTH' },
  FST_ERR_VALIDATION: { status: 400, type: 'VALIDATION' },
};

/** Map anything thrown while serving a request to a status code and an {@link ErrorBody}. */
export function errorReply(err: unknown): { status: number; body: ErrorBody } {
  const body = (type: string, message: string): ErrorBody => ({ error: { type, message } });
  if (err instanceof NotFoundError) return { status: 404, body: body(err.code, err.message) };
  if (err instanceof UnauthorizedError) return { status: 401, body: body(err.code, err.message) };
  if (err instanceof ForbiddenError) return { status: 403, body: body(err.code, err.message) };
  if (err instanceof LimitsError) return { status: 422, body: body(err.code, err.message) };
  if (err instanceof InvalidInputError || err instanceof UnsupportedError) return { status: 400, body: body(err.code, err.message) };
  if (err instanceof InvalidStateError) return { status: 409, body: body(err.code, err.message) };
  if (err instanceof TimeoutError) return { status: 504, body: body(err.code, err.message) };
  if (err instanceof LabrigError) return { status: 502, body: body(err.code, err.message) };
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.validation !== undefined) return { status: 400, body: body('VALIDATION', message) };
  const known = code ? FASTIFY_CODES[code] : undefined;
  if (known) return { status: known.status, body: body(known.type, message) };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) return { status, body: body(code?.replace(/^FST_ERR_/, '') ?? 'BAD_REQUEST', message) };
  return { status: 500, body: body('INTERNAL', message) };
}
