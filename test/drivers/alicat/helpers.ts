/**
 * Shared helpers of the Alicat tests: a simulator with a stepped clock, raw-byte replay of a
 * transcript against it, and stream factories for TCP and pty.
 */
import type { Test } from 'tap';
import type { ByteStream } from '../../../src/protocols/contracts.js';
import { SerialStream } from '../../../src/protocols/stream/serial.js';
import { TcpStream } from '../../../src/protocols/stream/tcp.js';
import { startAlicatSim, type AlicatSim, type AlicatSimOptions } from '../../../src/sim/alicat/index.js';
import type { Exchange } from '../../helpers/transcript.js';

/** A clock the test moves by hand, in ms. */
export interface ManualClock {
  now: number;
  read: () => number;
}

/** Make a clock starting at 1000 ms. */
export function manualClock(): ManualClock {
  const c: ManualClock = { now: 1000, read: () => c.now };
  return c;
}

/** Start a simulator that is closed in teardown. */
export async function simFor(t: Test, options: AlicatSimOptions): Promise<AlicatSim> {
  const sim = await startAlicatSim(options);
  t.teardown(() => sim.close());
  return sim;
}

/** Open a raw ByteStream to the simulator (TCP socket or the pty through serialport), closed in teardown. */
export async function rawStream(t: Test, sim: AlicatSim, via: 'tcp' | 'pty'): Promise<ByteStream> {
  let s: ByteStream;
  if (via === 'pty') s = new SerialStream({ path: sim.ptyPath!, baudRate: 19200 });
  else {
    const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(sim.address)!;
    s = new TcpStream({ host: m[1]!, port: Number(m[2]) });
  }
  await s.open({ timeoutMs: 3000 });
  t.teardown(() => s.close());
  return s;
}

const text = (x: string | Uint8Array): string => (typeof x === 'string' ? x : Buffer.from(x).toString('latin1'));

/**
 * Send each `sent` as raw bytes, step the clock by `stepMs` first, and compare the reply bytes
 * exactly (a `null` reply: nothing may arrive within `silenceMs`). Returns the mismatches.
 */
export async function replay(stream: ByteStream, exchanges: Exchange[], clock: ManualClock, stepMs: number, silenceMs = 120): Promise<string[]> {
  let buf = '';
  let wake: (() => void) | undefined;
  const off = stream.onData((c) => {
    buf += Buffer.from(c).toString('latin1');
    wake?.();
  });
  const problems: string[] = [];
  try {
    for (const [i, [sent, reply]] of exchanges.entries()) {
      clock.now += stepMs;
      buf = '';
      stream.write(Buffer.from(text(sent), 'latin1'));
      if (reply === null) {
        await new Promise((r) => setTimeout(r, silenceMs));
        if (buf !== '') problems.push(`exchange ${i} ${JSON.stringify(text(sent))}: expected no reply, got ${JSON.stringify(buf)}`);
        continue;
      }
      const deadline = performance.now() + 2000;
      while (!buf.includes('\r') && performance.now() < deadline) {
        await new Promise<void>((r) => {
          wake = r;
          const timer = setTimeout(r, 50);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
      wake = undefined;
      if (buf !== text(reply)) problems.push(`exchange ${i} ${JSON.stringify(text(sent))}: expected ${JSON.stringify(text(reply))}, got ${JSON.stringify(buf)}`);
    }
  } finally {
    off();
  }
  return problems;
}

/** Wait `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
