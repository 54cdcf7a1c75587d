/**
 * A live table of a run's events for terminals, like bluesky's LiveTable: a header when the
 * primary descriptor arrives, one row per event, a footer at the stop.
 * @module
 */
import type { DocumentName, EventDescriptor, Event, EventPage, RunStart, RunStop } from '../core/documents/types.js';

/** Options of a live table. */
export interface LiveTableOptions {
  /** Columns to show (data keys); default: the descriptor's hinted fields, else all scalar keys. */
  fields?: string[];
  /** Stream to show. Default `primary`. */
  stream?: string;
  /** Where lines go. Default: console.log. */
  out?: (line: string) => void;
  /** Digits after the decimal point. Default 4. */
  precision?: number;
}

/** Print events as table rows; use as a RunEngine subscriber. */
export class LiveTable {
  readonly #out: (line: string) => void;
  readonly #stream: string;
  readonly #precision: number;
  readonly #wanted: string[] | undefined;
  #columns: string[] = [];
  #descriptor: string | undefined;
  #widths: number[] = [];
  #start: number | undefined;
  #rows = 0;

  constructor(options: LiveTableOptions = {}) {
    this.#out = options.out ?? ((l) => console.log(l));
    this.#stream = options.stream ?? 'primary';
    this.#precision = options.precision ?? 4;
    this.#wanted = options.fields;
  }

  /** Receive one document. */
  readonly callback = (name: DocumentName, doc: unknown): void => {
    switch (name) {
      case 'start':
        this.#start = (doc as RunStart).time;
        this.#rows = 0;
        this.#out(`Transient Scan ID: ${(doc as RunStart).scan_id ?? '?'}     Time: ${new Date((doc as RunStart).time * 1000).toISOString()}`);
        this.#out(`Persistent Unique Scan ID: '${(doc as RunStart).uid}'`);
        break;
      case 'descriptor':
        this.#onDescriptor(doc as EventDescriptor);
        break;
      case 'event':
        this.#onEvent(doc as Event);
        break;
      case 'event_page': {
        const page = doc as EventPage;
        for (let i = 0; i < page.seq_num.length; i++) {
          const data: Record<string, unknown> = {};
          for (const k of Object.keys(page.data)) data[k] = page.data[k]![i];
          this.#onEvent({ uid: page.uid[i]!, descriptor: page.descriptor, seq_num: page.seq_num[i]!, time: page.time[i]!, data, timestamps: {} });
        }
        break;
      }
      case 'stop': {
        const stop = doc as RunStop;
        if (this.#descriptor) this.#out(this.#rule());
        const secs = this.#start !== undefined ? (stop.time - this.#start).toFixed(2) : '?';
        this.#out(`run ${stop.exit_status}${stop.reason ? ` (${stop.reason})` : ''}: ${this.#rows} rows in ${secs} s`);
        this.#descriptor = undefined;
        break;
      }
      default:
        break;
    }
  };

  #onDescriptor(d: EventDescriptor): void {
    if (d.name !== this.#stream) return;
    this.#descriptor = d.uid;
    const hinted = Object.values(d.hints ?? {}).flatMap((h) => h.fields ?? []);
    const scalar = Object.keys(d.data_keys).filter((k) => d.data_keys[k]!.shape.length === 0);
    this.#columns = (this.#wanted ?? (hinted.length ? [...new Set([...this.#motorKeys(d), ...hinted])] : scalar)).filter((k) => k in d.data_keys);
    this.#widths = this.#columns.map((c) => Math.max(c.length, this.#precision + 6));
    this.#out(this.#rule());
    this.#out(this.#line(['seq_num', 'time', ...this.#columns], [7, 10, ...this.#widths]));
    this.#out(this.#rule());
  }

  #motorKeys(d: EventDescriptor): string[] {
    // Keys of objects that are not hinted detectors: readbacks of motors listed first.
    const hintedObjs = new Set(Object.keys(d.hints ?? {}));
    return Object.entries(d.object_keys ?? {})
      .filter(([obj]) => !hintedObjs.has(obj))
      .flatMap(([, keys]) => keys.slice(0, 1));
  }

  #onEvent(e: Event): void {
    if (e.descriptor !== this.#descriptor) return;
    this.#rows++;
    const time = new Date(e.time * 1000).toISOString().slice(11, 21);
    const cells = this.#columns.map((c) => this.#fmt(e.data[c]));
    this.#out(this.#line([String(e.seq_num), time, ...cells], [7, 10, ...this.#widths]));
  }

  #fmt(v: unknown): string {
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(this.#precision);
    if (v === undefined) return '';
    return typeof v === 'string' ? v : JSON.stringify(v).slice(0, 12);
  }

  #line(cells: string[], widths: number[]): string {
    return `| ${cells.map((c, i) => c.padStart(widths[i] ?? c.length)).join(' | ')} |`;
  }

  #rule(): string {
    const w = [7, 10, ...this.#widths];
    return `+${w.map((n) => '-'.repeat(n + 2)).join('+')}+`;
  }
}
