/**
 * Who may talk to `labrig serve`. The server binds to 127.0.0.1 unless told otherwise; any other
 * address needs a token, which every request then carries (`Authorization: Bearer <token>`, or
 * `?token=` on a GET such as a websocket upgrade, which browsers cannot give headers). Requests
 * from a web page of another origin are refused (403) whether or not there is a token: with no
 * CORS headers a browser could still *send* a simple cross-site POST (an e-stop, an action), so
 * the `Origin` header is checked. On loopback without a token, the `Host` header must name a
 * loopback host, which defeats DNS rebinding (a foreign site's name resolving to 127.0.0.1).
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../core/errors.js';
import { ForbiddenError, UnauthorizedError } from './errors.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True when `host` is a loopback address or name (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Check the bind address against the token before anything listens: a non-loopback address
 * without a token is an InvalidInputError; with a token, return the warning to print.
 */
export function checkBind(host: string, token: string | undefined): string | undefined {
  if (token !== undefined && (token.length < 8 || /\s/.test(token))) {
    throw new InvalidInputError({ what: 'token', value: `${token.length} characters`, reason: 'must be at least 8 characters without spaces' });
  }
  if (isLoopback(host)) return undefined;
  if (token === undefined) {
    throw new InvalidInputError({ what: 'host', value: host, reason: 'is not a loopback address: serving the rig to the network needs a token (--token or LABRIG_TOKEN)' });
  }
  return `labrig serve: WARNING: listening on ${host}, reachable from other machines; every request must carry the token`;
}

/** The parts of a request the checks need. */
export interface RequestFacts {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed query (`?token=`). */
  query: unknown;
}

function header(req: RequestFacts, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Host name of a `Host` header value (`[::1]:8080` → `[::1]`, `localhost:80` → `localhost`). */
function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const i = h.lastIndexOf(':');
  return i >= 0 && h.indexOf(':') === i ? h.slice(0, i) : h;
}

/**
 * Throw UnauthorizedError or ForbiddenError when `req` may not be served (see the module notes);
 * `loopbackOnly` is true when the server is bound to loopback.
 */
export function checkRequest(req: RequestFacts, options: { token: string | undefined; loopbackOnly: boolean }): void {
  const host = header(req, 'host');
  const origin = header(req, 'origin');
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || host === undefined || originHost !== host.trim().toLowerCase()) {
      throw new ForbiddenError(`requests from web origin ${JSON.stringify(origin)} are not allowed (no CORS)`);
    }
  }
  if (options.token !== undefined) {
    const auth = header(req, 'authorization');
    const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
    const q = req.method === 'GET' ? (req.query as Record<string, unknown> | undefined)?.['token'] : undefined;
    const given = m?.[1] ?? (typeof q === 'string' ? q : undefined);
    if (given === undefined) throw new UnauthorizedError();
    if (!sameToken(given, options.token)) throw new UnauthorizedError('wrong token');
  } else if (options.loopbackOnly && host !== undefined && !isLoopback(hostName(host))) {
    throw new ForbiddenError(`host ${JSON.stringify(host)} is not served: this server answers only to loopback names`);
  }
}
