/**
 * `labrig seq run|draw|check OB.yaml`: run an Observation Block on a rig with a live tree of node
 * states (Ctrl-C pauses before the next node, Enter resumes, a second Ctrl-C aborts and e-stops
 * the rig), draw it as Graphviz DOT (or SVG through `dot`), or only validate it.
 * Exit codes: 0 done, 1 failed or aborted, 2 bad command line.
 * @module
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InvalidInputError, toError } from '../core/errors.js';
import { RunEngine } from '../core/engine/index.js';
import { Executor, builtinActions, builtinPlans } from '../core/executor/index.js';
import {
  SequenceRunner, builtinTemplates, childrenOf, parseObservationBlock, toDot, type NodeState, type ObservationBlock, type SeqNode,
} from '../core/sequencer/index.js';
import { formatEStop, loadRig, type Rig } from '../rig/index.js';
import { CONSOLE_IO } from './console-io.js';

/** Where output goes and how interrupts arrive (tests pass their own). */
export interface SeqIO {
  out(line: string): void;
  err(line: string): void;
  /** Register the Ctrl-C handler; returns the unregister function. */
  onInterrupt?(handler: () => void): () => void;
  /** Register a handler for a line typed on the terminal (resume); returns the unregister function. */
  onLine?(handler: () => void): () => void;
  /** Redraw the tree in place (a TTY). */
  tty?: boolean;
}

const STD_IO: SeqIO = {
  ...CONSOLE_IO,
  onLine(h) {
    if (!process.stdin.isTTY) return () => undefined;
    const onData = (): void => h();
    process.stdin.on('data', onData);
    return () => {
      process.stdin.off('data', onData);
      process.stdin.pause();
    };
  },
  tty: Boolean(process.stdout.isTTY),
};

export const SEQ_USAGE = 'usage: labrig seq run OB.yaml --rig RIG.yaml [--pause-timeout-ms MS] | seq draw OB.yaml [--svg] | seq check OB.yaml';
const HELP = `${SEQ_USAGE}

  run    run the Observation Block on the rig's devices (sim: addresses start simulators);
         prints the node tree as it changes. Ctrl-C pauses before the next node (Enter resumes),
         a second Ctrl-C aborts the sequence and e-stops the rig.
  draw   print the sequence as Graphviz DOT, or SVG with --svg (needs graphviz's dot)
  check  validate the Observation Block (templates, parameters, actions) without running it

Templates: ${[...builtinTemplates().values()].map((t) => t.name).join(', ')}`;

class UsageError extends Error {}

/** Read an OB file (JSON or YAML) and validate it against the built-in templates and actions. */
export function loadObservationBlock(path: string): ObservationBlock {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidInputError({ what: 'observation block file', value: path, reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  let obj: unknown;
  try {
    obj = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new InvalidInputError({ what: `observation block ${path}`, value: path, reason: `is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}` });
  }
  return parseObservationBlock(obj, builtinTemplates());
}

/** An executor with the built-in actions, on `rig` when given. */
export function rigExecutor(rig: Rig | undefined, engine: RunEngine | undefined): Executor {
  const ex = new Executor(rig ? { resolve: (n) => rig.get(n), eStop: () => rig.eStop() } : {});
  for (const a of builtinActions({ engine, plans: builtinPlans() })) ex.register(a);
  return ex;
}

const MARK: Record<NodeState, string> = { not_started: ' ', running: '>', paused: '=', finished: '+', failed: 'x', skipped: '-', aborted: '!' };

/** The node tree as lines: `[+] id (kind) state`. */
export function treeLines(root: SeqNode, states: Record<string, NodeState>): string[] {
  const lines: string[] = [];
  const walk = (n: SeqNode, depth: number): void => {
    const s = states[n.id] ?? 'not_started';
    const kind = n.kind === 'executor' ? n.action : n.kind === 'template' ? `template ${n.template}` : n.kind;
    lines.push(`${'  '.repeat(depth)}[${MARK[s]}] ${n.id} (${kind}) ${s}`);
    for (const c of n.kind === 'loop' ? n.body.children : childrenOf(n)) walk(c, depth + 1);
  };
  walk(root, 0);
  return lines;
}

function parseArgs(args: string[]): { sub: string; file: string; rig?: string; svg: boolean; pauseTimeoutMs?: number } {
  const [sub, ...rest] = args;
  if (!sub || !['run', 'draw', 'check'].includes(sub)) throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'missing subcommand');
  let file: string | undefined;
  let rig: string | undefined;
  let svg = false;
  let pauseTimeoutMs: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--rig' || a === '--pause-timeout-ms') {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === '--rig') rig = v;
      else {
        pauseTimeoutMs = Number(v);
        if (!Number.isFinite(pauseTimeoutMs) || pauseTimeoutMs <= 0) throw new UsageError(`--pause-timeout-ms: expected a positive number, got '${v}'`);
      }
    } else if (a === '--svg') svg = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
    else if (file === undefined) file = a;
    else throw new UsageError(`unexpected argument '${a}'`);
  }
  if (!file) throw new UsageError('missing OB file');
  if (sub === 'run' && !rig) throw new UsageError('seq run needs --rig RIG.yaml');
  if (sub !== 'run' && rig) throw new UsageError(`--rig is only for seq run`);
  if (svg && sub !== 'draw') throw new UsageError('--svg is only for seq draw');
  return { sub, file, rig, svg, pauseTimeoutMs };
}

/** Render DOT to SVG with graphviz's `dot` (bounded to 30 s). */
function dotToSvg(dot: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('dot', ['-Tsvg'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('dot did not finish in 30 s'));
    }, 30_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' ? "graphviz's dot is not installed (apt-get install graphviz)" : e.message));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`dot failed (${code}): ${err.trim().split('\n')[0]}`));
    });
    child.stdin.end(dot);
  });
}

/** `labrig seq ...`; resolves to the exit code. */
export async function seqCli(args: string[], io: SeqIO = STD_IO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(HELP);
    return 0;
  }
  let p: ReturnType<typeof parseArgs>;
  try {
    p = parseArgs(args);
  } catch (e) {
    io.err(`labrig seq: ${(e as Error).message} (${SEQ_USAGE})`);
    return 2;
  }
  try {
    const ob = loadObservationBlock(p.file);
    if (p.sub === 'draw') {
      const dot = toDot(ob.root, ob.name);
      io.out(p.svg ? await dotToSvg(dot) : dot.trimEnd());
      return 0;
    }
    if (p.sub === 'check') {
      const runner = new SequenceRunner(ob.root, { executor: rigExecutor(undefined, new RunEngine()), engine: new RunEngine() });
      io.out(`observation block '${ob.name}' ok: ${Object.keys(runner.states).length} nodes`);
      return 0;
    }
    return await runOB(ob, p.rig!, io, p.pauseTimeoutMs);
  } catch (e) {
    io.err(`labrig seq: ${toError(e).message}`);
    return 1;
  }
}

async function runOB(ob: ObservationBlock, rigFile: string, io: SeqIO, pauseTimeoutMs: number | undefined): Promise<number> {
  const rig = await loadRig(rigFile);
  const cleanups: Array<() => void> = [];
  try {
    const engine = new RunEngine();
    const executor = rigExecutor(rig, engine);
    const runner = new SequenceRunner(ob.root, { executor, engine, ...(pauseTimeoutMs ? { pauseTimeoutMs } : {}) });
    let drawn = 0;
    const draw = (): void => {
      const lines = treeLines(ob.root, runner.states);
      if (io.tty && drawn) io.out(`\x1b[${drawn}A\x1b[J` + lines[0]);
      else io.out(lines[0]!);
      for (const l of lines.slice(1)) io.out(l);
      drawn = lines.length;
    };
    if (io.tty) {
      draw();
      runner.onNodeState(() => draw());
    } else runner.onNodeState((c) => io.out(`${c.node} ${c.state}${c.index !== undefined ? ` [${c.index}]` : ''}${c.error ? `: ${c.error.message}` : ''}`));
    runner.onState((s) => {
      if (s === 'paused') io.err('paused: press Enter to resume, Ctrl-C to abort');
    });
    let interrupts = 0;
    let eStopped: Promise<void> | undefined;
    if (io.onInterrupt) {
      cleanups.push(io.onInterrupt(() => {
        interrupts++;
        if (interrupts === 1 && runner.state === 'running') {
          io.err('Ctrl-C: pausing before the next node (Ctrl-C again to abort)');
          runner.pause();
        } else {
          io.err('Ctrl-C: aborting the sequence and e-stopping the rig');
          runner.abort('aborted by Ctrl-C');
          eStopped = executor.eStop().then((r) => {
            const report = r.result as Parameters<typeof formatEStop>[0] | undefined;
            if (report?.results) for (const l of formatEStop(report)) io.err(l);
          });
        }
      }));
    }
    if (io.onLine) cleanups.push(io.onLine(() => {
      if (runner.state === 'paused') {
        interrupts = 0;
        runner.resume();
      }
    }));
    const res = await runner.run();
    await eStopped;
    if (io.tty) draw();
    for (const f of res.failures) io.err(`failed: ${f.node}: ${f.error.message}`);
    io.out(`sequence '${ob.name}' ${res.state}`);
    return res.state === 'finished' ? 0 : 1;
  } finally {
    for (const c of cleanups) c();
    await rig.close();
  }
}
