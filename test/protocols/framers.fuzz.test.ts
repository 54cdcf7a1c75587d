import t from 'tap';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/core/errors.js';
import { createFramer } from '../../src/protocols/channel/framers.js';
import type { Framer, FramingSpec } from '../../src/protocols/contracts.js';

type Frame = [payload: string, end: string, address: string | undefined, isError: boolean];

/** Feed chunks like the channel does; stop at the first InvalidInputError (any other error fails). */
function run(f: Framer, chunks: Uint8Array[]): { frames: Frame[]; error: InvalidInputError | undefined } {
  let buf = Buffer.alloc(0);
  let scanned = 0;
  const frames: Frame[] = [];
  for (const c of chunks) {
    buf = Buffer.concat([buf, c]);
    for (;;) {
      let m;
      try {
        m = f.scan(buf, buf.length, scanned);
      } catch (err) {
        if (err instanceof InvalidInputError) return { frames, error: err };
        throw err;
      }
      if (!m) {
        scanned = buf.length;
        break;
      }
      if (!(m.consumed >= 1 && m.consumed <= buf.length && m.payloadStart >= 0 && m.payloadStart <= m.payloadEnd && m.payloadEnd <= m.consumed)) {
        throw new Error(`bad bounds ${JSON.stringify(m)} for ${buf.length} bytes`);
      }
      frames.push([buf.toString('latin1', m.payloadStart, m.payloadEnd), m.end, m.address, m.isError]);
      buf = buf.subarray(m.consumed);
      scanned = 0;
    }
  }
  return { frames, error: undefined };
}

/** Cut `bytes` at the given fractions. */
function chop(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const a of at) {
    out.push(bytes.subarray(prev, a));
    prev = a;
  }
  out.push(bytes.subarray(prev));
  return out;
}

const SPECS: Record<string, FramingSpec> = {
  cr: { mode: 'terminator', terminators: ['\r'], maxBytes: 512 },
  lines: { mode: 'terminator', terminators: ['\r\n', '\r', '\n'], maxBytes: 512 },
  words: { mode: 'terminator', terminators: ['END', 'ERR'], errorTerminators: ['?'], trim: true, maxBytes: 512 },
  galil: { mode: 'galil', maxBytes: 512 },
  prompt: { mode: 'prompt', prompts: [':', '>', '<', '*', 'T*'], maxBytes: 512 },
  fixed: { mode: 'length', length: 7, maxBytes: 512 },
  header: { mode: 'length', length: (b, len) => (len < 2 ? undefined : 2 + b[1]! - (b[0]! === 0xff ? 300 : 0)), maxBytes: 512 },
};

const bytes = fc.uint8Array({ maxLength: 600 });
// Garbage biased towards delimiters and whole tokens, so frames (and split delimiters) occur.
const TOKENS = ['\r', '\n', '\r\n', ':', '?', '>', '<', '*', 'T*', '01', '0', 'END', 'ERR', 'EN', ' ', 'ab'];
const spicy = fc
  .array(fc.oneof(fc.constantFrom(...TOKENS), fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b))), { maxLength: 300 })
  .map((a) => Buffer.from(a.join(''), 'latin1'));
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

for (const [name, spec] of Object.entries(SPECS)) {
  t.test(`${name}: random bytes in random pieces give frames or InvalidInputError, independent of chunking`, async (t) => {
    fc.assert(
      fc.property(fc.oneof(bytes, spicy), cuts, (data, c) => {
        // With CR and CRLF both allowed, a CR at the end of a chunk ends the frame at once, so
        // `end` may say CR where the whole buffer says CRLF; payloads must still agree.
        const key = (f: Frame): Frame => (name === 'lines' ? [f[0], '', f[2], f[3]] : f);
        const collect = (chunks: Uint8Array[]) => {
          const r = run(createFramer(spec), chunks);
          return { error: r.error, frames: r.frames.map(key) };
        };
        const whole = collect([data]);
        const pieces = collect(chop(data, c));
        if (whole.error || pieces.error) {
          // An overflow may be noticed at a different point, but the frames before it agree.
          const n = Math.min(whole.frames.length, pieces.frames.length);
          return JSON.stringify(whole.frames.slice(0, n)) === JSON.stringify(pieces.frames.slice(0, n));
        }
        return JSON.stringify(whole.frames) === JSON.stringify(pieces.frames);
      }),
      { numRuns: 1000 },
    );
    t.pass('property held');
  });
}

t.test('terminator round trip: payloads come back exactly, truncation yields a prefix', async (t) => {
  const payload = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0d && b !== 0x0a)).toString('latin1'));
  fc.assert(
    fc.property(fc.array(payload, { maxLength: 20 }), fc.constantFrom('\r', '\r\n', '\n'), cuts, fc.double({ min: 0, max: 1, noNaN: true }), (items, term, c, cut) => {
      const spec: FramingSpec = { mode: 'terminator', terminators: ['\r\n', '\r', '\n'] };
      const wire = Buffer.from(items.map((p) => p + term).join(''), 'latin1');
      const all = run(createFramer(spec), chop(wire, c));
      if (all.error || JSON.stringify(all.frames.map((f) => f[0])) !== JSON.stringify(items)) return false;
      const part = run(createFramer(spec), [wire.subarray(0, Math.floor(cut * wire.length))]);
      const got = part.frames.map((f) => f[0]);
      return JSON.stringify(got) === JSON.stringify(items.slice(0, got.length));
    }),
    { numRuns: 300 },
  );
  t.pass('property held');
});

t.test('prompt round trip with addresses', async (t) => {
  const line = fc.stringMatching(/^[a-z0-9 .,/=]{0,20}$/);
  const prompt = fc.constantFrom(':', '>', '<', '*', 'T*');
  const addr = fc.constantFrom('', '0', '01', '12');
  fc.assert(
    fc.property(fc.array(fc.tuple(line, addr, prompt), { maxLength: 10 }), cuts, (items, c) => {
      const wire = Buffer.from(items.map(([l, a, p]) => `\r\n${l}\r\n${a}${p}`).join(''), 'latin1');
      const r = run(createFramer({ mode: 'prompt', prompts: [':', '>', '<', '*', 'T*'] }), chop(wire, c));
      const want = items.map(([l, a, p]) => [l.replace(/^[\r\n]+|[\r\n]+$/g, ''), p, a || undefined]);
      return !r.error && JSON.stringify(r.frames.map((f) => [f[0], f[1], f[2]])) === JSON.stringify(want);
    }),
    { numRuns: 300 },
  );
  t.pass('property held');
});

t.test('huge inputs without a frame end are refused with InvalidInputError, not buffered forever', async (t) => {
  const specs: FramingSpec[] = [SPECS.cr!, SPECS.prompt!, SPECS.galil!, SPECS.words!, { mode: 'length', length: () => undefined, maxBytes: 1000 }];
  for (const spec of specs) {
    const huge = Buffer.alloc(1 << 20, 0x41);
    const whole = run(createFramer(spec), [huge]);
    t.type(whole.error, InvalidInputError, `${spec.mode}: one huge chunk`);
    const pieces = run(createFramer(spec), chop(huge, Array.from({ length: 200 }, (_, k) => k / 200)));
    t.type(pieces.error, InvalidInputError, `${spec.mode}: many pieces`);
    t.same(pieces.frames, []);
  }
});
