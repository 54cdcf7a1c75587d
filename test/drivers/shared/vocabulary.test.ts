/**
 * The shared signal vocabulary (decision 0013): one line per signal, the same value checks on the
 * soft, mock and transport tiers (done once, by the Signal), and ctx.dispose() stopping polls.
 */
import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import { InvalidInputError, LimitsError, UnsupportedError } from '../../../src/core/errors.js';
import { sleep } from '../../../src/core/device/timeout.js';
import { softSignalRW } from '../../../src/core/signal/factories.js';
import { getMockPuts } from '../../../src/core/signal/mock.js';
import type { SignalRW } from '../../../src/core/signal/writable.js';
import { SharedPoll, SignalContext, signalR, signalRW, signalW, signalX } from '../../../src/drivers/shared/index.js';

/** An in-memory instrument: a setpoint, a mode and a temperature, and the commands it received. */
class FakeCommands {
  readonly address = 'tcp://127.0.0.1:9';
  sent: string[] = [];
  gets = 0;
  sp = 20;
  mode = 'idle';
  temperature = 21.5;
  async open(): Promise<void> {}
  async setpoint(): Promise<number> {
    this.gets++;
    return this.sp;
  }
  async command(text: string): Promise<void> {
    this.sent.push(text);
    const [verb, arg] = text.split(' ');
    if (verb === 'SP') this.sp = Number(arg);
    if (verb === 'MODE') this.mode = arg!;
  }
}

function context(c: FakeCommands, poll?: SharedPoll<{ temperature: number; timestamp: number }>): SignalContext<FakeCommands, { temperature: number; timestamp: number }> {
  return new SignalContext({ family: 'bath', commands: () => c, prefix: () => 'u1/', poll, timeoutMs: 2000, pollMs: 5 });
}

const RULES = { dtype: 'number' as const, units: 'degC', limits: { low: -20, high: 150 } };

t.test('one line per signal: reads, writes, sources, data keys', (t) =>
  withLeakGuard(async () => {
    const c = new FakeCommands();
    const poll = new SharedPoll(async () => ({ temperature: c.temperature, timestamp: Date.now() / 1000 }), 5);
    const ctx = context(c, poll);
    const setpoint = signalRW(ctx, { path: 'SP', get: (x) => x.setpoint(), set: (x, v) => x.command(`SP ${v}`), ...RULES });
    const temperature = signalR(ctx, { path: 'temperature', pick: (s) => s.temperature, dtype: 'number', units: 'degC' });
    const mode = signalW(ctx, { path: 'MODE', set: (x, v: string) => x.command(`MODE ${v}`), dtype: 'string', choices: ['idle', 'run'] });
    const start = signalX(ctx, 'start', (x) => x.command('START'));
    setpoint.setName('bath-setpoint');
    await setpoint.connect();
    t.equal(await setpoint.getValue(), 20);
    await setpoint.set(37.5);
    t.same(c.sent, ['SP 37.5']);
    t.equal(await setpoint.getSetpoint(), 37.5);
    t.equal(await temperature.getValue(), 21.5, 'a field of the shared poll');
    await mode.set('run');
    t.equal(c.mode, 'run');
    t.equal(await mode.backend.getValue(), 'run', 'a write-only signal reads back what it was sent');
    await t.rejects(mode.set('boil').then(() => undefined), InvalidInputError, 'choices are checked');
    await start.trigger();
    t.same(c.sent.slice(-1), ['START']);
    t.equal(setpoint.source, 'bath+tcp://127.0.0.1:9/u1/SP');
    const key = (await setpoint.describe())['bath-setpoint']!;
    t.match(key, { dtype: 'number', units: 'degC', limits: { control: { low: -20, high: 150 } } });
    await t.rejects(temperature.backend.put(3, true), UnsupportedError, 'a read-only signal has no write');
    ctx.dispose();
  }));

/** Build the same setpoint on the three tiers. */
async function tiers(): Promise<Array<{ tier: string; signal: SignalRW<number>; writes: () => number }>> {
  const c = new FakeCommands();
  const transport = signalRW(context(c), { path: 'SP', get: (x) => x.setpoint(), set: (x, v) => x.command(`SP ${v}`), ...RULES });
  transport.setName('sp');
  await transport.connect();
  const c2 = new FakeCommands();
  const mocked = signalRW(context(c2), { path: 'SP', get: (x) => x.setpoint(), set: (x, v) => x.command(`SP ${v}`), ...RULES });
  mocked.setName('sp');
  await mocked.connect({ mock: true });
  const soft = softSignalRW(20, { ...RULES, name: 'sp' });
  return [
    { tier: 'transport', signal: transport, writes: () => c.sent.length },
    { tier: 'mock', signal: mocked, writes: () => getMockPuts(mocked).length + c2.sent.length },
    { tier: 'soft', signal: soft, writes: () => 0 },
  ];
}

t.test('the same bad put fails the same way on the transport, mock and soft tiers, and writes nothing', (t) =>
  withLeakGuard(async () => {
    const messages = new Map<string, string[]>();
    for (const { tier, signal, writes } of await tiers()) {
      const errors: unknown[] = [];
      for (const bad of [151, -21, Number.NaN, 'hot' as unknown as number]) errors.push(await signal.set(bad).then(() => undefined, (e: unknown) => e));
      t.type(errors[0], LimitsError, `${tier}: above the limit`);
      t.match(errors[0], { value: 151, low: -20, high: 150, units: 'degC' });
      t.type(errors[1], LimitsError, `${tier}: below the limit`);
      t.type(errors[2], InvalidInputError, `${tier}: NaN`);
      t.type(errors[3], InvalidInputError, `${tier}: wrong type`);
      t.equal(writes(), 0, `${tier}: nothing sent or recorded`);
      await signal.set(100);
      t.equal(await signal.getValue(), 100, `${tier}: a good value goes through`);
      messages.set(tier, errors.map((e) => (e as Error).message));
    }
    t.same(messages.get('mock'), messages.get('transport'), 'mock and transport: the same messages');
    t.same(messages.get('soft'), messages.get('transport'), 'soft and transport: the same messages');
  }));

t.test('ctx.dispose() stops the polling of subscribed signals and the shared poll', (t) =>
  withLeakGuard(async () => {
    const c = new FakeCommands();
    let polls = 0;
    const poll = new SharedPoll(async () => {
      polls++;
      return { temperature: c.temperature, timestamp: Date.now() / 1000 };
    }, 5);
    const ctx = context(c, poll);
    const setpoint = signalR(ctx, { path: 'SP', get: (x) => x.setpoint(), ...RULES });
    const temperature = signalR(ctx, { path: 'temperature', pick: (s) => s.temperature, dtype: 'number' });
    const seen: number[] = [];
    setpoint.subscribeValue((v) => seen.push(v));
    temperature.subscribeValue((v) => seen.push(v));
    for (let i = 0; i < 400 && (c.gets < 3 || polls < 3); i++) await sleep(5);
    t.ok(c.gets >= 3 && polls >= 3, 'both kinds poll while subscribed');
    ctx.dispose();
    const [gets, polled] = [c.gets, polls];
    await sleep(60);
    t.ok(c.gets - gets <= 1 && polls - polled <= 1, 'no polling after dispose (at most one request already in flight)');
  }));
