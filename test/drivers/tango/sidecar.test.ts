/**
 * The PyTango sidecar backend passes the backend conformance suite against the real TangoTest
 * and labrig's event server, over both transports (FIFOs, the default, and stdio); its own
 * faults: faults.test.ts. Here also, against a stand-in sidecar that records every line and
 * answers only what it is told to (no Tango needed): the wire of the hot path (a one-attribute
 * read is the compact line, anything else JSON) and the deadline sweep (a call with a shorter
 * limit than one already in flight still times out at its own limit; close rejects the rest).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DisconnectedError, InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { parseTangoAddress } from '../../../src/drivers/tango/backend.js';
import { TangoSidecarBackend } from '../../../src/drivers/tango/sidecar.js';
import { tangoTestAvailable } from '../../../src/sim/tango/index.js';
import { runBackendConformance } from './backend-conformance.js';

const skip = tangoTestAvailable() ? false : 'TangoTest/PyTango not installed (apt-get install tango-test python3-tango)';
t.setTimeout(300000);

t.test('conformance (fifo transport, the default)', { skip }, async (t) => {
  runBackendConformance(t, () => {
    const b = new TangoSidecarBackend({ timeoutMs: 5000 });
    t.equal(b.transport, 'fifo');
    return b;
  });
});

t.test('conformance (stdio transport)', { skip }, async (t) => {
  runBackendConformance(t, () => new TangoSidecarBackend({ timeoutMs: 5000, transport: 'stdio' }));
});

/**
 * A stand-in sidecar (python3, no Tango): speaks the startup of sidecar.py on either transport,
 * appends every request line (and the FIFO dir) to LOG, answers connect, answers a JSON read of `x` with a
 * reading, and never answers anything else.
 */
const STAND_IN = `#!/usr/bin/python3
import json, os, sys, threading
log = open(os.environ["LABRIG_TEST_LOG"], "a", buffering=1)
out = 1
if len(sys.argv) > 3 and sys.argv[2] == "--fifo":
    d = sys.argv[3]
    log.write("fifo dir " + d + "\\n")
    os.mkfifo(d + "/req"); os.mkfifo(d + "/rep")
    src = os.fdopen(os.open(d + "/req", os.O_RDWR), "rb")
    out = os.open(d + "/rep", os.O_RDWR)
    def life():
        while os.read(0, 4096): pass
        os._exit(0)
    threading.Thread(target=life, daemon=True).start()
else:
    src = sys.stdin.buffer
os.write(1, b'{"ready": true, "pytango": "stand-in"}\\n')
def send(o):
    os.write(out, (json.dumps(o) + "\\n").encode())
for line in src:
    log.write(line.decode())
    if line.startswith(b"{"):
        req = json.loads(line)
        if req["op"] == "connect":
            send({"id": req["id"], "ok": True, "result": {"name": "a/b/c", "className": "X", "attributes": [], "commands": []}})
        elif req["op"] == "read" and req["names"] == ["x", "y"]:
            send({"id": req["id"], "ok": True, "result": [{"n": n, "v": "Infinity", "t": 1.5, "q": "ATTR_VALID", "ty": "DevDouble", "f": "SCALAR", "sh": []} for n in req["names"]]})
os._exit(0)
`;

for (const transport of ['fifo', 'stdio'] as const) {
  t.test(`wire and deadlines against a stand-in sidecar (${transport})`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'labrig-sidecar-test-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'stand-in.py');
    writeFileSync(script, STAND_IN);
    chmodSync(script, 0o755);
    const log = join(dir, 'requests.log');
    writeFileSync(log, '');
    process.env['LABRIG_TEST_LOG'] = log;
    t.teardown(() => {
      delete process.env['LABRIG_TEST_LOG'];
    });
    // The stand-in runs as the "python": it gets [sidecar.py, (--fifo DIR)] as its arguments.
    const b = new TangoSidecarBackend({ python: script, transport, timeoutMs: 20000 });
    t.teardown(() => b.close());
    await b.connect(parseTangoAddress('tango://127.0.0.1:1/a/b/c#dbase=no'));

    // Two names go as JSON, and the JSON reply decodes (non-finite doubles as strings).
    const two = await b.readAttributes(['x', 'y'], { timeoutMs: 20000 });
    t.same(two.map((r) => [r.name, r.value]), [['x', Infinity], ['y', Infinity]]);

    // A long call in flight, then a short one: the short one times out at its own limit while
    // the long one is still waiting (the sweep re-arms for the earlier deadline).
    let longSettled = false;
    const long = b.readAttributes(['double_scalar'], { timeoutMs: 60000 }).then(
      (v) => v,
      (e: unknown) => e,
    );
    void long.then(() => (longSettled = true));
    const short = await b.readAttributes(['float_scalar'], { timeoutMs: 200 }).catch((e: unknown) => e);
    t.type(short, TimeoutError);
    t.match(String(short), /read float_scalar/);
    t.equal(longSettled, false, 'the 60 s call is still waiting when the 200 ms one timed out');

    // Limits that are no time at all are refused before anything is sent.
    for (const bad of [0, -1, NaN, Infinity]) {
      t.type(await b.readAttributes(['x'], { timeoutMs: bad }).catch((e: unknown) => e), InvalidInputError, `timeoutMs ${bad}`);
    }

    // What went over the wire: JSON connect and JSON two-name read, compact one-name reads.
    const all = readFileSync(log, 'utf8').trim().split('\n');
    const fifoDir = all.find((l) => l.startsWith('fifo dir '))?.slice('fifo dir '.length);
    if (transport === 'fifo') {
      t.ok(fifoDir?.startsWith(join(tmpdir(), 'labrig-tango-')), `FIFOs made in ${fifoDir}`);
      t.notOk(existsSync(fifoDir!), 'the FIFO dir is gone once both ends are open');
    } else t.equal(fifoDir, undefined, 'no FIFOs with the stdio transport');
    const lines = all.filter((l) => !l.startsWith('fifo dir '));
    t.match(JSON.parse(lines[0]!), { op: 'connect', address: 'tango://127.0.0.1:1/a/b/c#dbase=no' });
    t.match(JSON.parse(lines[1]!), { op: 'read', names: ['x', 'y'], timeoutMs: 20000 });
    t.match(lines[2], /^[rR] \d+ 60000 double_scalar$/);
    t.match(lines[3], /^[rR] \d+ 200 float_scalar$/);
    t.equal(lines.length, 4, 'nothing sent for the refused limits');

    await b.close();
    t.type(await long, DisconnectedError, 'close rejects the call still in flight');
  });
}

t.test('an unknown transport is refused', async (t) => {
  t.throws(() => new TangoSidecarBackend({ transport: 'tcp' as 'fifo' }), InvalidInputError);
});
