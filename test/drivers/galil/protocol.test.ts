/**
 * Galil protocol.ts: decoders and encoders against the manual's examples, then fuzzed with
 * fast-check (garbage, truncation, huge numbers): they return values or throw InvalidInputError,
 * nothing else.
 */
import t from 'tap';
import fc from 'fast-check';
import { InvalidInputError } from '../../../src/core/errors.js';
import {
  assign, describeStopCode, encodeCommand, formatPosition, formatVariable, parseFlag, parseInteger, parseNumber,
  parseNumberList, parseStopCode, parseTellCode, splitReplies, TC_CODES,
} from '../../../src/drivers/galil/protocol.js';

t.test('values as the controller prints them', async (t) => {
  t.equal(parseNumber(' 1000'), 1000, 'TP with the default PF 10.0');
  t.equal(parseNumber('-1000'), -1000);
  t.equal(parseNumber(' 1.0000'), 1, 'MG with the default VF 10.4');
  t.equal(parseNumber('-12.5000'), -12.5);
  t.equal(parseNumber(' 1000.0000'), 1000, 'TP after PF 10.4 (as HELAO sets)');
  t.equal(parseNumber('$3E8.8000'), 1000.5, 'hex format ($) with a fraction in 1/65536');
  t.same(parseNumberList(' 0, 0, 0, 0'), [0, 0, 0, 0], 'TP on four axes');
  t.same(parseNumberList(' 9000, -25'), [9000, -25]);
  t.equal(parseStopCode(' 1'), 1);
  t.equal(parseInteger(' 20.0000'), 20);
  t.equal(parseFlag(' 1.0000'), true);
  t.equal(parseFlag(' 0.0000'), false);
  for (const bad of ['', ' ', 'abc', '1,2', '--1', '1e5', '12345678901234', 'NaN', 'Infinity', ' 1.0000 junk']) {
    t.throws(() => parseNumber(bad), InvalidInputError, `refuses ${JSON.stringify(bad)}`);
  }
  t.throws(() => parseFlag(' 2.0000'), InvalidInputError);
  t.throws(() => parseStopCode(' 1.5000'), InvalidInputError);
  t.throws(() => parseStopCode(' 300'), InvalidInputError);
  t.throws(() => parseNumberList(' 0,, 0'), InvalidInputError, 'an empty field is not a value');
});

t.test('TC1 replies and the TC table', async (t) => {
  t.same(parseTellCode('20 Begin not valid with motor off'), { code: 20, text: 'Begin not valid with motor off' });
  t.same(parseTellCode('1 Unrecognized command'), { code: 1, text: 'Unrecognized command' });
  t.same(parseTellCode(' 22 Begin not possible due to Limit Switch '), { code: 22, text: 'Begin not possible due to Limit Switch' });
  t.same(parseTellCode('7'), { code: 7, text: '' }, 'TC0 prints the code only');
  t.throws(() => parseTellCode('Unrecognized command'), InvalidInputError);
  t.throws(() => parseTellCode(''), InvalidInputError);
  t.equal(TC_CODES[1], 'Unrecognized command');
  t.match(TC_CODES[20], { text: 'Begin not valid with motor off', kind: 'motor-off' });
  t.match(TC_CODES[21], { text: 'Begin not valid while running' });
  t.match(TC_CODES[22], { kind: 'limit' });
  const digest = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 24, 28, 29, 50, 51, 52, 55, 56, 57, 58, 59,
    60, 61, 62, 63, 66, 67, 80, 83, 106, 119, 123, 124, 126, 131, 132, 134, 135, 141, 143, 160, 166,
  ];
  t.same(Object.keys(TC_CODES).map(Number).sort((a, b) => a - b), digest, 'every code of the digest, no invented ones');
});

t.test('stop codes', async (t) => {
  t.same(describeStopCode(1).outcome, 'done');
  t.same(describeStopCode(2).outcome, 'limit');
  t.same(describeStopCode(3).outcome, 'limit');
  t.same(describeStopCode(4).outcome, 'canceled');
  t.same(describeStopCode(7).outcome, 'canceled');
  t.same(describeStopCode(8).outcome, 'off-on-error');
  t.same(describeStopCode(10).outcome, 'done');
  t.same(describeStopCode(77).outcome, 'other');
});

t.test('encoding refuses what the controller would misread', async (t) => {
  t.equal(encodeCommand('TPA'), 'TPA\r');
  t.equal(encodeCommand('MG @IN[1]'), 'MG @IN[1]\r');
  t.equal(assign('PA', 'A', -5000, -2147483647, 2147483647), 'PAA=-5000');
  for (const bad of ['', 'tpa', 'TP\rA', 'SHA;BGA', 'A', 'T', 'X'.repeat(81), 'MG "é"']) {
    t.throws(() => encodeCommand(bad), InvalidInputError, `refuses ${JSON.stringify(bad)}`);
  }
  t.throws(() => assign('SP', 'A', 1.5, 0, 100), InvalidInputError, 'counts are integers');
  t.throws(() => assign('SP', 'A', 101, 0, 100), InvalidInputError);
  t.throws(() => assign('SP', 'Q' as 'A', 1, 0, 100), InvalidInputError);
});

t.test('reply splitting follows the framing: one : or ? per command', async (t) => {
  t.same(splitReplies('::: 1000\r\n:'), {
    replies: [{ payload: '', ok: true }, { payload: '', ok: true }, { payload: '', ok: true }, { payload: ' 1000', ok: true }],
    rest: '',
  }, 'MO;SH;DPA=1000;TPA');
  t.same(splitReplies(':?'), { replies: [{ payload: '', ok: true }, { payload: '', ok: false }], rest: '' });
  t.same(splitReplies(' 10'), { replies: [], rest: ' 10' }, 'an unfinished reply stays in rest');
});

t.test('number formatting as MG and TP print', async (t) => {
  t.equal(formatVariable(1), ' 1.0000');
  t.equal(formatVariable(-2.5), '-2.5000');
  t.equal(formatVariable(-0.00001), ' 0.0000', 'no negative zero');
  t.equal(formatPosition(1000), ' 1000');
  t.equal(formatPosition(-1000.4), '-1000');
  t.equal(formatPosition(12.5, 4), ' 12.5000');
});

/** Run `fn` and accept a value or an InvalidInputError; anything else fails the property. */
function onlyTyped(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    return e instanceof InvalidInputError;
  }
}

t.test('fuzz: decoders only ever throw InvalidInputError', async (t) => {
  const printable = fc.string({ unit: 'binary-ascii', maxLength: 60 });
  const numeric = fc.oneof(
    fc.double().map((d) => ` ${d}`),
    fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((b) => ` ${b}`),
    fc.integer().map((n) => `${n}.${'9'.repeat(12)}`),
    fc.constantFrom(' 1.0000', '-0.0000', '$FFFFFFFF.FFFF', '$', '.5', ' 1000\r\n'),
  );
  const truncated = fc.tuple(fc.constantFrom(' 1000\r\n:', '20 Begin not valid with motor off\r\n:', ' 0, 0, 0, 0\r\n:'), fc.nat(40)).map(([s, n]) => s.slice(0, n));
  const input = fc.oneof(printable, numeric, truncated, fc.string({ maxLength: 20 }));
  fc.assert(
    fc.property(input, (s) =>
      onlyTyped(() => parseNumber(s)) && onlyTyped(() => parseNumberList(s)) && onlyTyped(() => parseInteger(s))
      && onlyTyped(() => parseFlag(s)) && onlyTyped(() => parseStopCode(s)) && onlyTyped(() => parseTellCode(s))
      && onlyTyped(() => encodeCommand(s)),
    ),
    { numRuns: 3000 },
  );
  fc.assert(fc.property(input, (s) => {
    const v = (() => {
      try {
        return parseNumber(s);
      } catch {
        return undefined;
      }
    })();
    return v === undefined || Number.isFinite(v);
  }), { numRuns: 2000 });
  t.pass('3000 + 2000 inputs: values are finite, failures are InvalidInputError');
});

t.test('fuzz: splitReplies never throws and keeps every byte', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
    const { replies, rest } = splitReplies(s);
    const terminators = [...s].filter((c) => c === ':' || c === '?').length;
    return replies.length === terminators && s.endsWith(rest);
  }), { numRuns: 2000 });
  t.pass('2000 inputs');
});
