/**
 * What the `labrig` command shows and writes while a plan runs (`labrig demo`, `labrig run`): the
 * documents as JSON lines (one `[name, doc]` per line) in a folder, a live table of the primary
 * stream and a progress bar counting its events against the start document's `num_points`.
 * @module
 */
import type { DocumentName, Event, EventPage, RunStart } from '../core/documents/types.js';
import type { DocumentSubscriber } from '../core/documents/dispatcher.js';
import { JsonlWriter } from '../writers/jsonl.js';
import { LiveTable } from './live-table.js';
import { ProgressPrinter, renderBar } from './progress.js';

/** Options of {@link attachRunOutput}. */
export interface RunOutputOptions {
  /** Folder for the JSON-lines files (created when the first run starts). */
  out: string;
  /** Where table lines go. Default console.log. */
  print?: (line: string) => void;
  /** Print the live table. Default true. */
  table?: boolean;
  /** Stream of the progress bar, or false for none. Default process.stderr. */
  progress?: (NodeJS.WritableStream & { isTTY?: boolean }) | false;
  /** Word before the bar (`grid`, `scan`). Default `run`. */
  label?: string;
  /** Points expected when the start document does not say (`num_points`). */
  total?: number;
}

/** The output attached to a run engine. */
export interface RunOutput {
  /** Events (rows of event pages included) of the primary stream so far. */
  readonly events: number;
  /** The JSON-lines writer (for signal handlers that must flush it). */
  readonly writer: JsonlWriter;
  /** Close the writer; returns the files written. Safe to call more than once. */
  close(): string[];
}

/** Subscribe the JSON-lines writer, the live table and the progress bar to `re`. */
export function attachRunOutput(re: { subscribe(callback: DocumentSubscriber): number }, options: RunOutputOptions): RunOutput {
  const writer = new JsonlWriter({ directory: options.out });
  const print = options.print ?? ((l: string) => console.log(l));
  const label = options.label ?? 'run';
  re.subscribe(writer.callback);
  if (options.table ?? true) re.subscribe(new LiveTable({ out: print }).callback);
  const progress = options.progress === false ? undefined : new ProgressPrinter(options.progress ?? process.stderr);
  let total = options.total ?? 0;
  let events = 0;
  let primaryUid: string | undefined;
  re.subscribe((name: DocumentName, doc: unknown) => {
    if (name === 'start') {
      const n = Number((doc as RunStart)['num_points']);
      if (Number.isFinite(n) && n > 0) total = n;
    }
    if (name === 'descriptor' && (doc as { name?: string }).name === 'primary') primaryUid = (doc as { uid: string }).uid;
    if ((name === 'event' || name === 'event_page') && (doc as Event).descriptor === primaryUid) {
      events += name === 'event' ? 1 : (doc as EventPage).seq_num.length;
      const fraction = total > 0 ? Math.min(1, events / total) : 0;
      progress?.show(total > 0 ? `${label} ${renderBar(fraction)} ${events}/${total} points` : `${label} ${events} points`, fraction);
    }
    if (name === 'stop') progress?.end();
  });
  return {
    get events() {
      return events;
    },
    writer,
    close: () => writer.close(),
  };
}
