/**
 * The child process of one procedure: loads the script (or plan, or Observation Block) the parent
 * names, runs `init` then waits for `run`, reports every state change, document and script message
 * over IPC, and exits when the procedure is over. Started by {@link ProcedureManager} with `fork`;
 * never run directly. A script that throws ends here as FAILED with its stack; one that kills the
 * process is reported by the parent from the exit code.
 * @module
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError, toError } from '../../core/errors.js';
import { RunEngine } from '../../core/engine/index.js';
import type { ObservationBlock } from '../../core/sequencer/index.js';
import type { Rig } from '../../rig/index.js';
import type { ScriptContext, ScriptModule } from './script-api.js';
import type { FromChild, FunctionArgs, LoadSpec, ProcedureState, ToChild } from './types.js';

const send = (m: FromChild): void => {
  if (process.connected) process.send!(m);
};
const state = (s: ProcedureState): void => send({ t: 'state', state: s });

const engine = new RunEngine();
engine.subscribe((name, doc) => send({ t: 'doc', name, doc }));
const stopper = new AbortController();
let rig: Rig | undefined;
let runMain: ((run: FunctionArgs) => Promise<void>) | undefined;
let finished = false;
let stopping = false;
let mainDone: Promise<void> | undefined;

function ctx(kwargs: Record<string, unknown>): ScriptContext {
  return { kwargs, rig, engine, signal: stopper.signal, announce: (msg) => send({ t: 'announce', msg }) };
}

async function exit(final: ProcedureState, stacktrace?: string): Promise<void> {
  if (finished) return;
  finished = true;
  if (stacktrace !== undefined) send({ t: 'failed', stacktrace });
  await rig?.close().catch(() => undefined);
  // The final state is sent, then the channel closed once it is flushed.
  await new Promise<void>((resolve) => {
    if (!process.connected) return resolve();
    process.send!({ t: 'state', state: final } satisfies FromChild, () => resolve());
  });
  if (process.connected) process.disconnect();
  // Anything a script left running (timers, sockets) must not keep a finished procedure alive.
  setTimeout(() => process.exit(0), 200).unref();
}

function stackOf(e: unknown): string {
  const err = toError(e);
  return err.stack ?? `${err.name}: ${err.message}`;
}

async function loadOb(path: string): Promise<ObservationBlock> {
  const text = readFileSync(path, 'utf8');
  const { parseObservationBlock, builtinTemplates } = await import('../../core/sequencer/index.js');
  const obj: unknown = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : (await import('yaml')).parse(text);
  return parseObservationBlock(obj, builtinTemplates());
}

async function load(spec: LoadSpec, init: FunctionArgs): Promise<void> {
  state('LOADING');
  // Only what this procedure needs is imported: a plain script starts without the rig's families.
  if (spec.rigFile) rig = await (await import('../../rig/index.js')).loadRig(spec.rigFile);
  const device = (n: string): unknown => {
    if (!rig) throw new InvalidInputError({ what: 'device', value: n, reason: 'the server gave procedures no rig' });
    return rig.get(n);
  };
  if (spec.kind === 'script') {
    const mod = (await import(pathToFileURL(spec.path!).href)) as Partial<ScriptModule>;
    if (typeof mod.main !== 'function') throw new InvalidInputError({ what: 'script', value: spec.path, reason: 'exports no main function' });
    state('IDLE');
    state('RUNNING');
    if (typeof mod.init === 'function') await mod.init(ctx(init.kwargs), ...init.args);
    runMain = async (run) => void (await mod.main!(ctx(run.kwargs), ...run.args));
  } else if (spec.kind === 'plan') {
    const { builtinPlans } = await import('../../core/executor/index.js');
    const plans = builtinPlans() as Record<string, (args: Record<string, unknown>, dev: (n: string) => unknown) => unknown>;
    const build = plans[spec.plan!];
    if (!build) throw new InvalidInputError({ what: 'plan', value: spec.plan, reason: `unknown (have ${Object.keys(plans).join(', ')})` });
    state('IDLE');
    state('RUNNING');
    runMain = async (run) => {
      const plan = build({ ...init.kwargs, ...run.kwargs }, device);
      const res = await engine.run(plan as Parameters<RunEngine['run']>[0]);
      if (res.exitStatus !== 'success') throw new Error(`plan ${spec.plan} ended ${res.exitStatus}${res.reason ? `: ${res.reason}` : ''}`);
    };
  } else {
    const ob = await loadOb(spec.path!);
    const { Executor, builtinActions, builtinPlans } = await import('../../core/executor/index.js');
    const { SequenceRunner } = await import('../../core/sequencer/index.js');
    state('IDLE');
    state('RUNNING');
    runMain = async () => {
      const ex = new Executor(rig ? { resolve: (n) => rig!.get(n), eStop: () => rig!.eStop() } : {});
      for (const a of builtinActions({ engine, plans: builtinPlans() })) ex.register(a);
      const runner = new SequenceRunner(ob.root, { executor: ex, engine });
      runner.onNodeState((c) => send({ t: 'announce', msg: { node: c.node, state: c.state, ...(c.index !== undefined ? { index: c.index } : {}), ...(c.error ? { error: c.error.message } : {}) } }));
      const onStop = (): void => runner.abort('procedure stopped');
      stopper.signal.addEventListener('abort', onStop, { once: true });
      const res = await runner.run();
      stopper.signal.removeEventListener('abort', onStop);
      if (res.state !== 'finished') throw new Error(`observation block '${ob.name}' ${res.state}${res.failures.length ? `: ${res.failures.map((f) => `${f.node}: ${f.error.message}`).join('; ')}` : ''}`);
    };
  }
  state('READY');
}

process.on('message', (m: ToChild) => {
  if (m.op === 'load') {
    load(m.spec, m.init).catch((e: unknown) => void exit('FAILED', stackOf(e)));
  } else if (m.op === 'run') {
    if (!runMain || finished || stopping) return;
    state('RUNNING');
    mainDone = runMain(m.run).then(
      () => (stopping ? undefined : exit('COMPLETE')),
      (e: unknown) => (stopping ? undefined : exit('FAILED', stackOf(e))),
    );
  } else if (m.op === 'stop') {
    if (stopping) return;
    stopping = true;
    void (async () => {
      // Hardware first: the rig is e-stopped before the script is told to stop.
      if (m.abort && rig) {
        const report = await rig.eStop().catch((e: unknown) => ({ ok: false, error: toError(e).message }));
        send({ t: 'aborted', message: `rig e-stopped: ${JSON.stringify(report)}` });
      }
      stopper.abort(new Error('procedure stopped'));
      if (engine.state !== 'idle') await engine.abort('procedure stopped').catch(() => undefined);
      // The script gets a moment to return; the parent kills the process if it never does.
      if (mainDone) await Promise.race([mainDone, new Promise((r) => setTimeout(r, 2000).unref())]);
      await exit('STOPPED');
    })();
  }
});
// The parent going away ends the procedure.
process.on('disconnect', () => {
  if (!finished) {
    stopper.abort(new Error('server gone'));
    void engine.abort('server gone').catch(() => undefined).finally(() => process.exit(1));
  }
});
state('IDLE');
