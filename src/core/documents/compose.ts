/**
 * Compose one run's event-model documents: a run bundle hands out descriptor, resource and
 * stream-resource bundles, each of which composes the documents that point back at it.
 *
 * Composition does no schema validation (tests check that against the JSON Schemas); it checks
 * only what would make a run inconsistent (mismatched data keys, bad metadata keys, a second
 * stop). {@link ComposeDescriptorBundle.composeEvent} is on the run engine's hot path: it
 * allocates nothing beyond the event and checks keys by counting plus lookups.
 * @module
 */
import type { DataKeys, Hints } from '../protocols.js';
import { InvalidInputError, InvalidStateError } from '../errors.js';
import type {
  Datum, DatumPage, Event, EventDescriptor, EventPage, ObjectConfiguration, Resource, RunStart, RunStop,
  StreamDatum, StreamResource,
} from './types.js';
import { checkMetadataKeys, checkDataKeys, keyMismatch, countKeys, columnLength, checkRange } from './checks.js';

export { packEventPage, unpackEventPage, packDatumPage, unpackDatumPage } from './pages.js';

/** Char codes of the hex digits. */
const HEX = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEX[i] = '0123456789abcdef'.charCodeAt(i);
/**
 * Random bytes for 4096 uids, refilled in one call when used up: a `getRandomValues` call costs
 * ~6 µs whatever its size (measured: 4 KiB per call is ~25 ns per uid, 64 KiB — the most one call
 * may ask for — ~3 ns).
 */
const POOL = new Uint8Array(65536);
let poolAt = POOL.length;
const fromCodes = String.fromCharCode;

/**
 * Return a new globally unique id: a random (version 4) UUID, as `crypto.randomUUID()` makes, but
 * from a pool of random bytes drawn 64 KiB at a time and built as one flat string — it is on the
 * run engine's per-event path.
 */
export function newUid(): string {
  if (poolAt === POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  const b = POOL;
  const o = poolAt;
  poolAt = o + 16;
  const h = HEX;
  const v = (b[o + 6]! & 0x0f) | 0x40;
  const r = (b[o + 8]! & 0x3f) | 0x80;
  return fromCodes(
    h[b[o]! >> 4]!, h[b[o]! & 15]!, h[b[o + 1]! >> 4]!, h[b[o + 1]! & 15]!, h[b[o + 2]! >> 4]!, h[b[o + 2]! & 15]!, h[b[o + 3]! >> 4]!, h[b[o + 3]! & 15]!, 45,
    h[b[o + 4]! >> 4]!, h[b[o + 4]! & 15]!, h[b[o + 5]! >> 4]!, h[b[o + 5]! & 15]!, 45,
    h[v >> 4]!, h[v & 15]!, h[b[o + 7]! >> 4]!, h[b[o + 7]! & 15]!, 45,
    h[r >> 4]!, h[r & 15]!, h[b[o + 9]! >> 4]!, h[b[o + 9]! & 15]!, 45,
    h[b[o + 10]! >> 4]!, h[b[o + 10]! & 15]!, h[b[o + 11]! >> 4]!, h[b[o + 11]! & 15]!, h[b[o + 12]! >> 4]!, h[b[o + 12]! & 15]!,
    h[b[o + 13]! >> 4]!, h[b[o + 13]! & 15]!, h[b[o + 14]! >> 4]!, h[b[o + 14]! & 15]!, h[b[o + 15]! >> 4]!, h[b[o + 15]! & 15]!,
  );
}

const now = (): number => Date.now() / 1000;

/** Arguments of {@link ComposeRunBundle.composeDescriptor}. */
export interface ComposeDescriptorArgs {
  /** Stream name, e.g. `primary`; one descriptor per name and run. */
  name: string;
  dataKeys: DataKeys;
  objectKeys?: Record<string, string[]>;
  configuration?: Record<string, ObjectConfiguration>;
  hints?: Record<string, Hints>;
  /** Seconds since the epoch; default now. */
  time?: number;
}

/** Arguments of {@link ComposeDescriptorBundle.composeEvent}. */
export interface ComposeEventArgs {
  /** One value per data key of the descriptor, no more, no fewer (`STREAM:` keys may be left out). */
  data: Record<string, unknown>;
  /** One timestamp (seconds since the epoch) per data key. */
  timestamps: Record<string, number>;
  /** Seconds since the epoch; default now. */
  time?: number;
  /** Default: {@link ComposeDescriptorBundle.nextSeqNum}. */
  seqNum?: number;
  /** Default: `false` for each externally stored (non-stream) key, omitted when there are none. */
  filled?: Record<string, boolean | string>;
  uid?: string;
}

/** Arguments of {@link ComposeDescriptorBundle.composeEventPage}. */
export interface ComposeEventPageArgs {
  data: Record<string, unknown[]>;
  timestamps: Record<string, number[]>;
  /** Seconds since the epoch, one per row; default now for every row. */
  time?: number[];
  /** Default: consecutive from {@link ComposeDescriptorBundle.nextSeqNum}. */
  seqNum?: number[];
}

/** Composes the events of one stream. */
export interface ComposeDescriptorBundle {
  descriptor: EventDescriptor;
  /**
   * seq_num counts from 1 per descriptor unless given; data/timestamps keys must equal data_keys
   * (InvalidInputError naming the missing/extra key), except that keys marked `external: 'STREAM:'`
   * may be left out (as in event-model: their data are in stream_datum documents).
   */
  composeEvent(a: ComposeEventArgs): Event;
  /** Compose many rows at once; columns must all have the same length. */
  composeEventPage(a: ComposeEventPageArgs): EventPage;
  /** next seq_num that composeEvent will use; settable (the run engine rolls it back on rewind). */
  nextSeqNum: number;
}

/** Composes the datums of one resource. */
export interface ComposeResourceBundle {
  resource: Resource;
  /** Compose one datum; its id is `<resource uid>/<counter>`. */
  composeDatum(a: { datumKwargs: Record<string, unknown> }): Datum;
  /** Compose many datums at once; columns must all have the same length. */
  composeDatumPage(a: { datumKwargs: Record<string, unknown[]> }): DatumPage;
}

/** Composes the stream datums of one stream resource. */
export interface ComposeStreamResourceBundle {
  streamResource: StreamResource;
  /** Compose one stream datum; `seqNums` defaults to the next `indices.stop - indices.start` seq_nums of the descriptor, which it then advances. */
  composeStreamDatum(a: {
    descriptor: string;
    indices: { start: number; stop: number };
    seqNums?: { start: number; stop: number };
  }): StreamDatum;
}

/** Composes everything that belongs to one run. */
export interface ComposeRunBundle {
  start: RunStart;
  /** Compose the descriptor of a stream; a second one for the same name (new configuration) continues its seq_nums. */
  composeDescriptor(a: ComposeDescriptorArgs): ComposeDescriptorBundle;
  /** Compose a resource (external file) of this run. */
  composeResource(a: {
    spec: string; root: string; resourcePath: string; resourceKwargs: Record<string, unknown>;
    pathSemantics?: 'posix' | 'windows';
  }): ComposeResourceBundle;
  /** Compose a stream resource (external stream data for one data key) of this run. */
  composeStreamResource(a: {
    dataKey: string; mimetype: string; uri: string; parameters: Record<string, unknown>;
  }): ComposeStreamResourceBundle;
  /** num_events per stream name; second call → InvalidStateError */
  composeStop(a?: { exitStatus?: 'success' | 'abort' | 'fail'; reason?: string; time?: number }): RunStop;
  /** Whether composeStop has been called. */
  readonly stopped: boolean;
}

interface RunState {
  start: RunStart;
  stopped: boolean;
  descriptorsByName: Map<string, DescriptorBundle>;
  descriptorsByUid: Map<string, DescriptorBundle>;
}

function assertOpen(run: RunState, what: string): void {
  if (run.stopped) throw new InvalidStateError(`run ${run.start.uid}: ${what} after the run was stopped`);
}

function checkTime(what: string, time: unknown): number {
  if (typeof time !== 'number' || !Number.isFinite(time)) throw new InvalidInputError({ what, value: time, reason: 'must be a finite number of seconds since the epoch' });
  return time;
}

function checkSeqNum(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new InvalidInputError({ what, value: n, reason: 'must be a non-negative integer' });
  return n;
}

class DescriptorBundle implements ComposeDescriptorBundle {
  readonly descriptor: EventDescriptor;
  readonly #run: RunState;
  /** Keys every event must carry: all but the `STREAM:` ones (their data live in stream resources). */
  readonly #keys: string[];
  readonly #nKeys: number;
  readonly #streamKeys: ReadonlySet<string>;
  /** Keys whose data sit in files referenced by datum ids (need `filled`). */
  readonly #filledKeys: string[];
  #next = 1;

  constructor(run: RunState, descriptor: EventDescriptor) {
    this.#run = run;
    this.descriptor = descriptor;
    const all = Object.keys(descriptor.data_keys);
    const ext = (k: string): string => descriptor.data_keys[k]?.external ?? '';
    this.#streamKeys = new Set(all.filter((k) => ext(k).startsWith('STREAM:')));
    this.#keys = all.filter((k) => !this.#streamKeys.has(k));
    this.#nKeys = this.#keys.length;
    this.#filledKeys = this.#keys.filter((k) => ext(k) !== '');
  }

  get nextSeqNum(): number {
    return this.#next;
  }

  set nextSeqNum(n: number) {
    checkSeqNum(`${this.descriptor.name}.nextSeqNum`, n);
    this.#next = n;
  }

  composeEvent(a: ComposeEventArgs): Event {
    if (this.#run.stopped) assertOpen(this.#run, 'composeEvent');
    const { data, timestamps } = a;
    const keys = this.#keys;
    let ok = typeof data === 'object' && data !== null && typeof timestamps === 'object' && timestamps !== null
      && countKeys(data) === this.#nKeys && countKeys(timestamps) === this.#nKeys;
    for (let i = 0; ok && i < keys.length; i++) {
      const k = keys[i]!;
      ok = Object.hasOwn(data, k) && Object.hasOwn(timestamps, k);
    }
    if (!ok) this.#throwMismatch(data, timestamps);
    const seq = a.seqNum ?? this.#next;
    const event: Event = {
      uid: a.uid ?? newUid(),
      descriptor: this.descriptor.uid,
      seq_num: seq,
      time: a.time ?? Date.now() / 1000,
      data,
      timestamps,
      // event-model's compose_event always writes `filled` ({} when no key is external).
      filled: a.filled ?? this.#unfilled(),
    };
    this.#next = seq + 1;
    return event;
  }

  /** An event whose data and timestamps are known to hold exactly the descriptor's keys. */
  static matched(b: DescriptorBundle, data: Record<string, unknown>, timestamps: Record<string, number>, time: number): Event {
    if (b.#run.stopped) assertOpen(b.#run, 'composeEvent');
    const seq = b.#next;
    const event: Event = {
      uid: newUid(),
      descriptor: b.descriptor.uid,
      seq_num: seq,
      time,
      data,
      timestamps,
      filled: b.#unfilled(),
    };
    b.#next = seq + 1;
    return event;
  }

  composeEventPage(a: ComposeEventPageArgs): EventPage {
    assertOpen(this.#run, 'composeEventPage');
    this.#throwMismatch(a.data, a.timestamps);
    const n = columnLength(`event_page of ${this.descriptor.name}`, [a.data, a.timestamps]);
    if (a.time !== undefined && a.time.length !== n) throw new InvalidInputError({ what: 'event_page time', value: a.time.length, reason: `must have ${n} entries like the data columns` });
    if (a.seqNum !== undefined && a.seqNum.length !== n) throw new InvalidInputError({ what: 'event_page seqNum', value: a.seqNum.length, reason: `must have ${n} entries like the data columns` });
    const t = now();
    const seq = a.seqNum ?? Array.from({ length: n }, (_, i) => this.#next + i);
    const page: EventPage = {
      uid: Array.from({ length: n }, () => newUid()),
      descriptor: this.descriptor.uid,
      seq_num: seq,
      time: a.time ?? new Array<number>(n).fill(t),
      data: a.data,
      timestamps: a.timestamps,
    };
    if (this.#filledKeys.length > 0) {
      page.filled = {};
      for (const k of this.#filledKeys) page.filled[k] = new Array<boolean>(n).fill(false);
    }
    if (n > 0) this.#next = seq[n - 1]! + 1;
    return page;
  }

  #unfilled(): Record<string, boolean | string> {
    const filled: Record<string, boolean> = {};
    const keys = this.#filledKeys;
    for (let i = 0; i < keys.length; i++) filled[keys[i]!] = false;
    return filled;
  }

  /** Advance the seq_num counter past `count` rows claimed by a stream datum; return the range. */
  claim(count: number): { start: number; stop: number } {
    const start = this.#next;
    this.#next = start + count;
    return { start, stop: start + count };
  }

  /** Record that seq_nums up to `stop` (exclusive) are used. */
  advanceTo(stop: number): void {
    if (stop > this.#next) this.#next = stop;
  }

  /** Throw InvalidInputError naming the first missing or extra key; return when keys are fine after all. */
  #throwMismatch(data: object, timestamps: object): void {
    const expected = this.descriptor.data_keys;
    const optional = (k: string): boolean => this.#streamKeys.has(k);
    const bad = keyMismatch('data', expected, data, optional) ?? keyMismatch('timestamps', expected, timestamps, optional);
    if (bad) throw new InvalidInputError({ what: `${this.descriptor.name}: ${bad.what}`, value: bad.key, reason: bad.reason });
  }
}

/**
 * {@link ComposeDescriptorBundle.composeEvent} (next seq_num, new uid) without its data-key
 * check, for a caller that has already matched `data` and `timestamps` key for key against the
 * descriptor — the run engine's bundler does so for each reading on its per-event path. With
 * keys that do not match, the event would not match its descriptor: use composeEvent.
 */
export function composeMatchedEvent(
  bundle: ComposeDescriptorBundle, data: Record<string, unknown>, timestamps: Record<string, number>, time: number,
): Event {
  if (!(bundle instanceof DescriptorBundle)) throw new InvalidInputError({ what: 'composeMatchedEvent bundle', value: typeof bundle, reason: 'must come from composeRun().composeDescriptor' });
  return DescriptorBundle.matched(bundle, data, timestamps, time);
}

function composeDescriptor(run: RunState, a: ComposeDescriptorArgs): ComposeDescriptorBundle {
  assertOpen(run, 'composeDescriptor');
  if (typeof a.name !== 'string' || a.name === '') throw new InvalidInputError({ what: 'descriptor name', value: a.name, reason: 'must be a non-empty string' });
  // A stream may get a new descriptor when its configuration changes (bluesky re-emits one after
  // `configure`); its events then continue the stream's sequence numbers.
  const previous = run.descriptorsByName.get(a.name);
  checkDataKeys(`descriptor '${a.name}'`, a.dataKeys);
  const descriptor: EventDescriptor = {
    uid: newUid(),
    run_start: run.start.uid,
    time: a.time === undefined ? now() : checkTime('descriptor time', a.time),
    name: a.name,
    data_keys: a.dataKeys,
    object_keys: a.objectKeys ?? {},
    configuration: a.configuration ?? {},
    hints: a.hints ?? {},
  };
  const bundle = new DescriptorBundle(run, descriptor);
  if (previous) bundle.nextSeqNum = previous.nextSeqNum;
  run.descriptorsByName.set(a.name, bundle);
  run.descriptorsByUid.set(descriptor.uid, bundle);
  return bundle;
}

function composeResource(run: RunState, a: Parameters<ComposeRunBundle['composeResource']>[0]): ComposeResourceBundle {
  assertOpen(run, 'composeResource');
  for (const f of ['spec', 'root', 'resourcePath'] as const) {
    if (typeof a[f] !== 'string') throw new InvalidInputError({ what: `resource ${f}`, value: a[f], reason: 'must be a string' });
  }
  if (a.spec === '') throw new InvalidInputError({ what: 'resource spec', value: a.spec, reason: 'must name a handler' });
  const ps = a.pathSemantics ?? 'posix';
  if (ps !== 'posix' && ps !== 'windows') throw new InvalidInputError({ what: 'resource pathSemantics', value: ps, reason: "must be 'posix' or 'windows'" });
  const resource: Resource = {
    uid: newUid(),
    run_start: run.start.uid,
    spec: a.spec,
    root: a.root,
    resource_path: a.resourcePath,
    resource_kwargs: a.resourceKwargs ?? {},
    path_semantics: ps,
  };
  let counter = 0;
  return {
    resource,
    composeDatum({ datumKwargs }) {
      assertOpen(run, 'composeDatum');
      return { datum_id: `${resource.uid}/${counter++}`, resource: resource.uid, datum_kwargs: datumKwargs };
    },
    composeDatumPage({ datumKwargs }) {
      assertOpen(run, 'composeDatumPage');
      const n = columnLength('datum_page datumKwargs', [datumKwargs]);
      const ids = Array.from({ length: n }, () => `${resource.uid}/${counter++}`);
      return { datum_id: ids, resource: resource.uid, datum_kwargs: datumKwargs };
    },
  };
}

function composeStreamResource(run: RunState, a: Parameters<ComposeRunBundle['composeStreamResource']>[0]): ComposeStreamResourceBundle {
  assertOpen(run, 'composeStreamResource');
  for (const f of ['dataKey', 'mimetype', 'uri'] as const) {
    if (typeof a[f] !== 'string' || a[f] === '') throw new InvalidInputError({ what: `stream_resource ${f}`, value: a[f], reason: 'must be a non-empty string' });
  }
  const streamResource: StreamResource = {
    uid: newUid(),
    run_start: run.start.uid,
    data_key: a.dataKey,
    mimetype: a.mimetype,
    uri: a.uri,
    parameters: a.parameters ?? {},
  };
  let counter = 0;
  return {
    streamResource,
    composeStreamDatum({ descriptor, indices, seqNums }) {
      assertOpen(run, 'composeStreamDatum');
      const bundle = run.descriptorsByUid.get(descriptor);
      if (!bundle) throw new InvalidInputError({ what: 'stream_datum descriptor', value: descriptor, reason: `is not a descriptor of run ${run.start.uid}` });
      const idx = checkRange('stream_datum indices', indices);
      let seq: { start: number; stop: number };
      if (seqNums === undefined) seq = bundle.claim(idx.stop - idx.start);
      else {
        seq = checkRange('stream_datum seqNums', seqNums);
        bundle.advanceTo(seq.stop);
      }
      return {
        uid: `${streamResource.uid}/${counter++}`,
        stream_resource: streamResource.uid,
        descriptor,
        seq_nums: seq,
        indices: idx,
      };
    },
  };
}

const exitStatuses = new Set(['success', 'abort', 'fail']);

/** Open a run: compose its start document and return the bundle that composes the rest. */
export function composeRun(metadata: Record<string, unknown> = {}, options: { uid?: string; time?: number } = {}): ComposeRunBundle {
  checkMetadataKeys(metadata);
  const uid = options.uid ?? (metadata['uid'] as string | undefined) ?? newUid();
  if (typeof uid !== 'string' || uid === '') throw new InvalidInputError({ what: 'run uid', value: uid, reason: 'must be a non-empty string' });
  const time = checkTime('run time', options.time ?? metadata['time'] ?? now());
  const start: RunStart = { ...metadata, uid, time };
  const run: RunState = { start, stopped: false, descriptorsByName: new Map(), descriptorsByUid: new Map() };
  return {
    start,
    get stopped() {
      return run.stopped;
    },
    composeDescriptor: (a) => composeDescriptor(run, a),
    composeResource: (a) => composeResource(run, a),
    composeStreamResource: (a) => composeStreamResource(run, a),
    composeStop(a = {}) {
      if (run.stopped) throw new InvalidStateError(`run ${uid}: composeStop called twice`);
      const exit = a.exitStatus ?? 'success';
      if (!exitStatuses.has(exit)) throw new InvalidInputError({ what: 'exitStatus', value: exit, reason: "must be 'success', 'abort' or 'fail'" });
      if (a.reason !== undefined && typeof a.reason !== 'string') throw new InvalidInputError({ what: 'reason', value: a.reason, reason: 'must be a string' });
      const stopTime = a.time === undefined ? now() : checkTime('stop time', a.time);
      const numEvents: Record<string, number> = {};
      for (const [name, b] of run.descriptorsByName) numEvents[name] = Math.max(0, b.nextSeqNum - 1);
      run.stopped = true;
      return {
        uid: newUid(),
        run_start: uid,
        time: stopTime,
        exit_status: exit,
        reason: a.reason ?? '',
        num_events: numEvents,
      };
    },
  };
}
