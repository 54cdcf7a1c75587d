/**
 * The sidecar's synchronous read path (`syncReadMs`): a read made while no other call is in
 * flight waits for its reply on the JS thread. Against the real TangoTest: the value read that way
 * is the one written, and `syncReadMs: 0` turns the path off. Against a stand-in sidecar (python3,
 * no Tango) that answers each compact read as its name says: event lines that arrive before the
 * reply are delivered first and in order (also a UTF-8 character split across two writes); a
 * reply later than the budget still resolves the call asynchronously and reads then stay
 * asynchronous for `syncBackoffMs`; a read made from a listener goes asynchronous; a frozen
 * (SIGSTOPped) sidecar gives a TimeoutError at the caller's limit; one that dies during the wait a
 * DisconnectedError.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { DisconnectedError, InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import type { TangoEvent } from '../../../src/drivers/tango/backend.js';
import { parseTangoAddress } from '../../../src/drivers/tango/backend.js';
import { TangoSidecarBackend, type SidecarOptions } from '../../../src/drivers/tango/sidecar.js';
import { startTangoTest, tangoTestAvailable } from '../../../src/sim/tango/index.js';
import { waitStopped } from '../../helpers/process-state.js';

const skipTango = tangoTestAvailable() ? false : 'TangoTest/PyTango not installed (apt-get install tango-test python3-tango)';
const skipSync = process.platform === 'linux' ? false : 'the synchronous path needs Linux (libc through koffi)';
t.setTimeout(300000);

t.test('against TangoTest: a synchronous read returns the value written; syncReadMs 0 reads asynchronously', { skip: skipTango || skipSync }, async (t) => {
  const tt = await startTangoTest();
  t.teardown(() => tt.close());
  for (const [syncReadMs, expectSync] of [[20, true], [0, false]] as const) {
    const b = new TangoSidecarBackend({ timeoutMs: 10000, syncReadMs, syncSlowMs: 1000 });
    t.teardown(() => b.close());
    await b.connect(parseTangoAddress(tt.address), { timeoutMs: 30000 });
    for (const v of [1.25, -7.5, 1e300]) {
      await b.writeAttribute('double_scalar', v);
      const before = b.syncStats();
      const [r] = await b.readAttributes(['double_scalar']);
      t.equal(r!.writeValue, v, `syncReadMs ${syncReadMs}: read back ${v}`);
      t.equal(r!.quality, 'ATTR_VALID');
      const after = b.syncStats();
      // A loaded machine can push one read over the budget; then it was not synchronous.
      if (expectSync) t.equal(after.syncReads + after.syncMisses, before.syncReads + before.syncMisses + 1, 'the read took the synchronous path');
      else t.match(after, { syncReads: 0, syncMisses: 0, slowOffs: 0 }, 'no synchronous read');
    }
    await b.close();
  }
});

/**
 * Stand-in sidecar (FIFO transport only): answers connect and subscribe; a compact read of NAME:
 * `x` → reading 1.5; `ev` → two change events of subscription 1 (values 1, 2), then the reading;
 * `utf` → an event whose string value `é✓` is split inside `é` across two writes 50 ms apart, then
 * the reading; `slow` → the reading after 400 ms; `die` → SIGKILL itself; `half` → the first part
 * of such an event (cut inside `é`), 400 ms later the rest and the reading; subscribing to `tail`
 * answers, then sends the first part of such an event, whose rest comes before the reply to a read
 * of `rest`; `evonly` → one change event and no reply; `which` → the request line's first letter
 * (`r`, or `R` from a read that busy-waits); `ms5` → the reading after 5 ms; anything else: no
 * answer.
 */
const STAND_IN = `#!/usr/bin/python3
import json, os, signal, sys, threading, time
d = sys.argv[3]
os.mkfifo(d + "/req"); os.mkfifo(d + "/rep")
src = os.fdopen(os.open(d + "/req", os.O_RDWR), "rb")
out = os.open(d + "/rep", os.O_RDWR)
def life():
    while os.read(0, 4096): pass
    os._exit(0)
threading.Thread(target=life, daemon=True).start()
os.write(1, b'{"ready": true, "pytango": "stand-in"}\\n')
def line(o):
    return (json.dumps(o, ensure_ascii=False) + "\\n").encode()
def reading(n, v, ty="DevDouble"):
    return {"n": n, "v": v, "t": 1.5, "q": "ATTR_VALID", "ty": ty, "f": "SCALAR", "sh": []}
split = line({"ev": 1, "r": reading("s", "\\u00e9\\u2713", "DevString")})
cut = split.index("\\u00e9".encode()) + 1
for raw in src:
    if raw.startswith(b"{"):
        req = json.loads(raw)
        if req["op"] == "connect":
            os.write(out, line({"id": req["id"], "ok": True, "result": {"name": "a/b/c", "className": "X", "attributes": [], "commands": []}}))
        elif req["op"] == "subscribe":
            os.write(out, line({"id": req["id"], "ok": True, "result": req["sub"]}))
            if req["attr"] == "tail":
                os.write(out, split[:cut])
        continue
    _, rid, _, name = raw.decode().split()
    reply = line({"id": int(rid), "ok": True, "result": [reading(name, 1.5)]})
    if name == "x":
        os.write(out, reply)
    elif name == "ev":
        os.write(out, line({"ev": 1, "r": reading("counter", 1)}))
        os.write(out, line({"ev": 1, "r": reading("counter", 2)}))
        os.write(out, reply)
    elif name == "utf":
        os.write(out, split[:cut]); time.sleep(0.05); os.write(out, split[cut:] + reply)
    elif name == "half":
        os.write(out, split[:cut]); time.sleep(0.4); os.write(out, split[cut:] + reply)
    elif name == "rest":
        os.write(out, split[cut:] + reply)
    elif name == "ms5":
        time.sleep(0.005); os.write(out, reply)
    elif name == "which":
        os.write(out, line({"id": int(rid), "ok": True, "result": [reading(name, raw[:1].decode(), "DevString")]}))
    elif name == "evonly":
        os.write(out, line({"ev": 1, "r": reading("counter", 7)}))
    elif name == "slow":
        time.sleep(0.4); os.write(out, reply)
    elif name == "die":
        os.kill(os.getpid(), signal.SIGKILL)
os._exit(0)
`;

async function standIn(t: Test, options: SidecarOptions): Promise<TangoSidecarBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-sidecar-sync-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'stand-in.py');
  writeFileSync(script, STAND_IN);
  chmodSync(script, 0o755);
  const b = new TangoSidecarBackend({ python: script, transport: 'fifo', timeoutMs: 10000, syncSlowMs: 1000, autoRestart: false, ...options });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress('tango://127.0.0.1:1/a/b/c#dbase=no'));
  return b;
}

t.test('events that arrive during a synchronous read are delivered first, in order', { skip: skipSync }, async (t) => {
  const b = await standIn(t, { syncReadMs: 5000 });
  const order: string[] = [];
  await b.subscribe('counter', (e: TangoEvent) => order.push(e.error ? `error ${e.error.message}` : `event ${String(e.reading.value)}`));
  const p = b.readAttributes(['ev']);
  // Both events were parsed while readAttributes ran (the wait is synchronous).
  t.same(order, ['event 1', 'event 2'], 'events delivered before readAttributes returned');
  const [r] = await p;
  order.push(`reply ${String(r!.value)}`);
  t.same(order, ['event 1', 'event 2', 'reply 1.5']);
  t.match(b.syncStats(), { syncReads: 1, syncMisses: 0, slowOffs: 0 });

  // A UTF-8 character split across two writes is decoded whole, whichever path read each half.
  order.length = 0;
  const [u] = await b.readAttributes(['utf']);
  t.same(order, ['event é✓'], 'split character decoded');
  t.equal(u!.value, 1.5);
  t.equal(b.syncStats().syncReads, 2);
});

t.test('a reply later than the budget resolves asynchronously; reads then stay asynchronous for syncBackoffMs', { skip: skipSync }, async (t) => {
  const b = await standIn(t, { syncReadMs: 50, syncBackoffMs: 60000 });
  const [r] = await b.readAttributes(['slow']);
  t.equal(r!.value, 1.5, 'the late reply resolves the call');
  t.match(b.syncStats(), { syncReads: 0, syncMisses: 1, slowOffs: 0 }, 'the wait hit the budget');
  const [x] = await b.readAttributes(['x']);
  t.equal(x!.value, 1.5);
  t.match(b.syncStats(), { syncReads: 0, syncMisses: 1, slowOffs: 0 }, 'backed off: the next read was asynchronous');

  // Backoff over: synchronous again.
  const c = await standIn(t, { syncReadMs: 200, syncBackoffMs: 1 });
  await c.readAttributes(['slow']);
  await new Promise((r) => setTimeout(r, 20));
  await c.readAttributes(['x']);
  t.match(c.syncStats(), { syncReads: 1, syncMisses: 1, slowOffs: 0 });
});

t.test('a line split between the two read paths is parsed whole, in order', { skip: skipSync }, async (t) => {
  // Synchronous wait first (it gets the first part and misses the budget), the stream after.
  const b = await standIn(t, { syncReadMs: 50, syncBackoffMs: 1 });
  const seen: unknown[] = [];
  await b.subscribe('counter', (e: TangoEvent) => seen.push(e.error ? e.error : e.reading.value));
  const [h] = await b.readAttributes(['half']);
  t.equal(h!.value, 1.5);
  t.same(seen, ['é✓'], 'the event, begun by the synchronous read and ended by the stream');
  t.equal(b.syncStats().syncMisses, 1);

  // The stream first (the first part arrives unprompted after the subscription), the synchronous wait after.
  const c = await standIn(t, { syncReadMs: 5000 });
  const seen2: unknown[] = [];
  await c.subscribe('tail', (e: TangoEvent) => seen2.push(e.error ? e.error : e.reading.value));
  await new Promise((r) => setTimeout(r, 100)); // the stream reads the first part meanwhile
  t.same(seen2, [], 'nothing delivered from a partial line');
  const p = c.readAttributes(['rest']);
  t.same(seen2, ['é✓'], 'the event, begun by the stream and ended by the synchronous read, delivered before the reply');
  t.equal((await p)[0]!.value, 1.5);
  t.equal(c.syncStats().syncReads, 1);
});

t.test('a read made from a listener during a synchronous read goes asynchronous and resolves', { skip: skipSync }, async (t) => {
  const b = await standIn(t, { syncReadMs: 5000 });
  const inner: Array<Promise<unknown>> = [];
  await b.subscribe('counter', () => {
    if (inner.length === 0) inner.push(b.readAttributes(['x']));
  });
  const [r] = await b.readAttributes(['ev']);
  t.equal(r!.value, 1.5);
  t.equal(inner.length, 1);
  const [x] = (await inner[0]) as Array<{ value: unknown }>;
  t.equal(x!.value, 1.5, 'the inner read resolved');
  t.match(b.syncStats(), { syncReads: 1, syncMisses: 0, slowOffs: 0 }, 'only the outer read was synchronous');
});

t.test('a listener closing the backend during a synchronous read ends the wait at once', { skip: skipSync }, async (t) => {
  const b = await standIn(t, { syncReadMs: 60000 });
  await b.subscribe('counter', () => void b.close());
  const e = await b.readAttributes(['evonly']).catch((x: unknown) => x);
  t.type(e, DisconnectedError, String(e));
  t.match(b.syncStats(), { syncMisses: 0 }, 'the wait did not run to its budget');
});

t.test('a frozen sidecar gives a TimeoutError at the caller\'s limit; a dead one a DisconnectedError', { skip: skipSync }, async (t) => {
  const b = await standIn(t, { syncReadMs: 100, syncBackoffMs: 1 });
  const pid = b.pid!;
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone already
    }
  });
  await waitStopped(pid);
  const e = await b.readAttributes(['x'], { timeoutMs: 600 }).catch((x: unknown) => x);
  t.type(e, TimeoutError, String(e));
  t.match(String(e), /read x/);
  t.equal(b.syncStats().syncMisses, 1);
  process.kill(pid, 'SIGCONT');
  // The late reply of the timed-out read is dropped; the next read is answered.
  const [x] = await b.readAttributes(['x'], { timeoutMs: 10000 });
  t.equal(x!.value, 1.5);

  // A process that dies while a read waits synchronously: the wait ends at the budget, the exit
  // then rejects the call.
  const d = await b.readAttributes(['die'], { timeoutMs: 10000 }).catch((x: unknown) => x);
  t.type(d, DisconnectedError, String(d));
});

t.test('the two wait styles are compared once per 256 synchronous reads; syncSpinUs 0 never spins', { skip: skipSync }, async (t) => {
  const b = await standIn(t, { syncReadMs: 5000 });
  t.equal(b.syncStats().spinning, true, 'spinning first');
  const values = new Set<unknown>();
  for (let i = 0; i < 300; i++) values.add((await b.readAttributes(['x']))[0]!.value);
  t.same([...values], [1.5], 'every read answered right');
  const s = b.syncStats();
  t.equal(s.syncReads, 300, 'every read synchronous, whichever the style');
  t.ok(s.styleSwitches <= 2, `at most one switch per comparison (${s.styleSwitches})`);
  const c = await standIn(t, { syncReadMs: 5000, syncSpinUs: 0 });
  for (let i = 0; i < 40; i++) await c.readAttributes(['x']);
  t.match(c.syncStats(), { syncReads: 40, spinning: false, styleSwitches: 0 });
});

t.test('a read that busy-waits tells the sidecar (R), others do not (r)', { skip: skipSync }, async (t) => {
  const letters = async (b: TangoSidecarBackend, n: number): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push((await b.readAttributes(['which']))[0]!.value);
    return out;
  };
  // Default: the comparison's first reads alternate poll(2) (the other style) and busy-wait.
  t.same(await letters(await standIn(t, { syncReadMs: 5000 }), 4), ['r', 'R', 'r', 'R']);
  t.same(await letters(await standIn(t, { syncReadMs: 5000, syncSpinUs: 0 }), 3), ['r', 'r', 'r'], 'syncSpinUs 0');
  t.same(await letters(await standIn(t, { syncReadMs: 0 }), 3), ['r', 'r', 'r'], 'syncReadMs 0');
});

t.test('a slow device (median over syncSlowMs in two windows of 8 running) reads asynchronously', { skip: skipSync }, async (t) => {
  const b = await standIn(t, { syncReadMs: 5000, syncSlowMs: 1 });
  for (let i = 0; i < 8; i++) await b.readAttributes(['ms5']);
  t.match(b.syncStats(), { syncReads: 8, slowOffs: 0 }, 'one slow window is not enough');
  for (let i = 0; i < 8; i++) await b.readAttributes(['ms5']);
  t.match(b.syncStats(), { syncReads: 16, slowOffs: 1 }, 'two are');
  t.equal((await b.readAttributes(['x']))[0]!.value, 1.5);
  t.match(b.syncStats(), { syncReads: 16 }, 'the next read was asynchronous');
});

t.test('sync options are checked', async (t) => {
  for (const [k, v] of [['syncReadMs', -1], ['syncReadMs', Number.NaN], ['syncBackoffMs', Infinity], ['syncSlowMs', -0.5], ['syncSpinUs', Number.NaN]] as const) {
    t.throws(() => new TangoSidecarBackend({ [k]: v }), InvalidInputError, `${k} ${v}`);
  }
  t.equal(new TangoSidecarBackend({ transport: 'stdio' }).syncReadMs, 0, 'stdio: always asynchronous');
  t.equal(new TangoSidecarBackend({ syncReadMs: 0 }).syncReadMs, 0);
  if (!skipSync) t.equal(new TangoSidecarBackend({}).syncReadMs, 20, 'default 20 ms with FIFOs on Linux');
});
