/**
 * Stop the hardware when the process is told to go away (Ctrl-C, SIGTERM, SIGHUP, a closed
 * stdout): {@link installSignalHandlers} listens for the signals and, on the first one,
 *
 * 1. aborts the run engine's plan (its open runs end with `run_stop` exit_status `abort` and the
 *    signal as reason; the engine stops what the plan moved), then e-stops the rig (or runs
 *    `stop`) as soon as the run ended or after `abortGraceMs` (default 500 ms), whichever is
 *    first. The grace keeps the run's end an `abort`: an e-stop first would fail the plan's move
 *    and end the run as `fail`; a plan that does not end within the grace cannot hold the e-stop
 *    back longer than that;
 * 2. closes the writers (after the abort, so the stop document is in the file);
 * 3. runs the `cleanup` steps and closes the rig (drivers, then the simulators of `sim:`
 *    entries and their temp folders);
 * 4. exits with 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, 141
 *    for a broken stdout pipe. That is the shell's convention for "killed by signal N", so a
 *    script can tell a Ctrl-C from a SIGTERM from a failed run (1) or a usage error (2).
 *
 * Every step is bounded by `stepTimeoutMs`; a step that fails or hangs is reported and the next
 * one runs. A second signal while this runs exits at once with the same code.
 *
 * Installing listeners on `process` is I/O, so this lives in the rig layer, not in `src/core`.
 *
 * ```ts
 * const rig = await loadRig('rig.yaml');
 * const re = new RunEngine();
 * const writer = new JsonlWriter({ directory: 'runs' });
 * re.subscribe(writer.callback);
 * const dispose = installSignalHandlers({ rig, engine: re, writers: [writer] });
 * try { await re.run(plan); } finally { dispose(); await rig.close(); }
 * ```
 * @module
 */
import { constants } from 'node:os';
import { TimeoutError, toError } from '../core/errors.js';
import { formatEStop } from './estop.js';
import type { EStopReport } from './types.js';

/** Signals handled by default. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Default limit of each shutdown step, ms. */
export const SHUTDOWN_STEP_TIMEOUT_MS = 5000;

/** What {@link installSignalHandlers} needs of a rig (a {@link Rig} is one). */
export interface ShutdownRig {
  eStop(options?: { timeoutMs?: number }): Promise<EStopReport>;
  close(): Promise<void>;
}

/** What it needs of a run engine (a RunEngine is one). */
export interface ShutdownEngine {
  readonly state: string;
  abort(reason?: string): Promise<unknown>;
}

/** What it needs of a writer: `close()` (a JsonlWriter), or `flush()`; either may be async. */
export type ShutdownWriter = { close(): unknown } | { flush(): unknown };

/** Why the process is shutting down: a signal, or stdout closed under us. */
export type ShutdownCause = NodeJS.Signals | 'EPIPE';

/** Options of {@link installSignalHandlers}. */
export interface SignalHandlerOptions {
  /** Rig to e-stop on the first signal, and to close afterwards. */
  rig?: ShutdownRig;
  /** Run engine whose plan is aborted (when one is running) with the signal as reason. */
  engine?: ShutdownEngine;
  /** Writers to close (or flush) after the abort, so the run_stop is on disk. */
  writers?: readonly ShutdownWriter[];
  /** What to stop instead of (or besides) the rig's e-stop, e.g. the one device `labrig set` moved. */
  stop?: () => Promise<unknown>;
  /** Steps run after the writers, before the rig closes (close simulators, remove temp dirs). */
  cleanup?: ReadonlyArray<() => unknown>;
  /** Called at once with the cause, before anything is stopped (e.g. print "stopping..."). */
  onSignal?: (cause: ShutdownCause) => void;
  /** Where progress and failures are reported, one line each. Default: stderr. */
  log?: (line: string) => void;
  /** How long the e-stop waits for the aborted run to end first, ms. Default 500. */
  abortGraceMs?: number;
  /** Limit of each step, ms. Default 5000. */
  stepTimeoutMs?: number;
  /** Signals to handle. Default SIGINT, SIGTERM, SIGHUP. */
  signals?: readonly NodeJS.Signals[];
  /** Also shut down when writing to stdout fails with EPIPE (`labrig demo | head`). Default true. */
  epipe?: boolean;
  /** How to exit. Default `process.exit`. */
  exit?: (code: number) => void;
}

/** Handle of installed handlers: call it to remove them; `shutdown` is set once a signal came. */
export interface SignalHandlers {
  (): void;
  /** The running (or finished) shutdown, resolving with the exit code; undefined before a signal. */
  readonly shutdown: Promise<number> | undefined;
}

/** Exit code for a cause: 128 + the signal number (141 for EPIPE, as for SIGPIPE). */
export function exitCodeFor(cause: ShutdownCause): number {
  const n = cause === 'EPIPE' ? constants.signals.SIGPIPE : constants.signals[cause];
  return 128 + (n ?? 2);
}

/** Race `work` against `ms`; resolve with its value, or reject with a TimeoutError naming `what`. */
async function bounded<T>(what: string, ms: number, work: () => unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return (await Promise.race([
      Promise.resolve().then(work),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError({ operation: `shutdown: ${what}`, afterMs: ms })), ms);
      }),
    ])) as T;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Install the handlers (see the module notes); returns a disposer that removes them. Installing
 * twice is allowed; each handle runs its own shutdown.
 */
export function installSignalHandlers(options: SignalHandlerOptions = {}): SignalHandlers {
  const log = options.log ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const stepMs = options.stepTimeoutMs ?? SHUTDOWN_STEP_TIMEOUT_MS;
  const signals = options.signals ?? SHUTDOWN_SIGNALS;
  let shutdown: Promise<number> | undefined;
  let disposed = false;
  let finished = false;

  const step = async (what: string, work: () => unknown): Promise<unknown> => {
    try {
      return await bounded(what, stepMs, work);
    } catch (e) {
      const err = toError(e);
      log(`labrig: ${what} failed: ${err.name}: ${err.message.replace(/\s*\n\s*/g, '; ')}`);
      return undefined;
    }
  };

  const run = async (cause: ShutdownCause): Promise<number> => {
    const code = exitCodeFor(cause);
    const reason = cause === 'EPIPE' ? 'output closed (EPIPE)' : `${cause} received`;
    try {
      options.onSignal?.(cause);
    } catch {
      // a failing notifier must not keep the hardware running
    }
    const engine = options.engine;
    const aborting = engine && engine.state !== 'idle' ? step('abort the run', () => engine.abort(reason)) : Promise.resolve();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([aborting, new Promise((r) => (grace = setTimeout(r, options.abortGraceMs ?? 500)))]);
    clearTimeout(grace);
    const stopping = [
      options.rig ? step('e-stop', async () => {
        const report = await options.rig!.eStop({ timeoutMs: stepMs });
        for (const line of formatEStop(report)) log(line);
      }) : undefined,
      options.stop ? step('stop', options.stop) : undefined,
    ];
    await Promise.all([aborting, ...stopping]);
    for (const w of options.writers ?? []) await step('close the writer', () => ('close' in w ? w.close() : w.flush()));
    for (const c of options.cleanup ?? []) await step('clean up', c);
    if (options.rig) await step('close the rig', () => options.rig!.close());
    return code;
  };

  const onSignal = (cause: ShutdownCause): void => {
    if (shutdown) {
      // Every later write to a closed stdout fails again: that is no request to hurry.
      if (cause === 'EPIPE') return;
      log(`labrig: second ${cause}: exiting now`);
      exit(exitCodeFor(cause));
      return;
    }
    log(`labrig: ${cause === 'EPIPE' ? 'output closed' : cause}: stopping what this command started (again to exit at once)`);
    shutdown = run(cause).then((code) => {
      finished = true;
      exit(code);
      return code;
    });
  };

  const listeners = new Map<NodeJS.Signals, () => void>(signals.map((s) => [s, () => onSignal(s)]));
  for (const [s, l] of listeners) process.on(s, l);
  const onStdoutError = (e: NodeJS.ErrnoException): void => {
    if (e.code === 'EPIPE') onSignal('EPIPE');
  };
  const epipe = options.epipe ?? true;
  if (epipe) process.stdout.on('error', onStdoutError);

  const dispose = (): void => {
    // While a shutdown runs the handlers stay: a second signal must still exit at once.
    if (disposed || (shutdown && !finished)) return;
    disposed = true;
    for (const [s, l] of listeners) process.off(s, l);
    if (epipe) process.stdout.off('error', onStdoutError);
  };
  Object.defineProperty(dispose, 'shutdown', { get: () => shutdown });
  return dispose as SignalHandlers;
}
