/**
 * The signal context of a Galil controller and the one Galil-specific piece of its signal lines:
 * {@link ask}, a query command as the signal's path and `get` (the shared vocabulary is in
 * `../shared/signals.ts`).
 * @module
 */
import { SignalContext } from '../shared/signals.js';
import type { GalilIO } from './io.js';

/** What a controller's signals share. */
export type GalilContext = SignalContext<GalilIO>;

/** Build the context of a controller's signals over the command layer `commands` returns. */
export function galilContext(commands: () => GalilIO, pollMs: number, timeoutMs: number): GalilContext {
  return new SignalContext<GalilIO>({ family: 'galil', commands, pollMs, timeoutMs });
}

/** Read with the query `command` (`TPA`, `MG _SPA`), decoding the reply with `decode`; the command is the path. */
export function ask<T>(command: string, decode: (reply: string) => T): { path: string; get: (c: GalilIO) => Promise<T> } {
  return { path: command, get: (c) => c.query(command, decode) };
}

/** Send the fixed `command` (urgent: at high priority, for stops). */
export function send(command: string, urgent = false): (c: GalilIO) => Promise<unknown> {
  return (c) => c.command(command, urgent ? { priority: 'high' } : {});
}
