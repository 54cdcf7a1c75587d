/**
 * Event-model document types (bluesky's data model). Field names are the schemas' own
 * (snake_case), so documents serialise as bluesky's tools expect.
 * @module
 */
import type { DataKeys, Hints } from '../protocols.js';

/** Names of the documents labrig emits. */
export type DocumentName =
  | 'start' | 'descriptor' | 'event' | 'event_page' | 'stop'
  | 'resource' | 'datum' | 'datum_page' | 'stream_resource' | 'stream_datum';

/** Opens a run. Extra metadata keys are allowed (no '.' or '/' in keys). */
export interface RunStart {
  uid: string;
  /** Seconds since the epoch. */
  time: number;
  scan_id?: number;
  plan_name?: string;
  hints?: { dimensions?: Array<[string[], string]>; gridding?: string };
  [key: string]: unknown;
}

/** Configuration of one object as recorded in a descriptor. */
export interface ObjectConfiguration {
  data: Record<string, unknown>;
  timestamps: Record<string, number>;
  data_keys: DataKeys;
}

/** Describes one stream of events. */
export interface EventDescriptor {
  uid: string;
  run_start: string;
  time: number;
  name: string;
  data_keys: DataKeys;
  object_keys: Record<string, string[]>;
  configuration: Record<string, ObjectConfiguration>;
  hints: Record<string, Hints>;
  [key: string]: unknown;
}

/** One row of a stream. */
export interface Event {
  uid: string;
  descriptor: string;
  seq_num: number;
  time: number;
  data: Record<string, unknown>;
  timestamps: Record<string, number>;
  filled?: Record<string, boolean | string>;
}

/** Many rows of a stream, column-wise. */
export interface EventPage {
  uid: string[];
  descriptor: string;
  seq_num: number[];
  time: number[];
  data: Record<string, unknown[]>;
  timestamps: Record<string, number[]>;
  filled?: Record<string, Array<boolean | string>>;
}

/** Closes a run. */
export interface RunStop {
  uid: string;
  run_start: string;
  time: number;
  exit_status: 'success' | 'abort' | 'fail';
  reason?: string;
  num_events?: Record<string, number>;
  [key: string]: unknown;
}

/** Points at externally stored data (a file) read by a handler named by `spec`. */
export interface Resource {
  uid: string;
  run_start?: string;
  spec: string;
  root: string;
  resource_path: string;
  resource_kwargs: Record<string, unknown>;
  path_semantics?: 'posix' | 'windows';
}

/** One slice of a Resource, referenced from an event's data by `datum_id`. */
export interface Datum {
  datum_id: string;
  resource: string;
  datum_kwargs: Record<string, unknown>;
}

/** Many Datums, column-wise. */
export interface DatumPage {
  datum_id: string[];
  resource: string;
  datum_kwargs: Record<string, unknown[]>;
}

/** Points at externally stored stream data (e.g. an HDF5 dataset) for one data key. */
export interface StreamResource {
  uid: string;
  run_start?: string;
  data_key: string;
  mimetype: string;
  uri: string;
  parameters: Record<string, unknown>;
}

/** Rows `indices` of a StreamResource belonging to a stream's events `seq_nums`. */
export interface StreamDatum {
  uid: string;
  stream_resource: string;
  descriptor: string;
  seq_nums: { start: number; stop: number };
  indices: { start: number; stop: number };
}

/** Map from document name to its type. */
export interface DocumentMap {
  start: RunStart;
  descriptor: EventDescriptor;
  event: Event;
  event_page: EventPage;
  stop: RunStop;
  resource: Resource;
  datum: Datum;
  datum_page: DatumPage;
  stream_resource: StreamResource;
  stream_datum: StreamDatum;
}

/** Any document. */
export type AnyDocument = DocumentMap[DocumentName];

/** Receives documents: `(name, doc)` as bluesky's callbacks do. */
export type DocumentCallback = <N extends DocumentName>(name: N, doc: DocumentMap[N]) => void;

/** `[name, doc]` pairs, one per document kind: the arguments of a {@link TypedSubscriber}. */
export type DocumentArgs = { [N in DocumentName]: [name: N, doc: DocumentMap[N]] }[DocumentName];

/**
 * A subscriber whose `(name, doc)` are discriminated by name: after `if (name === 'event')`,
 * TypeScript knows `doc` is an Event (`doc.data` type-checks under strict mode). May be async;
 * a rejection is handled like a throw.
 */
export type TypedSubscriber = (...args: DocumentArgs) => unknown;
