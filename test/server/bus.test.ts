/**
 * The server's document bus delivers every document in order to every subscriber; a throwing
 * subscriber neither stops the others nor the publisher; unsubscribe stops delivery.
 */
import t from 'tap';
import { DocumentBus } from '../../src/server/bus.js';
import type { AnyDocument } from '../../src/core/documents/types.js';

const start = { uid: 'r1', time: 1 } as AnyDocument;
const stop = { uid: 's1', run_start: 'r1', time: 2, exit_status: 'success' } as AnyDocument;

t.test('delivers in order to all subscribers and unsubscribes', async (t) => {
  const bus = new DocumentBus();
  const a: string[] = [];
  const b: string[] = [];
  const offA = bus.subscribe((name) => a.push(name));
  bus.subscribe((name, doc) => b.push(`${name}:${(doc as { uid: string }).uid}`));
  t.equal(bus.subscriberCount, 2);
  bus.publish('start', start);
  offA();
  offA();
  bus.publish('stop', stop);
  t.same(a, ['start']);
  t.same(b, ['start:r1', 'stop:s1']);
  t.equal(bus.subscriberCount, 1);
  t.equal(bus.publishedCount, 2);
});

t.test('a throwing subscriber is reported and does not stop the others', async (t) => {
  const errors: string[] = [];
  const bus = new DocumentBus({ onSubscriberError: (err, name) => errors.push(`${name}:${(err as Error).message}`) });
  const got: string[] = [];
  bus.subscribe(() => { throw new Error('boom'); });
  bus.subscribe((name) => got.push(name));
  t.doesNotThrow(() => bus.publish('start', start));
  t.same(got, ['start']);
  t.same(errors, ['start:boom']);
});

t.test('a subscriber added during publish sees only later documents', async (t) => {
  const bus = new DocumentBus();
  const late: string[] = [];
  bus.subscribe(() => { if (late.length === 0) bus.subscribe((n) => late.push(n)); });
  bus.publish('start', start);
  t.same(late, []);
  bus.publish('stop', stop);
  t.same(late, ['stop']);
});
