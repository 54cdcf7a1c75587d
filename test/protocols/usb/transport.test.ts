/**
 * USBTMC transport against an in-process instrument at the transfer level (FakeInstrument):
 * queries, multi-transfer replies, and every misbehaviour the fake can show; after each fault the
 * call rejects with a typed error, the transport recovers (abort/clear) and the next query works.
 * Timeouts here are hang guards and fault triggers, never performance assertions.
 */
import t from 'tap';
import { CanceledError, DeviceError, DisconnectedError, InvalidInputError, TimeoutError } from '../../../src/core/errors.js';
import { UsbtmcTransport, type UsbtmcOptions } from '../../../src/protocols/usb/transport.js';
import { leakGuard } from '../../../src/testing/index.js';
import type { Test } from 'tap';
import { FakeInstrument } from './fake-instrument.js';

const IDN = 'LABRIG,FAKE-USBTMC,0001,1.0';

type Body = (kit: { dev: FakeInstrument; tmc: UsbtmcTransport }) => Promise<void>;

/** Run `body` with a transport on a fake; then close, check the host kept the rules and left nothing behind. */
async function withFake(t: Test, options: UsbtmcOptions, fake: FakeInstrument, body: Body): Promise<void> {
  const guard = leakGuard({ checkStatuses: false });
  const tmc = new UsbtmcTransport(fake, { timeoutMs: 1000, recoveryTimeoutMs: 500, ...options });
  try {
    await body({ dev: fake, tmc });
  } finally {
    await tmc.close();
  }
  t.same(fake.hostErrors, [], 'the host broke no USBTMC rule');
  await guard.assertClean({ graceMs: 500 });
}

t.test('*IDN? round trip, tags 1..255 never repeated back to back', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    t.equal(await tmc.query('*IDN?'), IDN);
    t.same(dev.commands, ['*IDN?']);
    for (let i = 0; i < 140; i++) t.equal(await tmc.query('*IDN?'), IDN);
    t.equal(dev.tagsSeen.length, 282, 'one DEV_DEP_MSG_OUT and one REQUEST per query');
    t.notOk(dev.tagsSeen.includes(0));
    t.equal(Math.max(...dev.tagsSeen), 255);
    t.equal(dev.tagsSeen[255], 1, 'wrapped to 1 after 255');
  });
});

t.test('write and read as separate calls; setpoint round trip', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ tmc }) => {
    await tmc.write('VOLT 1.5');
    await tmc.write('VOLT?');
    t.equal(await tmc.readText(), '1.500');
    t.same(Buffer.from(await tmc.queryBytes('VOLT?')).toString(), '1.500\n', 'bytes keep the terminator');
  });
});

t.test('a long reply arrives over many Bulk-IN reads and several transfers', async (t) => {
  await withFake(t, { readBufferBytes: 64, requestBytes: 700 }, new FakeInstrument(), async ({ dev, tmc }) => {
    const reply = await tmc.queryBytes('DATA? 5000');
    t.equal(reply.length, 2 + 4 + 5000 + 1);
    t.same(Buffer.from(reply.subarray(0, 6)).toString(), '#45000');
    let ok = true;
    for (let i = 0; i < 5000; i++) if (reply[6 + i] !== (i & 0xff)) ok = false;
    t.ok(ok, 'every data byte in order');
    t.equal(dev.tagsSeen.length, 1 + Math.ceil(5007 / 700), 'one REQUEST per 700-byte transfer');
  });
});

t.test('replies split by the device into small transfers (EOM only on the last)', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.splitBytes = 7;
    t.equal(await tmc.query('*IDN?'), IDN);
    t.equal(dev.tagsSeen.length, 1 + Math.ceil((IDN.length + 1) / 7));
  });
});

t.test('a long command is split into several DEV_DEP_MSG_OUT transfers', async (t) => {
  const seen: string[] = [];
  const fake = new FakeInstrument({ responder: (c) => (seen.push(c), c.endsWith('?') ? `${c.length}\n` : undefined) });
  await withFake(t, { writeChunkBytes: 8 }, fake, async ({ dev, tmc }) => {
    const cmd = `SYST:LONG:COMMAND:${'X'.repeat(50)}?`;
    t.equal(await tmc.query(cmd), String(cmd.length));
    t.same(seen, [cmd], 'the device saw one complete message');
    t.equal(dev.tagsSeen.length, Math.ceil((cmd.length + 1) / 8) + 1);
  });
});

for (const [fault, pattern] of [
  ['wrongTag', /does not answer the request with bTag/],
  ['badInverse', /bTagInverse/],
  ['shortTransfer', /transfer ended after/],
  ['excessBytes', /beyond TransferSize/],
] as const) {
  t.test(`${fault}: typed error, device cleared, next query works`, async (t) => {
    await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
      dev.faults[fault] = 1;
      const err = await tmc.query('*IDN?').catch((e: unknown) => e);
      t.ok(err instanceof InvalidInputError, 'InvalidInputError');
      t.match((err as Error).message, pattern);
      t.match(tmc.lastRecovery?.steps, [/^clear:/]);
      t.ok(dev.controls.includes('5:0'), 'INITIATE_CLEAR was sent');
      t.equal(await tmc.query('*IDN?'), IDN);
    });
  });
}

t.test('no reply within the timeout: TimeoutError, Bulk-IN aborted, next query works', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    // The device takes the request but has nothing to say: it holds the transfer open.
    const err = await tmc.query('NOREPLY?', { timeoutMs: 150 }).catch((e: unknown) => e);
    t.ok(err instanceof TimeoutError);
    t.equal((err as TimeoutError).afterMs, 150);
    t.equal(await tmc.query('*IDN?'), IDN, 'the next query waits for the recovery and succeeds');
    t.same(tmc.lastRecovery?.steps, ['abort-in:aborted'], 'a confirmed abort needs no clear');
    const abortTag = dev.tagsSeen[1];
    t.ok(dev.controls.includes(`3:${abortTag}`), 'INITIATE_ABORT_BULK_IN named the bTag of the lost request');
    t.ok(dev.controls.includes('4:0'), 'CHECK_ABORT_BULK_IN_STATUS followed');
    t.notOk(dev.controls.includes('5:0'), 'no clear');
  });
});

t.test('a request the device lost: abort finds nothing, the clear drops the late reply', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.swallowRequests = 1;
    await t.rejects(tmc.query('*IDN?', { timeoutMs: 150 }), TimeoutError);
    await tmc.write('VOLT 3');
    t.equal(await tmc.query('VOLT?'), '3.000', 'the stale *IDN? reply never reaches a later query');
    t.same(tmc.lastRecovery?.steps, ['abort-in:idle', 'clear:1 checks']);
  });
});

t.test('abort answered TRANSFER_NOT_IN_PROGRESS or a failing status falls back to a clear', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.swallowRequests = 1;
    dev.faults.abortInStatus = 0x81;
    await t.rejects(tmc.query('*IDN?', { timeoutMs: 100 }), TimeoutError);
    t.equal(await tmc.query('VOLT?'), '0.000');
    t.same(tmc.lastRecovery?.steps, ['abort-in:other-transfer', 'clear:1 checks']);

    dev.faults.swallowRequests = 1;
    dev.faults.abortInStatus = 0x83;
    await t.rejects(tmc.query('*IDN?', { timeoutMs: 100 }), TimeoutError);
    t.equal(await tmc.query('VOLT?'), '0.000');
    t.match(tmc.lastRecovery?.steps, [/^abort-in:failed .*split transaction is in progress/, 'clear:1 checks']);
    dev.faults.abortInStatus = undefined;
  });
});

t.test('reply without EOM: the host keeps asking, then times out and recovers', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.noEom = true;
    await t.rejects(tmc.query('*IDN?', { timeoutMs: 150 }), TimeoutError);
    t.ok(dev.tagsSeen.length >= 3, 'a second REQUEST_DEV_DEP_MSG_IN was sent after the transfer without EOM');
    dev.faults.noEom = false;
    t.equal(await tmc.query('*IDN?'), IDN);
  });
});

t.test('a reply longer than maxMessageBytes is refused and cleared', async (t) => {
  await withFake(t, { maxMessageBytes: 100, requestBytes: 64 }, new FakeInstrument(), async ({ dev, tmc }) => {
    await t.rejects(tmc.queryBytes('DATA? 500'), /longer than maxMessageBytes 100/);
    t.equal(await tmc.query('*IDN?'), IDN);
    t.ok(dev.controls.includes('5:0'));
  });
});

t.test('device clear polls CHECK_CLEAR_STATUS through PENDING and clears the Bulk-OUT halt', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.clearPending = 3;
    t.same(await tmc.clear(), { checks: 4, discardedBytes: 0 });
    t.equal(dev.outHalted, false, 'CLEAR_FEATURE(ENDPOINT_HALT) sent to Bulk-OUT');
    t.equal(await tmc.query('*IDN?'), IDN);
    dev.faults.clearPending = 0;
    dev.faults.clearFifoFlag = true;
    t.same(await tmc.clear(), { checks: 2, discardedBytes: 20 }, 'Bulk-IN read out when bmClear.D0 asks for it');
  });
});

t.test('clear stuck in PENDING times out; the next operation clears first', async (t) => {
  await withFake(t, { recoveryTimeoutMs: 100 }, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.clearPending = Infinity;
    await t.rejects(tmc.clear({ timeoutMs: 150 }), TimeoutError);
    await t.rejects(tmc.query('*IDN?', { timeoutMs: 200 }), TimeoutError, 'the owed clear is retried first and fails again');
    t.same(dev.commands, [], 'no command reached a device in an unknown state');
    dev.faults.clearPending = 0;
    t.equal(await tmc.query('*IDN?'), IDN, 'once the device clears, queries work again');

    // A recovery whose abort and clear both fail leaves a clear owed to the next operation.
    dev.faults.swallowRequests = 1;
    dev.faults.abortInStatus = 0x83;
    dev.faults.clearPending = Infinity;
    await t.rejects(tmc.query('*IDN?', { timeoutMs: 100 }), TimeoutError);
    await tmc.settled();
    t.match(tmc.lastRecovery?.steps, [/^abort-in:failed/, /^clear:failed .*timed out/]);
    t.ok(tmc.lastRecovery?.error instanceof TimeoutError);
    dev.faults.clearPending = 0;
    dev.faults.abortInStatus = undefined;
    const before = dev.controls.filter((c) => c === '5:0').length;
    t.equal(await tmc.query('VOLT?'), '0.000');
    t.equal(dev.controls.filter((c) => c === '5:0').length, before + 1, 'the owed clear ran before the query');
  });
});

t.test('a device call that never settles is cut off by the guard', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.hangBulkIn = 1;
    await t.rejects(tmc.query('*IDN?', { timeoutMs: 100 }), TimeoutError);
    t.equal(await tmc.query('*IDN?', { timeoutMs: 2000 }), IDN);
  });
});

t.test('status byte: MAV without Interrupt-IN; via Interrupt-IN with an SRQ on the way', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ tmc }) => {
    t.equal(await tmc.readStatusByte(), 0);
    await tmc.write('*IDN?');
    t.equal(await tmc.readStatusByte(), 0x10, 'MAV set while a reply waits');
    t.equal(await tmc.readText(), IDN);
  });

  const srqs: number[] = [];
  const fake = new FakeInstrument({ interruptIn: true });
  await withFake(t, { onServiceRequest: (stb) => srqs.push(stb) }, fake, async ({ dev: dev2, tmc: tmc2 }) => {
    dev2.statusByte = 0x04;
    dev2.faults.srqBeforeStb = 1;
    t.equal(await tmc2.readStatusByte(), 0x04);
    t.same(srqs, [0x44], 'the SRQ notification went to onServiceRequest');
    t.equal(await tmc2.readStatusByte(), 0x04);
    t.match(dev2.controls, ['128:2', '128:3'], 'READ_STATUS_BYTE tags start at 2');
  });
});

t.test('capabilities, trigger, remote/local, unsupported request', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    const caps = await tmc.capabilities();
    t.equal(caps.termChar, true);
    t.same(caps.usb488, { bcdUSB488: 0x0100, trigger: true, remoteLocal: true, is488_2: true, dt1: true, rl1: true, sr1: true, scpi: true });
    await tmc.trigger();
    t.equal(dev.triggers, 1);
    const err = await tmc.remoteLocal('ren-on').catch((e: unknown) => e);
    t.ok(err instanceof DeviceError, 'a stalled control request is a DeviceError');
    t.equal((err as DeviceError).vendorCode, 'STALL');
    await t.rejects(tmc.indicatorPulse(), DeviceError);
  });
});

t.test('an AbortSignal cancels a read; the transport recovers', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.swallowRequests = 1;
    const ac = new AbortController();
    const pending = tmc.query('*IDN?', { signal: ac.signal, timeoutMs: 5000 });
    setTimeout(() => ac.abort(new Error('operator pressed stop')), 30);
    const err = await pending.catch((e: unknown) => e);
    t.ok(err instanceof CanceledError);
    t.match((err as Error).message, /operator pressed stop/);
    t.equal(await tmc.query('*IDN?'), IDN);
    await t.rejects(tmc.query('*IDN?', { signal: AbortSignal.abort() }), CanceledError, 'an aborted signal rejects at once');
  });
});

t.test('operations run one at a time, in call order', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    const results = await Promise.all([tmc.query('VOLT?'), tmc.write('VOLT 2'), tmc.query('VOLT?'), tmc.query('*IDN?')]);
    t.same(results, ['0.000', undefined, '2.000', IDN]);
    t.same(dev.commands, ['VOLT?', 'VOLT 2', 'VOLT?', '*IDN?']);
  });
});

t.test('a queued call times out while waiting its turn', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    dev.faults.swallowRequests = 1;
    const first = tmc.query('*IDN?', { timeoutMs: 300 });
    const second = tmc.query('*IDN?', { timeoutMs: 50 });
    await t.rejects(second, TimeoutError);
    await t.rejects(first, TimeoutError);
    t.equal(dev.commands.length, 1, 'the timed-out queued call never reached the device');
  });
});

t.test('close rejects the running call, later calls and closes the device', async (t) => {
  const fake = new FakeInstrument();
  const tmc = new UsbtmcTransport(fake, { timeoutMs: 5000 });
  fake.faults.swallowRequests = 1;
  const running = tmc.query('*IDN?');
  const queued = tmc.query('*IDN?');
  await new Promise((r) => setTimeout(r, 20));
  await tmc.close();
  await t.rejects(running, DisconnectedError);
  await t.rejects(queued, DisconnectedError);
  await t.rejects(tmc.query('*IDN?'), DisconnectedError);
  t.equal(fake.closed, true);
  t.equal(tmc.isOpen, false);
  await tmc.close();
});

t.test('bad input is refused before anything is sent', async (t) => {
  await withFake(t, {}, new FakeInstrument(), async ({ dev, tmc }) => {
    await t.rejects(tmc.write(new Uint8Array(0)), /at least one byte/);
    t.throws(() => tmc.write('VOLT \u20ac1'), InvalidInputError);
    await t.rejects(tmc.query('*IDN?', { timeoutMs: 0 }), InvalidInputError);
    t.throws(() => new UsbtmcTransport(dev, { termChar: 300 }), /termChar/);
    t.throws(() => new UsbtmcTransport(dev, { readBufferBytes: -1 }), /readBufferBytes/);
    t.same(dev.tagsSeen, []);
  });
});
