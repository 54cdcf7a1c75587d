/**
 * `labrig demo`: the main job. Runs a scan of simulated devices through the RunEngine, prints a
 * live table and a progress bar, and writes the run as JSON lines (suitcase-jsonl layout).
 * @module
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { RunEngine } from '../core/engine/index.js';
import { scan } from '../core/plans/index.js';
import type { DocumentName, RunStart, Event, EventPage } from '../core/documents/types.js';
import { SoftMotor, SoftPointDetector } from '../sim/soft/index.js';
import { JsonlWriter } from '../writers/jsonl.js';
import { installSignalHandlers, type SignalHandlerOptions } from '../rig/shutdown.js';
import { DEMO_HELP } from './demo-help.js';
import { LiveTable } from './live-table.js';
import { checkOutDir, oneLine, parseArgsError, UsageError, wantsHelp, wholeNumber } from './usage.js';
import { ProgressPrinter, renderBar } from './progress.js';

/** Options of the demo. */
export interface DemoOptions {
  /** Folder for the JSON-lines files. Default `./runs`. */
  out?: string;
  /** Points of the scan. Default 21. */
  points?: number;
  /** Print the live table. Default true. */
  table?: boolean;
  /** Where table lines go. Default console.log. */
  print?: (line: string) => void;
  /** Motor speed-up factor (1 = real time). Default 20. */
  timeScale?: number;
  /** Stop the motor, abort the run and close the writer on SIGINT/SIGTERM/SIGHUP/EPIPE, then exit 128+n (see installSignalHandlers). Default off. */
  handleSignals?: boolean | Omit<SignalHandlerOptions, 'engine' | 'writers' | 'stop'>;
}

/** What the demo produced. */
export interface DemoResult {
  exitStatus: string;
  files: string[];
  events: number;
  runStartUids: string[];
}

/** Run the demo scan and return where its data went. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const out = resolve(options.out ?? 'runs');
  const points = options.points ?? 21;
  const print = options.print ?? ((l: string) => console.log(l));
  const timeScale = options.timeScale ?? 20;

  const motor = new SoftMotor('sample_x', { velocity: 2, acceleration: 10, limits: { low: -5, high: 5 }, units: 'mm', timeScale });
  const det = new SoftPointDetector('det', { position: motor, center: 0.3, sigma: 0.4, amplitude: 1000, background: 20, noise: 5, seed: 7, units: 'counts' });
  await Promise.all([motor.connect(), det.connect()]);

  const re = new RunEngine({ md: { operator: 'labrig demo', facility: 'simulated bench' } });
  const writer = new JsonlWriter({ directory: out });
  const progress = new ProgressPrinter();
  let numPoints = points;
  let events = 0;
  re.subscribe(writer.callback);
  const extra = options.handleSignals === true ? {} : options.handleSignals || undefined;
  const handlers = extra ? installSignalHandlers({ ...extra, engine: re, writers: [writer], stop: () => motor.stop() }) : undefined;
  if (options.table ?? true) re.subscribe(new LiveTable({ out: print }).callback);
  re.subscribe((name: DocumentName, doc: unknown) => {
    if (name === 'start') numPoints = Number((doc as RunStart)['num_points'] ?? points);
    if (name === 'event' || name === 'event_page') {
      events += name === 'event' ? 1 : (doc as EventPage).seq_num.length;
      const seq = name === 'event' ? (doc as Event).seq_num : Math.max(...(doc as EventPage).seq_num);
      progress.show(`scan ${renderBar(seq / numPoints)} ${seq}/${numPoints} points`, seq / numPoints);
    }
    if (name === 'stop') progress.end();
  });
  try {
    const result = await re.run(scan([det], motor, -2, 2, points), { sample: 'demo sample', purpose: 'labrig demo' });
    if (result.exitStatus !== 'success') print(`run ${result.exitStatus}: ${result.reason || 'no reason given'}`);
    return { exitStatus: result.exitStatus, files: writer.close(), events, runStartUids: [...result.runStartUids] };
  } finally {
    handlers?.();
    writer.close();
    await motor.stop().catch(() => undefined);
  }
}

/** CLI entry: `labrig demo --soft [--out DIR] [--points N] [--no-table]`. */
export async function demoCli(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    console.log(DEMO_HELP);
    return 0;
  }
  let values: { out: string; points: string; 'no-table': boolean };
  let out: string;
  let points: number;
  try {
    try {
      ({ values } = parseArgs({
        args,
        options: { out: { type: 'string', default: 'runs' }, points: { type: 'string', default: '21' }, 'no-table': { type: 'boolean', default: false } },
        strict: true,
      }));
    } catch (e) {
      throw parseArgsError(e, 'demo');
    }
    points = wholeNumber('--points', values.points);
    out = checkOutDir(values.out);
  } catch (e) {
    console.error(`labrig demo: ${e instanceof UsageError ? e.message : oneLine(e)}`);
    return 2;
  }
  console.log('labrig demo: scanning a simulated motor (sample_x) through a peak seen by a simulated detector (det)');
  try {
    const result = await runDemo({ out, points, table: !values['no-table'], handleSignals: true });
    console.log(`\nrun ${result.exitStatus}: ${result.events} events`);
    for (const f of result.files) console.log(`documents written to ${f}`);
    return result.exitStatus === 'success' ? 0 : 1;
  } catch (e) {
    console.error(`labrig demo: run failed: ${oneLine(e)}`);
    return 1;
  }
}
