/**
 * RunBundler: everything the engine tracks for one open run — its composer, streams and their
 * descriptors, the event being bundled (create → read → save), seq_num checkpoints for rewind,
 * monitors, flyers not yet collected, and the `interruptions` stream.
 * @module
 */
import { InvalidInputError, InvalidStateError, UnsupportedError } from '../errors.js';
import { composeMatchedEvent, composeRun } from '../documents/compose.js';
import type { ComposeDescriptorBundle, ComposeRunBundle } from '../documents/compose.js';
import type { AnyDocument, DocumentName, ObjectConfiguration, RunStart } from '../documents/types.js';
import type { DataKeys, Hints, Readings, Subscribable } from '../protocols.js';
import { deviceName } from '../protocols.js';
import type { DocumentEmitter } from './emitter.js';

/** What a bundler needs from the engine. */
export interface BundlerHost {
  readonly emitter: DocumentEmitter;
  /** Report an error raised outside the plan's message flow (e.g. in a monitor callback). */
  reportAsyncError(err: unknown): void;
}

/** Kind of a stream: step events, monitor events, collected (flyer) events, or interruptions. */
export type StreamKind = 'event' | 'monitor' | 'collect' | 'interruptions';

/** One stream of a run. */
export interface StreamInfo {
  readonly name: string;
  readonly kind: StreamKind;
  /** The stream's current descriptor bundle (replaced when a `configure` changes its configuration). */
  bundle: ComposeDescriptorBundle;
  /** Objects whose readings make up the stream. */
  readonly objs: readonly object[];
  /** Per data key, the `typeof` a value must have (or the dtype when only a closer check can tell). */
  want: Record<string, string>;
  /** Number of keys of `want`. */
  nKeys: number;
}

const TYPEOF: Record<string, string> = { number: 'number', string: 'string', boolean: 'boolean' };

/** Per data key, what {@link checkValue} is asked to confirm on the fast path. */
function wantOf(dataKeys: DataKeys): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in dataKeys) {
    const dk = dataKeys[k]!;
    // An external key holds a datum id, not its dtype's value.
    out[k] = dk.external ? 'external' : TYPEOF[dk.dtype] ?? dk.dtype;
  }
  return out;
}

/**
 * Check one reading against its data key's dtype; throw InvalidInputError naming the device,
 * the key and the value. NaN and ±Infinity are numbers (event-model's dtype `number`; bluesky
 * emits them too) and are kept as they are; JSON writers turn them into `null`.
 */
export function checkValue(stream: string, obj: object, key: string, reading: unknown, dtype: string | undefined): void {
  const fail = (reason: string, value: unknown): never => {
    throw new InvalidInputError({ what: `reading '${key}' of ${deviceName(obj)} (stream '${stream}')`, value: typeof value === 'function' ? '[function]' : value, reason });
  };
  if (typeof reading !== 'object' || reading === null) fail('must be a reading {value, timestamp}', reading);
  const { value, timestamp } = reading as { value?: unknown; timestamp?: unknown };
  if (typeof timestamp !== 'number') fail('must have a numeric timestamp (seconds since the epoch)', timestamp);
  if (dtype === undefined) return;
  switch (dtype) {
    case 'number':
      if (typeof value !== 'number') fail(`must be a number (data key dtype 'number'), got ${describeType(value)}`, value);
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail(`must be an integer (data key dtype 'integer'), got ${describeType(value)}`, value);
      return;
    case 'string':
    case 'boolean':
      if (typeof value !== dtype) fail(`must be a ${dtype} (data key dtype '${dtype}'), got ${describeType(value)}`, value);
      return;
    case 'array':
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) fail(`must be an array (data key dtype 'array'), got ${describeType(value)}`, value);
      return;
    default:
      if (value === undefined || typeof value === 'function') fail(`must be a value, got ${describeType(value)}`, value);
  }
}

/** The dtype to check for key `k` of `stream` (undefined for external or unknown keys). */
function dtypeOf(stream: StreamInfo, k: string): string | undefined {
  const dk = stream.bundle.descriptor.data_keys[k];
  return dk === undefined || dk.external ? undefined : dk.dtype;
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** A monitor: the subscription feeding a monitor stream. */
interface Monitor {
  readonly obj: Subscribable;
  readonly stream: StreamInfo;
  readonly callback: (readings: Readings) => void;
  active: boolean;
}

/** Seconds since the epoch (event-model time). */
export const nowSeconds = (): number => Date.now() / 1000;

const INTERRUPTIONS_KEYS: DataKeys = { interruptions: { dtype: 'string', shape: [], source: 'RunEngine' } };

/** Bundle readings into documents for one open run. */
export class RunBundler {
  /** The run key (`msg.run`) this bundler answers to. */
  readonly key: string | undefined;
  readonly compose: ComposeRunBundle;
  readonly #host: BundlerHost;
  readonly streams = new Map<string, StreamInfo>();
  readonly #describe = new Map<object, DataKeys>();
  /** The last object found in `#describe` by addReading (one Map lookup fewer per read of the same device). */
  #lastDescribed: object | undefined;
  readonly #config = new Map<object, ObjectConfiguration | null>();
  /** Streams whose seq_num rolls back on rewind, and their seq_nums at the last checkpoint. */
  readonly #step: StreamInfo[] = [];
  readonly #snap: number[] = [];
  #interruptions: ComposeDescriptorBundle | undefined;
  /** The stream of the last saved event (fast path for the next save). */
  #last: StreamInfo | undefined;
  readonly monitors = new Map<object, Monitor>();
  /** Flyers kicked off and not yet collected (collected as a backstop at cleanup). */
  readonly uncollected = new Set<object>();

  bundling = false;
  /** Counts opened (and rewound) events: a read that settles after its event was dropped by a rewind is ignored. */
  bundleEpoch = 0;
  #bundleName = 'primary';
  /** Streams whose objects were reconfigured: their next event gets a new descriptor. */
  readonly #stale = new Set<StreamInfo>();
  /** The open event's objects and readings: the first `#n` entries (arrays reused between events). */
  readonly #bundleObjs: object[] = [];
  readonly #bundleReadings: Readings[] = [];
  #n = 0;
  #assets: Array<readonly [string, Record<string, unknown>]> | undefined;

  constructor(host: BundlerHost, md: Record<string, unknown>, key: string | undefined, recordInterruptions: boolean) {
    this.#host = host;
    this.key = key;
    this.compose = composeRun(md);
    host.emitter.emit('start', this.compose.start);
    if (recordInterruptions) {
      const b = this.compose.composeDescriptor({ name: 'interruptions', dataKeys: INTERRUPTIONS_KEYS });
      this.#interruptions = b;
      this.streams.set('interruptions', { name: 'interruptions', kind: 'interruptions', bundle: b, objs: [], want: wantOf(INTERRUPTIONS_KEYS), nKeys: 1 });
      host.emitter.emit('descriptor', b.descriptor);
    }
  }

  /** uid of the run_start document. */
  get uid(): string {
    return this.compose.start.uid;
  }

  /** The run_start document. */
  get start(): RunStart {
    return this.compose.start;
  }

  /** Emit a document of this run. */
  emit(name: DocumentName, doc: AnyDocument): void {
    this.#host.emitter.emit(name, doc);
  }

  /** Begin bundling an event for stream `name` (`create`). */
  create(name: string): void {
    if (this.bundling) throw new InvalidStateError(`'create' for stream '${name}' while an event of '${this.#bundleName}' is still open (missing 'save' or 'drop')`);
    this.bundling = true;
    this.bundleEpoch++;
    this.#bundleName = name;
    this.#n = 0;
    this.#assets = undefined;
  }

  /** Add `obj`'s readings to the open event; a promise when the object must be described first. */
  addReading(obj: object, readings: Readings): void | Promise<void> {
    const objs = this.#bundleObjs;
    const n = this.#n;
    for (let i = 0; i < n; i++) {
      if (objs[i] === obj) throw new InvalidStateError(`'read' of ${deviceName(obj)} twice in one event of stream '${this.#bundleName}'`);
    }
    objs[n] = obj;
    this.#bundleReadings[n] = readings;
    this.#n = n + 1;
    let pending: Promise<void> | undefined;
    if (obj !== this.#lastDescribed) {
      if (!this.#describe.has(obj)) pending = this.describeAndConfig(obj);
      else this.#lastDescribed = obj;
    }
    const assetFn = (obj as { collectAssetDocs?: () => unknown }).collectAssetDocs;
    if (typeof assetFn === 'function') {
      const docs = assetFn.call(obj);
      if (docs instanceof Promise) {
        const p = docs.then((d) => this.#stashAssets(d));
        pending = pending ? pending.then(() => p) : p;
      } else this.#stashAssets(docs);
    }
    return pending;
  }

  /** Emit the open event (and its stream's descriptor the first time) (`save`). */
  save(): void {
    if (!this.bundling) throw new InvalidStateError("'save' without an open event (missing 'create')");
    this.bundling = false;
    const name = this.#bundleName;
    const n = this.#n;
    if (n === 0) {
      // Nothing was read: bluesky emits neither a descriptor nor an event.
      this.#assets = undefined;
      return;
    }
    let stream = this.#last;
    if (stream === undefined || stream.name !== name) stream = this.streams.get(name);
    if (stream === undefined) {
      const objs = this.#bundleObjs.slice(0, n);
      stream = this.addStream(name, 'event', objs, this.describedKeys(objs));
    } else if (!sameObjects(stream.objs, this.#bundleObjs, n)) {
      throw new InvalidStateError(
        `stream '${name}' holds ${namesOf(stream.objs)} but this event read ${namesOf(this.#bundleObjs.slice(0, n))}; use another stream name`,
      );
    }
    if (this.#stale.size !== 0 && this.#stale.has(stream)) this.#redescribe(stream);
    this.#last = stream;
    const data: Record<string, unknown> = {};
    const timestamps: Record<string, number> = {};
    const readings = this.#bundleReadings;
    const want = stream.want;
    // `fast` counts keys whose value has the JS type its dtype asks for (so the key is one of the
    // descriptor's, not external); anything else is checked closely and sets `slow`.
    let fast = 0;
    let slow = false;
    for (let i = 0; i < n; i++) {
      const r = readings[i]!;
      for (const k in r) {
        const reading = r[k]!;
        const v = reading?.value;
        if (typeof v === want[k] && typeof reading.timestamp === 'number') fast++;
        else {
          checkValue(name, this.#bundleObjs[i]!, k, reading, dtypeOf(stream, k));
          slow = true;
        }
        data[k] = v;
        timestamps[k] = reading.timestamp;
      }
    }
    if (this.#assets !== undefined) {
      const seq = stream.bundle.nextSeqNum;
      this.emitAssetDocs(this.#assets, stream, seq);
      this.#assets = undefined;
      stream.bundle.nextSeqNum = seq;
    }
    // One object's readings, every key one of the descriptor's and as many as it has: the keys
    // match exactly (one object's keys are distinct), so composeEvent's key check is skipped.
    const event = n === 1 && !slow && fast === stream.nKeys
      ? composeMatchedEvent(stream.bundle, data, timestamps, nowSeconds())
      : stream.bundle.composeEvent({ data, timestamps, time: nowSeconds() });
    this.#host.emitter.emitEvent(event);
  }

  /** Discard the open event (`drop`). */
  drop(): void {
    if (!this.bundling) throw new InvalidStateError("'drop' without an open event (missing 'create')");
    this.bundling = false;
    this.#assets = undefined;
  }

  /** Compose and emit the descriptor of a new stream. */
  addStream(name: string, kind: StreamKind, objs: readonly object[], dataKeys: DataKeys): StreamInfo {
    if (this.streams.has(name)) throw new InvalidStateError(`stream '${name}' already exists in run ${this.uid}`);
    const bundle = this.#composeStream(name, objs, dataKeys);
    const info: StreamInfo = { name, kind, bundle, objs: [...objs], want: wantOf(dataKeys), nKeys: Object.keys(dataKeys).length };
    this.streams.set(name, info);
    if (kind === 'event' || kind === 'collect') this.#step.push(info);
    this.#host.emitter.emit('descriptor', bundle.descriptor);
    return info;
  }

  #composeStream(name: string, objs: readonly object[], dataKeys: DataKeys): ComposeDescriptorBundle {
    const objectKeys: Record<string, string[]> = {};
    const configuration: Record<string, ObjectConfiguration> = {};
    const hints: Record<string, Hints> = {};
    for (const k in dataKeys) {
      const owner = dataKeys[k]!.object_name;
      if (owner !== undefined) (objectKeys[owner] ??= []).push(k);
    }
    for (const obj of objs) {
      const n = deviceName(obj);
      const conf = this.#config.get(obj);
      if (conf) configuration[n] = conf;
      const h = (obj as { hints?: unknown }).hints;
      if (typeof h === 'object' && h !== null) hints[n] = h as Hints;
    }
    return this.compose.composeDescriptor({ name, dataKeys, objectKeys, configuration, hints });
  }

  /** Describe `obj` (and read its configuration) once per run; cached until `configure`. */
  describeAndConfig(obj: object, collect = false): Promise<void> {
    return describeObject(obj, collect).then(async (dk) => {
      this.#describe.set(obj, dk);
      this.#config.set(obj, await readConfiguration(obj));
    });
  }

  /** The cached description of `obj`, if any. */
  described(obj: object): DataKeys | undefined {
    return this.#describe.get(obj);
  }

  /**
   * Forget `obj`'s cached description and configuration (after `configure`): the next event of
   * each stream that reads it comes under a new descriptor with the new configuration (as bluesky).
   */
  invalidateConfiguration(obj: object): void {
    this.#lastDescribed = undefined;
    this.#describe.delete(obj);
    this.#config.delete(obj);
    for (const st of this.streams.values()) if (st.kind === 'event' && st.objs.includes(obj)) this.#stale.add(st);
  }

  /** Emit a new descriptor for `stream` (same name, seq_nums go on) from the objects' fresh configuration. */
  #redescribe(stream: StreamInfo): void {
    this.#stale.delete(stream);
    const seq = stream.bundle.nextSeqNum;
    const bundle = this.#composeStream(stream.name, stream.objs, this.describedKeys(stream.objs));
    bundle.nextSeqNum = seq;
    stream.bundle = bundle;
    stream.want = wantOf(bundle.descriptor.data_keys);
    stream.nKeys = Object.keys(bundle.descriptor.data_keys).length;
    this.#host.emitter.emit('descriptor', bundle.descriptor);
  }

  /** Remember the seq_nums of step streams (at a checkpoint). */
  snapshot(): void {
    const step = this.#step;
    const snap = this.#snap;
    for (let i = 0; i < step.length; i++) snap[i] = step[i]!.bundle.nextSeqNum;
    if (snap.length !== step.length) snap.length = step.length;
  }

  /** Roll step streams back to the last checkpoint and drop a half-bundled event (rewind). */
  rewind(): void {
    this.bundling = false;
    this.bundleEpoch++;
    this.#assets = undefined;
    const step = this.#step;
    for (let i = 0; i < step.length; i++) step[i]!.bundle.nextSeqNum = i < this.#snap.length ? this.#snap[i]! : 1;
  }

  /** Emit an event on the `interruptions` stream (when the run records them). */
  recordInterruption(kind: 'pause' | 'suspend' | 'resume'): void {
    const b = this.#interruptions;
    if (b === undefined) return;
    const t = nowSeconds();
    this.#host.emitter.emitEvent(b.composeEvent({ data: { interruptions: kind }, timestamps: { interruptions: t }, time: t }));
  }

  /** Emit resource/datum/stream_resource/stream_datum documents a device produced, filling the run's fields. */
  emitAssetDocs(docs: Iterable<readonly [string, Record<string, unknown>]>, stream: StreamInfo | undefined, eventSeq?: number): void {
    for (const [name, doc] of docs) {
      switch (name) {
        case 'resource':
        case 'stream_resource':
          this.emit(name, { ...doc, run_start: this.uid } as AnyDocument);
          break;
        case 'datum':
        case 'datum_page':
          this.emit(name, doc as AnyDocument);
          break;
        case 'stream_datum':
          this.emit('stream_datum', this.#fillStreamDatum(doc, stream, eventSeq) as AnyDocument);
          break;
        default:
          throw new InvalidInputError({ what: 'asset document name', value: name, reason: 'must be resource, datum, datum_page, stream_resource or stream_datum' });
      }
    }
  }

  /** Stop every monitor's subscription (pause); they resume with {@link restoreMonitors}. */
  suspendMonitors(): void {
    for (const m of this.monitors.values()) {
      if (!m.active) continue;
      m.active = false;
      m.obj.clearSub(m.callback);
    }
  }

  /** Subscribe again every monitor stopped by {@link suspendMonitors}. */
  restoreMonitors(): void {
    for (const m of this.monitors.values()) {
      if (m.active) continue;
      m.active = true;
      m.obj.subscribe(m.callback);
    }
  }

  /** Start feeding monitor stream `stream` from `obj`'s subscription. */
  addMonitor(obj: Subscribable, stream: StreamInfo): void {
    const m: Monitor = {
      obj,
      stream,
      active: true,
      callback: (readings) => {
        if (!m.active) return;
        try {
          const data: Record<string, unknown> = {};
          const timestamps: Record<string, number> = {};
          for (const k in readings) {
            const reading = readings[k]!;
            if (typeof reading?.value !== stream.want[k] || typeof reading.timestamp !== 'number') {
              checkValue(stream.name, obj, k, reading, dtypeOf(stream, k));
            }
            data[k] = reading.value;
            timestamps[k] = reading.timestamp;
          }
          this.#host.emitter.emitEvent(stream.bundle.composeEvent({ data, timestamps, time: nowSeconds() }));
        } catch (e) {
          this.#host.reportAsyncError(e);
        }
      },
    };
    this.monitors.set(obj, m);
    obj.subscribe(m.callback);
  }

  /** Stop monitoring `obj` (`unmonitor`). */
  removeMonitor(obj: object): void {
    const m = this.monitors.get(obj);
    if (m === undefined) throw new InvalidStateError(`'unmonitor' of ${deviceName(obj)}, which is not monitored in this run`);
    this.monitors.delete(obj);
    if (m.active) m.obj.clearSub(m.callback);
    m.active = false;
  }

  /** Stop every monitor (end of run). */
  clearMonitors(): void {
    for (const obj of [...this.monitors.keys()]) this.removeMonitor(obj);
  }

  /** Close the run: drop any open event, stop monitors, emit run_stop. */
  close(exitStatus: 'success' | 'abort' | 'fail', reason: string): void {
    this.bundling = false;
    this.#assets = undefined;
    this.clearMonitors();
    this.emit('stop', this.compose.composeStop({ exitStatus, reason }));
  }

  /** Merge the cached descriptions of `objs` into one stream's data keys (each tagged with object_name). */
  describedKeys(objs: readonly object[]): DataKeys {
    const out: DataKeys = {};
    const owner = new Map<string, object>();
    for (const obj of objs) {
      const dk = this.#describe.get(obj);
      if (dk === undefined) throw new InvalidStateError(`${deviceName(obj)} was never described`);
      for (const k in dk) {
        const prev = owner.get(k);
        if (prev !== undefined) {
          throw new InvalidInputError({ what: `data key '${k}'`, value: k, reason: `is produced by both ${deviceName(prev)} and ${deviceName(obj)} in one event` });
        }
        owner.set(k, obj);
        const key = dk[k]!;
        out[k] = key.object_name === undefined ? { ...key, object_name: deviceName(obj) } : key;
      }
    }
    return out;
  }

  #stashAssets(docs: unknown): void {
    if (docs == null) return;
    const list = (this.#assets ??= []);
    for (const d of docs as Iterable<readonly [string, Record<string, unknown>]>) list.push(d);
  }

  #fillStreamDatum(doc: Record<string, unknown>, stream: StreamInfo | undefined, eventSeq: number | undefined): Record<string, unknown> {
    if (stream === undefined) throw new InvalidStateError('stream_datum emitted outside any stream');
    const out: Record<string, unknown> = { ...doc, descriptor: stream.bundle.descriptor.uid };
    const seq = doc['seq_nums'] as { start: number; stop: number } | undefined;
    if (seq === undefined || seq.stop <= seq.start) {
      if (eventSeq !== undefined) out['seq_nums'] = { start: eventSeq, stop: eventSeq + 1 };
      else {
        const idx = doc['indices'] as { start: number; stop: number } | undefined;
        const n = idx ? Math.max(0, idx.stop - idx.start) : 0;
        const start = stream.bundle.nextSeqNum;
        stream.bundle.nextSeqNum = start + n;
        out['seq_nums'] = { start, stop: start + n };
      }
    } else if (seq.stop > stream.bundle.nextSeqNum) stream.bundle.nextSeqNum = seq.stop;
    return out;
  }
}

/** Call `obj.describe()` (or `describeCollect()`), checking it exists. */
async function describeObject(obj: object, collect: boolean): Promise<DataKeys> {
  const fn = (obj as Record<string, unknown>)[collect ? 'describeCollect' : 'describe'];
  if (typeof fn !== 'function') throw new UnsupportedError({ device: deviceName(obj), verb: collect ? 'describeCollect' : 'describe' });
  const dk = (await fn.call(obj)) as DataKeys | undefined;
  if (dk == null || typeof dk !== 'object') throw new InvalidStateError(`${deviceName(obj)}.describe() returned ${String(dk)}`);
  return dk;
}

async function readConfiguration(obj: object): Promise<ObjectConfiguration | null> {
  const o = obj as { readConfiguration?: () => unknown; describeConfiguration?: () => unknown };
  if (typeof o.readConfiguration !== 'function' || typeof o.describeConfiguration !== 'function') return null;
  const [values, keys] = await Promise.all([o.readConfiguration(), o.describeConfiguration()]);
  const data: Record<string, unknown> = {};
  const timestamps: Record<string, number> = {};
  for (const [k, r] of Object.entries((values ?? {}) as Readings)) {
    data[k] = r.value;
    timestamps[k] = r.timestamp;
  }
  return { data, timestamps, data_keys: (keys ?? {}) as DataKeys };
}

/** Whether the first `n` objects of `b` are the objects of `a` (in any order). */
function sameObjects(a: readonly object[], b: readonly object[], n: number): boolean {
  if (a.length !== n) return false;
  let same = true;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) same = false;
  if (same) return true;
  for (let i = 0; i < n; i++) if (!a.includes(b[i]!)) return false;
  return true;
}

function namesOf(objs: readonly object[]): string {
  return `[${objs.map((o) => deviceName(o)).join(', ')}]`;
}
