/**
 * Concurrent reads of one signal share one device read: while a read is in flight, further
 * requests for the same signal join it; a different signal, or a read after it ended, reads again;
 * a failure reaches every joined request. Over HTTP, many concurrent reads of the stage's
 * position cost fewer device reads than requests.
 */
import t from 'tap';
import { ReadCoalescer } from '../../src/server/device-ops.js';
import type { Readings } from '../../src/core/protocols.js';
import { api, served } from './helpers.js';

t.setTimeout(90_000);

t.test('joins reads in flight, per key', async (t) => {
  const c = new ReadCoalescer();
  let release!: (r: Readings) => void;
  let calls = 0;
  const slow = (): Promise<Readings> => {
    calls++;
    return new Promise((r) => (release = r));
  };
  const a = c.read('stage\0A', slow);
  const b = c.read('stage\0A', slow);
  const other = c.read('stage\0B', async () => ({ b: { value: 2, timestamp: 1 } }));
  await new Promise((r) => setImmediate(r));
  t.equal(calls, 1, 'one device read for two requests');
  release({ a: { value: 1, timestamp: 1 } });
  t.same(await a, await b);
  t.same(await other, { b: { value: 2, timestamp: 1 } });
  t.equal(c.requests, 3);
  t.equal(c.deviceReads, 2);
  const later = c.read('stage\0A', async () => ({ a: { value: 3, timestamp: 2 } }));
  t.same(await later, { a: { value: 3, timestamp: 2 } }, 'a read after the first ended reads again');
  const fail = (): Promise<Readings> => Promise.reject(new Error('link down'));
  const f1 = c.read('x', fail);
  const f2 = c.read('x', fail);
  await t.rejects(f1, /link down/);
  await t.rejects(f2, /link down/);
  t.equal(c.deviceReads, 4);
});

t.test('over HTTP: concurrent reads of one signal coalesce', async (t) => {
  const { server } = await served(t, {}, { stage: { uri: 'sim:galil', axes: { A: { countsPerUnit: 1000, units: 'mm' } } } });
  const n = 40;
  const results = await Promise.all(Array.from({ length: n }, () => api(server, 'GET', '/api/devices/stage/read?path=A')));
  t.ok(results.every((r) => r.status === 200 && r.body.readings['stage-A'].value === 0), 'every request answered');
  const { readRequests, deviceReads } = server.stats;
  t.equal(readRequests, n);
  t.ok(deviceReads >= 1 && deviceReads <= n);
  t.comment(`${n} concurrent HTTP reads cost ${deviceReads} device reads`);
});

t.test('resolved paths are remembered, failures are not, the oldest goes first', async (t) => {
  const { rig } = await served(t, {}, { stage: { uri: 'sim:galil', axes: { A: {}, B: {} } } });
  const { NodeCache } = await import('../../src/server/device-ops.js');
  const cache = new NodeCache(2);
  const m = rig.member('stage');
  const a = await cache.get(m, 'A');
  t.equal(await cache.get(m, 'A'), a, 'the same node from the cache');
  await t.rejects(cache.get(m, 'Z.nothing'), /no such signal/);
  t.equal(cache.size, 1, 'a failed path is not remembered');
  await cache.get(m, 'B');
  await cache.get(m, 'A.velocity');
  t.equal(cache.size, 2, 'bounded');
  t.equal(await cache.get(m, 'A'), a, 'evicted, resolved again to the same node');
});
