import t from 'tap';
import fc from 'fast-check';
import { InvalidInputError } from '../../../src/core/errors.js';
import {
  checkUnit, controlVariableOf, decodeFirmware, decodeFrame, decodeRegister, encodeFrame, encodeSetpoint, formatField, gasName, gasNumber,
  isRejection, replyUnit, STATUS_CODE_LIST,
} from '../../../src/drivers/alicat/protocol.js';

t.test('decodeFrame: controller, meter, totalizer, status codes (reference digest examples)', async (t) => {
  const mfc = decodeFrame('A +014.70 +025.00 +000.00 +000.00 +000.00     N2');
  t.same(mfc, { unit: 'A', pressure: 14.7, temperature: 25, volumetricFlow: 0, massFlow: 0, setpoint: 0, totalizer: undefined, gas: 'N2', status: [] });
  const held = decodeFrame('A +014.70 +025.00 +000.00 +000.00 +010.00 N2 HLD LCK');
  t.equal(held.setpoint, 10);
  t.same(held.status, ['HLD', 'LCK']);
  const meter = decodeFrame('B +013.20 +022.10 +005.10 +005.00    Air', { kind: 'meter' });
  t.equal(meter.setpoint, undefined);
  t.equal(meter.totalizer, undefined);
  t.equal(meter.unit, 'B');
  t.equal(meter.gas, 'Air');
  const meterTotal = decodeFrame('B +013.20 +022.10 +005.10 +005.00 +0000123.4 Air', { kind: 'meter' });
  t.equal(meterTotal.totalizer, 123.4);
  const withTotal = decodeFrame('A +014.70 +025.00 +001.00 +001.00 +001.00 +0000012.5 CO2 MOV TMF');
  t.equal(withTotal.setpoint, 1);
  t.equal(withTotal.totalizer, 12.5);
  t.same(withTotal.status, ['MOV', 'TMF']);
  t.equal(decodeFrame('  A +014.70 +025.00 -000.50 -000.49 +000.00 n-C4H10\0\0 ').gas, 'n-C4H10', 'NUL padding and blanks are ignored');
  const over = decodeFrame('A +014.70 +025.00 ------- ------- +050.00 N2 MOV VOV');
  t.ok(Number.isNaN(over.massFlow), 'a run of dashes (over range) decodes to NaN');
  t.same(over.status, ['MOV', 'VOV']);
});

t.test('decodeFrame rejects what is not a frame with InvalidInputError', async (t) => {
  for (const bad of ['', '?', 'A ?', 'A', 'A +1 +2 N2', 'A +1 +2 +3 +4 +5 +6 +7 N2', 'A +1 +2 +3 +4 +5', '1 +1 +2 +3 +4 N2', 'A +1 +2 +x3 +4 N2', 'A +1 +2 +3 +4 +5 12']) {
    t.throws(() => decodeFrame(bad), InvalidInputError, JSON.stringify(bad));
  }
  t.throws(() => decodeFrame(`A ${'+1 '.repeat(300)}N2`), InvalidInputError, 'oversized');
});

t.test('rejection marker, reply unit, unit ids', async (t) => {
  t.ok(isRejection('?'));
  t.ok(isRejection('A ?'));
  t.ok(isRejection(' ?\0'));
  t.notOk(isRejection('A +014.70 +025.00 +000.00 +000.00 +000.00 N2'));
  t.equal(replyUnit('b   122 = 37'), 'B');
  t.equal(replyUnit('?'), undefined);
  t.equal(replyUnit('@ +1 +2 +3 +4 N2'), '@');
  t.equal(checkUnit('c'), 'C');
  t.throws(() => checkUnit('AB'), InvalidInputError);
  t.throws(() => checkUnit('1'), InvalidInputError);
});

t.test('registers, firmware, control variables, gases', async (t) => {
  t.same(decodeRegister('A   122 = 37', 122), { unit: 'A', register: 122, value: 37 });
  t.same(decodeRegister('A   046 = 2056'), { unit: 'A', register: 46, value: 2056 });
  t.throws(() => decodeRegister('A   046 = 8', 122), InvalidInputError);
  t.throws(() => decodeRegister('A +014.70 N2'), InvalidInputError);
  const fw = decodeFirmware('A   6v21.0-R22 Nov 30 2016,16:04:20');
  t.equal(fw.text, '6v21.0-R22 Nov 30 2016,16:04:20');
  t.equal(fw.major, 6);
  t.equal(fw.minor, 21);
  t.equal(decodeFirmware('A GP-10v05').major, 10);
  t.equal(controlVariableOf(37), 'mass-flow');
  t.equal(controlVariableOf(34), 'absolute-pressure');
  t.throws(() => controlVariableOf(1), InvalidInputError);
  t.equal(gasNumber('N2'), 8);
  t.equal(gasNumber('ar'), 1);
  t.equal(gasNumber(0), 0);
  t.equal(gasNumber(240), 240, 'mix numbers are accepted');
  t.equal(gasNumber('7'), 7);
  t.equal(gasName(11), 'O2');
  for (const bad of ['Unobtainium', '', 30, 235, 256, -1, 1.5]) t.throws(() => gasNumber(bad as string | number), InvalidInputError, String(bad));
});

t.test('encodeSetpoint and frame formatting', async (t) => {
  t.equal(encodeSetpoint(12.5), 'S12.50');
  t.equal(encodeSetpoint(0), 'S0.00');
  t.equal(encodeSetpoint(-0.001), 'S0.00');
  for (const bad of [Number.NaN, Infinity, 1e7, '1' as unknown as number]) t.throws(() => encodeSetpoint(bad), InvalidInputError);
  t.equal(formatField(14.7), '+014.70');
  t.equal(formatField(-0.5), '-000.50');
  t.equal(formatField(1234.5), '+1234.50');
  t.equal(formatField(Number.NaN), '-------');
});

const token = fc.oneof(
  fc.constantFrom('A', 'B', '@', '?', 'N2', 'Air', 'HLD', 'LCK', 'MOV', '-------', '+014.70', '+000.00', '=', '122', '\0'),
  fc.double({ noNaN: false }).map((x) => String(x)),
  fc.string({ maxLength: 12 }),
);

t.test('fuzz: decoders only ever return a frame or throw InvalidInputError', async (t) => {
  const decoders: Array<(s: string) => unknown> = [decodeFrame, (s) => decodeFrame(s, { kind: 'meter' }), decodeRegister, decodeFirmware];
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(token, { maxLength: 14 }).map((a) => a.join(' '))), (text) => {
      for (const d of decoders) {
        try {
          d(text);
        } catch (e) {
          if (!(e instanceof InvalidInputError)) throw e;
        }
      }
      isRejection(text);
      replyUnit(text);
    }),
    { numRuns: 3000 },
  );
  t.pass('no untyped error in 3000 runs');
});

t.test('fuzz: encodeFrame and decodeFrame round-trip, truncation gives typed errors', async (t) => {
  const value = fc.double({ min: -999, max: 9999, noNaN: true });
  const frame = fc.record({
    unit: fc.constantFrom('A', 'B', 'Z'),
    pressure: value, temperature: value, volumetricFlow: value, massFlow: value,
    setpoint: fc.option(value, { nil: undefined }),
    totalizer: fc.option(fc.double({ min: 0, max: 9e6, noNaN: true }), { nil: undefined }),
    gas: fc.constantFrom('N2', 'Air', 'Ar', 'CO2', 'n-C4H10', 'Star29'),
    status: fc.subarray(STATUS_CODE_LIST),
  });
  fc.assert(
    fc.property(frame, fc.nat(), (f, cut) => {
      const kind = f.setpoint === undefined ? 'meter' : 'controller';
      const line = encodeFrame(f);
      if (f.setpoint === undefined && f.totalizer === undefined) {
        const d = decodeFrame(line, { kind });
        if (Math.abs(d.massFlow - f.massFlow) > 0.006) throw new Error(`massFlow ${d.massFlow} vs ${f.massFlow}`);
      } else if (f.setpoint !== undefined) {
        const d = decodeFrame(line, { kind });
        if (Math.abs(d.setpoint! - f.setpoint) > 0.006) throw new Error(`setpoint ${d.setpoint} vs ${f.setpoint}`);
        if (f.totalizer !== undefined && Math.abs(d.totalizer! - f.totalizer) > 0.006) throw new Error('totalizer');
        if (d.status.join() !== f.status.join()) throw new Error('status');
        if (d.gas !== f.gas) throw new Error('gas');
      }
      try {
        decodeFrame(line.slice(0, cut % (line.length + 1)), { kind });
      } catch (e) {
        if (!(e instanceof InvalidInputError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass('round trip holds');
});
