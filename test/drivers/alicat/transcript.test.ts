/**
 * The driver against hand-written transcripts (no simulator involved), and the simulator's raw
 * bytes against the same transcripts (over TCP and over a pty).
 */
import t, { type Test } from 'tap';
import { DeviceError, InvalidInputError, LimitsError, TimeoutError } from '../../../src/core/errors.js';
import { AlicatIO, alicatChannel, createAlicat, type AlicatFlowController } from '../../../src/drivers/alicat/index.js';
import type { RequestChannel } from '../../../src/protocols/contracts.js';
import { TranscriptStream, type Exchange } from '../../helpers/transcript.js';
import { manualClock, rawStream, replay, simFor } from './helpers.js';
import { LEGACY_SESSION, MULTIDROP_SESSION, POLL_AT_REST, PRIMER_SESSION, STEP_MS, TOTALIZER_SESSION } from './transcripts.js';

async function lineFor(t: Test, exchanges: Exchange[], timeoutMs = 500): Promise<{ stream: TranscriptStream; channel: RequestChannel }> {
  const stream = new TranscriptStream(exchanges);
  const channel = alicatChannel(stream, { timeoutMs });
  await channel.open();
  t.teardown(() => channel.close());
  return { stream, channel };
}

t.test('legacy session: every AlicatIO command sends the digest bytes and decodes the replies', async (t) => {
  const { stream, channel } = await lineFor(t, LEGACY_SESSION);
  const io = new AlicatIO(channel.forAddress('A'), { unit: 'A' });
  t.same((await io.poll()).massFlow, 0);
  t.equal((await io.setSetpoint(12.5)).setpoint, 12.5);
  t.equal((await io.poll()).massFlow, 12.5);
  t.same((await io.hold()).status, ['HLD']);
  t.same((await io.cancelHold()).status, []);
  t.same((await io.lock()).status, ['LCK']);
  t.same((await io.unlock()).status, []);
  t.equal(await io.controlVariable(), 'mass-flow');
  t.equal(await io.setControlVariable('volumetric-flow'), 'volumetric-flow');
  t.equal(await io.setControlVariable('mass-flow'), 'mass-flow');
  t.equal(await io.setGas('Ar'), 1);
  t.equal((await io.poll()).gas, 'Ar');
  t.equal((await io.tarePressure()).pressure, 14.7);
  const fw = await io.firmware();
  t.equal(fw.major, 6);
  t.equal(fw.minor, 21);
  const err = await io.command('XYZ').catch((e: unknown) => e);
  t.type(err, DeviceError, '? → DeviceError');
  t.equal((err as DeviceError).vendorCode, '?');
  t.equal((await io.setSetpoint(0)).setpoint, 0);
  t.equal((await io.poll()).massFlow, 0);
  await io.tareFlow();
  t.same((await io.estop()).status, ['HLD'], 'legacy e-stop is $$H');
  stream.assertDone();
});

t.test('primer session: the same operations with HP / HC / C / G / L / U', async (t) => {
  const { stream, channel } = await lineFor(t, PRIMER_SESSION);
  const io = new AlicatIO(channel.forAddress('A'), { dialect: 'primer' });
  await io.setSetpoint(20);
  await io.hold();
  await io.cancelHold();
  t.equal(await io.setGas('O2'), 11);
  await io.lock();
  await io.unlock();
  t.same((await io.estop()).status, ['HLD'], 'primer e-stop is HC');
  t.equal((await io.poll()).massFlow, 0);
  await io.cancelHold();
  stream.assertDone();
});

t.test('totalizer session and vendor variants: masked register 46, "A ?" rejection, a hold without effect', async (t) => {
  const { stream, channel } = await lineFor(t, [
    ...TOTALIZER_SESSION,
    ['A$$W46=7\r', 'A   046 = 7\r'],
    ['A$$R46\r', 'A   046 = 2055\r'],
    ['A$$W46=8\r', 'A   046 = 8\r'],
    ['A$$R46\r', 'A   046 = 2049\r'],
    ['AT\r', 'A ?\r'],
    ['A$$H\r', 'A +014.70 +025.00 +000.00 +000.00 +000.00     N2\r'],
  ]);
  const io = new AlicatIO(channel.forAddress('A'));
  t.equal((await io.setSetpoint(60)).totalizer, 0);
  t.equal((await io.poll()).totalizer, 59.7);
  t.equal((await io.resetTotalizer()).totalizer, 0);
  t.equal(await io.setGas(7), 7, 'gas = register 46 & 0x1FF (2055 → 7)');
  const wrong = await io.setGas('N2').catch((e: unknown) => e);
  t.type(wrong, DeviceError, 'register 46 reporting another gas fails');
  t.type(await io.resetTotalizer().catch((e: unknown) => e), DeviceError, '"A ?" is a rejection too');
  const noEffect = await io.hold().catch((e: unknown) => e);
  t.type(noEffect, DeviceError);
  t.equal((noEffect as DeviceError).kind, 'no-effect');
  stream.assertDone();
});

t.test('no reply: TimeoutError within the timeout, then the line works again', async (t) => {
  const { stream, channel } = await lineFor(t, [['A\r', null], POLL_AT_REST], 150);
  const io = new AlicatIO(channel.forAddress('A'), { timeoutMs: 150 });
  const t0 = performance.now();
  t.type(await io.poll().catch((e: unknown) => e), TimeoutError);
  t.ok(performance.now() - t0 < 1500, 'rejected near its 150 ms limit (hang guard)');
  t.equal((await io.poll()).gas, 'N2');
  stream.assertDone();
});

const CONNECT: Exchange[] = [POLL_AT_REST, ['AR122\r', 'A   122 = 37\r']];

async function controllerOn(t: Test, exchanges: Exchange[], config: Parameters<typeof createAlicat>[0] = {}): Promise<{ d: AlicatFlowController; stream: TranscriptStream }> {
  const { stream, channel } = await lineFor(t, exchanges);
  const d = createAlicat({ kind: 'controller', fullScale: 100, pollMs: 20, ...config }, { channel }) as AlicatFlowController;
  t.teardown(() => d.close());
  await d.connect();
  return { d, stream };
}

t.test('device: connect, set() until the flow settles, e-stop', async (t) => {
  const { d, stream } = await controllerOn(t, [
    ...CONNECT,
    ['A\r', 'A +014.70 +025.00 +000.00 +000.00 +000.00     N2\r'],
    ['A\r', 'A +014.70 +025.00 +000.00 +000.00 +000.00     N2\r'],
    ['AS12.50\r', 'A +014.70 +025.00 +000.00 +000.00 +012.50     N2\r'],
    ['A\r', 'A +014.70 +025.00 +012.48 +012.49 +012.50     N2\r'],
    ['A$$H\r', 'A +014.70 +025.00 +012.48 +012.49 +012.50     N2 HLD\r'],
  ]);
  const st = d.set(12.5);
  await st;
  t.ok(st.success, 'set completes once the flow is within the tolerance');
  await d.stop({ success: false });
  stream.assertDone();
});

t.test('device: settle "echo" completes on the echo; a held valve fails the move with DeviceError HLD', async (t) => {
  const { d, stream } = await controllerOn(
    t,
    [
      ...CONNECT,
      ['A\r', 'A +014.70 +025.00 +000.00 +000.00 +000.00     N2 HLD\r'],
      ['A\r', 'A +014.70 +025.00 +000.00 +000.00 +000.00     N2 HLD\r'],
      ['AS12.50\r', 'A +014.70 +025.00 +000.00 +000.00 +012.50     N2 HLD\r'],
    ],
    { settle: 'echo' },
  );
  const err = await d.set(12.5).then(() => undefined, (e: unknown) => e);
  t.type(err, DeviceError);
  t.equal((err as DeviceError).vendorCode, 'HLD');
  stream.assertDone();
});

t.test('device: limits and unknown gases are rejected before any byte is written', async (t) => {
  const { d, stream } = await controllerOn(t, [...CONNECT]);
  const err = await d.set(150).then(() => undefined, (e: unknown) => e);
  t.type(err, LimitsError);
  t.match((err as LimitsError).message, /150 SLPM is outside the limits \[0 SLPM, 100 SLPM\]/);
  t.type(await d.set(-1).then(() => undefined, (e: unknown) => e), LimitsError);
  t.type(await d.setpoint.set(101).then(() => undefined, (e: unknown) => e), LimitsError, 'the setpoint signal checks too');
  t.type(await d.selectGas('Unobtainium').then(() => undefined, (e: unknown) => e), InvalidInputError);
  t.type(await d.setControlVariable('flux' as never).then(() => undefined, (e: unknown) => e), InvalidInputError);
  stream.assertDone();
  t.equal(stream.remaining, 0, 'nothing beyond the connect exchanges was sent');
});

t.test('device: pressure control uses the pressure full scale and reads back pressure', async (t) => {
  const { d, stream } = await controllerOn(
    t,
    [
      POLL_AT_REST,
      ['AR122\r', 'A   122 = 34\r'],
      ['A\r', 'A +014.70 +025.00 +000.00 +000.00 +000.00     N2\r'],
      ['A\r', 'A +030.00 +025.00 +000.00 +000.00 +000.00     N2\r'],
    ],
    { pressureFullScale: 50 },
  );
  t.equal(d.currentControlVariable, 'absolute-pressure');
  const e = await d.set(60).then(() => undefined, (err: unknown) => err);
  t.type(e, LimitsError);
  t.equal((e as LimitsError).units, 'psia', 'limits and units follow the control variable');
  t.equal((await d.describe())[d.name]!.units, 'psia', 'so does the readback data key');
  t.equal(await d.readback.getValue(), 14.7);
  t.equal(await d.readback.getValue(), 30);
  stream.assertDone();
});

t.test('the simulator answers the transcripts byte for byte', async (t) => {
  for (const via of ['tcp', 'pty'] as const) {
    t.test(`over ${via}`, async (t) => {
      const sessions: Array<[string, Exchange[], Parameters<typeof simFor>[1]]> = [
        ['legacy', LEGACY_SESSION, {}],
        ['primer', PRIMER_SESSION, {}],
        ['totalizer', TOTALIZER_SESSION, { defaults: { totalizer: true } }],
        ['multidrop', MULTIDROP_SESSION, { units: ['A', 'B'] }],
      ];
      for (const [name, exchanges, options] of sessions) {
        const clock = manualClock();
        const sim = await simFor(t, { ...options, clock: clock.read, ...(via === 'pty' ? { pty: true } : {}) });
        const stream = await rawStream(t, sim, via);
        t.same(await replay(stream, exchanges, clock, STEP_MS), [], `${name} session`);
        await stream.close();
        await sim.close();
      }
    });
  }
});
