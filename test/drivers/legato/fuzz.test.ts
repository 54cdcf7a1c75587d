/**
 * Fuzz of the Legato decoders with fast-check: garbage, truncation and huge numbers give a value
 * or an InvalidInputError, never another exception; well-formed inputs round-trip; replies cut at
 * random places are framed exactly as when they arrive whole.
 */
import t from 'tap';
import fc from 'fast-check';
import { InvalidInputError } from '../../../src/core/errors.js';
import {
  decodeReply, decodeStatus, LegatoFramer, parsePromptLine, parseRate, parseVolume, toMicrolitersPerMinute, type Prompt,
} from '../../../src/drivers/legato/index.js';

const RUNS = { numRuns: 400 };

/** Run `fn`; pass when it returns or throws InvalidInputError. */
function typedOnly(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof InvalidInputError) return true;
    throw e;
  }
}

const garbage = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('\n', '\r\n', ':', '\x11', 'T*', '01', '>', ' ', '0', 'S', '.', 'ul/min', '99999999999999999999999').chain((a) =>
    fc.array(fc.constantFrom(a, '\n', ':', '\x11', '1', 'T*', ' ', 'x'), { maxLength: 30 }).map((x) => x.join('')),
  ),
);

t.test('decoders on garbage: a value or InvalidInputError, nothing else', async (t) => {
  fc.assert(fc.property(garbage, (s) => typedOnly(() => decodeStatus(s))), RUNS);
  fc.assert(fc.property(garbage, (s) => typedOnly(() => decodeReply(s))), RUNS);
  fc.assert(fc.property(garbage, (s) => typedOnly(() => parseRate(s))), RUNS);
  fc.assert(fc.property(garbage, (s) => typedOnly(() => parseVolume(s))), RUNS);
  fc.assert(fc.property(garbage, (s) => typedOnly(() => toMicrolitersPerMinute(s))), RUNS);
  fc.assert(fc.property(garbage, (s) => parsePromptLine(s) === undefined || /^(\d\d)?(T\*|[:<>*])$/.test(s)), RUNS);
  t.pass('only typed errors');
});

const flags = fc.tuple(
  fc.constantFrom('i', 'I', 'w', 'W'),
  fc.constantFrom('i', 'I', 'w', 'W', '.'),
  fc.constantFrom('S', '.'),
  fc.constantFrom('T', '.'),
  fc.constantFrom('i', 'I', 'w', 'W'),
  fc.constantFrom('T', '.'),
).map((f) => f.join(''));
const bigDigits = fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }).map(String);

t.test('status lines round-trip, huge numbers included; truncations are typed errors', async (t) => {
  fc.assert(
    fc.property(bigDigits, bigDigits, bigDigits, flags, (r, ms, v, f) => {
      const s = decodeStatus(`${r} ${ms} ${v} ${f}`);
      return (
        s.rateFlPerS === Number(r) && s.timeMs === Number(ms) && s.volumeFl === Number(v) && s.flags === f &&
        s.running === (f[0] === 'I' || f[0] === 'W') && s.stalled === (f[2] === 'S') && s.targetReached === (f[5] === 'T') &&
        Number.isFinite(s.rateFlPerS)
      );
    }),
    RUNS,
  );
  fc.assert(
    fc.property(bigDigits, bigDigits, bigDigits, flags, fc.nat(), (r, ms, v, f, cut) => {
      const line = `${r} ${ms} ${v} ${f}`;
      const short = line.slice(0, cut % line.length);
      return typedOnly(() => decodeStatus(short));
    }),
    RUNS,
  );
  t.pass('round trip');
});

const prompt = fc.constantFrom<Prompt>(':', '>', '<', '*', 'T*');
const body = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\r\n\x11]/.test(s) && s.trim().length > 0);
const reply = fc.record({ address: fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }), prompt, lines: fc.array(body, { maxLength: 3 }), poll: fc.boolean() });

function encodeReply(r: { address: number | undefined; prompt: Prompt; lines: string[]; poll: boolean }): string {
  const nn = r.address === undefined ? '' : String(r.address).padStart(2, '0');
  return `${r.lines.map((l) => `\n${nn ? nn + r.prompt : ''}${l}\r`).join('')}\n${nn}${r.prompt}${r.poll ? '\x11' : ''}`;
}

t.test('replies round-trip through decodeReply', async (t) => {
  fc.assert(
    fc.property(reply, (r) => {
      if (r.address === undefined && r.lines.some((l) => parsePromptLine(l.trim()) || /^\s*$/.test(l))) return true;
      const d = decodeReply(encodeReply(r));
      return d.prompt === r.prompt && d.address === r.address && d.lines.length === r.lines.length && d.lines.every((l, i) => l === r.lines[i]);
    }),
    RUNS,
  );
  t.pass('round trip');
});

/** Feed `chunks` to a framer the way a channel does; return the frames' payload texts. */
function frames(framer: LegatoFramer, chunks: Uint8Array[]): string[] {
  const out: string[] = [];
  let buf = Buffer.alloc(0);
  for (const c of chunks) {
    buf = Buffer.concat([buf, c]);
    for (;;) {
      const m = framer.scan(buf, buf.length, 0);
      if (!m) break;
      if (!(m.payloadStart >= 0 && m.payloadStart <= m.payloadEnd && m.payloadEnd <= m.consumed && m.consumed <= buf.length)) throw new Error('bad bounds');
      out.push(buf.toString('latin1', m.payloadStart, m.payloadEnd));
      buf = buf.subarray(m.consumed);
    }
  }
  return out;
}

function cut(text: string, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const bounds = [0, ...at, text.length];
  const parts: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) parts.push(Buffer.from(text.slice(bounds[i], bounds[i + 1]), 'latin1'));
  return parts;
}

t.test('xon framer: replies cut anywhere give the same frames as whole ones', async (t) => {
  fc.assert(
    fc.property(fc.array(reply.map((r) => ({ ...r, poll: true })), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), (rs, points) => {
      const text = rs.map(encodeReply).join('');
      const whole = frames(new LegatoFramer({ mode: 'xon' }), [Buffer.from(text, 'latin1')]);
      const pieces = frames(new LegatoFramer({ mode: 'xon' }), cut(text, points));
      return whole.length === rs.length && pieces.length === whole.length && pieces.every((p, i) => p === whole[i]);
    }),
    RUNS,
  );
  t.pass('same frames');
});

t.test('framers on garbage: frames within bounds or InvalidInputError', async (t) => {
  for (const mode of ['xon', 'prompt'] as const) {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (chunks) => typedOnly(() => frames(new LegatoFramer({ mode, maxBytes: 64 }), chunks))),
      RUNS,
    );
  }
  t.pass('typed only');
});
