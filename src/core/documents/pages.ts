/**
 * Convert between row documents (event, datum) and their column-wise pages.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { Datum, DatumPage, Event, EventPage } from './types.js';
import { columnLength, keyMismatch } from './checks.js';

function sameKeys(what: string, first: object, other: object): void {
  const bad = keyMismatch(what, first, other);
  if (bad) throw new InvalidInputError({ what: bad.what, value: bad.key, reason: `${bad.reason} (rows of a page must share their keys)` });
}

/** Pack events of one descriptor into an event page (InvalidInputError if they differ in descriptor or keys). */
export function packEventPage(events: Event[]): EventPage {
  const first = events[0];
  if (first === undefined) throw new InvalidInputError({ what: 'packEventPage events', value: events, reason: 'must hold at least one event' });
  const data: Record<string, unknown[]> = {};
  const timestamps: Record<string, number[]> = {};
  for (const k of Object.keys(first.data)) data[k] = [];
  for (const k of Object.keys(first.timestamps)) timestamps[k] = [];
  const hasFilled = first.filled !== undefined;
  const filled: Record<string, Array<boolean | string>> = {};
  if (first.filled) for (const k of Object.keys(first.filled)) filled[k] = [];
  const page: EventPage = { uid: [], descriptor: first.descriptor, seq_num: [], time: [], data, timestamps };
  events.forEach((e, i) => {
    if (e.descriptor !== first.descriptor) {
      throw new InvalidInputError({ what: `packEventPage events[${i}].descriptor`, value: e.descriptor, reason: `must be ${first.descriptor} like events[0]` });
    }
    sameKeys(`packEventPage events[${i}].data`, first.data, e.data);
    sameKeys(`packEventPage events[${i}].timestamps`, first.timestamps, e.timestamps);
    if ((e.filled !== undefined) !== hasFilled) {
      throw new InvalidInputError({ what: `packEventPage events[${i}].filled`, value: e.filled, reason: 'must be present on all events or on none' });
    }
    if (e.filled) sameKeys(`packEventPage events[${i}].filled`, filled, e.filled);
    page.uid.push(e.uid);
    page.seq_num.push(e.seq_num);
    page.time.push(e.time);
    for (const k in data) data[k]!.push(e.data[k]);
    for (const k in timestamps) timestamps[k]!.push(e.timestamps[k]!);
    if (e.filled) for (const k in filled) filled[k]!.push(e.filled[k]!);
  });
  if (hasFilled) page.filled = filled;
  return page;
}

/** Unpack an event page into its events, in order. */
export function unpackEventPage(page: EventPage): Event[] {
  const n = page.uid.length;
  const cols: Array<Record<string, unknown[]>> = [page.data, page.timestamps, { seq_num: page.seq_num, time: page.time, uid: page.uid }];
  if (page.filled) cols.push(page.filled);
  const m = columnLength('unpackEventPage', cols);
  if (m !== n) throw new InvalidInputError({ what: 'unpackEventPage', value: m, reason: `columns must have ${n} entries like uid` });
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    const data: Record<string, unknown> = {};
    const timestamps: Record<string, number> = {};
    for (const k in page.data) data[k] = page.data[k]![i];
    for (const k in page.timestamps) timestamps[k] = page.timestamps[k]![i]!;
    const e: Event = { uid: page.uid[i]!, descriptor: page.descriptor, seq_num: page.seq_num[i]!, time: page.time[i]!, data, timestamps };
    if (page.filled) {
      const filled: Record<string, boolean | string> = {};
      for (const k in page.filled) filled[k] = page.filled[k]![i]!;
      e.filled = filled;
    }
    out.push(e);
  }
  return out;
}

/** Pack datums of one resource into a datum page (InvalidInputError if they differ in resource or kwargs keys). */
export function packDatumPage(datums: Datum[]): DatumPage {
  const first = datums[0];
  if (first === undefined) throw new InvalidInputError({ what: 'packDatumPage datums', value: datums, reason: 'must hold at least one datum' });
  const kwargs: Record<string, unknown[]> = {};
  for (const k of Object.keys(first.datum_kwargs)) kwargs[k] = [];
  const page: DatumPage = { datum_id: [], resource: first.resource, datum_kwargs: kwargs };
  datums.forEach((d, i) => {
    if (d.resource !== first.resource) {
      throw new InvalidInputError({ what: `packDatumPage datums[${i}].resource`, value: d.resource, reason: `must be ${first.resource} like datums[0]` });
    }
    sameKeys(`packDatumPage datums[${i}].datum_kwargs`, first.datum_kwargs, d.datum_kwargs);
    page.datum_id.push(d.datum_id);
    for (const k in kwargs) kwargs[k]!.push(d.datum_kwargs[k]);
  });
  return page;
}

/** Unpack a datum page into its datums, in order. */
export function unpackDatumPage(page: DatumPage): Datum[] {
  const n = page.datum_id.length;
  const m = columnLength('unpackDatumPage', [page.datum_kwargs, { datum_id: page.datum_id }]);
  if (m !== n) throw new InvalidInputError({ what: 'unpackDatumPage', value: m, reason: `columns must have ${n} entries like datum_id` });
  return page.datum_id.map((id, i) => {
    const kw: Record<string, unknown> = {};
    for (const k in page.datum_kwargs) kw[k] = page.datum_kwargs[k]![i];
    return { datum_id: id, resource: page.resource, datum_kwargs: kw };
  });
}
