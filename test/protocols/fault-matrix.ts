/**
 * The fault matrix, shared by the serial (pty) and TCP test files: every fault of the injector,
 * through a request channel. Each request resolves with its own reply or rejects with a typed
 * error within its timeout; afterwards the channel recovers, and nothing is left pending.
 * @module
 */
import type { Test } from 'tap';
import { DisconnectedError, LabrigError, TimeoutError } from '../../src/core/errors.js';
import { createRequestChannel, type StreamRequestChannel } from '../../src/protocols/channel/index.js';
import type { ByteStream } from '../../src/protocols/contracts.js';
import { SerialStream } from '../../src/protocols/stream/serial.js';
import { TcpStream } from '../../src/protocols/stream/tcp.js';
import { faultProxy, FaultInjector, type FaultKind } from '../../src/sim/faults.js';
import { serveOnPty } from '../../src/sim/pty.js';
import { leakGuard } from '../../src/testing/leak-guard.js';
import { lineServer } from './helpers.js';

/** Request timeout used in the matrix, in ms. */
const TIMEOUT_MS = 300;
/** Slack allowed over a request's timeout before we call it a hang, in ms (a hang guard only). */
const HANG_SLACK_MS = 1000;

/** One row: the fault, its duration, and what the faulted request must do. */
export interface Case {
  name: string;
  kind: FaultKind;
  ms?: number;
  /** Outcome of the request whose reply is faulted. */
  expect: 'resolve' | typeof TimeoutError | typeof DisconnectedError;
}

/** Every fault; delay twice: within the timeout (resolves) and beyond it (late reply discarded). */
export const CASES: Case[] = [
  { name: 'drop', kind: 'drop', expect: TimeoutError },
  { name: 'garble', kind: 'garble', expect: TimeoutError },
  { name: 'duplicate', kind: 'duplicate', expect: 'resolve' },
  { name: 'delay within timeout', kind: 'delay', ms: 60, expect: 'resolve' },
  { name: 'delay beyond timeout', kind: 'delay', ms: TIMEOUT_MS + 150, expect: TimeoutError },
  { name: 'split', kind: 'split', ms: 15, expect: 'resolve' },
  { name: 'disconnect', kind: 'disconnect', expect: DisconnectedError },
  { name: 'silent', kind: 'silent', ms: 400, expect: TimeoutError },
  { name: 'restart', kind: 'restart', ms: 250, expect: DisconnectedError },
];

/** A responder: `Q<n>` → `R<n>` CR LF. */
function answer(line: string): string | undefined {
  return line.startsWith('Q') ? `R${line.slice(1)}\r\n` : undefined;
}

interface Rig {
  stream: ByteStream;
  faults: FaultInjector;
  close(): Promise<void>;
}

async function tcpRig(seed: number): Promise<Rig> {
  const faults = new FaultInjector({ seed });
  const server = await lineServer(answer);
  const proxy = await faultProxy({ host: '127.0.0.1', port: server.port }, faults);
  return {
    stream: new TcpStream({ host: '127.0.0.1', port: proxy.port, connectTimeoutMs: 500 }),
    faults,
    async close() {
      await proxy.close();
      await server.close();
    },
  };
}

async function serialRig(seed: number): Promise<Rig> {
  const faults = new FaultInjector({ seed });
  const server = serveOnPty({ terminators: ['\r'], onLine: answer }, { faults });
  return {
    stream: new SerialStream({ path: server.path, baudRate: 115200, openTimeoutMs: 500 }),
    faults,
    async close() {
      server.close();
    },
  };
}

function countTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Run one request and check it settles correctly or with a typed error, in time. */
async function check(t: Test, ch: StreamRequestChannel, n: number, timeoutMs = TIMEOUT_MS): Promise<'ok' | Error> {
  const start = performance.now();
  try {
    const r = await ch.request(`Q${n}`, { timeoutMs });
    t.equal(r.text, `R${n}`, `Q${n} got its own reply`);
    return 'ok';
  } catch (err) {
    t.ok(err instanceof LabrigError, `Q${n} failed with a typed error (${(err as Error).name}: ${(err as Error).message})`);
    return err as Error;
  } finally {
    const took = performance.now() - start;
    t.ok(took <= timeoutMs + HANG_SLACK_MS, `Q${n} settled within its timeout (hang guard; took ${took.toFixed(0)} ms)`);
  }
}

/** Run the whole matrix on one transport. */
export function faultMatrix(t: Test, transport: 'serial' | 'tcp'): void {
  let seed = 1;
  for (const c of CASES) {
    t.test(`${transport}: ${c.name}`, async (t) => {
      const guard = leakGuard({ checkStatuses: false });
      const rig = transport === 'tcp' ? await tcpRig(seed++) : await serialRig(seed++);
      const ch = createRequestChannel(rig.stream, {
        suffix: '\r',
        framing: { mode: 'terminator', terminators: ['\r\n'] },
        timeoutMs: TIMEOUT_MS,
        quietMs: 50,
        reconnect: { initialDelayMs: 10, maxDelayMs: 100, connectTimeoutMs: 500 },
        // A reply must echo its request's number; anything else (garbled, late, duplicated) is stale.
        match: (reply, cmd) => reply.text === `R${Buffer.from(cmd).toString('latin1').slice(1, -1)}`,
      });
      try {
        await ch.open();
        const baseline = countTimers();
        t.equal(await check(t, ch, 1), 'ok', 'before the fault');
        rig.faults.next(c.kind, c.ms);
        // Q2 meets the fault; Q3 and Q4 wait in the queue meanwhile, with room to outlive Q2's timeout.
        const outcomes = await Promise.all([check(t, ch, 2), check(t, ch, 3, 3 * TIMEOUT_MS), check(t, ch, 4, 3 * TIMEOUT_MS)]);
        const first = outcomes[0];
        if (c.expect === 'resolve') t.equal(first, 'ok', `${c.name}: the faulted request still resolves`);
        else t.type(first, c.expect, `${c.name}: the faulted request fails with ${c.expect.name}`);
        t.equal(rig.faults.scripted, 0, 'the scripted fault was applied');
        // Recovery: the next request succeeds (after reconnecting when the link was lost).
        const r = await ch.request('Q9', { timeoutMs: 4000 });
        t.equal(r.text, 'R9', 'the channel recovered');
        t.same(ch.inspect(), { queued: 0, active: false, timers: 0, buffered: 0 }, 'nothing pending in the channel');
        t.equal(ch.state, 'connected');
        await new Promise((res) => setTimeout(res, 30));
        t.equal(countTimers(), baseline, 'no timers left running');
      } finally {
        await ch.close();
        await rig.close();
      }
      await guard.assertClean({ graceMs: 2000 });
      t.pass('no sockets, servers or timers left behind');
    });
  }
}
