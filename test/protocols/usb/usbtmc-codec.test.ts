/**
 * USBTMC codec: exact header bytes written out by hand from USBTMC 1.0 Tables 1–4 and §3.3.1,
 * control request SETUP fields from Table 15 / USB488 Table 11, and fast-check fuzzing that
 * only typed errors (InvalidInputError) come out of the decoders, never a crash or a hang.
 */
import t from 'tap';
import fc from 'fast-check';
import { DeviceError, InvalidInputError } from '../../../src/core/errors.js';
import {
  BulkInAssembler,
  MsgId,
  TagSequence,
  align4,
  decodeBulkInHeader,
  encodeDevDepMsgOut,
  encodeRequestDevDepMsgIn,
  encodeTrigger,
} from '../../../src/protocols/usb/usbtmc.js';
import {
  Status,
  checkAbortBulkInStatus,
  checkAbortBulkOutStatus,
  checkClearStatus,
  expectSuccess,
  getCapabilities,
  initiateAbortBulkIn,
  initiateAbortBulkOut,
  initiateClear,
  parseCapabilities,
  parseCheckAbort,
  parseCheckClear,
  parseInitiateAbort,
  parseInterrupt,
  parseReadStatusByte,
  readStatusByte,
  remoteLocal,
} from '../../../src/protocols/usb/control.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

t.test('DEV_DEP_MSG_OUT: header, data, zero padding to 4 bytes', async (t) => {
  // "*IDN?\n" is 6 bytes: 12 + 6 = 18, padded to 20.
  t.same(
    encodeDevDepMsgOut(1, Buffer.from('*IDN?\n')),
    bytes(0x01, 0x01, 0xfe, 0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, ...ascii('*IDN?\n'), 0x00, 0x00),
  );
  // No EOM, tag 0xA5 (inverse 0x5A), exactly 4 data bytes: no padding.
  t.same(encodeDevDepMsgOut(0xa5, bytes(1, 2, 3, 4), false), bytes(0x01, 0xa5, 0x5a, 0, 4, 0, 0, 0, 0x00, 0, 0, 0, 1, 2, 3, 4));
  // TransferSize is little-endian: 0x0102 bytes.
  const big = encodeDevDepMsgOut(7, new Uint8Array(0x102));
  t.same([...big.subarray(4, 8)], [0x02, 0x01, 0x00, 0x00]);
  t.equal(big.length, align4(12 + 0x102));
});

t.test('REQUEST_DEV_DEP_MSG_IN and TRIGGER headers', async (t) => {
  t.same(encodeRequestDevDepMsgIn(2, 1024), bytes(0x02, 0x02, 0xfd, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00));
  t.same(encodeRequestDevDepMsgIn(255, 0x12345678, 0x0a), bytes(0x02, 0xff, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12, 0x02, 0x0a, 0x00, 0x00));
  t.same(encodeTrigger(5), bytes(0x80, 0x05, 0xfa, 0x00, 0, 0, 0, 0, 0, 0, 0, 0));
});

t.test('encoders reject bad arguments with InvalidInputError before anything is sent', async (t) => {
  for (const tag of [0, 256, 1.5, -1, Number.NaN]) t.throws(() => encodeDevDepMsgOut(tag, bytes(1)), InvalidInputError, `tag ${tag}`);
  t.throws(() => encodeDevDepMsgOut(1, new Uint8Array(0)), /TransferSize/);
  t.throws(() => encodeRequestDevDepMsgIn(1, 0), InvalidInputError);
  t.throws(() => encodeRequestDevDepMsgIn(1, 2 ** 32), InvalidInputError);
  t.throws(() => encodeRequestDevDepMsgIn(1, 10, 256), /TermChar/);
  t.throws(() => encodeTrigger(0), InvalidInputError);
});

t.test('bTag cycles 1..255 and never 0; USB488 status tags cycle 2..127', async (t) => {
  const tags = new TagSequence();
  const seen: number[] = [];
  for (let i = 0; i < 600; i++) seen.push(tags.next());
  t.equal(seen[0], 1);
  t.equal(seen[254], 255);
  t.equal(seen[255], 1, 'wraps from 255 to 1');
  t.notOk(seen.includes(0), 'never 0');
  for (let i = 1; i < seen.length; i++) t.not(seen[i], seen[i - 1], 'consecutive tags differ');
  const stb = new TagSequence(2, 127);
  const s: number[] = [];
  for (let i = 0; i < 130; i++) s.push(stb.next());
  t.same([s[0], s[125], s[126]], [2, 127, 2]);
  t.throws(() => new TagSequence(0, 10), InvalidInputError);
});

t.test('Bulk-IN header: decode and every check', async (t) => {
  const good = bytes(0x02, 0x03, 0xfc, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
  t.same(decodeBulkInHeader(good, { tag: 3, maxTransferSize: 5 }), { msgId: 2, tag: 3, transferSize: 5, eom: true, termCharUsed: false });
  t.same(decodeBulkInHeader(bytes(2, 9, 0xf6, 0, 1, 0, 0, 0, 0x02, 0, 0, 0)), { msgId: 2, tag: 9, transferSize: 1, eom: false, termCharUsed: true });
  t.throws(() => decodeBulkInHeader(good.subarray(0, 11)), /needs 12 bytes, got 11/);
  t.throws(() => decodeBulkInHeader(bytes(0x01, 3, 0xfc, 0, 5, 0, 0, 0, 1, 0, 0, 0)), /MsgID 1/);
  t.throws(() => decodeBulkInHeader(bytes(2, 3, 0xfd, 0, 5, 0, 0, 0, 1, 0, 0, 0)), /bTagInverse/);
  t.throws(() => decodeBulkInHeader(bytes(2, 0, 0xff, 0, 5, 0, 0, 0, 1, 0, 0, 0)), /bTag 0/);
  t.throws(() => decodeBulkInHeader(good, { tag: 4 }), /bTag 3 does not answer the request with bTag 4/);
  t.throws(() => decodeBulkInHeader(good, { maxTransferSize: 4 }), /exceeds the 4 bytes requested/);
  const err = (() => {
    try {
      decodeBulkInHeader(good, { tag: 1 });
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof InvalidInputError);
  t.match((err as InvalidInputError).message, /02 03 fc 00/, 'the message shows the bytes');
});

function inTransfer(tag: number, data: number[], eom = true, pad = true): Uint8Array {
  const n = data.length;
  const out = [2, tag, ~tag & 0xff, 0, n & 0xff, (n >> 8) & 0xff, 0, 0, eom ? 1 : 0, 0, 0, 0, ...data];
  while (pad && out.length % 4 !== 0) out.push(0);
  return Uint8Array.from(out);
}

t.test('Bulk-IN assembler: one read, several reads, split header, padding, early end, excess', async (t) => {
  const one = new BulkInAssembler({ tag: 1, maxTransferSize: 100 });
  t.equal(one.push(inTransfer(1, ascii('1.234\n')), true), true);
  t.same(Buffer.from(one.data()).toString(), '1.234\n');

  const data = Array.from({ length: 150 }, (_, i) => i);
  const whole = inTransfer(2, data);
  const several = new BulkInAssembler({ tag: 2, maxTransferSize: 1000 });
  t.equal(several.push(whole.subarray(0, 64), false), false);
  t.equal(several.push(whole.subarray(64, 128), false), false);
  t.equal(several.push(whole.subarray(128), true), true);
  t.same([...several.data()], data);

  const split = new BulkInAssembler({ tag: 3, maxTransferSize: 10 });
  const t3 = inTransfer(3, [7, 8, 9]);
  t.equal(split.push(new Uint8Array(0), true), false, 'a stray zero-length packet before the header is ignored');
  t.equal(split.push(t3.subarray(0, 5), false), false);
  t.equal(split.header, undefined);
  t.equal(split.push(t3.subarray(5), true), true);
  t.same([...split.data()], [7, 8, 9]);

  const early = new BulkInAssembler({ tag: 4, maxTransferSize: 100 });
  const bad = inTransfer(4, [1, 2, 3]);
  bad[4] = 13; // claims 13 bytes, carries 3
  t.throws(() => early.push(bad, true), /ended after 4 of 13 data bytes/);

  const header = new BulkInAssembler({ tag: 4, maxTransferSize: 100 });
  t.throws(() => header.push(bytes(2, 4, 0xfb), true), /inside the 12-byte header/);

  const excess = new BulkInAssembler({ tag: 5, maxTransferSize: 100 });
  t.throws(() => excess.push(Uint8Array.from([...inTransfer(5, [1]), 9, 9, 9, 9, 9, 9, 9, 9]), true), /beyond TransferSize/);

  const unpadded = new BulkInAssembler({ tag: 6, maxTransferSize: 100 });
  t.equal(unpadded.push(inTransfer(6, [1, 2, 3], true, false), true), true, 'missing alignment bytes are tolerated');
  t.throws(() => unpadded.push(bytes(1), true), /after the transfer was complete/);
  t.throws(() => new BulkInAssembler({ tag: 1, maxTransferSize: 1 }).data(), /not complete/);
});

t.test('class requests: SETUP fields per USBTMC Table 15 and USB488 Table 11', async (t) => {
  t.same(initiateAbortBulkOut(7, 0x02), { bmRequestType: 0xa2, bRequest: 1, wValue: 7, wIndex: 0x02, wLength: 2 });
  t.same(checkAbortBulkOutStatus(0x02), { bmRequestType: 0xa2, bRequest: 2, wValue: 0, wIndex: 0x02, wLength: 8 });
  t.same(initiateAbortBulkIn(9, 0x81), { bmRequestType: 0xa2, bRequest: 3, wValue: 9, wIndex: 0x81, wLength: 2 });
  t.same(checkAbortBulkInStatus(0x81), { bmRequestType: 0xa2, bRequest: 4, wValue: 0, wIndex: 0x81, wLength: 8 });
  t.same(initiateClear(0), { bmRequestType: 0xa1, bRequest: 5, wValue: 0, wIndex: 0, wLength: 1 });
  t.same(checkClearStatus(1), { bmRequestType: 0xa1, bRequest: 6, wValue: 0, wIndex: 1, wLength: 2 });
  t.same(getCapabilities(0), { bmRequestType: 0xa1, bRequest: 7, wValue: 0, wIndex: 0, wLength: 0x18 });
  t.same(readStatusByte(2, 0), { bmRequestType: 0xa1, bRequest: 128, wValue: 2, wIndex: 0, wLength: 3 });
  t.same(remoteLocal('ren-on', 0), { bmRequestType: 0xa1, bRequest: 160, wValue: 1, wIndex: 0, wLength: 1 });
  t.same(remoteLocal('go-to-local', 0).bRequest, 161);
  t.same(remoteLocal('local-lockout', 0).bRequest, 162);
  t.throws(() => readStatusByte(1, 0), /2\.\.127/, 'bTag 1 is reserved for SRQ notifications');
  t.throws(() => readStatusByte(128, 0), InvalidInputError);
  t.throws(() => initiateAbortBulkIn(0, 0x81), InvalidInputError);
});

t.test('class request replies', async (t) => {
  t.same(parseInitiateAbort(bytes(0x01, 0x09)), { status: 1, tag: 9 });
  t.same(parseCheckAbort(bytes(0x02, 0x01, 0, 0, 0x10, 0x00, 0x00, 0x00)), { status: 2, fifoNotEmpty: true, bytes: 16 });
  t.same(parseCheckClear(bytes(0x02, 0x01)), { status: 2, fifoNotEmpty: true });
  t.same(parseReadStatusByte(bytes(0x01, 0x05, 0x50)), { status: 1, tag: 5, statusByte: 0x50 });
  t.throws(() => parseCheckAbort(bytes(1, 0)), /needs 8 bytes/);
  const caps = parseCapabilities(bytes(0x01, 0, 0x00, 0x01, 0x04, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x06, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0));
  t.same(caps, {
    bcdUSBTMC: 0x0100,
    listenOnly: false,
    talkOnly: false,
    indicatorPulse: true,
    termChar: true,
    usb488: { bcdUSB488: 0x0100, trigger: false, remoteLocal: true, is488_2: true, dt1: false, rl1: false, sr1: true, scpi: true },
  });
  t.equal(parseCapabilities(bytes(1, 0, 0, 1, 0, 0)).usb488, undefined, 'a plain USBTMC interface has no USB488 part');
  t.throws(() => parseCapabilities(bytes(0x80, 0, 0, 1, 0, 0), 'dev'), DeviceError);
  t.same(parseInterrupt(bytes(0x85, 0x10)), { kind: 'status-byte', tag: 5, statusByte: 0x10 });
  t.same(parseInterrupt(bytes(0x81, 0x40)), { kind: 'srq', statusByte: 0x40 });
  t.equal(parseInterrupt(bytes(0x01)).kind, 'other');
  t.doesNotThrow(() => expectSuccess('dev', 'X', Status.SUCCESS));
  const err = (() => {
    try {
      expectSuccess('dev', 'INITIATE_CLEAR', Status.FAILED);
    } catch (e) {
      return e as DeviceError;
    }
  })();
  t.ok(err instanceof DeviceError);
  t.equal(err?.vendorCode, 0x80);
  t.equal(err?.kind, 'FAILED');
  t.match(err?.message, /INITIATE_CLEAR: failed/);
  t.throws(() => expectSuccess('dev', 'X', 0x42), /unknown USBTMC_status 0x42/);
});

// ------------------------------------------------------------------------------------ fuzzing

const onlyTyped = (fn: () => unknown): boolean => {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof InvalidInputError) return true;
    throw err;
  }
};

t.test('fuzz: header decoder returns a consistent header or throws InvalidInputError', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.option(fc.integer({ min: 0, max: 300 })),
        fc.option(fc.integer({ min: 0, max: 2 ** 32 })),
        (buf, tag, max) => {
          try {
            const h = decodeBulkInHeader(buf, { tag: tag ?? undefined, maxTransferSize: max ?? undefined });
            if (buf.length < 12 || h.tag === 0 || ((~h.tag) & 0xff) !== buf[2]) return false;
            if (max !== null && h.transferSize > max) return false;
            return tag === null || h.tag === tag;
          } catch (err) {
            return err instanceof InvalidInputError;
          }
        },
      ),
      { numRuns: 3000 },
  ), 'no untyped error');
});

t.test('fuzz: assembler over garbage, truncation and huge TransferSize only throws typed errors and stops', async (t) => {
  const header = fc.record({
    tag: fc.integer({ min: 0, max: 255 }),
    inverseOk: fc.boolean(),
    size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(0xffff_ffff, 0x8000_0000, 2 ** 24)),
    attr: fc.integer({ min: 0, max: 255 }),
  });
  const chunks = fc.array(fc.record({ bytes: fc.uint8Array({ maxLength: 80 }), ended: fc.boolean() }), { maxLength: 6 });
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(header, chunks, fc.integer({ min: 1, max: 255 }), fc.constantFrom(64, 1024, 0xffff_ffff), (h, rest, tag, max) => {
        const first = new Uint8Array(12);
        first.set([2, h.tag, h.inverseOk ? ~h.tag & 0xff : h.tag, 0]);
        new DataView(first.buffer).setUint32(4, h.size, true);
        first[8] = h.attr;
        const asm = new BulkInAssembler({ tag, maxTransferSize: max });
        let pushes = 0;
        const ok = onlyTyped(() => {
          for (const c of [{ bytes: first, ended: false }, ...rest]) {
            pushes++;
            if (asm.push(c.bytes, c.ended)) {
              const data = asm.data();
              if (data.length !== asm.header!.transferSize) throw new Error('data length differs from TransferSize');
              break;
            }
          }
        });
        return ok && pushes <= rest.length + 1;
      }),
      { numRuns: 3000 },
  ), 'no untyped error');
});

t.test('fuzz: assembler fed pure garbage', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 100 }), fc.boolean()), { maxLength: 5 }), fc.integer({ min: 1, max: 255 }), (reads, tag) =>
        onlyTyped(() => {
          const asm = new BulkInAssembler({ tag, maxTransferSize: 4096 });
          for (const [b, ended] of reads) if (asm.push(b, ended)) return;
        }),
      ),
      { numRuns: 3000 },
  ), 'no untyped error');
});

t.test('fuzz: an encoded DEV_DEP_MSG_OUT decodes back to its fields', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), (tag, data, eom) => {
        const out = encodeDevDepMsgOut(tag, data, eom);
        const h = decodeBulkInHeader(out, { msgId: MsgId.DEV_DEP_MSG_OUT, tag });
        const pad = out.subarray(12 + data.length);
        return out.length % 4 === 0 && pad.length < 4 && pad.every((b) => b === 0) && h.transferSize === data.length && h.eom === eom &&
          Buffer.compare(out.subarray(12, 12 + data.length), data) === 0;
      }),
      { numRuns: 1000 },
  ), 'no untyped error');
});

t.test('fuzz: control reply parsers only throw InvalidInputError or DeviceError', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), (b) => {
        for (const parse of [parseInitiateAbort, parseCheckAbort, parseCheckClear, parseReadStatusByte, parseInterrupt]) onlyTyped(() => parse(b));
        try {
          parseCapabilities(b);
        } catch (err) {
          if (!(err instanceof InvalidInputError || err instanceof DeviceError)) throw err;
        }
        return true;
      }),
      { numRuns: 2000 },
  ), 'no untyped error');
});
