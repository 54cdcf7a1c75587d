/**
 * The 0MQ publisher: a Python consumer (Debian's python3-zmq, written from bluesky's
 * RemoteDispatcher receive logic since bluesky is not installed) receives the documents of a real
 * RunEngine run, in order and equal to what the engine emitted after a JSON round trip.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RunEngine } from '../../src/core/engine/run-engine.js';
import { count } from '../../src/core/plans/count.js';
import { scan } from '../../src/core/plans/scan.js';
import { softSignalR, softSignalRW } from '../../src/core/signal/factories.js';
import type { AnyDocument, DocumentName } from '../../src/core/documents/types.js';
import { encodeZmqDocument, startZmqPublisher, type DocumentSource } from '../../src/server/zmq.js';
import { InvalidInputError } from '../../src/core/errors.js';

const CONSUMER = fileURLToPath(new URL('./zmq-consumer.py', import.meta.url));

/** A minimal bus (the server's DocumentBus has the same subscribe shape). */
function makeBus(): DocumentSource & { publish(name: DocumentName, doc: AnyDocument): void } {
  let subs: Array<(n: DocumentName, d: AnyDocument) => void> = [];
  return {
    publish: (n, d) => subs.forEach((f) => f(n, d)),
    subscribe(fn) {
      subs = [...subs, fn];
      return () => void (subs = subs.filter((s) => s !== fn));
    },
  };
}

function startConsumer(t: Test, address: string, prefix: string, purpose: string): { child: ChildProcess; lines: string[]; waitFor(pred: (l: string) => boolean, what: string): Promise<void>; exited: Promise<number | null> } {
  const child = spawn('/usr/bin/python3', [CONSUMER, address, prefix, purpose], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      waiters.forEach((w) => w());
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child, lines, exited,
    waitFor: (pred, what) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumer: no ${what} in 30 s (stdout ${lines.join('|')}, stderr ${stderr})`)), 30_000);
      const check = (): void => {
        if (lines.some(pred)) {
          clearTimeout(timer);
          resolve();
        }
      };
      waiters.push(check);
      check();
      void exited.then(() => setTimeout(() => {
        check();
        clearTimeout(timer);
        if (!lines.some(pred)) reject(new Error(`consumer exited without ${what}: ${lines.join('|')} ${stderr}`));
      }, 50));
    }),
  };
}

/** Run warm-up counts until the consumer reports it receives, so no document of the real run is lost to 0MQ's slow joiner. */
async function warmUp(re: RunEngine, det: ReturnType<typeof softSignalR<number>>, consumer: ReturnType<typeof startConsumer>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!consumer.lines.includes('warm')) {
    if (Date.now() > deadline) throw new Error('consumer never received a warm-up run');
    await re.run(count([det], 1, null, { purpose: 'warmup' }));
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('a Python RemoteDispatcher-style consumer receives every document of a scan over 0MQ', async (t) => {
  const bus = makeBus();
  const pub = await startZmqPublisher({ port: 0, bus });
  t.teardown(() => pub.close());
  t.match(pub.endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  t.ok(pub.port > 0);

  const re = new RunEngine();
  re.subscribe((name, doc) => bus.publish(name, doc));
  const det = softSignalR(2.5, { name: 'det' });
  const motor = softSignalRW(0, { name: 'motor' });
  const consumer = startConsumer(t, pub.endpoint, '', 'real');
  await warmUp(re, det, consumer);

  const emitted: Array<[string, unknown]> = [];
  const sub = re.subscribe((name, doc) => emitted.push([name, JSON.parse(JSON.stringify(doc))]));
  await re.run(scan([det], motor, 0, 1, 5, { md: { purpose: 'real' } }));
  re.unsubscribe(sub);

  await consumer.waitFor((l) => l.startsWith('["stop"'), 'stop document');
  t.equal(await consumer.exited, 0, 'consumer exits cleanly after the stop document');
  const received = consumer.lines.filter((l) => l.startsWith('[')).map((l) => JSON.parse(l) as [string, unknown]);
  t.same(received.map((r) => r[0]), emitted.map((e) => e[0]), 'same document names in the same order');
  t.same(received, emitted, 'documents equal to what the engine emitted (JSON round trip)');
  t.same(received.map((r) => r[0]).filter((n) => n === 'event').length, 5, 'five events');
  t.ok(pub.sent >= emitted.length);
});

t.test('a consumer with a prefix receives the publisher with that prefix', async (t) => {
  const bus = makeBus();
  const pub = await startZmqPublisher({ port: 0, bus, prefix: 'lab1' });
  t.teardown(() => pub.close());
  const re = new RunEngine();
  re.subscribe((name, doc) => bus.publish(name, doc));
  const det = softSignalR(1, { name: 'det' });
  const consumer = startConsumer(t, pub.endpoint, 'lab1', 'prefixed');
  await warmUp(re, det, consumer);
  await re.run(count([det], 3, null, { purpose: 'prefixed' }));
  await consumer.waitFor((l) => l.startsWith('["stop"'), 'stop document');
  const names = consumer.lines.filter((l) => l.startsWith('[')).map((l) => (JSON.parse(l) as [string])[0]);
  t.same(names, ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
});

t.test('framing and bad options', async (t) => {
  const msg = encodeZmqDocument('', 'stop', { uid: 'u', run_start: 'r', time: 1, exit_status: 'success' } as unknown as AnyDocument);
  t.equal(msg.toString(), ' stop {"uid":"u","run_start":"r","time":1,"exit_status":"success"}', 'empty prefix, a space, the name, a space, JSON');
  t.equal(encodeZmqDocument('p', 'start', { uid: 'a b' } as unknown as AnyDocument).toString(), 'p start {"uid":"a b"}');
  const bus = makeBus();
  await t.rejects(startZmqPublisher({ bus, prefix: 'a b' }), InvalidInputError);
  await t.rejects(startZmqPublisher({ bus, port: 70000 }), InvalidInputError);
  await t.rejects(startZmqPublisher({ bus, connect: 'http://x' }), InvalidInputError);
});
