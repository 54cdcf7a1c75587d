/**
 * `collect`: turn what a flyer (or an externally-writing detector) gathered into documents —
 * events from `collect()`, or stream_resource/stream_datum documents from `collectAssetDocs()`.
 * @module
 */
import { InvalidInputError, UnsupportedError } from '../errors.js';
import { packEventPage } from '../documents/compose.js';
import type { Event } from '../documents/types.js';
import type { DataKeys, PartialEvent } from '../protocols.js';
import { deviceName } from '../protocols.js';
import type { RunBundler, StreamInfo } from './bundler.js';
import type { Execution } from './execution.js';
import type { HandlerContext } from './host.js';

/** Options of a collect (from the `collect` message). */
export interface CollectOptions {
  /** Stream name for a device describing a single stream (default: the device name). */
  name?: string | undefined;
  /** Emit the collected rows of each stream as one event_page. */
  stream?: boolean | undefined;
  /** Return the partial events to the plan. */
  returnPayload?: boolean | undefined;
}

type CollectDevice = {
  describeCollect?: () => unknown;
  collect?: () => unknown;
  collectAssetDocs?: (index?: number) => unknown;
  getIndex?: () => unknown;
};

/** Tell whether a describeCollect result is one stream's data keys (rather than stream → data keys). */
function isDataKeys(x: Record<string, unknown>): boolean {
  const values = Object.values(x);
  return values.length === 0 || values.every((v) => typeof v === 'object' && v !== null && typeof (v as { dtype?: unknown }).dtype === 'string');
}

function tagged(keys: DataKeys, owner: string): DataKeys {
  const out: DataKeys = {};
  for (const [k, dk] of Object.entries(keys)) out[k] = dk.object_name === undefined ? { ...dk, object_name: owner } : dk;
  return out;
}

const signature = (keys: Iterable<string>): string => [...keys].sort().join('\u0000');

/** Collect from `obj` into `run`; returns the payload when asked. */
export async function collectFrom(exec: HandlerContext, run: RunBundler, obj: object, opts: CollectOptions): Promise<unknown> {
  const dev = obj as CollectDevice;
  const name = deviceName(obj);
  if (typeof dev.describeCollect !== 'function') throw new UnsupportedError({ device: name, verb: 'describeCollect' });
  const described = (await dev.describeCollect()) as Record<string, unknown> | undefined;
  if (described == null || typeof described !== 'object') throw new InvalidInputError({ what: `${name}.describeCollect()`, value: described, reason: 'must return data keys' });
  let single: StreamInfo | undefined;
  const bySignature = new Map<string, StreamInfo>();
  if (isDataKeys(described)) {
    const sname = opts.name ?? name;
    single = run.streams.get(sname) ?? run.addStream(sname, 'collect', [obj], tagged(described as DataKeys, name));
  } else {
    for (const [sname, keys] of Object.entries(described as Record<string, DataKeys>)) {
      const s = run.streams.get(sname) ?? run.addStream(sname, 'collect', [obj], tagged(keys, name));
      bySignature.set(signature(Object.keys(keys)), s);
    }
  }
  let payload: PartialEvent[] | undefined;
  if (typeof dev.collectAssetDocs === 'function') {
    if (single === undefined) throw new InvalidInputError({ what: `${name}.describeCollect()`, value: described, reason: 'must describe a single stream for asset documents' });
    const index = typeof dev.getIndex === 'function' ? ((await dev.getIndex()) as number) : undefined;
    const docs = (await dev.collectAssetDocs(index)) as Iterable<readonly [string, Record<string, unknown>]> | undefined;
    run.emitAssetDocs(docs ?? [], single);
  } else if (typeof dev.collect === 'function') {
    const rows = [...(((await dev.collect()) as Iterable<PartialEvent> | undefined) ?? [])];
    const perStream = new Map<StreamInfo, Event[]>();
    for (const row of rows) {
      const s = single ?? bySignature.get(signature(Object.keys(row.data)));
      if (s === undefined) throw new InvalidInputError({ what: `${name}.collect() row keys`, value: Object.keys(row.data), reason: 'match no stream of describeCollect()' });
      const ev = s.bundle.composeEvent({ data: row.data, timestamps: row.timestamps, time: row.time });
      if (opts.stream) {
        const list = perStream.get(s);
        if (list) list.push(ev);
        else perStream.set(s, [ev]);
      } else exec.emitter.emitEvent(ev);
    }
    for (const events of perStream.values()) exec.emitter.emit('event_page', packEventPage(events));
    if (opts.returnPayload) payload = rows;
  } else {
    throw new UnsupportedError({ device: name, verb: 'collect' });
  }
  run.uncollected.delete(obj);
  return opts.returnPayload ? payload : undefined;
}
