import t from 'tap';
import { InvalidInputError } from '../../src/core/errors.js';
import { createFramer, galilFramer, LengthFramer, PromptFramer, TerminatorFramer } from '../../src/protocols/channel/framers.js';
import type { Framer, FrameMatch } from '../../src/protocols/contracts.js';

/** Feed chunks to a framer the way the channel does; return [payload, end, address][] and leftover. */
function feed(f: Framer, chunks: string[]): { frames: Array<[string, string, string | undefined, boolean]>; rest: string } {
  let buf = Buffer.alloc(0);
  let scanned = 0;
  const frames: Array<[string, string, string | undefined, boolean]> = [];
  for (const c of chunks) {
    buf = Buffer.concat([buf, Buffer.from(c, 'latin1')]);
    for (;;) {
      const m: FrameMatch | undefined = f.scan(buf, buf.length, scanned);
      if (!m) {
        scanned = buf.length;
        break;
      }
      frames.push([buf.toString('latin1', m.payloadStart, m.payloadEnd), m.end, m.address, m.isError]);
      buf = buf.subarray(m.consumed);
      scanned = 0;
    }
  }
  return { frames, rest: buf.toString('latin1') };
}

t.test('terminator: single CR, in pieces and several per chunk', async (t) => {
  const f = new TerminatorFramer({ terminators: ['\r'] });
  const r = feed(f, ['ab', 'c\rde', 'f\rg\rh']);
  t.same(r.frames.map((x) => x[0]), ['abc', 'def', 'g']);
  t.equal(r.rest, 'h');
});

t.test('terminator: multi-byte terminator split across chunks', async (t) => {
  const f = new TerminatorFramer({ terminators: ['\r\n'] });
  const r = feed(f, ['12', '34\r', '\n56\r', '\n']);
  t.same(r.frames.map((x) => x[0]), ['1234', '56']);
  t.equal(r.rest, '');
});

t.test('terminator: alternatives — earliest start wins, longest on ties', async (t) => {
  const f = new TerminatorFramer({ terminators: ['\n', '\r\n', 'END'] });
  const r = feed(f, ['a\r\nbEND', 'c\n']);
  t.same(r.frames.map((x) => [x[0], x[1]]), [['a', '\r\n'], ['b', 'END'], ['c', '\n']]);
});

t.test('terminator: CR and CRLF alternatives — an LF arriving later is swallowed', async (t) => {
  const f = new TerminatorFramer({ terminators: ['\r', '\r\n'] });
  const r = feed(f, ['one\r', '\ntwo\r\n', 'three\r']);
  t.same(r.frames.map((x) => x[0]), ['one', 'two', 'three']);
  t.equal(r.rest, '');
  f.reset();
  t.same(feed(f, ['\nx\r']).frames.map((x) => x[0]), ['\nx'], 'after reset the LF is payload again');
});

t.test('terminator: error terminators and trimming', async (t) => {
  const f = new TerminatorFramer({ terminators: ['OK\r'], errorTerminators: ['ERR\r'], trim: true });
  const r = feed(f, ['\r\nval\r\nOK\r', 'bad ERR\r']);
  t.same(r.frames, [['val', 'OK\r', undefined, false], ['bad ', 'ERR\r', undefined, true]]);
});

t.test('galil: ":" accepts, "?" rejects, CR/LF trimmed, leading space kept', async (t) => {
  const r = feed(galilFramer(), [' 1234\r\n:', ':', '?', ' 1, 2\r', '\n:']);
  t.same(r.frames.map((x) => [x[0], x[1], x[3]]), [[' 1234', ':', false], ['', ':', false], ['', '?', true], [' 1, 2', ':', false]]);
});

t.test('prompt: pump prompts at line start, with and without address', async (t) => {
  const f = new PromptFramer({ prompts: [':', '>', '<', '*', 'T*'] });
  const r = feed(f, ['\r\n1.000 ml/min\r\n:', '\n>', '\r\nvol: 2\r\n0', '1<', '\r\n', '00T', '*', '*']);
  t.same(r.frames.map((x) => [x[0], x[1], x[2]]), [
    ['1.000 ml/min', ':', undefined],
    ['', '>', undefined],
    ['vol: 2', '<', '01'],
    ['', 'T*', '00'],
    ['', '*', undefined],
  ]);
});

t.test('prompt: a prompt character inside a line does not end the reply', async (t) => {
  const f = new PromptFramer({ prompts: [':'] });
  t.same(feed(f, ['time 12:30 ok']).frames, []);
  t.same(feed(f, ['time 12:30 ok\r\n:']).frames.map((x) => x[0]), ['time 12:30 ok']);
  const noAddr = new PromptFramer({ prompts: [':'], maxAddressLength: 0 });
  t.same(feed(noAddr, ['\r\n12:']).frames, [], 'no address allowed: "12:" is not a prompt');
});

t.test('length: fixed and header-derived', async (t) => {
  t.same(feed(new LengthFramer({ length: 3 }), ['ab', 'cdefg']).frames.map((x) => x[0]), ['abc', 'def']);
  // first byte = payload length, frame = 1 + n
  const f = new LengthFramer({ length: (b, len) => (len < 1 ? undefined : 1 + b[0]!) });
  const r = feed(f, ['\x03ab', 'c\x01', 'z\x00']);
  t.same(r.frames.map((x) => x[0]), ['\x03abc', '\x01z', '\x00']);
});

t.test('overflow and bad headers are InvalidInputError', async (t) => {
  const f = new TerminatorFramer({ terminators: ['\r'], maxBytes: 8 });
  t.throws(() => f.scan(Buffer.from('123456789'), 9, 0), InvalidInputError);
  const p = new PromptFramer({ prompts: ['>'], maxBytes: 4 });
  t.throws(() => p.scan(Buffer.from('abcdef'), 6, 0), InvalidInputError);
  const l = new LengthFramer({ length: () => 0 });
  t.throws(() => l.scan(Buffer.from('x'), 1), InvalidInputError);
  const boom = new LengthFramer({
    length: () => {
      throw new RangeError('boom');
    },
  });
  t.throws(() => boom.scan(Buffer.from('x'), 1), InvalidInputError, 'a length function bug becomes a typed error');
});

t.test('only the valid part of a reused buffer is scanned', async (t) => {
  const f = new TerminatorFramer({ terminators: ['\r\n'] });
  const buf = Buffer.from('abc\r\n');
  t.equal(f.scan(buf, 4, 0), undefined, 'terminator straddling len is not a match');
  const g = new TerminatorFramer({ terminators: ['\r'] });
  t.equal(g.scan(Buffer.from('abc\r'), 3, 0), undefined);
});

t.test('createFramer validates specs', async (t) => {
  t.throws(() => createFramer({ mode: 'nope' } as never), InvalidInputError);
  t.throws(() => createFramer({ mode: 'terminator', terminators: [] }), InvalidInputError);
  t.throws(() => createFramer({ mode: 'terminator', terminators: [''] }), InvalidInputError);
  t.throws(() => createFramer({ mode: 'prompt', prompts: [] }), InvalidInputError);
  t.throws(() => createFramer({ mode: 'length', length: 1.5 }), InvalidInputError);
  t.throws(() => createFramer({ mode: 'terminator', terminators: ['\r'], maxBytes: 0 }), InvalidInputError);
  const g = createFramer({ mode: 'galil' });
  t.equal(g.description, 'terminator ":" | "?"');
  const same = new TerminatorFramer({ terminators: ['x'] });
  t.equal(createFramer(same), same, 'a Framer is returned as is');
});
