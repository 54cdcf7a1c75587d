/**
 * `labrig run <plan> --rig FILE [options] [plan arguments]`: run one of labrig's plans on the
 * devices of any rig, with the live table, the progress bar and the JSON-lines files of `labrig
 * demo` (`src/cli/run-output.ts`).
 *
 * Devices are rig names (`pump`) or paths inside one (`stage.x`: axis `x` of device `stage`).
 * Plan arguments are typed: each is parsed before the rig is opened, and a wrong one is an
 * InvalidInputError naming the argument (`argument <num> of scan: expected a whole number >= 1`).
 * Detectors are `--det NAME[,NAME...]` (repeatable); by default every device of the rig that is
 * readable and does not hold a motor of the plan. Ctrl-C or SIGTERM aborts the run (its run_stop
 * says `abort`, the file keeps every event) and the command exits 130. Exit codes: 0 success,
 * 1 the run failed or was aborted, 2 bad command line.
 * @module
 */
import { resolve } from 'node:path';
import type { Device } from '../core/device/device.js';
import { InvalidInputError, toError } from '../core/errors.js';
import { RunEngine } from '../core/engine/index.js';
import { count, gridScan, listScan, relScan, scan, type RunPlan } from '../core/plans/index.js';
import { isMovable, isReadable, type Movable, type Readable } from '../core/protocols.js';
import { installSignalHandlers, loadRig, resolvePath, type Rig, type SignalHandlers } from '../rig/index.js';
import { reasonOf } from '../protocols/params.js';
import { oneLine, parseValue } from './read-set.js';
import { attachRunOutput } from './run-output.js';

/** The type of one positional plan argument. */
export type ArgKind = 'movable' | 'number' | 'count' | 'numbers';

/** A plan the command can run: its positional arguments and how to build it. */
export interface RunnablePlan {
  /** One line for the help text. */
  readonly doc: string;
  /** Positional arguments, in order. */
  readonly args: ReadonlyArray<{ readonly name: string; readonly kind: ArgKind }>;
  /** Build the plan from the detectors, the typed arguments, the options and the metadata. */
  build(detectors: Readable[], args: readonly unknown[], o: { num: number; delay: number; snake: boolean }, md: Record<string, unknown>): RunPlan;
}

const axis = (i: number): Array<{ name: string; kind: ArgKind }> => [
  { name: `motor${i}`, kind: 'movable' },
  { name: `start${i}`, kind: 'number' },
  { name: `stop${i}`, kind: 'number' },
  { name: `num${i}`, kind: 'count' },
];

/** The arguments of a one-motor scan. */
const ONE_AXIS = axis(1).map((a) => ({ ...a, name: a.name.slice(0, -1) }));

/** The plans `labrig run` knows, by name. */
export const RUN_PLANS: Readonly<Record<string, RunnablePlan>> = {
  count: {
    doc: 'count [--num N] [--delay S]                  read the detectors N times, S seconds apart',
    args: [],
    build: (dets, _a, o, md) => count(dets, o.num, o.delay, md),
  },
  scan: {
    doc: 'scan <motor> <start> <stop> <num>            move a motor through num evenly spaced points',
    args: ONE_AXIS,
    build: (dets, a, _o, md) => scan(dets, a[0] as Movable, a[1] as number, a[2] as number, a[3] as number, { md }),
  },
  'rel-scan': {
    doc: 'rel-scan <motor> <start> <stop> <num>        scan relative to where the motor is, and go back',
    args: ONE_AXIS,
    build: (dets, a, _o, md) => relScan(dets, a[0] as Movable, a[1] as number, a[2] as number, a[3] as number, { md }),
  },
  'list-scan': {
    doc: 'list-scan <motor> <p1,p2,...>                move a motor through the listed positions',
    args: [
      { name: 'motor', kind: 'movable' },
      { name: 'positions', kind: 'numbers' },
    ],
    build: (dets, a, _o, md) => listScan(dets, a[0] as Movable, a[1] as number[], { md }),
  },
  grid: {
    doc: 'grid <m1> <start1> <stop1> <num1> <m2> <start2> <stop2> <num2> [--snake]\n' + '                                               a 2-D grid, first motor slowest (--snake: the second snakes)',
    args: [...axis(1), ...axis(2)],
    build: (dets, a, o, md) => gridScan(dets, a[0] as Movable, a[1] as number, a[2] as number, a[3] as number, a[4] as Movable, a[5] as number, a[6] as number, a[7] as number, o.snake, { md }),
  },
};

/** The usage text of `labrig run`. */
export function runHelp(): string {
  return [
    'usage: labrig run <plan> --rig FILE [--det NAME[,NAME]] [--out DIR] [--no-table] [--md KEY=VALUE] [plan arguments]',
    '',
    'Run a plan on the devices of a rig file; devices are rig names or paths inside one (stage.x).',
    'Writes the run as JSON lines to --out (default ./runs), with a live table and a progress bar.',
    '',
    'plans:',
    ...Object.entries(RUN_PLANS).map(([, p]) => `  ${p.doc}`),
    '',
    'options:',
    '  --rig FILE          the rig file (YAML or JSON); sim: addresses start their simulators',
    '  --det NAME[,NAME]   detectors (repeatable); default: every readable rig device that holds no motor of the plan',
    '  --out DIR           folder for the JSON-lines files (default ./runs)',
    '  --md KEY=VALUE      start-document metadata (repeatable; VALUE is JSON when it parses, else text)',
    '  --no-table          no live table',
  ].join('\n');
}

/** A parsed `labrig run` command line, before any device is opened. */
export interface RunCommand {
  readonly plan: string;
  readonly rig: string;
  /** Positional plan arguments: numbers parsed, device names still names. */
  readonly args: readonly (string | number | number[])[];
  readonly detectors: readonly string[] | undefined;
  readonly out: string;
  readonly table: boolean;
  readonly md: Record<string, unknown>;
  readonly num: number;
  readonly delay: number;
  readonly snake: boolean;
}

function bad(what: string, value: unknown, reason: string): InvalidInputError {
  return new InvalidInputError({ what, value, reason });
}

/** Parse one positional argument of kind `kind` (device names are resolved later, against the rig). */
function typed(text: string, kind: ArgKind, what: string): string | number | number[] {
  const num = (t: string): number => {
    try {
      return parseValue(t.trim(), { dtype: 'number' }, what) as number;
    } catch (e) {
      throw e instanceof InvalidInputError ? bad(what, text, reasonOf(e)) : e;
    }
  };
  switch (kind) {
    case 'movable':
      if (/^[+-]?(?:\d|\.\d)/.test(text)) throw bad(what, text, 'expected a device name (a rig device or a path such as stage.x), not a number');
      return text;
    case 'number':
      return num(text);
    case 'count': {
      const n = num(text);
      if (!Number.isInteger(n) || n < 1) throw bad(what, text, 'expected a whole number >= 1');
      return n;
    }
    case 'numbers': {
      const list = text.split(',').filter((s) => s.trim() !== '');
      if (list.length === 0) throw bad(what, text, 'expected a comma-separated list of numbers such as 0,0.5,1');
      return list.map(num);
    }
  }
}

/** Parse `labrig run`'s arguments (everything after `run`); throws an InvalidInputError naming the wrong argument. */
export function parseRunArgs(argv: readonly string[]): RunCommand {
  const [plan, ...rest] = argv;
  if (plan === undefined || plan.startsWith('-')) throw bad('labrig run plan', plan ?? '', `name a plan first (${Object.keys(RUN_PLANS).join(', ')})`);
  const spec = RUN_PLANS[plan];
  if (!spec) throw bad('labrig run plan', plan, `unknown plan (known: ${Object.keys(RUN_PLANS).join(', ')})`);
  let rig: string | undefined;
  let out = 'runs';
  let table = true;
  let snake = false;
  let num: number | undefined;
  let delay: number | undefined;
  let detectors: string[] | undefined;
  const md: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined) throw bad(`option ${flag}`, '', 'needs a value');
      return v;
    };
    switch (flag) {
      case '--rig':
        rig = value();
        break;
      case '--out':
        out = value();
        break;
      case '--no-table':
        table = false;
        break;
      case '--snake':
        if (plan !== 'grid') throw bad('option --snake', plan, 'only the grid plan snakes');
        snake = true;
        break;
      case '--det':
        detectors = [...(detectors ?? []), ...value().split(',').map((s) => s.trim()).filter((s) => s !== '')];
        break;
      case '--num':
      case '--delay': {
        if (plan !== 'count') throw bad(`option ${flag}`, plan, 'is an option of the count plan');
        const v = value();
        const n = typed(v, flag === '--num' ? 'count' : 'number', `option ${flag}`) as number;
        if (flag === '--delay' && n < 0) throw bad('option --delay', v, 'expected seconds >= 0');
        if (flag === '--num') num = n;
        else delay = n;
        break;
      }
      case '--md': {
        const v = value();
        const k = v.indexOf('=');
        if (k < 1) throw bad('option --md', v, 'expected KEY=VALUE');
        const text = v.slice(k + 1);
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // plain text
        }
        md[v.slice(0, k)] = parsed;
        break;
      }
      default:
        throw bad('option', a, `unknown option of labrig run (see labrig run --help)`);
    }
  }
  if (rig === undefined) throw bad('option --rig', '', 'is required: the rig file whose devices the plan uses');
  if (positionals.length !== spec.args.length) {
    const names = spec.args.map((s) => `<${s.name}>`).join(' ') || '(none)';
    throw bad(`arguments of ${plan}`, positionals, `expected ${spec.args.length}: ${names}`);
  }
  const args = spec.args.map((s, i) => typed(positionals[i]!, s.kind, `argument <${s.name}> of ${plan}`));
  return { plan, rig, args, detectors, out, table, md, num: num ?? 1, delay: delay ?? 0, snake };
}

/** Find `name` in the rig: a device name, or `device.path` inside one. */
export function rigDevice(rig: Rig, name: string, what: string): Device {
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  if (!rig.names.includes(head)) throw bad(what, name, `no device '${head}' in the rig (have ${rig.names.join(', ')})`);
  const device = rig.get(head) as unknown as Device;
  return dot < 0 ? device : resolvePath(device, name.slice(dot + 1)).node;
}

/** Whether `outer` is `inner` or holds it in its tree. */
function holds(outer: Device, inner: Device): boolean {
  for (let d: Device | undefined = inner; d; d = d.parent as Device | undefined) if (d === outer) return true;
  return false;
}

/** Where the runner's output goes (tests pass their own). */
export interface RunIO {
  out(line: string): void;
  err(line: string): void;
  /** Progress bar stream, or false. Default process.stderr. */
  progress?: (NodeJS.WritableStream & { isTTY?: boolean }) | false;
  /**
   * Listen for the signals that abort the run (tests). Default: {@link installSignalHandlers} on the
   * process (abort, rig e-stop, file flushed, exit 128+n).
   */
  onSignal?: (handler: (signal: string) => void) => () => void;
}

/** The outcome of {@link runPlan}. */
export interface RunOutcome {
  readonly exitStatus: string;
  /** Why the run did not succeed (empty on success). */
  readonly reason: string;
  readonly files: string[];
  readonly events: number;
  readonly runStartUids: string[];
  /** The signal that aborted the run, if one did. */
  readonly signal: string | undefined;
}

/** Open the rig, run the parsed command's plan on it, close the rig; the run's outcome. */
export async function runPlan(cmd: RunCommand, io: RunIO): Promise<RunOutcome> {
  const spec = RUN_PLANS[cmd.plan]!;
  const rig = await loadRig(cmd.rig);
  let signal: string | undefined;
  let off: (() => void) | undefined;
  let output: ReturnType<typeof attachRunOutput> | undefined;
  try {
    const args = spec.args.map((s, i) => {
      const a = cmd.args[i]!;
      if (s.kind !== 'movable') return a;
      const d = rigDevice(rig, a as string, `argument <${s.name}> of ${cmd.plan}`);
      if (!isMovable(d)) throw bad(`argument <${s.name}> of ${cmd.plan}`, a, 'is not movable (name an axis or a settable device)');
      return d;
    });
    const motors = args.filter((a): a is Device & Movable => typeof a === 'object' && !Array.isArray(a));
    const detectors = cmd.detectors
      ? cmd.detectors.map((n) => {
          const d = rigDevice(rig, n, '--det');
          if (!isReadable(d)) throw bad('--det', n, 'is not readable');
          return d as Device & Readable;
        })
      : rig.names.map((n) => rig.get(n) as unknown as Device).filter((d): d is Device & Readable => isReadable(d) && !motors.some((m) => holds(d, m)));
    if (detectors.length === 0) throw bad('detectors', cmd.detectors ?? [], 'none: name some with --det, or add a readable device to the rig');
    const re = new RunEngine({ md: { operator: 'labrig run', rig: rig.name ?? cmd.rig } });
    output = attachRunOutput(re, { out: resolve(cmd.out), print: io.out, table: cmd.table, label: cmd.plan, progress: io.progress ?? process.stderr });
    const plan = spec.build(detectors, args, cmd, { ...cmd.md });
    let handlers: SignalHandlers | undefined;
    if (io.onSignal) {
      off = io.onSignal((s) => {
        if (signal !== undefined) return;
        signal = s;
        io.err(`labrig run: ${s}: aborting the run`);
        re.abort(`${s} received`).catch(() => undefined);
      });
    } else {
      // The process's signals: abort the run, e-stop the rig, flush the file, exit 128+n (a second signal exits at once).
      handlers = installSignalHandlers({
        rig,
        engine: re,
        writers: [output.writer],
        log: io.err,
        onSignal: (cause) => {
          signal = cause;
          io.err(`labrig run: ${cause}: aborting the run and stopping the rig`);
        },
      });
      off = handlers;
    }
    const result = await re.run(plan);
    // A signal ended the run: the handlers e-stop and close the rig and exit; do not race them.
    if (handlers?.shutdown) await handlers.shutdown;
    const files = output.close();
    for (const f of files) io.out(`documents written to ${f}`);
    return { exitStatus: result.exitStatus, reason: result.reason ?? '', files, events: output.events, runStartUids: [...result.runStartUids], signal };
  } finally {
    off?.();
    output?.close();
    await rig.close();
  }
}

/** `labrig run` (see the module notes); resolves with the exit code. */
export async function runCli(args: string[], io: RunIO = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    (args.length === 0 ? io.err : io.out)(runHelp());
    return args.length === 0 ? 2 : 0;
  }
  let cmd: RunCommand;
  try {
    cmd = parseRunArgs(args);
  } catch (e) {
    io.err(`labrig run: ${toError(e).message}`);
    return 2;
  }
  try {
    const r = await runPlan(cmd, io);
    io.out(`run ${r.exitStatus}: ${r.events} events${r.exitStatus === 'success' ? '' : ` (${r.reason || 'no reason given'})`}`);
    if (r.signal) return 130;
    return r.exitStatus === 'success' ? 0 : 1;
  } catch (e) {
    io.err(`labrig run: ${oneLine(e)}`);
    return 1;
  }
}
