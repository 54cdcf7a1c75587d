/**
 * The table of built-in command handlers, one file per family of commands.
 * @module
 */
import type { HandlerContext } from '../host.js';
import type { Handler, HandlerEntry } from '../host.js';
import { UNCACHEABLE } from '../frames.js';
import type { Command, MsgOf } from '../messages.js';
import { closeRun, create, declareStream, drop, openRun, read, save, subscribe, unsubscribe } from './runs.js';
import { locate, set, stop, trigger, wait, waitFor } from './motion.js';
import { checkpoint, clearCheckpoint, input, nullMsg, pause, rewindable, sleep } from './flow.js';
import { configure, stage, unstage } from './staging.js';
import { collect, complete, kickoff, monitor, prepare, unmonitor } from './flyers.js';
import { installSuspender, pushPlan, removeSuspender, suspendDone, suspendResume, suspendWait } from './suspenders.js';
import { clearCache, stash, waitForActions } from './redsun.js';

/** Every command of messages.ts with its handler (the compiler checks none is missing). */
const BUILTIN: { [C in Command]: (msg: MsgOf<C>, ctx: HandlerContext) => unknown } = {
  open_run: openRun,
  close_run: closeRun,
  declare_stream: declareStream,
  create,
  read,
  save,
  drop,
  subscribe,
  unsubscribe,
  set,
  trigger,
  wait,
  wait_for: waitFor,
  locate,
  stop,
  sleep,
  checkpoint,
  clear_checkpoint: clearCheckpoint,
  rewindable,
  pause,
  null: nullMsg,
  input,
  stage,
  unstage,
  configure,
  kickoff,
  complete,
  collect,
  prepare,
  monitor,
  unmonitor,
  install_suspender: installSuspender,
  remove_suspender: removeSuspender,
  stash,
  clear_cache: clearCache,
  wait_for_actions: waitForActions,
};

/** The engine's own commands (not listed by `RunEngine.commands`). */
const INTERNAL: Record<string, Handler> = {
  __suspend_wait: suspendWait,
  __suspend_resume: suspendResume,
  __suspend_done: suspendDone,
  __push_plan: pushPlan,
};

/** Names of the built-in commands. */
export const BUILTIN_COMMANDS: readonly string[] = Object.keys(BUILTIN);

/** Tell whether `name` is one of the engine's internal commands. */
export const isInternalCommand = (name: string): boolean => Object.hasOwn(INTERNAL, name);

/** A fresh table of built-in and internal handlers. */
export function builtinHandlers(): Map<string, HandlerEntry> {
  const m = new Map<string, HandlerEntry>();
  for (const [k, h] of Object.entries(BUILTIN)) m.set(k, { fn: h as Handler, replay: !UNCACHEABLE.has(k) });
  for (const [k, h] of Object.entries(INTERNAL)) m.set(k, { fn: h, replay: true });
  return m;
}
