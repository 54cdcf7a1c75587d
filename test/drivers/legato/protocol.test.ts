/**
 * The pure parts of the Legato driver: units and limits, command encoding, reply and status
 * decoding, the reply framer, and the URI schemes.
 */
import t from 'tap';
import { InvalidInputError, LimitsError } from '../../../src/core/errors.js';
import { parseAddress } from '../../../src/protocols/uri.js';
import { registerFamily } from '../../../src/drivers/registry.js';
import {
  checkAddress, checkDiameter, checkRate, decodeReply, decodeStatus, encodeCommand, encodeRate, encodeVolume, findError, formatNumber,
  LegatoFramer, parsePromptLine, parseRate, parseVolume, pumpModel, rateFactor, rateLimits, toMicroliters, toMicrolitersPerMinute,
  legatoFamily, uriSettings, volumeFactor,
} from '../../../src/drivers/legato/index.js';

// URI schemes are known once their family is registered (decision 0010).
registerFamily(legatoFamily);

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

t.test('units: volumes in ul, rates in ul/min; unknown units are InvalidInputError', async (t) => {
  t.equal(volumeFactor('ml'), 1000);
  t.equal(volumeFactor('UL'), 1, 'case-insensitive');
  t.equal(volumeFactor('µl'), 1, 'µl is ul');
  t.equal(volumeFactor('pl'), 1e-6);
  t.equal(rateFactor('ml/min'), 1000);
  t.equal(rateFactor('ul/h'), 1 / 60);
  t.equal(rateFactor('ul/hr'), 1 / 60);
  t.equal(rateFactor('ul/s'), 60);
  t.ok(Math.abs(rateFactor('nl/sec') - 0.06) < 1e-15, 'nl/sec');
  t.equal(rateFactor('pl/m'), 1e-6);
  for (const bad of ['l/min', 'ul', 'ul/day', 'gal/min', 'ml / min', '', 'ml/min/s']) t.throws(() => rateFactor(bad), InvalidInputError, bad);
  for (const bad of ['l', 'ml/min', 'cc', '']) t.throws(() => volumeFactor(bad), InvalidInputError, bad);
  t.equal(toMicroliters(0.05, 'ml'), 50);
  t.equal(toMicroliters('50 ul'), 50);
  t.equal(toMicroliters('2.5nl'), 0.0025);
  t.equal(toMicroliters(7), 7, 'bare number: ul');
  t.equal(toMicrolitersPerMinute('10 ul/sec'), 600);
  t.equal(toMicrolitersPerMinute(1, 'ml/hr'), 1000 / 60);
  t.equal(toMicrolitersPerMinute(42), 42);
  t.throws(() => toMicroliters('fifty ul'), InvalidInputError);
  t.throws(() => toMicroliters(Number.NaN, 'ul'), InvalidInputError);
  t.throws(() => toMicrolitersPerMinute(Infinity, 'ul/min'), InvalidInputError);
  t.throws(() => toMicrolitersPerMinute('1e999 ul/min'), InvalidInputError);
});

t.test('numbers for the wire: 6 significant digits, never an exponent; volume unit chosen to keep them', async (t) => {
  t.equal(formatNumber(4.6066), '4.6066');
  t.equal(formatNumber(1000 / 60), '16.6667');
  t.equal(formatNumber(1e-7), '0.0000001');
  t.equal(formatNumber(123456789), '123457000');
  t.equal(formatNumber(-0), '0');
  t.equal(encodeRate(600), '600 ul/min');
  t.equal(encodeRate(1500), '1.5 ml/min');
  t.equal(encodeRate(0.02), '20 nl/min');
  t.equal(encodeRate(2e-6), '2 pl/min');
  t.equal(encodeVolume(50), '50 ul');
  t.equal(encodeVolume(1000), '1 ml');
  t.equal(encodeVolume(0.0005), '500 pl');
  t.equal(parseRate('1.5 ml/min'), 1500);
  t.equal(parseRate('10 ul/sec'), 600);
  t.equal(parseVolume('1.234 ul'), 1.234);
  t.throws(() => parseVolume('Target volume not set'), InvalidInputError);
});

t.test('models and limits: rates from the bore and the pusher speeds', async (t) => {
  const m = pumpModel('Legato 110');
  t.equal(m.name, 'legato110');
  t.equal(pumpModel('legato100').withdraw, false);
  t.throws(() => pumpModel('nemesys'), InvalidInputError);
  const l = rateLimits(m, 26.59);
  t.ok(Math.abs(l.high / 1000 - 88.28) < 0.1, `60 ml syringe: up to ${(l.high / 1000).toFixed(2)} ml/min (published 88.28)`);
  const small = rateLimits(m, 0.103);
  t.ok(Math.abs(small.low * 1e6 - 1.26) < 0.05, `0.5 ul syringe: down to ${(small.low * 1e6).toFixed(3)} pl/min (published 1.26)`);
  t.throws(() => checkRate('p', m, 4.6066, 3000), LimitsError);
  t.throws(() => checkRate('p', m, 4.6066, 0), InvalidInputError, 'zero is not a rate');
  const widest = rateLimits(m, m.diameterMm.high).high;
  t.doesNotThrow(() => checkRate('p', m, undefined, widest), 'bore unknown: anything the widest syringe allows');
  t.throws(() => checkRate('p', m, undefined, 1e9), LimitsError, 'bore unknown: faster than the widest syringe at full speed is refused');
  t.throws(() => checkDiameter('p', m, 0.01), LimitsError);
  t.doesNotThrow(() => checkDiameter('p', m, 14.57));
});

t.test('commands: pump 0 bare, pump N prefixed, HELAO form NN@; bad input rejected', async (t) => {
  t.equal(encodeCommand(0, 'irate 10 ul/min'), 'irate 10 ul/min');
  t.equal(encodeCommand(12, 'irat 3.2 u/m'), '12irat 3.2 u/m', "the manual's example");
  t.equal(encodeCommand(1, 'status'), '1status', 'one digit needs no leading 0');
  t.equal(encodeCommand(0, 'poll on', 'at'), '00@poll on');
  t.equal(encodeCommand(7, 'status', 'at'), '07@status');
  for (const a of [-1, 100, 1.5, '1', Number.NaN]) t.throws(() => checkAddress(a), InvalidInputError, String(a));
  for (const c of ['', 'irun\r', 'a\nb', '1irun', ' irun', 'x'.repeat(81), 'st\x11']) t.throws(() => encodeCommand(0, c), InvalidInputError, JSON.stringify(c));
  t.throws(() => encodeCommand(0, 'irun', 'hash' as never), InvalidInputError);
});

t.test('prompts and replies', async (t) => {
  t.same(parsePromptLine(':'), { address: undefined, prompt: ':' });
  t.same(parsePromptLine('01>'), { address: 1, prompt: '>' });
  t.same(parsePromptLine('T*'), { address: undefined, prompt: 'T*' });
  t.same(parsePromptLine('12T*'), { address: 12, prompt: 'T*' });
  for (const l of ['1:', '::', '01:x', 'T', '*T', '001:', '']) t.equal(parsePromptLine(l), undefined, JSON.stringify(l));
  const r = decodeReply('\n10 ul/min\r\n:');
  t.same(r, { address: undefined, prompt: ':', state: 'idle', lines: ['10 ul/min'], error: undefined });
  t.same(decodeReply('\n01>600 ul/min\r\n01>\x11').lines, ['600 ul/min'], 'prefix with the running state');
  t.same(decodeReply('\n05T*50 ul\r\n05T*').lines, ['50 ul']);
  t.equal(decodeReply('\n*').state, 'stalled');
  t.equal(decodeReply('\r\nOut of range\r\n<').error, 'Out of range');
  t.equal(decodeReply('00:00:30\r\n:').lines[0], '00:00:30', 'pump 0 lines are never stripped');
  t.throws(() => decodeReply('\n01:4 mm\r\n02:'), InvalidInputError, 'a line of another pump');
  t.throws(() => decodeReply('\n10 ul/min\r\n'), InvalidInputError, 'no prompt');
  t.throws(() => decodeReply(''), InvalidInputError);
  t.equal(findError(['x', 'argument ERROR']), 'Argument error');
  t.equal(findError(['10 ul/min']), undefined);
});

t.test('status line (Legato manual, STATUS): three integers and six flags', async (t) => {
  const s = decodeStatus('16666666667 1234 123456789 I...I.');
  t.equal(s.rateFlPerS, 16666666667);
  t.equal(s.timeMs, 1234);
  t.equal(s.volumeFl, 123456789);
  t.same([s.direction, s.running, s.limit, s.stalled, s.trigger, s.directionPort, s.targetReached], ['infuse', true, undefined, false, false, 'infuse', false]);
  const w = decodeStatus('0 0 0 wwSTWT');
  t.same([w.direction, w.running, w.limit, w.stalled, w.trigger, w.directionPort, w.targetReached], ['withdraw', false, 'withdraw', true, true, 'withdraw', true]);
  t.equal(decodeStatus('0 0 0 iI..i.').limit, 'infuse', 'lower or upper case limit and port letters');
  for (const bad of ['', '0 0 0', '0 0 0 i....', '0 0 0 x.....', '-1 0 0 i.....', '0 0 0 i..... extra', '1.5 0 0 i.....']) {
    t.throws(() => decodeStatus(bad), InvalidInputError, JSON.stringify(bad));
  }
});

t.test('framer, xon mode: frames end at XON; empty frames are skipped; size is bounded', async (t) => {
  const f = new LegatoFramer({ mode: 'xon' });
  const buf = bytes('\x11\n4.6 mm\r\n:\x11\n>\x11');
  const m = f.scan(buf, buf.length, 0)!;
  t.equal(Buffer.from(buf.subarray(m.payloadStart, m.payloadEnd)).toString('latin1'), '4.6 mm\r\n:');
  t.equal(m.end, ':');
  t.equal(m.consumed, 12, 'the leading stray XON is consumed with it');
  t.equal(f.scan(bytes('\n4.6 mm\r\n:'), 10, 0), undefined, 'no XON yet');
  const a = bytes('\n01>1 ul\r\n01>\x11');
  t.equal(f.scan(a, a.length, 0)!.address, '01');
  t.throws(() => new LegatoFramer({ mode: 'xon', maxBytes: 8 }).scan(bytes('0123456789'), 10, 0), InvalidInputError);
  t.throws(() => new LegatoFramer({ mode: 'bogus' as never }), InvalidInputError);
});

t.test('framer, prompt mode: a prompt line ends a reply, a prefixed text line does not', async (t) => {
  const f = new LegatoFramer({ mode: 'prompt' });
  const text = bytes('\n01>600 ul/min\r\n01>');
  const m = f.scan(text, text.length, 0)!;
  t.equal(m.consumed, text.length);
  t.equal(m.end, '>');
  t.equal(m.address, '01');
  t.equal(f.scan(bytes('\n01>600 ul'), 10, 0), undefined, 'a text line being received is not a prompt');
  const two = bytes('\nT*\n:');
  t.equal(f.scan(two, two.length, 0)!.consumed, 3, 'an unasked T* is a frame of its own');
  const x = bytes('\n:\x11');
  t.equal(f.scan(x, x.length, 0)!.consumed, 3, 'an XON after the prompt is taken along');
});

t.test('URIs: legato+serial and legato+tcp with address, poll and form', async (t) => {
  const a = parseAddress('legato+serial:///dev/ttyUSB1?address=0&baud=115200');
  t.equal(a.scheme, 'serial');
  t.equal((a as { baudRate: number }).baudRate, 115200);
  t.equal((a as { path: string }).path, '/dev/ttyUSB1');
  t.same(a.params, { address: '0' });
  t.equal((parseAddress('legato+serial:///dev/ttyACM0') as { baudRate: number }).baudRate, 115200, 'default 115200 baud');
  const b = parseAddress('legato+tcp://127.0.0.1:4001?address=3&poll=off&form=at');
  t.equal((b as { port: number }).port, 4001);
  t.same(uriSettings('legato+tcp://127.0.0.1:4001?address=3&poll=off&form=at'), { address: 3, poll: false, form: 'at' });
  t.throws(() => uriSettings('legato+tcp://127.0.0.1:4001?address=100'), InvalidInputError);
  t.throws(() => uriSettings('legato+tcp://127.0.0.1:4001?unit=A'), InvalidInputError);
  t.throws(() => uriSettings('legato+tcp://127.0.0.1:4001?form=hash'), InvalidInputError);
  t.throws(() => parseAddress('legato+tcp://127.0.0.1'), InvalidInputError, 'a gateway needs a port');
  t.throws(() => parseAddress('legato+serial:///dev/ttyUSB1?baud=fast'), InvalidInputError);
});
