import t from 'tap';
import fc from 'fast-check';
import {
  composeRun, packEventPage, unpackEventPage, packDatumPage, unpackDatumPage,
} from '../../../src/core/documents/index.js';
import type { Event } from '../../../src/core/documents/index.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { invalidDocuments } from '../../helpers/schemas.js';

/** Return what `fn` throws (undefined if it returns). */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const json = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.array(fc.integer(), { maxLength: 4 }));
const keyName = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__');

t.test('pack/unpack event page round-trips composed events (property)', async () => {
  fc.assert(fc.property(
    fc.uniqueArray(keyName, { minLength: 0, maxLength: 5 }),
    fc.integer({ min: 1, max: 8 }),
    fc.boolean(),
    fc.infiniteStream(json),
    (keys, n, external, values) => {
      const run = composeRun();
      const d = run.composeDescriptor({
        name: 'primary',
        dataKeys: Object.fromEntries(keys.map((k, i) => [k, {
          source: `s/${k}`, dtype: 'number' as const, shape: [], ...(external && i === 0 ? { external: 'FILESTORE:' } : {}),
        }])),
      });
      const it = values[Symbol.iterator]();
      const events: Event[] = [];
      for (let i = 0; i < n; i++) {
        events.push(d.composeEvent({
          data: Object.fromEntries(keys.map((k) => [k, it.next().value])),
          timestamps: Object.fromEntries(keys.map((k, j) => [k, 1e9 + i + j])),
          time: 1e9 + i,
        }));
      }
      const page = packEventPage(events);
      const errors = invalidDocuments([['event_page', page], ...events.map((e) => ['event', e] as const)]);
      if (errors.length) throw new Error(errors.join('\n'));
      if (page.seq_num.length !== n) throw new Error('page length');
      const back = unpackEventPage(page);
      if (JSON.stringify(back) !== JSON.stringify(events)) throw new Error(`round trip differs:\n${JSON.stringify(back)}\n${JSON.stringify(events)}`);
      // And a page packed from unpacked events is the same page.
      if (JSON.stringify(packEventPage(back)) !== JSON.stringify(page)) throw new Error('page round trip differs');
    },
  ), { numRuns: 100 });
});

t.test('pack/unpack datum page round-trips (property)', async () => {
  fc.assert(fc.property(
    fc.uniqueArray(keyName, { maxLength: 4 }),
    fc.integer({ min: 1, max: 6 }),
    fc.infiniteStream(json),
    (keys, n, values) => {
      const run = composeRun();
      const r = run.composeResource({ spec: 'X', root: '/', resourcePath: 'f', resourceKwargs: {} });
      const it = values[Symbol.iterator]();
      const datums = Array.from({ length: n }, () => r.composeDatum({ datumKwargs: Object.fromEntries(keys.map((k) => [k, it.next().value])) }));
      const page = packDatumPage(datums);
      const errors = invalidDocuments([['datum_page', page], ...datums.map((d) => ['datum', d] as const)]);
      if (errors.length) throw new Error(errors.join('\n'));
      if (JSON.stringify(unpackDatumPage(page)) !== JSON.stringify(datums)) throw new Error('round trip differs');
    },
  ), { numRuns: 100 });
});

t.test('packEventPage refuses mixed descriptors, mismatched keys, mixed filled and empty input', async (t) => {
  const run = composeRun();
  const keys = { a: { source: 's', dtype: 'number' as const, shape: [] } };
  const d1 = run.composeDescriptor({ name: 'one', dataKeys: keys });
  const d2 = run.composeDescriptor({ name: 'two', dataKeys: keys });
  const e1 = d1.composeEvent({ data: { a: 1 }, timestamps: { a: 1 } });
  const e2 = d2.composeEvent({ data: { a: 1 }, timestamps: { a: 1 } });
  t.match(caught(() => packEventPage([e1, e2])), { what: 'packEventPage events[1].descriptor' });
  t.throws(() => packEventPage([e1, { ...e1, data: { b: 1 } }]), InvalidInputError);
  t.throws(() => packEventPage([e1, { ...e1, timestamps: {} }]), InvalidInputError);
  t.throws(() => packEventPage([e1, { ...e1, filled: { a: true } }]), InvalidInputError);
  t.throws(() => packEventPage([]), InvalidInputError);
  t.throws(() => unpackEventPage({ ...packEventPage([e1]), seq_num: [1, 2] }), InvalidInputError);
});

t.test('packDatumPage refuses mixed resources and mismatched kwargs', async (t) => {
  const run = composeRun();
  const r1 = run.composeResource({ spec: 'X', root: '/', resourcePath: 'f', resourceKwargs: {} });
  const r2 = run.composeResource({ spec: 'X', root: '/', resourcePath: 'g', resourceKwargs: {} });
  const a = r1.composeDatum({ datumKwargs: { i: 0 } });
  t.throws(() => packDatumPage([a, r2.composeDatum({ datumKwargs: { i: 0 } })]), InvalidInputError);
  t.throws(() => packDatumPage([a, r1.composeDatum({ datumKwargs: { j: 0 } })]), InvalidInputError);
  t.throws(() => packDatumPage([]), InvalidInputError);
  t.throws(() => unpackDatumPage({ datum_id: ['x'], resource: 'r', datum_kwargs: { i: [] } }), InvalidInputError);
});
