import t from 'tap';
import { TranscriptStream } from './transcript.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

t.test('plays replies for exact commands, also when written in pieces', async (t) => {
  const s = new TranscriptStream([['TPA\r', ' 100\r\n:'], ['BGA\r', ':']]);
  await s.open();
  const got: string[] = [];
  s.onData((c) => got.push(dec.decode(c)));
  s.write(enc.encode('TP'));
  s.write(enc.encode('A\r'));
  await new Promise((r) => setImmediate(r));
  t.same(got, [' 100\r\n:']);
  s.write(enc.encode('BGA\r'));
  await new Promise((r) => setImmediate(r));
  s.assertDone();
  await s.close();
});

t.test('reports mismatched, unexpected and missing messages', async (t) => {
  const wrong = new TranscriptStream([['A\r', 'A +0\r']]);
  await wrong.open();
  wrong.write(enc.encode('B\r'));
  t.throws(() => wrong.assertDone(), /expected "A\\r", got "B\\r"/);
  const missing = new TranscriptStream([['A\r', null], ['B\r', null]]);
  await missing.open();
  missing.write(enc.encode('A\r'));
  t.throws(() => missing.assertDone(), /1 exchange\(s\) never sent/);
  const extra = new TranscriptStream([]);
  await extra.open();
  extra.write(enc.encode('X'));
  t.throws(() => extra.assertDone(), /unexpected write/);
});
