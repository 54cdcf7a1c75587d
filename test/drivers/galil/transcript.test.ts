/**
 * Galil driver against transcripts from the DMC manuals (STYLE rule 10): each test lists the exact
 * bytes the driver must send and the controller's replies (`:` accepted, `?` rejected, values
 * ` 1000\r\n:`), independent of the simulator's code. Any unexpected, missing or mismatched
 * message fails the test.
 */
import t, { type Test } from 'tap';
import { CanceledError, DeviceError, InvalidInputError, LimitsError } from '../../../src/core/errors.js';
import { createRequestChannel } from '../../../src/protocols/channel/channel.js';
import { createGalil, type GalilController, type OpenGalilOptions } from '../../../src/drivers/galil/index.js';
import { TranscriptStream, type Exchange } from '../../helpers/transcript.js';
import { until } from './helpers.js';

const X_ONLY: OpenGalilOptions = { name: 'stage', pollMs: 5, axes: { x: { axis: 'A', countsPerUnit: 1000, limits: [-50, 50] } } };
const CONNECT: Exchange = ['TP\r', ' 0, 0, 0, 0\r\n:'];

/** Run `body` on a controller whose channel plays `exchanges`, then check the transcript was followed exactly. */
async function play(
  t: Test,
  exchanges: Exchange[],
  body: (g: GalilController, stream: TranscriptStream) => Promise<void>,
  options: OpenGalilOptions = X_ONLY,
  chunkSize = 0,
): Promise<void> {
  const stream = new TranscriptStream(exchanges);
  stream.chunkSize = chunkSize;
  const channel = createRequestChannel(stream, { framing: { mode: 'galil' }, reconnect: false, timeoutMs: 1000 });
  t.teardown(() => channel.close());
  await channel.open();
  const g = createGalil(options, { channel });
  await g.connect();
  await body(g, stream);
  await until(() => stream.remaining === 0, 2000).catch(() => undefined);
  stream.assertDone();
}

t.test('position readback: TPA → counts → mm', (t) =>
  play(t, [CONNECT, ['TPA\r', ' 1000\r\n:']], async (g) => {
    t.equal(await g.axis('x').readback.getValue(), 1);
  }));

t.test('a reply split into single bytes is reassembled', (t) =>
  play(t, [CONNECT, ['TPA\r', '-2500\r\n:']], async (g) => {
    t.equal(await g.axis('x').readback.getValue(), -2.5);
  }, X_ONLY, 1));

t.test('absolute move: PA + BG, poll _BG until 0, then SC 1 = success', (t) =>
  play(t, [
    CONNECT,
    ['TPA\r', ' 0\r\n:'], // where the move starts
    ['MG _SPA\r', ' 25000.0000\r\n:'], // speed, for the move's time limit
    ['TPA\r', ' 0\r\n:'], // progress subscription, first poll
    ['PAA=2000\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 1.0000\r\n:'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 1\r\n:'],
  ], async (g) => {
    const st = g.axis('x').set(2);
    await st;
    t.ok(st.success);
    t.ok(st.progress, 'progress was reported');
  }));

t.test('BG with the motor off: ? then TC1 → DeviceError 20, and the axis is stopped', (t) =>
  play(t, [
    CONNECT,
    ['TPA\r', ' 0\r\n:'],
    ['MG _SPA\r', ' 25000.0000\r\n:'],
    ['TPA\r', ' 0\r\n:'],
    ['PAA=2000\r', ':'],
    ['BGA\r', '?'],
    ['TC1\r', '20 Begin not valid with motor off\r\n:'],
    ['STA\r', ':'],
  ], async (g) => {
    const err = await g.axis('x').set(2).then(() => undefined, (e: unknown) => e);
    t.type(err, DeviceError);
    const d = err as DeviceError;
    t.equal(d.vendorCode, 20);
    t.equal(d.vendorMessage, 'BGA: Begin not valid with motor off');
    t.equal(d.kind, 'motor-off');
  }));

t.test('a move ended by the forward limit switch (SC 2) fails with kind "limit"', (t) =>
  play(t, [
    CONNECT,
    ['TPA\r', ' 0\r\n:'],
    ['MG _SPA\r', ' 25000.0000\r\n:'],
    ['TPA\r', ' 0\r\n:'],
    ['PAA=40000\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 2\r\n:'],
    ['STA\r', ':'],
  ], async (g) => {
    const err = await g.axis('x').set(40).then(() => undefined, (e: unknown) => e);
    t.type(err, DeviceError);
    t.equal((err as DeviceError).kind, 'limit');
    t.equal((err as DeviceError).vendorCode, 'SC2');
    t.match((err as DeviceError).vendorMessage, /FWD limit/);
  }));

t.test('a move stopped by ST from elsewhere (SC 4) is a CanceledError', (t) =>
  play(t, [
    CONNECT,
    ['TPA\r', ' 0\r\n:'],
    ['MG _SPA\r', ' 25000.0000\r\n:'],
    ['TPA\r', ' 0\r\n:'],
    ['PAA=3000\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 4\r\n:'],
    ['STA\r', ':'],
  ], async (g) => {
    const err = await g.axis('x').set(3).then(() => undefined, (e: unknown) => e);
    t.type(err, CanceledError);
  }));

t.test('off-on-error (SC 8) is a DeviceError of kind "off-on-error"', (t) =>
  play(t, [
    CONNECT,
    ['TPA\r', ' 0\r\n:'],
    ['MG _SPA\r', ' 25000.0000\r\n:'],
    ['TPA\r', ' 0\r\n:'],
    ['PAA=3000\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 8\r\n:'],
    ['STA\r', ':'],
  ], async (g) => {
    const err = await g.axis('x').set(3).then(() => undefined, (e: unknown) => e);
    t.equal((err as DeviceError).kind, 'off-on-error');
  }));

t.test('relative move: PR from the current position', (t) =>
  play(t, [
    CONNECT,
    ['TPA\r', ' 500\r\n:'], // moveBy reads where it is to check the limits
    ['TPA\r', ' 500\r\n:'],
    ['MG _SPA\r', ' 25000.0000\r\n:'],
    ['TPA\r', ' 500\r\n:'],
    ['PRA=1500\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 1\r\n:'],
  ], async (g) => {
    await g.axis('x').moveBy(1.5);
    t.pass('moved');
  }));

t.test('software limits: nothing is written, for absolute and relative moves', (t) =>
  play(t, [CONNECT, ['TPA\r', ' 49000\r\n:']], async (g, stream) => {
    const x = g.axis('x');
    await t.rejects(x.set(51).wait(), LimitsError);
    t.equal(stream.remaining, 1, 'not a byte after the limits check');
    const err = await x.moveBy(2).then(() => undefined, (e: unknown) => e);
    t.type(err, LimitsError, 'relative: 49 + 2 is beyond 50 (only TPA was sent)');
  }));

t.test('motor on/off, jog and stop', (t) =>
  play(t, [
    CONNECT,
    ['MG _MOA\r', ' 1.0000\r\n:'],
    ['SHA\r', ':'],
    ['JGA=-5000\r', ':'],
    ['BGA\r', ':'],
    ['STA\r', ':'],
    ['MOA\r', ':'],
  ], async (g) => {
    const x = g.axis('x');
    t.equal(await x.motorOn.getValue(), false, '_MO = 1 means the motor is off');
    await x.motorOn.set(true);
    await x.jog(-5);
    await x.stop();
    await x.motorOn.set(false);
  }));

t.test('reference sequence: HM + BG, SC 10, then DP 0 (HELAO setaxisref)', (t) =>
  play(t, [
    CONNECT,
    ['MG _SPA\r', ' 25000.0000\r\n:'],
    ['SPA=50000\r', ':'],
    ['HMA\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 1.0000\r\n:'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 10\r\n:'],
    ['PRA=2000\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 1\r\n:'],
    ['SPA=1000\r', ':'],
    ['HMA\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 10\r\n:'],
    ['PRA=5000\r', ':'],
    ['BGA\r', ':'],
    ['MG _BGA\r', ' 0.0000\r\n:'],
    ['SCA\r', ' 1\r\n:'],
    ['DPA=0\r', ':'],
    ['SPA=25000\r', ':'],
  ], async (g) => {
    await g.axis('x').reference({ speed: 50, backoff: 2, slowSpeed: 1, offset: 5 });
    t.pass('referenced');
  }));

t.test('I/O: analog and digital inputs, set/clear bit, output readback (RIO: no axes, TC0 probe)', (t) =>
  play(t, [
    ['TC0\r', '0\r\n:'],
    ['MG @AN[1]\r', ' 2.5000\r\n:'],
    ['MG @IN[2]\r', ' 0.0000\r\n:'],
    ['SB 3\r', ':'],
    ['MG @OUT[3]\r', ' 1.0000\r\n:'],
    ['CB 3\r', ':'],
  ], async (g) => {
    const io = g.io!;
    t.equal(await io.analog.get(1)!.getValue(), 2.5);
    t.equal(await io.inputs.get(2)!.getValue(), false);
    await io.setBit(3);
    t.equal(await io.outputs.get(3)!.getValue(), true);
    await io.clearBit(3);
    t.throws(() => io.output(9), InvalidInputError, 'an output that is not configured is refused before sending');
  }, { name: 'rio', io: { digitalInputs: [2], digitalOutputs: [3], analogInputs: [1] } }));

t.test('a timed pulse: SB, wait, CB', (t) =>
  play(t, [['TC0\r', '0\r\n:'], ['SB 1\r', ':'], ['CB 1\r', ':']], async (g) => {
    const st = g.io!.pulse(1, 20);
    await st;
    t.ok(st.success);
  }, { name: 'rio', io: { digitalOutputs: [1] } }));

t.test('e-stop: AB, ST on each axis, then MO', (t) =>
  play(t, [
    CONNECT,
    ['AB\r', ':'],
    ['STA\r', ':'],
    ['STB\r', ':'],
    ['MO\r', ':'],
  ], async (g) => {
    await g.stop({ success: false });
  }, { name: 'stage', axes: { x: { axis: 'A' }, y: { axis: 'B' } } }));

t.test('a reply that is not a number is an InvalidInputError; a resync (MG token) precedes the next command', (t) =>
  play(t, [CONNECT, ['TPA\r', 'garbage\r\n:'], ['MG 1000\r', ' 1000.0000\r\n:'], ['TPA\r', ' 7\r\n:']], async (g) => {
    await t.rejects(g.axis('x').readback.getValue(), InvalidInputError);
    t.equal(await g.axis('x').readback.getValue(), 0.007);
  }));

t.test('an unknown command: ? then TC1 → DeviceError 1 with the controller text', (t) =>
  play(t, [CONNECT, ['XQ #main\r', '?'], ['TC1\r', '10 Empty program line or undefined label\r\n:']], async (g) => {
    const err = await g.commands.command('XQ #main').then(() => undefined, (e: unknown) => e);
    t.type(err, DeviceError);
    t.equal((err as DeviceError).vendorCode, 10);
    t.equal((err as DeviceError).vendorMessage, 'XQ #main: Empty program line or undefined label');
  }));

t.test('connect checks the configured axes exist (TP tells how many)', async (t) => {
  const stream = new TranscriptStream([['TP\r', ' 0, 0\r\n:']]);
  const channel = createRequestChannel(stream, { framing: { mode: 'galil' }, reconnect: false });
  t.teardown(() => channel.close());
  await channel.open();
  const g = createGalil({ axes: { z: { axis: 'C' } } }, { channel });
  await t.rejects(g.connect(), /has 2 axes/);
  stream.assertDone();
});

t.test('a reply that comes after its command timed out is discarded by the resync, not taken for the next', async (t) => {
  const stream = new TranscriptStream([
    ['TPA\r', null], // no answer in time
    ['MG 1000\r', ' 5\r\n: 1000.0000\r\n:'], // the late TPA reply, then the token's echo
    ['MG _SPA\r', ' 25000.0000\r\n:'],
  ]);
  const channel = createRequestChannel(stream, { framing: { mode: 'galil' }, reconnect: false, timeoutMs: 100 });
  t.teardown(() => channel.close());
  await channel.open();
  const g = createGalil({ timeoutMs: 100, axes: { x: { axis: 'A' } } }, { channel });
  await t.rejects(g.commands.tellPosition('A'), { name: 'TimeoutError' });
  t.equal(await g.axis('x').velocity.getValue(), 25000, 'the speed, not the late position');
  stream.assertDone();
});
