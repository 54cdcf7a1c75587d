/**
 * Launch real Tango device servers on the loopback interface for tests and demos: Debian's
 * TangoTest in no-database mode ({@link startTangoTest}) and labrig's own PyTango event server
 * (`event_server.py`, {@link startTangoEventServer}), which pushes change events without a
 * database. Each launcher picks a free 127.0.0.1 port, starts the server, waits (bounded) until it
 * prints Tango's "Ready to accept request", and returns a handle whose `close()` kills it
 * (SIGTERM, then SIGKILL) and waits for the exit. `stop()`/`start()` let a test kill the server
 * and bring it back on the same port (a restart).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DisconnectedError, InvalidStateError, TimeoutError } from '../../core/errors.js';

/** Debian's TangoTest binary. */
export const TANGO_TEST_BIN = '/usr/lib/tango/TangoTest';
/** The Python that has PyTango (Debian's python3-tango imports only there). */
export const TANGO_PYTHON = '/usr/bin/python3';
/** The event server's source, next to this module. */
export const EVENT_SERVER_PY = fileURLToPath(new URL('./event_server.py', import.meta.url));

/** A running Tango device server (see the module notes). */
export interface TangoServer {
  /** `tango://127.0.0.1:PORT/<device>#dbase=no`. */
  readonly address: string;
  readonly port: number;
  /** Device name, e.g. `sys/tg_test/1`. */
  readonly device: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Process id of the running server (undefined when stopped). */
  readonly pid: number | undefined;
  /** Kill the server (it stays stoppable/startable); resolves when it has exited. */
  stop(): Promise<void>;
  /** Start it again on the same port; resolves once it answers. */
  start(): Promise<void>;
  /** Kill it for good; never throws. */
  close(): Promise<void>;
}

/** Options of the launchers. */
export interface TangoServerOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Limit of the wait for "Ready to accept request", ms (default 30000). */
  readyTimeoutMs?: number;
}

/** Tell whether TangoTest is installed here. */
export function tangoTestAvailable(): boolean {
  return existsSync(TANGO_TEST_BIN);
}

/** Find a free TCP port on 127.0.0.1 (bound and released; the OS does not hand it out at once again). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Start Debian's TangoTest (`sys/tg_test/1`) without a database (see the module notes). */
export async function startTangoTest(options: TangoServerOptions = {}): Promise<TangoServer> {
  return launch('TangoTest', (port) => [TANGO_TEST_BIN, ['test', '-nodb', '-ORBendPoint', `giop:tcp:127.0.0.1:${port}`, '-dlist', 'sys/tg_test/1']], 'sys/tg_test/1', options);
}

/** Start labrig's PyTango event server (`labrig/events/1`, see `event_server.py`). */
export async function startTangoEventServer(options: TangoServerOptions & { python?: string } = {}): Promise<TangoServer> {
  const py = options.python ?? TANGO_PYTHON;
  return launch(
    'labrig event server',
    (port) => [py, [EVENT_SERVER_PY, 'test', '-nodb', '-ORBendPoint', `giop:tcp:127.0.0.1:${port}`, '-dlist', 'labrig/events/1']],
    'labrig/events/1',
    options,
  );
}

async function launch(
  label: string,
  command: (port: number) => [string, string[]],
  device: string,
  options: TangoServerOptions,
): Promise<TangoServer> {
  const port = options.port ?? (await freeLoopbackPort());
  const readyMs = options.readyTimeoutMs ?? 30000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let closed = false;

  const startOnce = async (): Promise<void> => {
    if (closed) throw new InvalidStateError(`${label}: closed`);
    if (child) return;
    const [file, args] = command(port);
    const c = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TANGO_HOST: '' } });
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    void exited.then(() => {
      if (child === c) child = undefined;
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish(new TimeoutError({ operation: `${label} on 127.0.0.1:${port}: wait for "Ready to accept request"`, afterMs: readyMs, detail: `; output: ${out.slice(-400)}` }));
      }, readyMs);
      const onData = (b: Buffer): void => {
        out += b.toString();
        if (out.length > 8192) out = out.slice(-4096);
        if (out.includes('Ready to accept request')) finish();
      };
      const onExit = (code: number | null, sig: string | null): void => {
        finish(new DisconnectedError({ device: `${label} on 127.0.0.1:${port}`, detail: `exited (${code ?? sig}) before it was ready: ${out.slice(-400).trim()}` }));
      };
      const onError = (e: Error): void => finish(new DisconnectedError({ device: label, detail: `cannot start ${file}: ${e.message}`, cause: e }));
      function finish(err?: Error): void {
        clearTimeout(timer);
        c.stdout?.off('data', onData);
        c.stderr?.off('data', onData);
        c.off('exit', onExit);
        c.off('error', onError);
        // Keep draining output so the server never blocks on a full pipe.
        c.stdout?.resume();
        c.stderr?.resume();
        if (err) {
          void killChild(c).then(() => reject(err));
        } else resolve();
      }
      c.stdout?.on('data', onData);
      c.stderr?.on('data', onData);
      c.once('exit', onExit);
      c.once('error', onError);
    });
  };

  const stopOnce = async (): Promise<void> => {
    const c = child;
    if (!c) return;
    await killChild(c);
    await exited;
    child = undefined;
  };

  await startOnce();
  return {
    address: `tango://127.0.0.1:${port}/${device}#dbase=no`,
    port,
    device,
    get running() {
      return child !== undefined;
    },
    get pid() {
      return child?.pid;
    },
    stop: stopOnce,
    start: startOnce,
    async close() {
      closed = true;
      await stopOnce().catch(() => undefined);
    },
  };
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. */
async function killChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}
