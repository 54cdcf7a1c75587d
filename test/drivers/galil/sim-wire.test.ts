/**
 * The Galil simulator over real TCP (and a pty), byte for byte against the manual's framing:
 * `:` after a command with no data (no CR LF), ` value\r\n:` after an interrogation, a bare `?`
 * for a rejected command and `<code> <text>\r\n:` from TC1; several `;`-separated commands per
 * line, each with its own reply, stopping at the first `?`. These send raw bytes and compare raw
 * replies; they do not use the driver.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import { startGalilSim, type GalilSim, type GalilSimOptions } from '../../../src/sim/galil/index.js';
import { splitReplies } from '../../../src/drivers/galil/protocol.js';
import { SerialStream } from '../../../src/protocols/stream/serial.js';

/** A raw TCP client: `ask(bytes, n)` resolves with the raw bytes once `n` replies (`:`/`?`) came. */
interface Raw {
  ask(bytes: string, replies?: number): Promise<string>;
  socket: net.Socket;
}

async function raw(t: Test, sim: GalilSim): Promise<Raw> {
  const port = Number(sim.address.split(':').pop());
  const socket = net.createConnection({ host: '127.0.0.1', port });
  t.teardown(() => void socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buf = '';
  let waiter: (() => void) | undefined;
  socket.on('data', (d) => {
    buf += d.toString('latin1');
    waiter?.();
  });
  return {
    socket,
    async ask(bytes, replies = 1) {
      buf = '';
      socket.write(Buffer.from(bytes, 'latin1'));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${replies} replies to ${JSON.stringify(bytes)}; got ${JSON.stringify(buf)}`)), 2000);
        waiter = () => {
          if (splitReplies(buf).replies.length >= replies) {
            clearTimeout(timer);
            waiter = undefined;
            resolve();
          }
        };
        waiter();
      });
      return buf;
    },
  };
}

async function sim(t: Test, options: GalilSimOptions = {}): Promise<GalilSim> {
  const s = await startGalilSim({ tcp: '127.0.0.1:0', ...options });
  t.teardown(() => s.close());
  return s;
}

/** Ask until `MG _BGA` says the profiler stopped. */
async function settle(c: Raw, axis = 'A'): Promise<void> {
  const end = performance.now() + 5000;
  while (performance.now() < end) {
    if ((await c.ask(`MG _BG${axis}\r`)) === ' 0.0000\r\n:') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('axis never stopped');
}

t.test('framing from the manual: :, value CR LF :, ?, TC1', async (t) => {
  const c = await raw(t, await sim(t));
  t.equal(await c.ask('TPA\r'), ' 0\r\n:', 'TP: value, CR LF, colon');
  t.equal(await c.ask('SHA\r'), ':', 'a command with no data: a bare colon, no CR LF');
  t.equal(await c.ask('TP\r'), ' 0, 0, 0, 0\r\n:', 'TP on every axis, comma separated');
  t.equal(await c.ask('bg\r'), '?', 'lower case is not a command: a bare question mark');
  t.equal(await c.ask('TC1\r'), '1 Unrecognized command\r\n:');
  t.equal(await c.ask('TC\r'), '1\r\n:', 'TC0 / TC: the code only');
  t.equal(await c.ask('MG _MOA\r'), ' 0.0000\r\n:', 'MG prints with four decimals');
  t.equal(await c.ask('MG "pos",_TPA\r'), 'pos 0.0000\r\n:', 'strings and operands');
  t.equal(await c.ask('\r'), ':', 'an empty line is answered with a colon');
});

t.test('several commands per line: one reply each, stop at the first ?', async (t) => {
  const c = await raw(t, await sim(t));
  t.equal(await c.ask('MO;SH;DPA=1000;TPA\r', 4), '::: 1000\r\n:', 'the manual example');
  t.equal(await c.ask('SPA=5000;XX;SPA=7\r', 2), ':?', 'XX is rejected and what follows on the line is not run');
  t.equal(await c.ask('MG _SPA\r'), ' 5000.0000\r\n:', 'SPA=7 was not executed');
  t.equal(await c.ask('TPA;'), ' 1000\r\n:', '; terminates a command too (as bliss sends)');
  t.equal(await c.ask('SP ?,?\r'), ' 5000, 25000\r\n:', 'interrogation with ? fields');
  t.equal(await c.ask('SPA=?\r'), ' 5000\r\n:');
});

t.test('commands arriving in pieces are put together', async (t) => {
  const c = await raw(t, await sim(t));
  c.socket.write('T');
  await new Promise((r) => setTimeout(r, 20));
  c.socket.write('P');
  await new Promise((r) => setTimeout(r, 20));
  t.equal(await c.ask('A\r'), ' 0\r\n:');
});

t.test('BG errors: 20 motor off, 21 running, 22 limit switch; 6 out of range; 7 HM while running', async (t) => {
  const s = await sim(t, { axes: [{ forwardLimit: 10_000 }] });
  const c = await raw(t, s);
  t.equal(await c.ask('BGA\r'), '?');
  t.equal(await c.ask('TC1\r'), '20 Begin not valid with motor off\r\n:');
  t.equal(await c.ask('SHA;JGA=1000;BGA\r', 3), ':::');
  t.equal(await c.ask('BGA\r'), '?');
  t.equal(await c.ask('TC1\r'), '21 Begin not valid while running\r\n:');
  t.equal(await c.ask('HMA\r'), '?');
  t.equal(await c.ask('TC1\r'), '7 Command not valid while running\r\n:');
  t.equal(await c.ask('SPA=99999999\r'), '?');
  t.equal(await c.ask('TC1\r'), '6 Number out of range\r\n:');
  t.equal(await c.ask('STA\r'), ':');
  await settle(c);
  t.equal(await c.ask('SCA\r'), ' 4\r\n:', 'stopped by ST');
  t.equal(await c.ask('SPA=500000;ACA=5000000;DCA=5000000;SDA=50000000;PAA=50000;BGA\r', 6), '::::::');
  await settle(c);
  t.equal(await c.ask('SCA\r'), ' 2\r\n:', 'stopped by the forward limit switch');
  t.equal(await c.ask('MG _LFA\r'), ' 0.0000\r\n:', 'the forward switch is active (reads 0)');
  const at = Number((await c.ask('TPA\r')).slice(0, -3));
  t.ok(at >= 10_000 && at < 50_000, `stopped past the switch, before the target (${at})`);
  t.equal(await c.ask('PRA=1000;BGA\r', 2), ':?', 'further forward is refused');
  t.equal(await c.ask('TC1\r'), '22 Begin not possible due to Limit Switch\r\n:');
  t.equal(await c.ask('PRA=-20000;BGA\r', 2), '::', 'moving away from the switch is allowed');
  await settle(c);
  t.equal(await c.ask('MG _LFA\r'), ' 1.0000\r\n:');
});

t.test('a trapezoidal move: _BG 1 while moving, then SC 1 at the exact target, TE small', async (t) => {
  const s = await sim(t);
  const c = await raw(t, s);
  t.equal(await c.ask('SHA;SPA=200000;ACA=2000000;DCA=1000000;PAA=200000;BGA\r', 6), '::::::'); // about 1.1 s
  t.equal(await c.ask('MG _BGA\r'), ' 1.0000\r\n:', 'profiling');
  t.equal(await c.ask('SCA\r'), ' 0\r\n:', 'stop code 0 while running');
  const mid = Number((await c.ask('TPA\r')).slice(0, -3));
  t.ok(mid >= 0 && mid < 200_000, `part way (${mid})`);
  await settle(c);
  t.equal(await c.ask('SCA\r'), ' 1\r\n:');
  t.equal(await c.ask('TPA\r'), ' 200000\r\n:', 'exactly at the target');
  t.equal(await c.ask('TEA\r'), ' 0\r\n:', 'no error at rest');
  t.equal(await c.ask('MG _PAA\r'), ' 200000.0000\r\n:');
  t.equal(await c.ask('PRA=-5000;BGA\r', 2), '::');
  await settle(c);
  t.equal(await c.ask('TPA\r'), ' 195000\r\n:', 'relative move');
  t.equal(await c.ask('PF 10.4;TPA\r', 2), ': 195000.0000\r\n:', 'PF 10.4 prints four decimals (as HELAO sets)');
});

t.test('homing: HM moves to the home switch, finds the index and defines 0 there (SC 10)', async (t) => {
  const s = await sim(t, { axes: [{ home: 3000, position: -2000 }] });
  const c = await raw(t, s);
  t.equal(await c.ask('MG _HMA\r'), ' 0.0000\r\n:', 'below the home switch');
  t.equal(await c.ask('SHA;SPA=100000;HMA;BGA\r', 4), '::::');
  await settle(c);
  t.equal(await c.ask('SCA\r'), ' 10\r\n:');
  t.equal(await c.ask('TPA\r'), ' 0\r\n:', 'position 0 at the index');
  t.equal(await c.ask('MG _HMA\r'), ' 1.0000\r\n:');
  t.equal(await c.ask('PRA=-1000;BGA\r', 2), '::');
  await settle(c);
  t.equal(await c.ask('FEA;BGA\r', 2), '::');
  await settle(c);
  t.equal(await c.ask('SCA;TPA\r', 2), ' 9\r\n: 0\r\n:', 'FE stops at the switch edge (SC 9)');
});

t.test('AB stops every axis at once (SC 7); MO powers off', async (t) => {
  const c = await raw(t, await sim(t, { axes: 2 }));
  t.equal(await c.ask('SH;JG 5000,-5000;BG\r', 3), ':::');
  t.equal(await c.ask('MG _BGA,_BGB\r'), ' 1.0000 1.0000\r\n:');
  t.equal(await c.ask('AB\r'), ':');
  t.equal(await c.ask('SC\r'), ' 7, 7\r\n:');
  t.equal(await c.ask('MO;MG _MOA,_MOB\r', 2), ': 1.0000 1.0000\r\n:');
});

t.test('I/O: SB/CB/OB, @OUT, @IN, @AN with a waveform, AO, TI', async (t) => {
  const s = await sim(t);
  const c = await raw(t, s);
  t.equal(await c.ask('SB 3;MG @OUT[3]\r', 2), ': 1.0000\r\n:');
  t.equal(await c.ask('CB 3;MG @OUT[3]\r', 2), ': 0.0000\r\n:');
  t.equal(await c.ask('OB 4,1;MG @OUT[4]\r', 2), ': 1.0000\r\n:');
  t.equal(await c.ask('MG @IN[2]\r'), ' 1.0000\r\n:', 'inputs float high');
  s.model.setInput(2, false);
  t.equal(await c.ask('MG @IN[2]\r'), ' 0.0000\r\n:');
  t.equal(await c.ask('TI 0\r'), ' 253\r\n:', 'bank 0 with input 2 low');
  s.model.setAnalog(1, 2.5);
  t.equal(await c.ask('MG @AN[1]\r'), ' 2.5000\r\n:');
  s.model.setAnalog(2, { kind: 'sine', amplitude: 3, offset: 1, periodMs: 100 });
  const values = new Set<number>();
  for (let i = 0; i < 10; i++) {
    values.add(Number((await c.ask('MG @AN[2]\r')).slice(0, -3)));
    await new Promise((r) => setTimeout(r, 7));
  }
  t.ok([...values].every((v) => v >= -2.0001 && v <= 4.0001), 'the sine stays within offset ± amplitude');
  t.ok(values.size > 2, 'and changes with time');
  t.equal(await c.ask('AO 1,3.3;MG @AO[1]\r', 2), ': 3.3000\r\n:');
  t.equal(await c.ask('SB 99\r'), '?');
  t.equal(await c.ask('TC1\r'), '6 Number out of range\r\n:');
  t.equal(await c.ask('MG @IN[99]\r'), '?');
  t.equal(await c.ask('TC1\r'), '56 Array index invalid or out of range\r\n:');
});

t.test('several connections: own parsers, shared controller, own TC; the 9th is refused', async (t) => {
  const s = await sim(t);
  const a = await raw(t, s);
  const b = await raw(t, s);
  a.socket.write('DPA=1');
  t.equal(await b.ask('TPA\r'), ' 0\r\n:', "b is not disturbed by a's half-sent command");
  t.equal(await a.ask('23\r'), ':', 'a finishes DPA=123');
  t.equal(await b.ask('TPA\r'), ' 123\r\n:', 'the controller is shared');
  t.equal(await a.ask('XX\r'), '?');
  t.equal(await b.ask('TC1\r'), '0\r\n:', 'the error code belongs to the connection that made it');
  t.equal(await a.ask('TC1\r'), '1 Unrecognized command\r\n:');
  const extra: Raw[] = [];
  for (let i = 0; i < 6; i++) extra.push(await raw(t, s));
  t.equal(s.connections, 8);
  const port = Number(s.address.split(':').pop());
  const ninth = net.createConnection({ host: '127.0.0.1', port });
  t.teardown(() => void ninth.destroy());
  await new Promise<void>((resolve) => {
    ninth.once('close', () => resolve());
    ninth.on('error', () => {});
  });
  t.pass('the 9th connection was reset (8 Ethernet handles)');
  t.equal(await extra[5]!.ask('TPA\r'), ' 123\r\n:', 'the others still work');
});

t.test('the simulator on a pty speaks the same bytes', async (t) => {
  const s = await startGalilSim({ pty: true });
  t.teardown(() => s.close());
  t.match(s.uri, /^galil\+serial:\/\//);
  const port = new SerialStream({ path: s.ptyPath!, baudRate: 115200 });
  t.teardown(() => port.close());
  await port.open();
  let buf = '';
  port.onData((d) => void (buf += Buffer.from(d).toString('latin1')));
  port.write(Buffer.from('MO;SH;DPA=1000;TPA\r', 'latin1'));
  for (let i = 0; i < 200 && splitReplies(buf).replies.length < 4; i++) await new Promise((r) => setTimeout(r, 5));
  t.equal(buf, '::: 1000\r\n:');
});
