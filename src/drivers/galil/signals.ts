/**
 * Small factories of Galil-backed signals (read, read-write, write-only, command).
 * @module
 */
import type { Dtype } from '../../core/protocols.js';
import type { ValueMetadata } from '../../core/signal/datakey.js';
import { SignalR } from '../../core/signal/signal.js';
import { SignalRW, SignalW, SignalX } from '../../core/signal/writable.js';
import { GalilSignalBackend } from './backend.js';
import type { GalilIO } from './io.js';

/** Shared context of a device's signals. */
export interface SignalContext {
  io: () => GalilIO;
  /** Poll period while subscribed, ms. */
  pollMs: number;
  /** Limit of each read/write, ms. */
  timeoutMs: number;
}

type Meta = ValueMetadata & { dtype: Dtype };

/** Create a read-only signal: `command` queried, `decode` turns the reply into the value. */
export function galilR<T>(ctx: SignalContext, command: string, decode: (reply: string) => T, initial: T, meta: Meta): SignalR<T> {
  return new SignalR<T>(new GalilSignalBackend<T>(ctx.io, { read: { command, decode }, meta, initial, pollMs: ctx.pollMs }), { timeoutMs: ctx.timeoutMs });
}

/** Create a read-write signal: `command` queried, `write(value)` builds the write command. */
export function galilRW<T>(ctx: SignalContext, command: string, decode: (reply: string) => T, write: (value: T) => string, initial: T, meta: Meta): SignalRW<T> {
  return new SignalRW<T>(
    new GalilSignalBackend<T>(ctx.io, { read: { command, decode }, write: (v) => write(v as T), meta, initial, pollMs: ctx.pollMs }),
    { timeoutMs: ctx.timeoutMs },
  );
}

/** Create a write-only signal. */
export function galilW<T>(ctx: SignalContext, write: (value: T) => string, initial: T, meta: Meta): SignalW<T> {
  return new SignalW<T>(new GalilSignalBackend<T>(ctx.io, { write: (v) => write(v as T), meta, initial }), { timeoutMs: ctx.timeoutMs });
}

/** Create a command signal sending a fixed command; `urgent` sends it at high priority. */
export function galilX(ctx: SignalContext, command: string, urgent = false): SignalX {
  return new SignalX(
    new GalilSignalBackend<undefined>(ctx.io, { write: () => command, urgent, meta: { dtype: 'string' }, initial: undefined }),
    { timeoutMs: ctx.timeoutMs },
  );
}
