/**
 * What a labrig procedure script sees. A script is an ES module in the server's scripts folder
 * (`.ts`, `.js` or `.mjs`) exporting `main` and optionally `init`:
 *
 * ```ts
 * import type { ScriptContext } from 'labrig/server/procedures';
 * import { count } from 'labrig/plans';
 * export async function init(ctx: ScriptContext, label: string) { ctx.announce(`ready: ${label}`); }
 * export async function main(ctx: ScriptContext) {
 *   await ctx.engine.run(count([ctx.rig!.get('mfc') as never], ctx.kwargs.num as number));
 * }
 * ```
 *
 * `init` runs when the procedure is created (with the create request's init arguments), `main`
 * when it is started (with the start request's run arguments): positional arguments after the
 * context, keyword arguments in `ctx.kwargs`. Documents of runs on `ctx.engine` reach the
 * server's document bus (0MQ, `/ws/documents`); a RunEngine the script makes itself does not.
 * @module
 */
import type { RunEngine } from '../../core/engine/index.js';
import type { Rig } from '../../rig/index.js';

/** The context handed to a script's `init` and `main`. */
export interface ScriptContext {
  /** Keyword arguments of this call (init or run). */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** The rig the server gave procedures (`rigFile`), opened in this process; undefined without one. */
  readonly rig: Rig | undefined;
  /** The run engine whose documents the server publishes. */
  readonly engine: RunEngine;
  /** Publish a message on the server's event stream (topic `user.script.announce`). */
  announce(msg: unknown): void;
  /** Aborted when the procedure is stopped; long waits in a script should watch it. */
  readonly signal: AbortSignal;
}

/** The functions a script module may export. */
export interface ScriptModule {
  /** Called at create with the init arguments. */
  init?(ctx: ScriptContext, ...args: unknown[]): unknown;
  /** Called at start with the run arguments. */
  main(ctx: ScriptContext, ...args: unknown[]): unknown;
}
