/**
 * Modbus codec: PDU transcripts from the Modbus Application Protocol specification v1.1b3
 * (section 6 examples), RTU frames from the serial-line guide, round trips, and bad input.
 */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import {
  decodeRequest,
  decodeResponse,
  encodeException,
  encodeRequest,
  encodeResponse,
  matchResponse,
} from '../../../src/protocols/modbus/codec.js';
import type { ModbusRequest } from '../../../src/protocols/modbus/codec.js';
import { ModbusFrameError } from '../../../src/protocols/modbus/errors.js';
import { MbapReader, RtuReader, crc16, encodeMbap, encodeRtu, rtuRequestLength, rtuResponseLength } from '../../../src/protocols/modbus/framing.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const show = (b: Uint8Array): string => Buffer.from(b).toString('hex');

t.test('request PDUs match the specification examples', async (t) => {
  const cases: Array<[ModbusRequest, string]> = [
    [{ fc: 1, address: 19, count: 19 }, '01 0013 0013'],
    [{ fc: 2, address: 196, count: 22 }, '02 00C4 0016'],
    [{ fc: 3, address: 107, count: 3 }, '03 006B 0003'],
    [{ fc: 4, address: 8, count: 1 }, '04 0008 0001'],
    [{ fc: 5, address: 172, value: true }, '05 00AC FF00'],
    [{ fc: 6, address: 1, value: 3 }, '06 0001 0003'],
    [{ fc: 15, address: 19, values: [true, false, true, true, false, false, true, true, true, false] }, '0F 0013 000A 02 CD01'],
    [{ fc: 16, address: 1, values: [0x000a, 0x0102] }, '10 0001 0002 04 000A 0102'],
    [{ fc: 23, readAddress: 3, readCount: 6, writeAddress: 14, values: [0xff, 0xff, 0xff] }, '17 0003 0006 000E 0003 06 00FF 00FF 00FF'],
  ];
  for (const [req, bytes] of cases) {
    t.equal(show(encodeRequest(req)), show(hex(bytes)), `encode fc ${req.fc}`);
    const back = decodeRequest(hex(bytes));
    const norm = (r: ModbusRequest): unknown => JSON.parse(JSON.stringify(r, (_k, v: unknown) => (v instanceof Uint16Array ? [...v] : v)));
    t.same(norm(back), norm(req), `decode fc ${req.fc}`);
  }
});

t.test('response PDUs match the specification examples', async (t) => {
  const coils = decodeResponse(hex('01 03 CD 6B 05'));
  t.same(coils, { fc: 1, bits: [true, false, true, true, false, false, true, true, true, true, false, true, false, true, true, false, true, false, true, false, false, false, false, false] });
  t.same(matchResponse({ fc: 1, address: 19, count: 19 }, coils as never), [true, false, true, true, false, false, true, true, true, true, false, true, false, true, true, false, true, false, true]);
  const regs = decodeResponse(hex('03 06 022B 0000 0064'));
  t.same([...(matchResponse({ fc: 3, address: 107, count: 3 }, regs as never) as Uint16Array)], [555, 0, 100]);
  t.same(decodeResponse(hex('05 00AC FF00')), { fc: 5, address: 172, value: true });
  t.same(decodeResponse(hex('0F 0013 000A')), { fc: 15, address: 19, count: 10 });
  t.same(decodeResponse(hex('83 02')), { fc: 3, exception: 2 });
  t.equal(show(encodeException(3, 2)), '8302');
  t.equal(show(encodeResponse({ fc: 1, bits: [true, false, true, true, false, false, true, true, true, true, false, true, false, true, true, false, true, false, true] })), show(hex('01 03 CD 6B 05')));
  t.equal(show(encodeResponse({ fc: 4, registers: [10] })), '0402000a');
  t.equal(show(encodeResponse({ fc: 16, address: 1, count: 2 })), '1000010002');
});

t.test('matchResponse rejects a reply that does not fit its request', async (t) => {
  t.throws(() => matchResponse({ fc: 3, address: 0, count: 2 }, decodeResponse(hex('03 02 0001')) as never), ModbusFrameError);
  t.throws(() => matchResponse({ fc: 3, address: 0, count: 1 }, decodeResponse(hex('04 02 0001')) as never), ModbusFrameError);
  t.throws(() => matchResponse({ fc: 6, address: 1, value: 3 }, decodeResponse(hex('06 0001 0004')) as never), ModbusFrameError);
  t.throws(() => matchResponse({ fc: 1, address: 0, count: 9 }, decodeResponse(hex('01 01 FF')) as never), ModbusFrameError);
});

t.test('encoders reject bad arguments with InvalidInputError before encoding', async (t) => {
  const bad: unknown[] = [
    { fc: 3, address: -1, count: 1 },
    { fc: 3, address: 0, count: 0 },
    { fc: 3, address: 0, count: 126 },
    { fc: 3, address: 65535, count: 2 },
    { fc: 1, address: 0, count: 2001 },
    { fc: 6, address: 0, value: 65536 },
    { fc: 6, address: 0, value: -1 },
    { fc: 6, address: 0, value: 1.5 },
    { fc: 5, address: 0, value: 1 },
    { fc: 16, address: 0, values: [] },
    { fc: 16, address: 0, values: new Array(124).fill(0) },
    { fc: 15, address: 0, values: [true, 1] },
    { fc: 23, readAddress: 0, readCount: 1, writeAddress: 0, values: new Array(122).fill(0) },
    { fc: 7, address: 0, count: 1 },
  ];
  for (const r of bad) t.throws(() => encodeRequest(r as ModbusRequest), InvalidInputError, JSON.stringify(r).slice(0, 60));
});

t.test('decodeRequest answers malformed requests with the exception code a server sends', async (t) => {
  const code = (b: string): number | undefined => {
    try {
      decodeRequest(hex(b));
    } catch (e) {
      t.type(e, ModbusFrameError);
      return (e as ModbusFrameError).exceptionCode;
    }
    return undefined;
  };
  t.equal(code('2B 0E 01 00'), 1, 'unknown function');
  t.equal(code('03 0000 0000'), 3, 'zero count');
  t.equal(code('03 0000 007E'), 3, 'count above 125');
  t.equal(code('03 0000'), 3, 'truncated');
  t.equal(code('05 0000 1234'), 3, 'coil value neither FF00 nor 0000');
  t.equal(code('10 0000 0002 03 0000 00'), 3, 'byte count mismatch');
  t.equal(code(''), 3, 'empty');
});

t.test('CRC-16/MODBUS and RTU frames match the serial-line guide', async (t) => {
  t.equal(crc16(hex('01 03 0000 000A')), 0xcdc5);
  t.equal(show(encodeRtu(0x11, hex('03 006B 0003'))), show(hex('11 03 006B 0003 7687')));
  t.equal(crc16(hex('11 03 006B 0003 7687')), 0, 'CRC over a frame and its CRC is zero');
  t.equal(rtuRequestLength(hex('11 03')), 8);
  t.equal(rtuRequestLength(hex('11 10 0001 0002')), 0, 'needs the byte count');
  t.equal(rtuRequestLength(hex('11 10 0001 0002 04')), 13);
  t.equal(rtuRequestLength(hex('11 42')), -1);
  t.equal(rtuResponseLength(hex('11 03 06')), 11);
  t.equal(rtuResponseLength(hex('11 83')), 5);
  t.equal(rtuResponseLength(hex('11 06')), 8);
});

t.test('MbapReader splits, joins and rejects', async (t) => {
  const a = encodeMbap(1, 1, hex('03 0000 0001'));
  const b = encodeMbap(2, 7, hex('06 0001 0003'));
  t.equal(show(a), show(hex('0001 0000 0006 01 03 0000 0001')));
  const seen: Array<[number, number, string]> = [];
  const r = new MbapReader();
  const all = Buffer.concat([a, b]);
  // Feed byte by byte: frames come out whole and in order.
  for (const byte of all) r.push(Buffer.of(byte), (tid, unit, pdu) => seen.push([tid, unit, show(pdu)]));
  t.same(seen, [
    [1, 1, '0300000001'],
    [2, 7, '0600010003'],
  ]);
  t.equal(r.pending, 0);
  t.throws(() => new MbapReader().push(hex('0001 0001 0006 01 03 0000 0001'), () => {}), ModbusFrameError, 'protocol id 1');
  t.throws(() => new MbapReader().push(hex('0001 0000 0001 01'), () => {}), ModbusFrameError, 'length 1');
  t.throws(() => new MbapReader().push(hex('0001 0000 FFFF 01'), () => {}), ModbusFrameError, 'length 65535');
});

t.test('RtuReader resynchronises after garbage and a bad CRC', async (t) => {
  const good = encodeRtu(1, hex('03 02 0001'));
  const corrupt = Buffer.from(good);
  corrupt[3] = (corrupt[3] as number) ^ 0xff;
  const frames: string[] = [];
  const errors: ModbusFrameError[] = [];
  const r = new RtuReader({ kind: 'response' });
  r.push(Buffer.concat([hex('FF'), corrupt, good]), (u, pdu) => frames.push(`${u}:${show(pdu)}`), (e) => errors.push(e));
  t.same(frames, ['1:03020001']);
  t.ok(errors.length > 0, 'errors reported');
  t.ok(errors.every((e) => e instanceof ModbusFrameError));
});

t.test('RtuReader drops a partial frame after silence', async (t) => {
  let now = 0;
  const r = new RtuReader({ kind: 'request', staleMs: 10, now: () => now });
  const frames: string[] = [];
  const errors: string[] = [];
  const frame = encodeRtu(1, hex('03 0000 0001'));
  r.push(frame.subarray(0, 3), (u, p) => frames.push(show(p)), (e) => errors.push(e.reason));
  now = 50;
  r.push(frame, (u, p) => frames.push(show(p)), (e) => errors.push(e.reason));
  t.same(frames, ['0300000001']);
  t.match(errors, [/silence/]);
});
