import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import { InvalidStateError, TimeoutError } from '../../../src/core/errors.js';
import type { Readings } from '../../../src/core/protocols.js';
import { SignalR } from '../../../src/core/signal/signal.js';
import { setMockValue } from '../../../src/core/signal/mock.js';
import { waitForValue } from '../../../src/core/signal/wait.js';
import { CountingBackend, flush } from './fake-backend.js';

t.test('two listeners share one backend subscription; removing both stops it', (t) =>
  withLeakGuard(async () => {
  const backend = new CountingBackend(5);
  const sig = new SignalR(backend, { name: 'gauge' });
  const a: number[] = [];
  const b: Readings[] = [];
  const cbA = (v: number): void => void a.push(v);
  const cbB = (r: Readings): void => void b.push(r);
  sig.subscribeValue(cbA);
  sig.subscribe(cbB);
  t.same(backend.setCallbackCalls, ['start'], 'one backend subscription for two listeners');
  await flush();
  backend.push(6);
  t.same(a, [5, 6]);
  t.same(b.map((r) => r['gauge']?.value), [5, 6]);
  sig.clearSub(cbA);
  backend.push(7);
  t.same(a, [5, 6], 'removed listener hears nothing more');
  t.same(b.map((r) => r['gauge']?.value), [5, 6, 7]);
  t.same(backend.setCallbackCalls, ['start'], 'still subscribed while one listener is left');
  sig.clearSub(cbB);
  t.same(backend.setCallbackCalls, ['start', 'stop'], 'last listener removed: backend callback stopped');
  t.equal(backend.listener, undefined);
  t.notOk(sig.subscribed);
  }));

t.test('a late listener gets the cached reading at once; read() is served from the cache', (t) =>
  withLeakGuard(async () => {
  const backend = new CountingBackend(1);
  const sig = new SignalR(backend, { name: 'p' });
  const off1 = sig.subscribeValue(() => undefined);
  // The first reading has not arrived yet: read() waits for it instead of asking the backend.
  const first = sig.read();
  await flush();
  t.equal((await first)['p']?.value, 1);
  t.equal(backend.getReadingCalls, 0, 'no backend read while subscribed');
  backend.push(2);
  const late: number[] = [];
  const off2 = sig.subscribeValue((v) => late.push(v));
  t.same(late, [2], 'the late listener got the cached value synchronously');
  t.equal(await sig.getValue(), 2);
  t.equal(backend.getReadingCalls, 0);
  t.equal((await sig.read(false))['p']?.value, 2, 'uncached read asks the backend');
  t.equal(backend.getReadingCalls, 1);
  off1();
  off2();
  await t.rejects(sig.read(true), InvalidStateError, 'cached read without a subscription is refused');
  t.equal(await sig.getValue(), 2);
  t.equal(backend.getReadingCalls, 2, 'unsubscribed reads go to the backend');
  }));

t.test('stage() keeps the subscription alive; unstage() releases it', (t) =>
  withLeakGuard(async () => {
  const backend = new CountingBackend(3);
  const sig = new SignalR(backend, { name: 's' });
  await sig.stage();
  const off = sig.subscribeValue(() => undefined);
  off();
  t.same(backend.setCallbackCalls, ['start'], 'staged: listener removal does not stop it');
  await flush();
  t.equal(await sig.getValue(), 3);
  t.equal(backend.getReadingCalls, 0);
  await sig.unstage();
  t.same(backend.setCallbackCalls, ['start', 'stop']);
  }));

t.test('a throwing listener does not starve the others', (t) =>
  withLeakGuard(async () => {
  const backend = new CountingBackend(0);
  const sig = new SignalR(backend, { name: 'q' });
  const errors: unknown[] = [];
  const orig = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  t.teardown(() => void (console.error = orig));
  const seen: number[] = [];
  const bad = (): void => {
    throw new Error('boom');
  };
  sig.subscribeValue(bad);
  sig.subscribeValue((v) => seen.push(v));
  await flush();
  backend.push(1);
  t.same(seen, [0, 1]);
  t.equal(errors.length, 2, 'each throw reported');
  sig.clearSub(bad);
  }));

t.test('switching to mock while subscribed moves the one subscription', (t) =>
  withLeakGuard(async () => {
  const backend = new CountingBackend(10);
  const sig = new SignalR(backend, { name: 'm' });
  const seen: number[] = [];
  const off = sig.subscribeValue((v) => seen.push(v));
  await flush();
  await sig.connect({ mock: true });
  t.same(backend.setCallbackCalls, ['start', 'stop'], 'real backend released');
  setMockValue(sig, 11);
  backend.push(99); // no longer listened to
  t.same(seen, [10, 0, 11], 'mock delivers its first reading then changes');
  off();
  }));

t.test('waitForValue resolves on a match and times out otherwise', (t) =>
  withLeakGuard(async () => {
  const backend = new CountingBackend(0);
  const sig = new SignalR(backend, { name: 'w' });
  const p = waitForValue(sig, (v) => v >= 3, { timeoutMs: 5000 });
  await flush();
  backend.push(1);
  backend.push(3);
  t.equal(await p, 3);
  await flush();
  t.notOk(sig.subscribed, 'subscription removed after the match');
  await t.rejects(waitForValue(sig, 42, { timeoutMs: 20 }), TimeoutError);
  await flush();
  t.notOk(sig.subscribed, 'subscription removed after the timeout');
  }));
