/**
 * Where node-opcua's own warnings and errors go. node-opcua prints them with `console.log`, i.e.
 * on stdout, which would corrupt a command's output (`labrig sim opcua` promises the endpoint
 * on its first stdout line). labrig routes them to stderr unless told otherwise.
 * @module
 */
import { format } from 'node:util';
import { setErrorLogger, setWarningLogger } from 'node-opcua';

/** Receive one node-opcua log message (`level` is `warning` or `error`). */
export type OpcuaLogSink = (level: 'warning' | 'error', message: string) => void;

/** Where node-opcua messages go: stderr, nowhere, or a function of yours. */
export type OpcuaLogTarget = 'stderr' | 'silent' | OpcuaLogSink;

let routed = false;

function sinkOf(target: OpcuaLogTarget): OpcuaLogSink {
  if (target === 'silent') return () => {};
  if (target === 'stderr') return (level, message) => process.stderr.write(`[node-opcua ${level}] ${message}\n`);
  return target;
}

/** Send node-opcua's warnings and errors to `target` (process-wide; the last call wins). */
export function routeOpcuaLogs(target: OpcuaLogTarget): void {
  const sink = sinkOf(target);
  // node-opcua calls a logger with a context object ({ filename, callerline }) and then the
  // arguments of its log call.
  const wrap = (level: 'warning' | 'error') => (ctx: { filename?: string }, ...args: unknown[]) => {
    const where = ctx?.filename ? `${ctx.filename}: ` : '';
    sink(level, where + format(...args));
  };
  setWarningLogger(wrap('warning') as Parameters<typeof setWarningLogger>[0]);
  setErrorLogger(wrap('error') as Parameters<typeof setErrorLogger>[0]);
  routed = true;
}

/**
 * Route node-opcua's messages to stderr (or to `LABRIG_OPCUA_LOG=silent`) unless
 * {@link routeOpcuaLogs} was already called; clients and simulators call this before starting.
 */
export function ensureOpcuaLogsRouted(): void {
  if (routed) return;
  routeOpcuaLogs(process.env.LABRIG_OPCUA_LOG === 'silent' ? 'silent' : 'stderr');
}

// node-opcua may warn soon after it loads (e.g. about RSA PKCS#1 v1.5 on this Node version);
// route those messages too, not only the ones printed once a client or server starts.
ensureOpcuaLogsRouted();
