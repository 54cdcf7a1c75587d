/**
 * `labrig serve --rig RIG.yaml [--host H] [--port P] [--token T] [--scripts DIR] [--zmq-port N]`:
 * serve a rig's devices, actions and documents over HTTP and websockets until Ctrl-C/SIGTERM.
 * The first line on stdout is the server's URL. The token may come from `LABRIG_TOKEN` instead of
 * the command line (where `ps` would show it); any host other than loopback needs one. On a
 * signal: running actions are e-stopped with the rig (each device's confirmation printed), the
 * server closes, then the rig. Exit codes: 130/143/129 after a signal, 1 failed to start, 2 bad
 * command line (also a non-loopback host without a token).
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { toError } from '../core/errors.js';
import { formatEStop, installSignalHandlers, loadRig, type EStopReport, type SignalHandlerOptions } from '../rig/index.js';
import { checkBind, createServer } from '../server/index.js';
import { oneLine, UsageError, wantsHelp, wholeNumber } from './usage.js';

/** The usage line of `labrig serve`. */
export const SERVE_USAGE = 'usage: labrig serve --rig RIG.yaml [--host H] [--port P] [--token T | LABRIG_TOKEN=T] [--scripts DIR] [--zmq-port N]';

const SERVE_HELP = `${SERVE_USAGE}
  serve the rig over HTTP and websockets (devices, actions, e-stop, live values, documents);
  prints the URL first. Binds to 127.0.0.1 unless --host says otherwise; any other host needs a
  token (prefer LABRIG_TOKEN: a --token on the command line is visible to other users in ps).
  Ctrl-C/SIGTERM e-stop the rig, close the server and exit 130/143. Exit 1 failed to start, 2 bad command line.`;

/** Where `labrig serve` writes, and how it handles signals (tests pass their own). */
export interface ServeIO {
  out(line: string): void;
  err(line: string): void;
  /** Environment (for LABRIG_TOKEN). Default process.env. */
  env?: Record<string, string | undefined>;
  /** Options of the signal handlers (tests pass `exit`). */
  signals?: Pick<SignalHandlerOptions, 'exit' | 'stepTimeoutMs' | 'signals'>;
}

const STD_IO: ServeIO = { out: (l) => console.log(l), err: (l) => console.error(l) };

interface ServeArgs {
  rig: string;
  host: string | undefined;
  port: number | undefined;
  token: string | undefined;
  scripts: string | undefined;
  zmqPort: number | undefined;
}

function parse(args: string[], env: Record<string, string | undefined>): ServeArgs {
  const p: Partial<ServeArgs> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--rig': p.rig = value(); break;
      case '--host': p.host = value(); break;
      case '--port': p.port = wholeNumber('--port', value(), 0); break;
      case '--token': p.token = value(); break;
      case '--scripts': p.scripts = value(); break;
      case '--zmq-port': p.zmqPort = wholeNumber('--zmq-port', value(), 1); break;
      default: throw new UsageError(a.startsWith('-') ? `unknown option ${flag}` : `unexpected argument '${a}'`);
    }
  }
  if (!p.rig) throw new UsageError('needs --rig RIG.yaml');
  if (p.port !== undefined && p.port > 65535) throw new UsageError(`--port must be in 0..65535 (got ${p.port})`);
  if (p.zmqPort !== undefined && p.zmqPort > 65535) throw new UsageError(`--zmq-port must be in 1..65535 (got ${p.zmqPort})`);
  if (p.scripts !== undefined) {
    const dir = resolve(p.scripts);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--scripts: ${dir} is not a folder`);
    p.scripts = dir;
  }
  const token = p.token ?? (env['LABRIG_TOKEN'] || undefined);
  return { rig: p.rig, host: p.host, port: p.port, token, scripts: p.scripts, zmqPort: p.zmqPort };
}

/** `labrig serve` (see the module notes); resolves with the exit code once the server stopped. */
export async function serveCli(args: string[], io: ServeIO = STD_IO): Promise<number> {
  if (wantsHelp(args)) {
    io.out(SERVE_HELP);
    return 0;
  }
  let p: ServeArgs;
  try {
    p = parse(args, io.env ?? process.env);
    // Before anything opens: a non-loopback host without a token is a bad command line.
    checkBind(p.host ?? '127.0.0.1', p.token);
  } catch (e) {
    io.err(e instanceof UsageError ? `labrig serve: ${e.message} (${SERVE_USAGE})` : `labrig serve: ${oneLine(e)}`);
    return 2;
  }
  let rig: Awaited<ReturnType<typeof loadRig>>;
  try {
    rig = await loadRig(p.rig);
  } catch (e) {
    io.err(`labrig serve: ${oneLine(e)}`);
    return 1;
  }
  let server: Awaited<ReturnType<typeof createServer>>;
  try {
    server = await createServer({
      rig,
      rigFile: resolve(p.rig),
      ...(p.host !== undefined ? { host: p.host } : {}),
      ...(p.port !== undefined ? { port: p.port } : {}),
      ...(p.token !== undefined ? { token: p.token } : {}),
      ...(p.scripts !== undefined ? { scriptsDir: p.scripts } : {}),
      ...(p.zmqPort !== undefined ? { zmq: { port: p.zmqPort } } : {}),
      warn: (l) => io.err(l),
    });
  } catch (e) {
    io.err(`labrig serve: ${oneLine(e)}`);
    await rig.close().catch((c: unknown) => io.err(`labrig serve: closing the rig: ${oneLine(c)}`));
    return 1;
  }
  return new Promise<number>((resolveExit) => {
    const handlers = installSignalHandlers({
      log: (l) => io.err(l),
      stop: async () => {
        const r = await server.executor.eStop();
        if (r.result) for (const line of formatEStop(r.result as EStopReport)) io.err(line);
        if (r.error) io.err(`labrig serve: e-stop: ${toError(r.error).message}`);
      },
      cleanup: [() => server.close(), () => rig.close()],
      ...io.signals,
      exit: (code) => {
        resolveExit(code);
        (io.signals?.exit ?? ((c: number) => process.exit(c)))(code);
      },
    });
    void handlers;
    io.out(server.url);
    io.err(`labrig serve: serving ${rig.name ?? 'the rig'} (${rig.names.join(', ')}) at ${server.url}${p.token ? ' (token required)' : ''}; Ctrl-C to e-stop and stop`);
  });
}
