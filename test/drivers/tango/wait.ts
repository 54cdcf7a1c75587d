// Waiting helpers of the Tango tests: a bounded poll, and the bridge's restart check both
// backends run.
import type { Test } from 'tap';
import type { Reading } from '../../../src/core/protocols.js';
import type { TangoDevice } from '../../../src/drivers/tango/device.js';
import type { TangoServer } from '../../../src/sim/tango/index.js';

/** Wait until `pred` holds (polled every 20 ms) or fail after `ms`, naming `what`. */
export async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The bridge's promise across a server restart, whatever the backend: `d`'s counter delivers,
 * the event server `ev` stops and starts, an event of the restarted server arrives (cppTango
 * reports API_EventTimeout some 10 s after the server went; the subscription manager then
 * subscribes again), and after Reset + Start events flow again.
 */
export async function expectResubscribeAfterRestart(t: Test, d: TangoDevice, ev: TangoServer): Promise<void> {
  const seen: number[] = [];
  const unsub = d.signals['counter']!.subscribe((r: Record<string, Reading>) => seen.push(Object.values(r)[0]!.value as number));
  t.teardown(unsub);
  await until(() => seen.length >= 1, 10000, 'the first event');
  await ev.stop();
  await ev.start();
  const before = seen.length;
  await until(() => seen.length > before, 60000, 'an event from the restarted server');
  await d.commands['Reset']!();
  await d.commands['Start']!();
  await until(() => seen.length > before + 5, 20000, 'events flowing again');
  await d.commands['Stop']!();
  t.ok(d.subscriptions.subscribeCalls >= 2, 'subscribed again');
}
