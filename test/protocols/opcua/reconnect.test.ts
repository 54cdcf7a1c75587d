/**
 * Session loss and reconnection: the simulator stops, the clients say `lost` and refuse calls
 * (or hold them, with `whileReconnecting: 'wait'`), a new simulator starts on the same port, the
 * clients say `restored`, and the subscription delivers the new server's values.
 */
import t from 'tap';
import { join } from 'node:path';
import { DisconnectedError } from '../../../src/core/errors.js';
import type { Reading } from '../../../src/core/protocols.js';
import { OpcuaClient, OpcuaNodeBackend, type OpcuaStateEvent } from '../../../src/protocols/opcua/index.js';
import { startOpcuaSim, type OpcuaSim } from '../../../src/sim/opcua/index.js';
import { TEST_NODES, privateTmp, waitUntil } from './helpers.js';

t.setTimeout(240_000);

const tmp = await privateTmp(t);
const pkiDir = join(tmp.dir, 'pki');
const sims: OpcuaSim[] = [];
const clients: OpcuaClient[] = [];
t.teardown(async () => {
  for (const c of clients) await c.close();
  for (const s of sims) await s.close();
});

t.test('a restarted server: lost, refused calls, restored, values again', async (t) => {
  const first = await startOpcuaSim({ port: 0, nodes: TEST_NODES, pkiDir });
  sims.push(first);
  const options = { timeoutMs: 3000, reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 400 };
  const client = new OpcuaClient(first.endpoint, options);
  const waiting = new OpcuaClient(first.endpoint, { ...options, whileReconnecting: 'wait' });
  clients.push(client, waiting);
  const events: Array<[OpcuaStateEvent, string | undefined]> = [];
  client.onState((e, d) => events.push([e, d.error?.name]));
  await client.connect();
  await waiting.connect();

  // A subscription through the client and one through a signal backend.
  const counts: number[] = [];
  const sub = await client.subscribe<number>('ns=1;s=Counter', (v) => counts.push(v.value));
  const backend = new OpcuaNodeBackend<number>(client, 'ns=1;s=Level', { resubscribeDelayMs: 200 });
  await backend.connect(5000);
  const levels: Array<Reading<number>> = [];
  backend.setCallback((r) => levels.push(r));
  const dropped = await client.subscribe('ns=1;s=Label', () => {});
  first.set('ns=1;s=Level', 1);
  await waitUntil('counter values', () => counts.length >= 2);
  await waitUntil('level 1', () => levels.some((r) => r.value === 1));

  // A call the server is still working on when it goes away.
  const inflight = client.call('ns=1;s=Sim', 'ns=1;s=Sim.Wait', [60_000], { timeoutMs: 120_000 });
  inflight.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  await first.close();
  await t.rejects(inflight, DisconnectedError, 'a call in flight rejects with DisconnectedError, not at its time limit');
  await waitUntil("'lost'", () => client.state === 'lost' || client.state === 'reconnecting');
  t.ok(events.some(([e, err]) => e === 'lost' && err === 'DisconnectedError'), "'lost' comes with a DisconnectedError");
  const refused = await client.read('ns=1;s=Temp').catch((e: unknown) => e);
  t.type(refused, DisconnectedError, 'a call during the loss is refused, not left hanging');
  await t.rejects(client.write('ns=1;s=Setpoint', 5), DisconnectedError);
  await dropped.unsubscribe();
  t.pass('unsubscribe during the loss resolves');
  // The other client holds its call until the session is back (within the call's limit).
  const held = waiting.read<number>('ns=1;s=Temp', { timeoutMs: 60_000 });
  await waitUntil("'reconnecting'", () => events.some(([e]) => e === 'reconnecting'));

  const second = await startOpcuaSim({ port: first.port, nodes: TEST_NODES.map((n) => (n.browseName === 'Counter' ? { ...n, value: 1000 } : n)), pkiDir });
  sims.push(second);
  t.equal(second.endpoint, first.endpoint, 'same address');
  await waitUntil("'restored'", () => events.some(([e]) => e === 'restored'), 60_000);
  t.equal(client.state, 'connected');
  const order = events.map(([e]) => e);
  t.ok(order.indexOf('lost') < order.indexOf('reconnecting') && order.indexOf('reconnecting') < order.indexOf('restored'), `events in order: ${order.join(', ')}`);

  t.equal((await held).value, 21.5, 'the held call completed on the new server');
  await waitUntil('counter values from the new server', () => counts.some((c) => c >= 1000), 30_000);
  t.pass('the subscription resumed by itself');
  second.set('ns=1;s=Level', 2);
  await waitUntil('level 2 through the backend', () => levels.some((r) => r.value === 2), 30_000);
  t.pass('the signal backend kept receiving');
  await waitUntil('only the two live items on the new server', () => second.stats().monitoredItems === 2, 30_000);
  t.pass('the item dropped during the loss was deleted after reconnecting');
  t.equal((await client.read('ns=1;s=Temp')).value, 21.5, 'calls work again');
  await client.write('ns=1;s=Setpoint', 5);
  t.equal(second.get('ns=1;s=Setpoint'), 5);

  backend.setCallback(undefined);
  await sub.unsubscribe();
  await client.close();
  await waiting.close();
  t.equal(events.at(-1)?.[0], 'closed');
  await waitUntil('sessions closed', () => second.stats().sessions === 0);
  await second.close();
  t.same(await tmp.leftovers(), [], 'nothing left in the temporary folder');
});
