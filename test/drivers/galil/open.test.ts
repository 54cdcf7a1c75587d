/**
 * Opening a Galil controller: the galil+tcp / galil+serial URI schemes, the driver over a pty
 * (serial path) to the simulator, and typed failures when nothing answers.
 */
import t from 'tap';
import net from 'node:net';
import { InvalidInputError, LabrigError, NotConnectedError } from '../../../src/core/errors.js';
import { parseAddress, registeredSchemes } from '../../../src/protocols/uri.js';
import { galilFamily, openGalil } from '../../../src/drivers/galil/index.js';
import { registerFamily } from '../../../src/drivers/registry.js';
import { startGalilSim } from '../../../src/sim/galil/index.js';

t.test('URI schemes: galil+tcp defaults to port 23, galil+serial to 115200 baud', async (t) => {
  registerFamily(galilFamily);
  t.ok(registeredSchemes().includes('galil+tcp') && registeredSchemes().includes('galil+serial'));
  t.match(parseAddress('galil+tcp://127.0.0.1'), { scheme: 'tcp', host: '127.0.0.1', port: 23, family: 'galil' });
  t.match(parseAddress('galil+tcp://127.0.0.1:4023?connectTimeoutMs=500'), { port: 4023, connectTimeoutMs: 500 });
  t.match(parseAddress('galil+serial:///dev/ttyUSB0'), { scheme: 'serial', path: '/dev/ttyUSB0', baudRate: 115200, family: 'galil' });
  t.match(parseAddress('galil+serial:///dev/ttyS1?baud=19200'), { baudRate: 19200 });
  t.throws(() => parseAddress('galil+tcp://'), InvalidInputError);
  t.throws(() => parseAddress('galil+tcp://127.0.0.1/path'), InvalidInputError);
  t.throws(() => parseAddress('galil+serial:///dev/ttyS1?baud=fast'), InvalidInputError);
});

t.test('bad configs are refused before anything is opened', async (t) => {
  await t.rejects(openGalil('galil+tcp://127.0.0.1:1', { axes: { x: { axis: 'Q' as 'A' } } }), InvalidInputError);
  await t.rejects(openGalil('galil+tcp://127.0.0.1:1', { axes: { x: { axis: 'A', countsPerUnit: 0 } } }), InvalidInputError);
  await t.rejects(openGalil('galil+tcp://127.0.0.1:1', { axes: { x: { axis: 'A', limits: [5, -5] } } }), InvalidInputError);
  await t.rejects(openGalil('galil+tcp://127.0.0.1:1', { axes: { x: { axis: 'A' }, y: { axis: 'A' } } }), InvalidInputError);
});

t.test('nothing listening: a typed error, no hang', async (t) => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const err = await openGalil(`galil+tcp://127.0.0.1:${port}`, { axes: { x: { axis: 'A' } } }).then(() => undefined, (e: unknown) => e);
  t.type(err, NotConnectedError);
  t.type((err as NotConnectedError).leaves()[0]![1], LabrigError);
});

t.test('the driver over a pty (serial path) to the simulator', async (t) => {
  const sim = await startGalilSim({ pty: true, axes: 1 });
  t.teardown(() => sim.close());
  const g = await openGalil(sim.ptyUri!, { name: 'rs232', pollMs: 5, axes: { x: { axis: 'A', countsPerUnit: 1000, speed: 100, acceleration: 2000, deceleration: 2000 } } });
  t.teardown(() => g.close());
  const x = g.axis('x');
  await x.motorOn.set(true);
  await x.set(2.5);
  t.equal(await x.readback.getValue(), 2.5);
  t.equal(await x.stopCode.getValue(), 1);
});

t.test('a whole session leaves nothing behind: sockets, timers, polls, Statuses', async (t) => {
  const { withLeakGuard } = await import('../../../src/testing/leak-guard.js');
  await withLeakGuard(async () => {
    const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: 2 });
    const g = await openGalil(sim.uri, { pollMs: 5, axes: { x: { axis: 'A', countsPerUnit: 1000, speed: 100, acceleration: 2000, deceleration: 2000 } }, io: { digitalOutputs: [1] } });
    const x = g.axis('x');
    await x.motorOn.set(true);
    const st = x.set(3);
    st.watch(() => {});
    await st;
    const unsubscribe = x.readback.subscribeValue(() => {});
    await new Promise((r) => setTimeout(r, 30));
    unsubscribe();
    const p = g.io!.pulse(1, 10_000);
    await new Promise((r) => setTimeout(r, 20));
    await g.stop({ success: false });
    await p.then(() => undefined, () => undefined);
    await g.close();
    await sim.close();
  }, { graceMs: 1000 });
  t.pass('clean');
});
