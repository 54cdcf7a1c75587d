/**
 * The Legato simulator's raw bytes against the same manual transcripts the driver is tested
 * with (transcripts.ts), over TCP and over a pty opened through serialport; plus what the manual
 * and HELAO show that the driver does not send (abbreviations, `u/m` units, `ul/sec`, a pump
 * at address 12) and the pump's own behaviour: unasked prompts when poll is off, none with poll
 * on, status flags while running, at the target, stalled and at a limit switch.
 */
import t from 'tap';
import type { Test } from 'tap';
import type { ByteStream } from '../../../src/protocols/contracts.js';
import { SerialStream } from '../../../src/protocols/stream/serial.js';
import { TcpStream } from '../../../src/protocols/stream/tcp.js';
import { startLegatoSim, type LegatoSim, type LegatoSimOptions } from '../../../src/sim/legato/index.js';
import { SCENARIOS } from './transcripts.js';

interface Raw {
  /** Send `text`; resolve with exactly `n` bytes of reply (reject after 2 s). */
  ask(text: string, n: number): Promise<string>;
  /** Send `text`; resolve with everything up to a prompt (and its XON) once the line is quiet. */
  reply(text: string): Promise<string>;
  /** Wait `ms` and return whatever arrived meanwhile. */
  idle(ms: number): Promise<string>;
}

const ENDS_IN_PROMPT = /\n(\d\d)?(T\*|[:<>*])\x11?$/;

async function rawClient(t: Test, stream: ByteStream): Promise<Raw> {
  await stream.open();
  t.teardown(() => stream.close());
  let buf = '';
  let wake: (() => void) | undefined;
  stream.onData((c) => {
    buf += Buffer.from(c).toString('latin1');
    wake?.();
  });
  const take = (n: number): string => {
    const out = buf.slice(0, n);
    buf = buf.slice(n);
    return out;
  };
  return {
    async ask(text, n) {
      if (buf.length) throw new Error(`unread bytes before ${JSON.stringify(text)}: ${JSON.stringify(buf)}`);
      stream.write(Buffer.from(text, 'latin1'));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`wanted ${n} bytes for ${JSON.stringify(text)}, got ${JSON.stringify(buf)}`)), 2000);
        wake = () => {
          if (buf.length >= n) {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
        };
        wake();
      });
      return take(n);
    },
    async reply(text) {
      if (buf.length) throw new Error(`unread bytes before ${JSON.stringify(text)}: ${JSON.stringify(buf)}`);
      stream.write(Buffer.from(text, 'latin1'));
      const end = performance.now() + 2000;
      for (;;) {
        const before = buf.length;
        await new Promise((r) => setTimeout(r, 10));
        if (ENDS_IN_PROMPT.test(buf) && buf.length === before) return take(buf.length);
        if (performance.now() > end) throw new Error(`no prompt after ${JSON.stringify(text)}: ${JSON.stringify(buf)}`);
      }
    },
    async idle(ms) {
      await new Promise((r) => setTimeout(r, ms));
      return take(buf.length);
    },
  };
}

async function sim(t: Test, options: LegatoSimOptions): Promise<LegatoSim> {
  const s = await startLegatoSim(options);
  t.teardown(() => s.close());
  return s;
}

async function connect(t: Test, s: LegatoSim, over: 'tcp' | 'pty'): Promise<Raw> {
  if (over === 'pty') return rawClient(t, new SerialStream({ path: s.ptyPath!, baudRate: 115200 }));
  const port = Number(s.address.split(':').pop());
  return rawClient(t, new TcpStream({ host: '127.0.0.1', port }));
}

for (const over of ['tcp', 'pty'] as const) {
  t.test(`manual transcripts, byte for byte, over ${over}`, async (t) => {
    for (const sc of SCENARIOS) {
      const s = await sim(t, { [over]: over === 'tcp' ? '127.0.0.1:0' : true, addresses: sc.addresses, ...(sc.model ? { defaults: { model: sc.model } } : {}) });
      const c = await connect(t, s, over);
      for (const [sent, reply] of sc.exchanges) {
        const text = typeof sent === 'string' ? sent : Buffer.from(sent).toString('latin1');
        if (reply === null) {
          c.ask(text, 0).catch(() => undefined);
          t.equal(await c.idle(100), '', `${sc.name}: ${JSON.stringify(text)} gets no reply`);
          continue;
        }
        const want = typeof reply === 'string' ? reply : Buffer.from(reply).toString('latin1');
        t.equal(await c.ask(text, want.length), want, `${sc.name}: ${JSON.stringify(text)}`);
      }
      t.equal(await c.idle(20), '', `${sc.name}: nothing more`);
      await s.close();
    }
  });
}

t.test('what the manual and HELAO send: abbreviations, u/m, ul/sec, a pump at address 12', async (t) => {
  const s = await sim(t, { tcp: '127.0.0.1:0', addresses: [0, 12] });
  const c = await connect(t, s, 'tcp');
  t.equal(await c.reply('12irat 3.2 u/m\r'), '\n12:', "the manual's example");
  t.equal(await c.reply('12irat\r'), '\n12:3.2 u/m\r\n12:', 'echoed in the units it was set in');
  t.equal(s.model.at(12).rate.infuse.ulPerMin, 3.2);
  t.equal(await c.reply('00@irate 10 ul/sec\r'), '\n00:', "HELAO's form");
  t.equal(s.model.at(0).rate.infuse.ulPerMin, 600);
  t.equal(await c.reply('diam\r'), '\n4.6066 mm\r\n:', 'diam = diameter');
  t.equal(await c.reply('stat\r'), '\n10000000000 0 0 i...I.\r\n:', 'stat = status');
  t.equal(await c.reply('st\r'), '\nUnknown command\r\n:', 'too short to abbreviate');
  t.equal(await c.reply('\r'), '\n:', 'an empty line: the prompt');
  c.ask('7status\r', 0).catch(() => undefined);
  t.equal(await c.idle(80), '', 'no pump 7: silence');
  t.equal(await c.reply('ver\r'), '\nKDS Legato 110 labrig-sim 1.0.0\r\n:');
  t.equal(await c.reply('force 0\r'), '\nOut of range\r\n:');
  t.equal(await c.reply('poll maybe\r'), '\nArgument error\r\n:');
});

t.test('poll off: the pump prints T* by itself at the target; poll on: only XON-ended replies', async (t) => {
  const s = await sim(t, { tcp: '127.0.0.1:0' });
  const c = await connect(t, s, 'tcp');
  t.equal(await c.reply('irate 60 ml/min\r'), '\nOut of range\r\n:', 'beyond 159 mm/min with a 4.6 mm bore');
  t.equal(await c.reply('irate 2 ml/min\r'), '\n:');
  t.equal(await c.reply('tvolume 2 ul\r'), '\n:');
  t.equal(await c.reply('irun\r'), '\n>');
  await new Promise((r) => setTimeout(r, 150)); // 2 ul at 2 ml/min: 60 ms
  t.equal(await c.idle(0), '\nT*', 'unasked T* at the target');
  t.equal(await c.reply('status\r'), '\n33333333333 60 2000000000 i...IT\r\nT*', 'flag 6 T; 60 ms, 2 ul');
  t.equal(await c.reply('poll on\r'), '\nT*\x11');
  t.equal(await c.reply('civolume\r'), '\n:\x11', 'clearing the volume clears the target flag');
  t.equal(await c.reply('irun\r'), '\n>\x11');
  await new Promise((r) => setTimeout(r, 150));
  t.equal(await c.idle(0), '', 'nothing unasked with poll on');
  t.equal(await c.reply('ivolume\r'), '\n2 ul\r\nT*\x11');
});

t.test('status flags: running, stall (S, *), limit switch (i), withdraw', async (t) => {
  const s = await sim(t, { tcp: '127.0.0.1:0', defaults: { syringeUl: 10, fillUl: 1 } });
  const c = await connect(t, s, 'tcp');
  t.equal(await c.reply('irun\r'), '\n>');
  t.match(await c.reply('status\r'), /^\n166666667 \d+ \d+ I\.\.\.I\.\r\n>$/, 'upper-case I while running');
  s.stall(0);
  t.equal(await c.idle(30), '\n*', 'a stall is announced (poll off)');
  t.match(await c.reply('status\r'), /^\n166666667 \d+ \d+ i\.S\.I\.\r\n\*$/, 'flag 3 S, prompt *');
  t.equal(await c.reply('stop\r'), '\n:', 'STOP clears the stall');
  t.equal(await c.reply('irate 2 ml/min\r'), '\n:');
  t.equal(await c.reply('irun\r'), '\n>');
  await new Promise((r) => setTimeout(r, 120)); // the last ~1 ul at 2 ml/min: 30 ms
  t.equal(await c.idle(0), '\n:', 'empty syringe: the pump stops by itself (prompt :)');
  t.match(await c.reply('status\r'), /^\n33333333333 \d+ 1000000000 ii\.\.I\.\r\n:$/, 'flag 2 i: infuse limit switch');
  t.equal(await c.reply('wrate 2 ml/min\r'), '\n:');
  t.equal(await c.reply('wrun\r'), '\n<');
  t.match(await c.reply('status\r'), /^\n33333333333 \d+ \d+ W\.\.\.W\.\r\n<$/, 'W while withdrawing');
  t.equal(await c.reply('stop\r'), '\n:');
});

t.test('address prefixes on a two-pump line over the pty: only the addressed pump answers', async (t) => {
  const s = await sim(t, { pty: true, addresses: [0, 1] });
  const c = await connect(t, s, 'pty');
  t.equal(await c.reply('1irun\r'), '\n01>');
  t.equal(await c.reply('status\r'), '\n166666667 0 0 i...I.\r\n:', 'pump 0 is idle');
  t.match(await c.reply('1status\r'), /^\n01>166666667 \d+ \d+ I\.\.\.I\.\r\n01>$/, "pump 1's line carries its state");
  t.equal(await c.reply('1stop\r'), '\n01:');
});
