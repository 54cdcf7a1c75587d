/**
 * Fuzz the Modbus decoders with fast-check: garbage, truncation and huge lengths give only
 * ModbusFrameError (never another exception, a crash or a hang), and valid traffic split at any
 * point comes out whole.
 */
import t from 'tap';
import fc from 'fast-check';
import { decodeRequest, decodeResponse, encodeRequest, matchResponse, isException } from '../../../src/protocols/modbus/codec.js';
import type { ModbusRequest } from '../../../src/protocols/modbus/codec.js';
import { ModbusFrameError } from '../../../src/protocols/modbus/errors.js';
import { MbapReader, RtuReader, encodeMbap, encodeRtu } from '../../../src/protocols/modbus/framing.js';
import { handleRequest } from '../../../src/protocols/modbus/handler.js';
import { RegisterStore } from '../../../src/protocols/modbus/store.js';

const RUNS = { numRuns: 2000 };
const bytes = fc.uint8Array({ maxLength: 300 });
const onlyFrameErrors = (fn: () => void): boolean => {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof ModbusFrameError) return true;
    throw e;
  }
};

const word = fc.integer({ min: 0, max: 0xffff });
const request: fc.Arbitrary<ModbusRequest> = fc.oneof(
  fc.record({ fc: fc.constantFrom(1 as const, 2 as const), address: fc.integer({ min: 0, max: 63000 }), count: fc.integer({ min: 1, max: 2000 }) }),
  fc.record({ fc: fc.constantFrom(3 as const, 4 as const), address: fc.integer({ min: 0, max: 65000 }), count: fc.integer({ min: 1, max: 125 }) }),
  fc.record({ fc: fc.constant(5 as const), address: word, value: fc.boolean() }),
  fc.record({ fc: fc.constant(6 as const), address: word, value: word }),
  fc.record({ fc: fc.constant(15 as const), address: fc.integer({ min: 0, max: 63000 }), values: fc.array(fc.boolean(), { minLength: 1, maxLength: 1968 }) }),
  fc.record({ fc: fc.constant(16 as const), address: fc.integer({ min: 0, max: 65000 }), values: fc.array(word, { minLength: 1, maxLength: 123 }) }),
  fc.record({
    fc: fc.constant(23 as const),
    readAddress: fc.integer({ min: 0, max: 65000 }),
    readCount: fc.integer({ min: 1, max: 125 }),
    writeAddress: fc.integer({ min: 0, max: 65000 }),
    values: fc.array(word, { minLength: 1, maxLength: 121 }),
  }),
);

const plain = (r: unknown): unknown => JSON.parse(JSON.stringify(r, (_k, v: unknown) => (v instanceof Uint16Array ? [...v] : v)));

/** Cut a buffer into chunks at the given fractions. */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    if (p > prev) out.push(buf.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  out.push(buf.subarray(prev));
  return out.filter((b) => b.length > 0);
}

t.test('PDU decoders throw only ModbusFrameError on arbitrary bytes', async (t) => {
  fc.assert(fc.property(bytes, (b) => onlyFrameErrors(() => decodeRequest(b)) && onlyFrameErrors(() => decodeResponse(b))), RUNS);
  // Truncations and one-byte corruptions of valid requests.
  fc.assert(
    fc.property(request, fc.nat(), fc.nat(255), (req, cut, flip) => {
      const pdu = encodeRequest(req);
      const truncated = pdu.subarray(0, cut % (pdu.length + 1));
      const corrupted = Buffer.from(pdu);
      const i = cut % corrupted.length;
      corrupted[i] = (corrupted[i] as number) ^ (flip | 1);
      return onlyFrameErrors(() => decodeRequest(truncated)) && onlyFrameErrors(() => decodeRequest(corrupted));
    }),
    RUNS,
  );
  t.pass('no other exception');
});

t.test('valid requests survive encode and decode unchanged', async (t) => {
  fc.assert(fc.property(request, (req) => JSON.stringify(plain(decodeRequest(encodeRequest(req)))) === JSON.stringify(plain(req))), RUNS);
  t.pass('round trips');
});

t.test('matchResponse on arbitrary replies throws only ModbusFrameError', async (t) => {
  fc.assert(
    fc.property(request, bytes, (req, b) =>
      onlyFrameErrors(() => {
        const res = decodeResponse(b);
        if (!isException(res)) matchResponse(req, res);
      }),
    ),
    RUNS,
  );
  t.pass('typed errors only');
});

t.test('the server handler answers any PDU with a well-formed response', async (t) => {
  const store = new RegisterStore({ holding: 1000, input: 1000, coil: 1000, discrete: 1000 });
  fc.assert(
    fc.property(fc.oneof(bytes, request.map((r) => new Uint8Array(encodeRequest(r)))), (pdu) => {
      const res = handleRequest(store, 1, pdu);
      const decoded = decodeResponse(res);
      return decoded.fc === ((pdu[0] ?? 0) & 0x7f);
    }),
    RUNS,
  );
  t.pass('never throws, always decodable');
});

t.test('MbapReader: garbage gives only ModbusFrameError; split traffic comes out whole', async (t) => {
  fc.assert(
    fc.property(fc.array(bytes, { maxLength: 10 }), (chunks) => {
      const r = new MbapReader();
      let frames = 0;
      for (const c of chunks) {
        const ok = onlyFrameErrors(() => r.push(Buffer.from(c), () => frames++));
        if (!ok) return false;
      }
      return r.pending < 7 + 254;
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(word, fc.integer({ min: 0, max: 255 }), request), { minLength: 1, maxLength: 8 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), (msgs, cuts) => {
      const wire = Buffer.concat(msgs.map(([tid, unit, req]) => encodeMbap(tid, unit, encodeRequest(req))));
      const r = new MbapReader();
      const got: string[] = [];
      for (const c of split(wire, cuts)) r.push(c, (tid, unit, pdu) => got.push(`${tid}/${unit}/${pdu.toString('hex')}`));
      const want = msgs.map(([tid, unit, req]) => `${tid}/${unit}/${encodeRequest(req).toString('hex')}`);
      return JSON.stringify(got) === JSON.stringify(want) && r.pending === 0;
    }),
    { numRuns: 500 },
  );
  t.pass('ok');
});

t.test('RtuReader: garbage never throws and never holds more than one frame; split traffic comes out whole', async (t) => {
  fc.assert(
    fc.property(fc.array(bytes, { maxLength: 10 }), fc.constantFrom('request' as const, 'response' as const), (chunks, kind) => {
      const r = new RtuReader({ kind, now: () => 0 });
      for (const c of chunks) {
        r.push(Buffer.from(c), () => {}, (e) => {
          if (!(e instanceof ModbusFrameError)) throw e;
        });
        if (r.pending > 256) return false;
      }
      return true;
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 247 }), request), { minLength: 1, maxLength: 6 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), (msgs, cuts) => {
      const wire = Buffer.concat(msgs.map(([unit, req]) => encodeRtu(unit, encodeRequest(req))).filter((f) => f.length <= 256));
      const r = new RtuReader({ kind: 'request', now: () => 0 });
      const got: string[] = [];
      let errors = 0;
      for (const c of split(wire, cuts)) r.push(c, (unit, pdu) => got.push(`${unit}/${pdu.toString('hex')}`), () => errors++);
      const want = msgs.map(([unit, req]) => encodeRtu(unit, encodeRequest(req))).filter((f) => f.length <= 256).map((f) => `${f[0]}/${f.subarray(1, f.length - 2).toString('hex')}`);
      return errors === 0 && JSON.stringify(got) === JSON.stringify(want);
    }),
    { numRuns: 500 },
  );
  t.pass('ok');
});

t.test('RtuReader finds a good frame after leading garbage', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 247 }), fc.array(word, { minLength: 1, maxLength: 20 }), (garbage, unit, regs) => {
      const pdu = Buffer.alloc(2 + 2 * regs.length);
      pdu[0] = 3;
      pdu[1] = 2 * regs.length;
      regs.forEach((v, i) => pdu.writeUInt16BE(v, 2 + 2 * i));
      const frame = encodeRtu(unit, pdu);
      const r = new RtuReader({ kind: 'response', now: () => 0 });
      r.expect({ unit, fc: 3 });
      const got: string[] = [];
      r.push(Buffer.concat([Buffer.from(garbage), frame]), (u, p) => got.push(`${u}/${p.toString('hex')}`), () => {});
      // Garbage that itself starts a plausible reply (expected unit and function) makes the reader
      // wait for the length it claims; the silence rule ends that wait. Otherwise the real frame
      // comes out (last: garbage may by chance hold a frame with a good CRC).
      const plausible = garbage[0] === unit && ((garbage[1] ?? 3) & 0x7f) === 3;
      return plausible || got.at(-1) === `${unit}/${pdu.toString('hex')}`;
    }),
    { numRuns: 1000 },
  );
  t.pass('ok');
});
