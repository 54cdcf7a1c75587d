/**
 * `labrig demo --wire` (or `--rig FILE`): the demo on the wire simulators over real transports.
 * A rig of `sim:` URIs starts a Galil controller on TCP loopback and an Alicat MFC and a Legato
 * pump on ptys, and connects the real drivers to them. The MFC settles on a flow setpoint and the
 * pump starts dispensing; then a snaking 2-axis grid scan of the stage runs through the
 * RunEngine, with a point detector seeing a 2-D Gaussian of the stage position (read back over
 * the wire at each point), the MFC flow and the pumped volume as extra detectors and the whole
 * rig in a baseline stream. Any other readable device of a given rig (a `sim:nidaqmx` channel, ...)
 * is a detector too. Documents go to JSON lines and a live table. After the scan the rig
 * is e-stopped and the time to all devices stopped is printed.
 * @module
 */
import { resolve } from 'node:path';
import { CanceledError, InvalidInputError, isCanceled, toError } from '../core/errors.js';
import { RunEngine } from '../core/engine/index.js';
import { gridScan } from '../core/plans/index.js';
import { baselineWrapper } from '../core/plans/preprocessors/index.js';
import { isReadable, type Readable } from '../core/protocols.js';
import { Status } from '../core/status.js';
import { isAlicatController, type AlicatFlowController } from '../drivers/alicat/index.js';
import { GalilController, type GalilAxis } from '../drivers/galil/index.js';
import { LegatoPump } from '../drivers/legato/index.js';
import { formatEStop, installSignalHandlers, loadRig, loadRigSpec, registerBuiltinFamilies, type EStopReport, type Rig, type SignalHandlerOptions, type SignalHandlers } from '../rig/index.js';
import { SoftPointDetector } from '../sim/soft/index.js';
import { DEMO_HELP } from './demo-help.js';
import { attachRunOutput } from './run-output.js';
import { checkOutDir, oneLine, parseArgsError, UsageError, wantsHelp, wholeNumber } from './usage.js';

/** The rig the wire demo uses unless given another: three simulators, real drivers. */
export const WIRE_DEMO_RIG = {
  name: 'wire-demo',
  devices: {
    stage: {
      uri: 'sim:galil',
      enableOnConnect: true,
      pollMs: 5,
      axes: {
        x: { axis: 'A', countsPerUnit: 1000, units: 'mm', limits: [-5, 5], speed: 20, acceleration: 400, deceleration: 400 },
        y: { axis: 'B', countsPerUnit: 1000, units: 'mm', limits: [-5, 5], speed: 20, acceleration: 400, deceleration: 400 },
      },
    },
    mfc: { uri: 'sim:alicat?timeConstantMs=30', fullScale: 100 },
    pump: { uri: 'sim:legato', syringeVolume: '1 ml' },
  },
} as const;

/** Options of the wire demo. */
export interface WireDemoOptions {
  /** Folder for the JSON-lines files. Default `./runs`. */
  out?: string;
  /** Points per axis of the grid (the run has points² events). Default 5. */
  points?: number;
  /** Where table and report lines go. Default console.log. */
  print?: (line: string) => void;
  /** Print the live table. Default true. */
  table?: boolean;
  /** Rig file or object to use instead of {@link WIRE_DEMO_RIG}. */
  rig?: string | Record<string, unknown>;
  /** Stream of the progress bar, or false for none. Default process.stderr. */
  progress?: (NodeJS.WritableStream & { isTTY?: boolean }) | false;
  /** MFC flow setpoint held during the scan, in the MFC's units. Default 10. */
  flow?: number;
  /** Volume the pump dispenses during the scan, µl, and its rate, µl/min. Default 200 µl at 1500 µl/min. */
  dispense?: { ul: number; ulPerMin: number };
  /**
   * Stop the hardware on SIGINT/SIGTERM/SIGHUP/EPIPE while the demo runs (the rig's e-stop, the
   * run aborted, the writer closed, the rig closed, then exit 128+n): `true`, or the options of
   * {@link installSignalHandlers} besides rig, engine and writers (e.g. `exit` in tests). Default off.
   */
  handleSignals?: boolean | Omit<SignalHandlerOptions, 'rig' | 'engine' | 'writers'>;
}

/** What the wire demo produced. */
export interface WireDemoResult {
  exitStatus: string;
  /** JSON-lines files written. */
  files: string[];
  /** Events of the primary stream. */
  events: number;
  runStartUids: string[];
  /** The e-stop after the scan. */
  eStop: EStopReport;
  /** How the pump's dispense ended (`completed`, `stopped by the e-stop`, ...), or undefined without a pump. */
  dispense: string | undefined;
}

/** A point detector whose position is the stage's distance from a centre, read over the wire at each trigger. */
class StagePeakDetector extends SoftPointDetector {
  readonly #axes: readonly GalilAxis[];
  readonly #center: readonly number[];
  readonly #where: { position: number };

  constructor(name: string, axes: readonly GalilAxis[], center: readonly number[]) {
    const where = { position: 0 };
    super(name, { position: where, center: 0, sigma: 0.6, amplitude: 1000, background: 20, noise: 5, seed: 7, units: 'counts' });
    this.#where = where;
    this.#axes = axes;
    this.#center = center;
  }

  /** Read the axes' positions from the controller, then sample the peak there. */
  override trigger(): Status<unknown> {
    return Status.wrap<unknown>(async () => {
      const xs = await Promise.all(this.#axes.map((a) => a.readback.getValue(false)));
      this.#where.position = Math.hypot(...xs.map((x, i) => x - (this.#center[i] ?? 0)));
      await super.trigger();
    }, { name: `${this.name}.trigger()`, timeoutMs: 5000 });
  }
}

/** Pick the demo's roles from a rig: a Galil controller with two axes, and optionally an MFC and a pump. */
function roles(rig: Rig): { stage: GalilController; mfc: AlicatFlowController | undefined; pump: LegatoPump | undefined } {
  const devices = Object.values(rig.devices);
  const stage = devices.find((d): d is GalilController => d instanceof GalilController && d.axes.size >= 2);
  if (!stage) throw new InvalidInputError({ what: 'wire demo rig', value: rig.names, reason: 'needs a Galil controller with at least two axes' });
  const mfc = devices.find((d) => isAlicatController(d as never)) as AlicatFlowController | undefined;
  const pump = devices.find((d): d is LegatoPump => d instanceof LegatoPump);
  return { stage, mfc, pump };
}

/** Grid extent of an axis: ±1 unit, inside its software limits. */
function span(axis: GalilAxis): [number, number] {
  const lo = Math.max(-1, axis.limits?.low ?? -1);
  const hi = Math.min(1, axis.limits?.high ?? 1);
  return lo < hi ? [lo, hi] : [0, 0];
}

/** Run the wire demo and return where its data went and the e-stop report. */
export async function runWireDemo(options: WireDemoOptions = {}): Promise<WireDemoResult> {
  const out = resolve(options.out ?? 'runs');
  const points = options.points ?? 5;
  if (!Number.isInteger(points) || points < 1) throw new InvalidInputError({ what: 'wire demo points', value: points, reason: 'must be a whole number >= 1' });
  const print = options.print ?? ((l: string) => console.log(l));
  const rig = await loadRig(options.rig ?? (WIRE_DEMO_RIG as unknown as Record<string, unknown>));
  const re = new RunEngine({ md: { operator: 'labrig demo --wire', facility: 'wire simulators' } });
  const output = attachRunOutput(re, { out, print, label: 'grid', total: points * points, ...(options.table === undefined ? {} : { table: options.table }), ...(options.progress === undefined ? {} : { progress: options.progress }) });
  let handlers: SignalHandlers | undefined;
  if (options.handleSignals) {
    const extra = options.handleSignals === true ? {} : options.handleSignals;
    handlers = installSignalHandlers({ ...extra, rig, engine: re, writers: [output.writer] });
  }
  /** Throw when a signal came: nothing new may start once the e-stop was sent. */
  const notShuttingDown = (): void => {
    if (handlers?.shutdown) throw new CanceledError('labrig demo: stopping on a signal');
  };
  let dispensing: Promise<string> | undefined;
  let stopped = false;
  try {
    for (const n of rig.names) print(`${n}: ${rig.member(n).family} at ${rig.member(n).uri}`);
    const { stage, mfc, pump } = roles(rig);
    const [x, y] = [...stage.axes.values()] as [GalilAxis, GalilAxis];
    const det = new StagePeakDetector('det', [x, y], [0.3, -0.2]);
    await det.connect();

    notShuttingDown();
    if (mfc) {
      const flow = options.flow ?? 10;
      await mfc.set(flow);
      print(`${mfc.name}: holding ${flow} ${mfc.config.units.massFlow} (reads ${(await mfc.readback.getValue(false)).toFixed(2)})`);
    }
    notShuttingDown();
    if (pump) {
      const d = options.dispense ?? { ul: 200, ulPerMin: 1500 };
      const started = performance.now();
      dispensing = Promise.resolve(pump.dispense(d.ul, d.ulPerMin)).then(
        () => `completed ${d.ul} ul in ${((performance.now() - started) / 1000).toFixed(2)} s`,
        (e: unknown) => (isCanceled(e) ? 'stopped by the e-stop before its target' : `failed: ${toError(e).message}`),
      );
      print(`${pump.name}: dispensing ${d.ul} ul at ${d.ulPerMin} ul/min`);
    }

    // Every other readable device of the rig (a DAQ channel, a potentiostat, ...) is read at each point too.
    const extra = Object.values(rig.devices).filter((d): d is typeof d & Readable => d !== stage && d !== mfc && d !== pump && isReadable(d));
    for (const d of extra) print(`${(d as unknown as { name: string }).name}: read at every point`);
    const detectors: Readable[] = [det, ...(mfc ? [mfc.readback] : []), ...(pump ? [pump.infusedVolume] : []), ...extra];
    const [x0, x1] = span(x);
    const [y0, y1] = span(y);
    const plan = baselineWrapper(gridScan(detectors, x, x0, x1, points, y, y0, y1, points, true), [stage, ...(mfc ? [mfc] : []), ...(pump ? [pump] : [])]);
    notShuttingDown();
    const result = await re.run(plan, { sample: 'wire demo sample', purpose: 'labrig demo on wire simulators' });
    if (result.exitStatus !== 'success') print(`run ${result.exitStatus}: ${result.reason || 'no reason given'}`);
    // A signal ended the run: the handlers e-stop and close the rig and exit; do not race them.
    if (handlers?.shutdown) {
      await handlers.shutdown;
      throw new CanceledError(`labrig demo: run ended by a signal (${result.exitStatus}: ${result.reason})`);
    }

    const report = await rig.eStop();
    stopped = true;
    for (const line of formatEStop(report)) print(line);
    const dispense = dispensing ? await dispensing : undefined;
    if (dispense && pump) print(`${pump.name}: dispense ${dispense}`);
    const files = output.close();
    for (const f of files) print(`documents written to ${f}`);
    return { exitStatus: result.exitStatus, files, events: output.events, runStartUids: [...result.runStartUids], eStop: report, dispense };
  } finally {
    handlers?.();
    output.close();
    // On a failure before the planned e-stop, stop everything before closing (a pump keeps pumping otherwise).
    if (!stopped) await rig.eStop().catch(() => undefined);
    await rig.close();
    await dispensing;
  }
}

/** CLI entry: `labrig demo --wire [--rig FILE] [--out DIR] [--points N] [--no-table]`. */
export async function demoWireCli(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    console.log(DEMO_HELP);
    return 0;
  }
  const { parseArgs } = await import('node:util');
  let out: string;
  let points: number;
  let values: { out: string; points: string; 'no-table': boolean; rig?: string; wire: boolean };
  try {
    try {
      ({ values } = parseArgs({
        args,
        options: {
          out: { type: 'string', default: 'runs' }, points: { type: 'string', default: '5' }, 'no-table': { type: 'boolean', default: false },
          rig: { type: 'string' }, wire: { type: 'boolean', default: true },
        },
        strict: true,
      }) as { values: typeof values });
    } catch (e) {
      throw parseArgsError(e, 'demo');
    }
    points = wholeNumber('--points', values.points);
    out = checkOutDir(values.out);
    // Check the rig file (syntax, families, options) before anything starts.
    if (values.rig !== undefined) {
      registerBuiltinFamilies();
      try {
        loadRigSpec(values.rig);
      } catch (e) {
        throw new UsageError(`--rig ${values.rig}: ${oneLine(e)}`);
      }
    }
  } catch (e) {
    console.error(`labrig demo: ${e instanceof UsageError ? e.message : oneLine(e)}`);
    return 2;
  }
  console.log(`labrig demo --wire: ${points}x${points} grid scan of a Galil stage (TCP) while an Alicat MFC holds a flow and a Legato pump dispenses (ptys)`);
  try {
    const result = await runWireDemo({ out, points, table: !values['no-table'], handleSignals: true, ...(values.rig ? { rig: values.rig } : {}) });
    console.log(`\nrun ${result.exitStatus}: ${result.events} events`);
    if (!result.eStop.ok) console.log('e-stop after the run NOT confirmed on every device (see above)');
    return result.exitStatus === 'success' && result.eStop.ok ? 0 : 1;
  } catch (e) {
    console.error(`labrig demo: run failed: ${oneLine(e)}`);
    return 1;
  }
}
