/**
 * Small factories of pump-backed signals: read from a status poll or a query, read-write,
 * and commands.
 * @module
 */
import type { Dtype } from '../../core/protocols.js';
import type { ValueMetadata } from '../../core/signal/datakey.js';
import { SignalR } from '../../core/signal/signal.js';
import { SignalRW, SignalX } from '../../core/signal/writable.js';
import { LegatoSignalBackend, type StatusSource } from './backend.js';
import type { LegatoIO, StatusReport } from './io.js';

/** What a pump's signals share. */
export interface PumpContext {
  /** The pump's command layer (resolved late). */
  io: () => LegatoIO;
  /** The pump's shared status poll. */
  source: StatusSource;
  /** Limit of each read and write, ms. */
  timeoutMs: number;
}

type Meta = ValueMetadata & { dtype: Dtype };

/** Create a read-only signal holding a field of the `status` reply. */
export function statusR<T>(ctx: PumpContext, field: string, pick: (s: StatusReport) => T, initial: T, meta: Meta): SignalR<T> {
  return new SignalR<T>(new LegatoSignalBackend<T>(ctx.io, ctx.source, { field, pick, initial, meta }), { timeoutMs: ctx.timeoutMs });
}

/** Create a read-only signal read with its own query. */
export function queryR<T>(ctx: PumpContext, field: string, query: (io: LegatoIO) => Promise<T>, initial: T, meta: Meta): SignalR<T> {
  return new SignalR<T>(new LegatoSignalBackend<T>(ctx.io, ctx.source, { field, query: () => query(ctx.io()), initial, meta }), { timeoutMs: ctx.timeoutMs });
}

/** Create a read-write signal: `query` reads it, `write` sets it; `seen` gets every value. */
export function queryRW<T>(
  ctx: PumpContext,
  field: string,
  query: (io: LegatoIO) => Promise<T>,
  write: (io: LegatoIO, value: T) => Promise<void>,
  initial: T,
  meta: Meta,
  seen?: (value: T) => void,
): SignalRW<T> {
  return new SignalRW<T>(
    new LegatoSignalBackend<T>(ctx.io, ctx.source, {
      field, initial, meta,
      query: () => query(ctx.io()),
      write: (v) => write(ctx.io(), v as T),
      ...(seen ? { seen } : {}),
    }),
    { timeoutMs: ctx.timeoutMs },
  );
}

/** Create a command signal. */
export function commandX(ctx: PumpContext, field: string, run: (io: LegatoIO) => Promise<unknown>): SignalX {
  return new SignalX(
    new LegatoSignalBackend<undefined>(ctx.io, ctx.source, { field, write: async () => void (await run(ctx.io())), initial: undefined, meta: { dtype: 'string' } }),
    { timeoutMs: ctx.timeoutMs },
  );
}
