/**
 * `labrig remote <url> <command>`: a client of `labrig serve`, as OET's `oet procedure ...` and
 * `oet listen` are of the OET server.
 *
 * ```
 * labrig remote URL devices | describe DEV | read DEV [PATH] [--json] | stop DEV
 * labrig remote URL set DEV [PATH] VALUE [--no-wait] [--timeout-ms N]
 * labrig remote URL estop [--clear]
 * labrig remote URL action NAME [key=value...] [--no-wait] | action --list
 * labrig remote URL proc create SCRIPT_URI [ARG...] [key=value...] | proc start ID [ARG...] [key=value...]
 * labrig remote URL proc stop ID [--abort] | proc list | proc describe ID
 * labrig remote URL listen [--ws status|data|documents] [--live SIG,...] [--count N]
 * ```
 * `--token T` (or `LABRIG_TOKEN`) is sent as `Authorization: Bearer`. Values are JSON when they
 * parse as JSON (`5`, `true`, `"text"`, `[1,2]`), text otherwise; a procedure's `key=value` items are
 * keyword arguments and its other items positional ones, in order. `listen` prints the server's
 * SSE stream (`/api/v1.0/stream`, OET's topics) one `topic json` line per event, or with `--ws`
 * / `--live` one JSON line per websocket message. Exit codes: 0 done, 1 refused or failed,
 * 2 bad command line.
 * @module
 */
import { toError } from '../core/errors.js';
import { connectWs, type WsClient } from '../server/ws.js';
import { oneLine, UsageError, wantsHelp, wholeNumber } from './usage.js';

/** The usage text of `labrig remote`. */
export const REMOTE_USAGE = `usage: labrig remote <url> [--token T] <command>
  devices | describe DEV | read DEV [PATH] [--json] | stop DEV
  set DEV [PATH] VALUE [--no-wait] [--timeout-ms N]
  estop [--clear]
  action NAME [key=value...] [--no-wait] | action --list
  proc create SCRIPT_URI [ARG...] [key=value...] | proc start ID [ARG...] [key=value...]
  proc stop ID [--abort]
  proc list | proc describe ID
  listen [--ws status|data|documents] [--live SIG,...] [--count N]`;

/** Where `labrig remote` writes (tests pass their own). */
export interface RemoteIO {
  out(line: string): void;
  err(line: string): void;
  env?: Record<string, string | undefined>;
  /** Stop `listen` (and waits) on this signal; returns the unsubscribe. Default SIGINT. */
  onInterrupt?: (handler: () => void) => () => void;
}

const STD_IO: RemoteIO = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  onInterrupt(h) {
    process.on('SIGINT', h);
    return () => void process.off('SIGINT', h);
  },
};

/** A refusal or failure answered by the server. */
class RemoteError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(`${status} ${type}: ${message}`);
  }
}

/** Parse a command-line value: JSON when it parses, else the text. */
export function parseRemoteValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A procedure's function arguments, as `oet procedure create SCRIPT 'hello' --verbose=true`
 * takes them: `name=value` items are keyword arguments, any other item a positional one.
 */
function functionArgs(items: readonly string[]): { args: unknown[]; kwargs: Record<string, unknown> } {
  const args: unknown[] = [];
  const named: string[] = [];
  for (const item of items) {
    if (/^[A-Za-z_][\w-]*=/.test(item)) named.push(item);
    else args.push(parseRemoteValue(item));
  }
  return { args, kwargs: keyValues(named) };
}

function keyValues(items: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of items) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`expected key=value, got '${kv}'`);
    out[kv.slice(0, i)] = parseRemoteValue(kv.slice(i + 1));
  }
  return out;
}

/** `fetch`, with a refused connection or a timeout named by its URL and cause instead of "fetch failed". */
async function reach(url: string, init: RequestInit, timeoutMs?: number): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const err = toError(e);
    if (err.name === 'AbortError') throw err;
    if (err.name === 'TimeoutError') throw new Error(`${url}: no answer within ${timeoutMs ?? '?'} ms`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? err.message} (is labrig serve running there?)`);
  }
}

class Client {
  constructor(readonly base: string, readonly token: string | undefined, readonly timeoutMs = 30_000) {}

  get headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  async call(method: string, path: string, body?: unknown): Promise<any> {
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await reach(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(this.timeoutMs) }, this.timeoutMs);
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw new RemoteError(res.status, parsed?.error?.type ?? 'HTTP', parsed?.error?.message ?? text.slice(0, 200));
    return parsed;
  }

  ws(path: string, onMessage?: (data: unknown) => void): Promise<WsClient> {
    return connectWs(`${this.base.replace(/^http/, 'ws')}${path}`, this.headers, 10_000, onMessage);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const enc = encodeURIComponent;

/** Poll `fn` every 100 ms until it returns a value, at most `timeoutMs`. */
async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not done after ${timeoutMs} ms`);
    await sleep(100);
  }
}

interface Flags {
  positionals: string[];
  json: boolean;
  wait: boolean;
  clear: boolean;
  abort: boolean;
  list: boolean;
  timeoutMs: number;
  ws: string | undefined;
  live: string | undefined;
  count: number | undefined;
  token: string | undefined;
}

function flags(args: string[]): Flags {
  const f: Flags = { positionals: [], json: false, wait: true, clear: false, abort: false, list: false, timeoutMs: 600_000, ws: undefined, live: undefined, count: undefined, token: undefined };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--json') f.json = true;
    else if (a === '--no-wait') f.wait = false;
    else if (a === '--clear') f.clear = true;
    else if (a === '--abort') f.abort = true;
    else if (a === '--list') f.list = true;
    else if (a === '--timeout-ms') f.timeoutMs = wholeNumber(a, value());
    else if (a === '--count') f.count = wholeNumber(a, value());
    else if (a === '--token') f.token = value();
    else if (a === '--ws') {
      f.ws = value();
      if (!['status', 'data', 'documents'].includes(f.ws)) throw new UsageError(`--ws must be status, data or documents (got '${f.ws}')`);
    } else if (a === '--live') f.live = value();
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else f.positionals.push(a);
  }
  return f;
}

/** `labrig remote` (see the module notes); resolves with the exit code. */
export async function remoteCli(args: string[], io: RemoteIO = STD_IO): Promise<number> {
  if (args.length === 0 || (wantsHelp(args) && args.length <= 2)) {
    io.out(REMOTE_USAGE);
    return args.length === 0 ? 2 : 0;
  }
  let f: Flags;
  let url: URL;
  try {
    f = flags(args);
    const [u] = f.positionals;
    if (!u) throw new UsageError('missing the server URL');
    try {
      url = new URL(u);
    } catch {
      throw new UsageError(`'${u}' is not a URL (e.g. http://127.0.0.1:8080)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the URL must be http:// or https:// (got ${url.protocol})`);
    if (!f.positionals[1]) throw new UsageError('missing the command');
  } catch (e) {
    io.err(`labrig remote: ${e instanceof UsageError ? e.message : oneLine(e)} (see labrig remote --help)`);
    return 2;
  }
  const client = new Client(url.origin, f.token ?? ((io.env ?? process.env)['LABRIG_TOKEN'] || undefined));
  const [, cmd, ...rest] = f.positionals as [string, string, ...string[]];
  const print = (v: unknown): void => io.out(JSON.stringify(v));
  try {
    switch (cmd) {
      case 'devices': {
        const r = await client.call('GET', '/api/devices');
        if (f.json) print(r);
        else for (const d of r.devices) io.out(`${d.name} ${d.family} ${d.uri}`);
        return 0;
      }
      case 'describe': {
        const [dev] = need(rest, 1, 'describe DEV');
        print(await client.call('GET', `/api/devices/${enc(dev)}`));
        return 0;
      }
      case 'read': {
        const [dev, path] = need(rest, 1, 'read DEV [PATH]');
        const r = await client.call('GET', `/api/devices/${enc(dev)}/read${path ? `?path=${enc(path)}` : ''}`);
        if (f.json) print(r.readings);
        else for (const [k, v] of Object.entries(r.readings as Record<string, { value: unknown }>)) io.out(`${k} ${typeof v.value === 'string' ? v.value : JSON.stringify(v.value)}`);
        return 0;
      }
      case 'stop': {
        const [dev] = need(rest, 1, 'stop DEV');
        const r = await client.call('POST', `/api/devices/${enc(dev)}/stop`);
        io.out(`${r.ok ? 'ok  ' : 'FAIL'} ${r.device} (${r.family}) ${r.elapsedMs.toFixed(1)} ms: ${r.detail}`);
        return r.ok ? 0 : 1;
      }
      case 'set': {
        if (rest.length < 2 || rest.length > 3) throw new UsageError('usage: set DEV [PATH] VALUE');
        const [dev, path, text] = rest.length === 3 ? rest as [string, string, string] : [rest[0]!, undefined, rest[1]!];
        const r = await client.call('POST', `/api/devices/${enc(dev)}/set`, { ...(path ? { path } : {}), value: parseRemoteValue(text) });
        if (!f.wait) {
          io.out(r.id);
          return 0;
        }
        const rec = await poll(async () => {
          const s = await client.call('GET', `/api/sets/${enc(r.id)}`);
          return s.state === 'running' ? undefined : s;
        }, f.timeoutMs, `set ${r.id}`);
        io.out(`${r.id} ${rec.state}${rec.error ? `: ${rec.error.type} ${rec.error.message}` : ''}`);
        return rec.state === 'finished' ? 0 : 1;
      }
      case 'estop': {
        const r = await client.call('POST', `/api/estop?switch=${f.clear ? 'false' : 'true'}`);
        if (!r.estop) {
          io.out('e-stop cleared');
          return 0;
        }
        const all = Object.values(r.results as Record<string, { device: string; family: string; ok: boolean; elapsedMs: number; detail: string }>);
        io.out(r.ok ? `e-stop: all ${all.length} devices stopped in ${r.elapsedMs.toFixed(1)} ms` : `e-stop: ${all.filter((x) => !x.ok).length} of ${all.length} devices NOT confirmed stopped after ${r.elapsedMs.toFixed(1)} ms`);
        for (const x of all) io.out(`  ${x.ok ? 'ok  ' : 'FAIL'} ${x.device} (${x.family}) ${x.elapsedMs.toFixed(1)} ms: ${x.detail}`);
        return r.ok ? 0 : 1;
      }
      case 'action':
        return await action(client, rest, f, io);
      case 'proc':
        return await proc(client, rest, f, io);
      case 'listen':
        return await listen(client, f, io);
      default:
        throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`labrig remote: ${e.message} (see labrig remote --help)`);
      return 2;
    }
    io.err(`labrig remote: ${e instanceof RemoteError ? e.message : oneLine(toError(e))}`);
    return 1;
  }
}

function need(rest: string[], n: number, usage: string): [string, ...Array<string | undefined>] {
  if (rest.length < n) throw new UsageError(`usage: ${usage}`);
  return rest as [string, ...string[]];
}

async function action(client: Client, rest: string[], f: Flags, io: RemoteIO): Promise<number> {
  if (f.list) {
    const r = await client.call('GET', '/api/actions');
    for (const d of r.actions) io.out(`${d.name}: ${d.doc}  params: ${Object.entries(d.params as Record<string, { type: string }>).map(([k, s]) => `${k}=${s.type}`).join(' ')}`);
    return 0;
  }
  const [name, ...kv] = need(rest, 1, 'action NAME [key=value...]');
  const params = keyValues(kv as string[]);
  const rows: unknown[] = [];
  let id: string | undefined;
  const data = f.wait ? await client.ws('/ws/data', (m) => {
    const msg = JSON.parse(String(m)) as { action?: string; data?: unknown };
    if (id === undefined) rows.push(msg);
    else if (msg.action === id) io.out(JSON.stringify(msg.data));
  }) : undefined;
  try {
    const rec = await client.call('POST', `/api/actions/${enc(name)}`, { params });
    id = rec.id as string;
    for (const m of rows as Array<{ action?: string; data?: unknown }>) if (m.action === id) io.out(JSON.stringify(m.data));
    if (!f.wait) {
      io.out(JSON.stringify(rec));
      return 0;
    }
    const end = await poll(async () => {
      const r = await client.call('GET', `/api/actions/${enc(id!)}`);
      return r.state === 'queued' || r.state === 'active' ? undefined : r;
    }, f.timeoutMs, `action ${id}`);
    io.out(`${end.id} ${end.state}${end.errorMessage ? `: ${end.errorCode} ${end.errorMessage}` : ''}`);
    return end.state === 'finished' ? 0 : 1;
  } finally {
    data?.close();
  }
}

async function proc(client: Client, rest: string[], f: Flags, io: RemoteIO): Promise<number> {
  const [sub, ...more] = rest;
  const base = '/api/v1.0/procedures';
  // OET answers one procedure as `{ procedure: {...} }`, several as `{ procedures: [...] }`.
  const one = (r: any): any => r?.procedure ?? r;
  const line = (r: any): string => {
    const p = one(r);
    return `${p?.id ?? '?'} ${p?.state ?? '?'} ${p?.script?.script_uri ?? p?.script_uri ?? ''}`;
  };
  switch (sub) {
    case 'create': {
      const [uri, ...kv] = need(more, 1, 'proc create SCRIPT_URI [ARG...] [key=value...]');
      const p = await client.call('POST', base, { script_uri: uri, script_args: { init: functionArgs(kv as string[]) } });
      f.json ? io.out(JSON.stringify(p)) : io.out(line(p));
      return 0;
    }
    case 'start': {
      const [id, ...kv] = need(more, 1, 'proc start ID [ARG...] [key=value...]');
      const p = await client.call('PUT', `${base}/${enc(id)}`, { state: 'RUNNING', script_args: { run: functionArgs(kv as string[]) } });
      f.json ? io.out(JSON.stringify(p)) : io.out(line(p));
      return 0;
    }
    case 'stop': {
      const [id] = need(more, 1, 'proc stop ID [--abort]');
      const p = await client.call('PUT', `${base}/${enc(id)}`, { state: 'STOPPED', abort: f.abort });
      const list = Array.isArray(p) ? p : Array.isArray(p?.procedures) ? p.procedures : [p];
      if (f.json) io.out(JSON.stringify(p));
      else {
        io.out(list.map(line).join('\n'));
        if (typeof p?.abort_message === 'string') io.out(p.abort_message);
      }
      return 0;
    }
    case 'list': {
      const r = await client.call('GET', base);
      const list = Array.isArray(r) ? r : (r?.procedures ?? []);
      f.json ? io.out(JSON.stringify(list)) : list.forEach((p: unknown) => io.out(line(p)));
      return 0;
    }
    case 'describe': {
      const [id] = need(more, 1, 'proc describe ID');
      io.out(JSON.stringify(await client.call('GET', `${base}/${enc(id)}`), null, 2));
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown proc command '${sub}'` : 'proc needs create, start, stop, list or describe');
  }
}

async function listen(client: Client, f: Flags, io: RemoteIO): Promise<number> {
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const offInterrupt = io.onInterrupt?.(() => stop());
  let n = 0;
  const counted = (): void => {
    if (f.count !== undefined && ++n >= f.count) stop();
  };
  try {
    if (f.ws !== undefined || f.live !== undefined) {
      const ws = await client.ws(f.live !== undefined ? `/ws/live?signals=${enc(f.live)}` : `/ws/${f.ws}`, (m) => {
        io.out(String(m));
        counted();
      });
      ws.once('close', () => stop());
      await stopped;
      ws.close();
      return 0;
    }
    const abort = new AbortController();
    void stopped.then(() => abort.abort());
    const res = await reach(`${client.base}/api/v1.0/stream`, { headers: { ...client.headers, accept: 'text/event-stream' }, signal: abort.signal });
    if (!res.ok || !res.body) throw new RemoteError(res.status, 'HTTP', `the server has no event stream (${res.status})`);
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const l of block.split('\n')) {
            if (l.startsWith('event:')) event = l.slice(6).trim();
            else if (l.startsWith('data:')) data.push(l.slice(5).trimStart());
          }
          if (data.length === 0) continue;
          const body = data.join('\n');
          let topic = event;
          try {
            const parsed = JSON.parse(body) as { topic?: unknown };
            if (typeof parsed?.topic === 'string') topic = parsed.topic;
          } catch {
            // not JSON: print as it came
          }
          io.out(`${topic} ${body}`);
          counted();
        }
      }
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
    return 0;
  } finally {
    offInterrupt?.();
  }
}
