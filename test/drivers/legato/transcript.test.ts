/**
 * The Legato driver against transcripts from the manuals (STYLE rule 10): the exact bytes the
 * driver must send and the pump's replies, including each error reply. Any unexpected, missing
 * or mismatched message fails. Independent of the simulator's code.
 */
import t from 'tap';
import type { Test } from 'tap';
import { CanceledError, DeviceError, InvalidInputError, LimitsError, TimeoutError } from '../../../src/core/errors.js';
import { createRequestChannel } from '../../../src/protocols/channel/channel.js';
import { createLegato, LegatoFramer, LegatoIO, type LegatoPump, type OpenLegatoOptions } from '../../../src/drivers/legato/index.js';
import { TranscriptStream, type Exchange } from '../../helpers/transcript.js';
import { ADDRESSED, AT_FORM, ERRORS, POLL, SETTINGS } from './transcripts.js';

async function channelOf(t: Test, exchanges: Exchange[], chunkSize = 0): Promise<{ stream: TranscriptStream; channel: ReturnType<typeof createRequestChannel> }> {
  const stream = new TranscriptStream(exchanges);
  stream.chunkSize = chunkSize;
  const channel = createRequestChannel(stream, { framing: new LegatoFramer({ mode: 'xon' }), reconnect: false, timeoutMs: 500 });
  t.teardown(() => channel.close());
  await channel.open();
  return { stream, channel };
}

/** Play exchanges to LegatoIOs on one channel (one per address). */
async function playIO(
  t: Test,
  exchanges: Exchange[],
  body: (io: (address: number, form?: 'plain' | 'at', poll?: boolean) => LegatoIO) => Promise<void>,
  chunkSize = 0,
): Promise<void> {
  const { stream, channel } = await channelOf(t, exchanges, chunkSize);
  await body((address, form = 'plain', poll = false) => new LegatoIO(channel, { address, form, poll, timeoutMs: 500, name: `pump${address}` }));
  stream.assertDone();
}

/** Play exchanges to a pump device built over the transcript. */
async function playPump(t: Test, exchanges: Exchange[], body: (p: LegatoPump) => Promise<void>, options: OpenLegatoOptions = {}): Promise<void> {
  const { stream, channel } = await channelOf(t, exchanges);
  const pump = createLegato({ timeoutMs: 500, pollMs: 10_000, diameterMm: 4.6066, syringeVolume: '1 ml', ...options }, { channel });
  t.teardown(() => pump.close());
  await pump.connect();
  await body(pump);
  for (let i = 0; i < 100 && stream.remaining > 0; i++) await new Promise((r) => setTimeout(r, 5));
  stream.assertDone();
}

const CONNECT: Exchange[] = [
  ['poll on\r', '\n:\x11'],
  ['status\r', '\n166666667 0 0 i...I.\r\n:\x11'],
  ['diameter 4.6066\r', '\n:\x11'],
  ['svolume 1 ml\r', '\n:\x11'],
];

t.test(SETTINGS.name, (t) =>
  playIO(t, SETTINGS.exchanges, async (io) => {
    const p = io(0);
    await p.setDiameter(4.6066);
    t.equal(await p.diameter(), 4.6066, 'diameter, mm');
    await p.setSyringeVolume(1000);
    t.equal(await p.syringeVolume(), 1000, 'syringe volume, ul');
    await p.setRate('infuse', 600);
    t.equal(await p.rate('infuse'), 600, 'infuse rate, ul/min');
    await p.setRate('withdraw', 1500);
    t.equal(await p.rate('withdraw'), 1500, '1.5 ml/min = 1500 ul/min');
    await p.setForce(30);
    t.equal(await p.force(), 30, 'force, %');
    t.equal(await p.targetVolume(), 0, '"Target volume not set" reads as 0');
    await p.setTargetVolume(50);
    t.equal(await p.targetVolume(), 50);
    await p.clearTargetVolume();
    const s = await p.status();
    t.equal(s.rateUlPerMin, 600, 'status rate: 1e10 fL/s = 600 ul/min');
    t.equal(s.running, false);
    t.equal(s.direction, 'infuse');
    t.equal(s.state, 'idle');
    t.equal(await p.volume('infuse'), 0);
    t.equal(await p.volume('withdraw'), 0);
    t.equal(p.state, 'idle', 'prompt tracked');
  }));

t.test('the same settings with every reply split into 1-byte chunks', (t) =>
  playIO(t, SETTINGS.exchanges.slice(0, 2), async (io) => {
    await io(0).setDiameter(4.6066);
    t.equal(await io(0).diameter(), 4.6066);
  }, 1));

t.test(`${ERRORS.name}: each becomes a DeviceError with the vendor line`, (t) =>
  playIO(t, ERRORS.exchanges, async (io) => {
    const p = io(0);
    const expect = async (call: Promise<unknown>, code: string, kind: string, state: string): Promise<void> => {
      const err = await call.then(() => undefined, (e: unknown) => e);
      t.type(err, DeviceError, code);
      t.equal((err as DeviceError).vendorCode, code);
      t.equal((err as DeviceError).kind, kind);
      t.equal(p.state, state, `state after ${code}: ${state}`);
    };
    await expect(p.command('bogus'), 'Unknown command', 'unknown', 'idle');
    await expect(p.command('irate 10 ul'), 'Argument error', 'argument', 'idle');
    await expect(p.setRate('infuse', 5000), 'Out of range', 'range', 'idle');
    await expect(p.run('withdraw'), 'Command error', 'command', 'idle');
    t.equal(await p.run('infuse'), 'infusing', 'prompt > is infusing');
    await expect(p.setDiameter(10), 'Command error', 'command', 'infusing');
    t.equal(await p.stop(), 'idle');
  }));

t.test(`${ADDRESSED.name}`, (t) =>
  playIO(t, ADDRESSED.exchanges, async (io) => {
    const p1 = io(1);
    const p0 = io(0);
    t.equal(await p1.diameter(), 4.6066, 'the 01: prefix is stripped');
    await p1.setRate('infuse', 600);
    await t.rejects(p1.command('bogus'), DeviceError, 'error line with a prefix');
    t.equal(await p1.run('infuse'), 'infusing', '01> prompt');
    t.equal(await p1.rate('infuse'), 600, 'a text line of a running pump: 01>600 ul/min');
    t.equal(await p0.diameter(), 4.6066, 'pump 0 on the same line: no prefix');
    t.equal(await p1.stop(), 'idle');
  }));

t.test(`${POLL.name}`, (t) =>
  playIO(t, POLL.exchanges, async (io) => {
    const q = io(0, 'plain', true);
    await q.setPoll(true);
    t.equal(await q.diameter(), 4.6066);
    t.equal(await q.command('bogus').catch((e: DeviceError) => e.vendorCode), 'Unknown command');
    t.equal((await q.status()).rateUlPerMin.toFixed(6), '10.000000');
    await q.setPoll(false);
    t.equal(q.poll, false);
  }));

t.test(`${AT_FORM.name}`, (t) =>
  playIO(t, AT_FORM.exchanges, async (io) => {
    const p = io(0, 'at', true);
    await p.setPoll(true);
    await p.setRate('infuse', 600);
    const s = await p.status();
    t.equal(s.rateUlPerMin, 600);
    t.equal(await p.command('bogus').catch((e: DeviceError) => e.vendorCode), 'Unknown command');
  }));

t.test('a pump that does not answer: TimeoutError; the line is usable afterwards', (t) =>
  playIO(t, [['2status\r', null], ['status\r', '\n0 0 0 i...I.\r\n:']], async (io) => {
    await t.rejects(io(2).status({ timeoutMs: 100 }), TimeoutError);
    t.equal((await io(0).status()).state, 'idle');
  }));

t.test('an unasked T* (poll off) before a query reply is not taken for it', (t) =>
  playIO(t, [['irun\r', '\n>'], ['ivolume\r', '\nT*\n50 ul\r\nT*']], async (io) => {
    const p = io(0);
    await p.run('infuse');
    t.equal(await p.volume('infuse'), 50);
    t.equal(p.state, 'target');
  }));

t.test('a reply from another address is skipped (stale), the right one is taken', (t) =>
  playIO(t, [['1diameter\r', '\n4.6066 mm\r\n:\n01:12.45 mm\r\n01:']], async (io) => {
    t.equal(await io(1).diameter(), 12.45);
  }));

t.test('connect: poll on, status, then the configured syringe', (t) =>
  playPump(t, CONNECT, async (p) => {
    t.equal(p.diameterMm, 4.6066);
    t.ok(p.rateLimits()!.high > 2000, 'limits known from the diameter');
  }));

t.test('dispense: rate, clear, target, run, status until T*; progress reported', (t) =>
  playPump(t, [
    ...CONNECT,
    ['irate 600 ul/min\r', '\n:\x11'],
    ['civolume\r', '\n:\x11'],
    ['tvolume 50 ul\r', '\n:\x11'],
    ['irun\r', '\n>\x11'],
    ['status\r', '\n10000000000 2500 25000000000 I...I.\r\n>\x11'],
    ['status\r', '\n10000000000 5000 50000000000 i...IT\r\nT*\x11'],
  ], async (p) => {
    const fractions: number[] = [];
    const st = p.dispense('50 ul', '600 ul/min', { pollMs: 5 });
    st.watch((pr) => fractions.push(pr.fraction));
    await st;
    t.ok(st.success);
    t.same(fractions, [0, 0.5, 1], 'progress = volume pumped / target, from 0 (StandardMovable reports the start too)');
  }));

t.test('dispense on a stall: DeviceError (stall), then STOP', (t) =>
  playPump(t, [
    ...CONNECT,
    ['irate\r', '\n10 ul/min\r\n:\x11'],
    ['civolume\r', '\n:\x11'],
    ['tvolume 20 ul\r', '\n:\x11'],
    ['irun\r', '\n>\x11'],
    ['status\r', '\n166666667 1200 3333333333 i.S.I.\r\n*\x11'],
    ['stop\r', '\n:\x11'],
  ], async (p) => {
    const err = await p.dispense(20, undefined, { pollMs: 5, timeoutMs: 5000 }).then(() => undefined, (e: unknown) => e);
    t.type(err, DeviceError);
    t.equal((err as DeviceError).kind, 'stall');
  }));

t.test('withdraw: -10 ul at 1 ml/hr uses wrate, cwvolume and wrun', (t) =>
  playPump(t, [
    ...CONNECT,
    ['wrate 16.6667 ul/min\r', '\n:\x11'],
    ['cwvolume\r', '\n:\x11'],
    ['tvolume 10 ul\r', '\n:\x11'],
    ['wrun\r', '\n<\x11'],
    ['status\r', '\n277777778 36000 10000000000 w...WT\r\nT*\x11'],
  ], async (p) => {
    await p.dispense(-10, '1 ml/hr', { pollMs: 5 });
    t.pass('withdrawn');
  }));

t.test('stop() cancels a running dispense (CanceledError) and sends STOP', (t) =>
  playPump(t, [
    ...CONNECT,
    ['irate\r', '\n10 ul/min\r\n:\x11'],
    ['civolume\r', '\n:\x11'],
    ['tvolume 100 ul\r', '\n:\x11'],
    ['irun\r', '\n>\x11'],
    ['status\r', '\n166666667 100 16666667 I...I.\r\n>\x11'],
    ['stop\r', '\n:\x11'],
  ], async (p) => {
    const st = p.dispense(100);
    while (!st.progress) await new Promise((r) => setTimeout(r, 2));
    await p.stop();
    const err = await st.then(() => undefined, (e: unknown) => e);
    t.type(err, CanceledError);
  }));

t.test('e-stop stop({ success: false }) is the same STOP and cancels too', (t) =>
  playPump(t, [
    ...CONNECT,
    ['irate\r', '\n10 ul/min\r\n:\x11'],
    ['civolume\r', '\n:\x11'],
    ['tvolume 100 ul\r', '\n:\x11'],
    ['irun\r', '\n>\x11'],
    ['status\r', '\n166666667 100 16666667 I...I.\r\n>\x11'],
    ['stop\r', '\n:\x11'],
  ], async (p) => {
    const st = p.dispense(100);
    while (!st.progress) await new Promise((r) => setTimeout(r, 2));
    await p.stop({ success: false });
    await t.rejects(Promise.resolve(st), CanceledError);
  }));

t.test('bad input: unknown units, rates beyond the syringe, too much volume — nothing is sent', (t) =>
  playPump(t, CONNECT, async (p) => {
    await t.rejects(p.setInfuseRate(10, 'ul/fortnight'), InvalidInputError);
    await t.rejects(p.setInfuseRate('10 gallons/min'), InvalidInputError);
    await t.rejects(p.setInfuseRate(100, 'ml/min'), LimitsError, 'faster than 159 mm/min with a 4.6 mm bore');
    await t.rejects(p.setInfuseRate(1, 'pl/hr'), LimitsError, 'slower than the pusher can go');
    await t.rejects(Promise.resolve(p.dispense('5 ml')), LimitsError, 'more than the 1 ml syringe');
    await t.rejects(Promise.resolve(p.dispense(10, '10 ul/fortnight')), InvalidInputError);
    await t.rejects(Promise.resolve(p.dispense(0)), InvalidInputError);
    await t.rejects(p.setDiameter(100), LimitsError);
    await t.rejects(p.commands.command('irate 1\r\nirun'), InvalidInputError, 'no CR/LF smuggled into a command');
    await t.rejects(Promise.resolve(p.force.set(0)), LimitsError);
  }));

t.test('an infuse-only model refuses to withdraw before sending anything', (t) =>
  playPump(t, CONNECT, async (p) => {
    await t.rejects(Promise.resolve(p.dispense(-5)), InvalidInputError);
    await t.rejects(p.setWithdrawRate(10), InvalidInputError);
  }, { model: 'legato100' }));
